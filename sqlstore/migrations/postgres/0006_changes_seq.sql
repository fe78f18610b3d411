-- changes_seq counts the statements that wrote changes or their
-- artifacts. A trigger bumps it in the writing transaction, whichever
-- process writes, so that a gate decision read outside the serialised
-- write (from the read pool, in parallel) can be confirmed by the writer
-- with the number alone: if it is what the read saw, nothing the decision
-- read has changed since. It lives on the checkpoint row, which every
-- write locks first, so that the writer reads it, current, with that lock.
-- The function names the checkpoint table in the schema of the table
-- written, not through the writing session's search_path: installations
-- in two schemas of one database each count their own writes, and a
-- restore that empties the search_path still works.
ALTER TABLE audit_checkpoint ADD COLUMN changes_seq BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION andon_changes_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('UPDATE %I.audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1', TG_TABLE_SCHEMA);
	RETURN NULL;
END
$$;
CREATE TRIGGER changes_written AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON changes
	FOR EACH STATEMENT EXECUTE FUNCTION andon_changes_written();
CREATE TRIGGER change_artifacts_written AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON change_artifacts
	FOR EACH STATEMENT EXECUTE FUNCTION andon_changes_written();

-- Counts of the writes of changes and their artifacts, kept by triggers in
-- the writing transaction, whichever process writes: changes_seq on the
-- checkpoint row counts them all, change_counts those of each
-- environment. A gate decision read outside the serialised write (from
-- the read pool, in parallel) is confirmed by the writer with the counts
-- alone: if those of its environments are what the read saw, nothing the
-- decision read has changed since. The total lives on the checkpoint row,
-- which every write locks first, so that the writer reads it, current,
-- with that lock, and reads the counts of each environment only when it
-- has moved.
ALTER TABLE audit_checkpoint ADD COLUMN changes_seq BIGINT NOT NULL DEFAULT 0;
CREATE TABLE change_counts (
	environment TEXT PRIMARY KEY,
	seq         BIGINT NOT NULL
);
CREATE FUNCTION andon_count_change(env TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	IF env IS NOT NULL THEN
		INSERT INTO change_counts AS c (environment, seq) VALUES (env, 1)
			ON CONFLICT (environment) DO UPDATE SET seq = c.seq + 1;
	END IF;
END
$$;
CREATE FUNCTION andon_change_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'DELETE' THEN
		PERFORM andon_count_change(NEW.environment);
	END IF;
	IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.environment IS DISTINCT FROM NEW.environment) THEN
		PERFORM andon_count_change(OLD.environment);
	END IF;
	RETURN NULL;
END
$$;
CREATE FUNCTION andon_change_artifact_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'DELETE' THEN
		PERFORM andon_count_change((SELECT environment FROM changes WHERE seq = NEW.change_seq));
	END IF;
	IF TG_OP <> 'INSERT' THEN
		PERFORM andon_count_change((SELECT environment FROM changes WHERE seq = OLD.change_seq));
	END IF;
	RETURN NULL;
END
$$;
-- Emptying a table counts for every environment.
CREATE FUNCTION andon_changes_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	UPDATE change_counts SET seq = seq + 1;
	RETURN NULL;
END
$$;
-- The functions find the tables in the schema they are created in, not
-- through the writing session's search_path: installations in two schemas
-- of one database each count their own writes, and a restore that empties
-- the search_path still works.
DO $$
DECLARE
	f TEXT;
BEGIN
	FOREACH f IN ARRAY ARRAY['andon_count_change(text)', 'andon_change_written()', 'andon_change_artifact_written()', 'andon_changes_truncated()'] LOOP
		EXECUTE format('ALTER FUNCTION %s SET search_path = %I', f, current_schema());
	END LOOP;
END
$$;
CREATE TRIGGER changes_written AFTER INSERT OR UPDATE OR DELETE ON changes
	FOR EACH ROW EXECUTE FUNCTION andon_change_written();
CREATE TRIGGER change_artifacts_written AFTER INSERT OR UPDATE OR DELETE ON change_artifacts
	FOR EACH ROW EXECUTE FUNCTION andon_change_artifact_written();
CREATE TRIGGER changes_truncated AFTER TRUNCATE ON changes
	FOR EACH STATEMENT EXECUTE FUNCTION andon_changes_truncated();
CREATE TRIGGER change_artifacts_truncated AFTER TRUNCATE ON change_artifacts
	FOR EACH STATEMENT EXECUTE FUNCTION andon_changes_truncated();

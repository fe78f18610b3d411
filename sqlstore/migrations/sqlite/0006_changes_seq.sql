-- Counts of the writes of changes and their artifacts, kept by triggers in
-- the writing transaction: changes_seq on the checkpoint row counts them
-- all, change_counts those of each environment (see the PostgreSQL
-- migration of the same name for why). The checkpoint row is created
-- empty, as PostgreSQL's is from the start, so that there is a row to
-- count on before the first audited write.
ALTER TABLE audit_checkpoint ADD COLUMN changes_seq INTEGER NOT NULL DEFAULT 0;
INSERT INTO audit_checkpoint (id, size, note) SELECT 1, 0, X'' WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoint);
CREATE TABLE change_counts (
	environment TEXT PRIMARY KEY,
	seq         INTEGER NOT NULL
);
-- Each trigger counts the change's environment, making its row on the
-- first count.
CREATE TRIGGER changes_inserted AFTER INSERT ON changes BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	INSERT INTO change_counts (environment, seq) VALUES (NEW.environment, 1)
		ON CONFLICT (environment) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER changes_updated AFTER UPDATE ON changes BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	INSERT INTO change_counts (environment, seq) SELECT NEW.environment, 1 UNION SELECT OLD.environment, 1
		ON CONFLICT (environment) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER changes_deleted AFTER DELETE ON changes BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	INSERT INTO change_counts (environment, seq) VALUES (OLD.environment, 1)
		ON CONFLICT (environment) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER change_artifacts_inserted AFTER INSERT ON change_artifacts BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	INSERT INTO change_counts (environment, seq) SELECT environment, 1 FROM changes WHERE seq = NEW.change_seq
		ON CONFLICT (environment) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER change_artifacts_updated AFTER UPDATE ON change_artifacts BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	INSERT INTO change_counts (environment, seq) SELECT DISTINCT environment, 1 FROM changes WHERE seq IN (NEW.change_seq, OLD.change_seq)
		ON CONFLICT (environment) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER change_artifacts_deleted AFTER DELETE ON change_artifacts BEGIN
	UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1;
	INSERT INTO change_counts (environment, seq) SELECT environment, 1 FROM changes WHERE seq = OLD.change_seq
		ON CONFLICT (environment) DO UPDATE SET seq = seq + 1;
END;

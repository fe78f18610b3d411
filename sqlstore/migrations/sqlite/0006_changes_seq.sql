-- changes_seq counts the writes of changes and their artifacts; triggers
-- bump it in the writing transaction (see the PostgreSQL migration of the
-- same name for why). The checkpoint row is created empty, as
-- PostgreSQL's is from the start, so that there is a row to count on
-- before the first audited write.
ALTER TABLE audit_checkpoint ADD COLUMN changes_seq INTEGER NOT NULL DEFAULT 0;
INSERT INTO audit_checkpoint (id, size, note) SELECT 1, 0, X'' WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoint);
CREATE TRIGGER changes_inserted AFTER INSERT ON changes BEGIN UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1; END;
CREATE TRIGGER changes_updated AFTER UPDATE ON changes BEGIN UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1; END;
CREATE TRIGGER changes_deleted AFTER DELETE ON changes BEGIN UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1; END;
CREATE TRIGGER change_artifacts_inserted AFTER INSERT ON change_artifacts BEGIN UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1; END;
CREATE TRIGGER change_artifacts_updated AFTER UPDATE ON change_artifacts BEGIN UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1; END;
CREATE TRIGGER change_artifacts_deleted AFTER DELETE ON change_artifacts BEGIN UPDATE audit_checkpoint SET changes_seq = changes_seq + 1 WHERE id = 1; END;

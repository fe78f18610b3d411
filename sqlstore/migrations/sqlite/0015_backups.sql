-- The backups of environments' databases that completed, as recorded by
-- whoever runs them (andon backup record): the gate reads the latest of
-- an environment, completed at or before a decision's instant, for its
-- precondition of a fresh backup before a migration. body holds the whole
-- andon.Backup as JSON.
CREATE TABLE backups (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT NOT NULL UNIQUE,
	environment  TEXT NOT NULL,
	completed_at INTEGER NOT NULL,
	body         TEXT NOT NULL
);
CREATE INDEX backups_environment ON backups (environment, completed_at);

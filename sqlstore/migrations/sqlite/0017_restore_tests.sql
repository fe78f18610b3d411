-- The restore tests of environments' backups, as recorded by whoever runs
-- them (andon backup restore-test): the recovery posture reads the latest
-- of each environment, and the latest that passed. A test is known by its
-- environment, backup and start, so that a job run twice records it once.
-- body holds the whole andon.RestoreTest as JSON.
CREATE TABLE restore_tests (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	environment TEXT NOT NULL,
	backup      TEXT NOT NULL,
	started_at  INTEGER NOT NULL,
	passed      INTEGER NOT NULL,
	body        TEXT NOT NULL,
	UNIQUE (environment, backup, started_at)
);
CREATE INDEX restore_tests_environment ON restore_tests (environment, started_at);

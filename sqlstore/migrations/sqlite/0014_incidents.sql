-- Incidents: something going wrong at a plant that stops changes, opened
-- by a person (andon incident open) or an Alertmanager alert, until it is
-- resolved. body holds the whole andon.Incident as JSON; the other columns
-- are copies of its fields for finding and listing. The gate reads the
-- open ones with every decision, through the partial index.
CREATE TABLE incidents (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	state      TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	body       TEXT NOT NULL
);
CREATE INDEX incidents_open ON incidents (seq) WHERE state = 'open';
-- Counts the writes of incidents, as changes_seq counts those of changes
-- (migration 0006): a gate decision read outside the serialised write is
-- confirmed inside it only if no incident was opened, changed or resolved
-- meanwhile. An incident's write counts in changes_seq too, so that the
-- writer's check at no cost (nothing written at all) stays true.
ALTER TABLE audit_checkpoint ADD COLUMN incidents_seq INTEGER NOT NULL DEFAULT 0;

-- A token may be read-only (andon token create --read-only): it reads,
-- and every request that would write is refused. A session of the board
-- opened with one is read-only too. Existing tokens keep writing.
ALTER TABLE tokens ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE;

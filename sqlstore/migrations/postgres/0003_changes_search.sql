-- Filters of the change list at scale: text search through an index of
-- the words of ID, title and description (the list's q parameter), and
-- the filters that had none. The words are a stored column, so that
-- PostgreSQL keeps statistics on them and rechecks a match without
-- parsing the text again.
ALTER TABLE changes ADD COLUMN words tsvector
	GENERATED ALWAYS AS (to_tsvector('simple', id || ' ' || title || ' ' || description)) STORED;
CREATE INDEX changes_words ON changes USING gin (words);
CREATE INDEX changes_tier ON changes (tier);
CREATE INDEX changes_requester ON changes (requester);

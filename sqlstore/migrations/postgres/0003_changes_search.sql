-- Filters of the change list at scale: text search through an index of
-- the words of title, description and ID (the list's q parameter), and
-- the filters that had none.
CREATE INDEX changes_words ON changes USING gin (to_tsvector('simple', id || ' ' || title || ' ' || description));
CREATE INDEX changes_tier ON changes (tier);
CREATE INDEX changes_requester ON changes (requester);

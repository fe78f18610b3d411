-- The type of each change, so that listing the changes of one type
-- (?type=emergency) and counting them reads those changes rather than
-- every change. SQLite, which keeps no statistics, would also read it for
-- a type asked with a narrower filter (type=normal in one environment
-- walked most of the changes): the listing then writes the type so that
-- this index is not chosen (sqlstore/change.go).
CREATE INDEX changes_type ON changes (type);

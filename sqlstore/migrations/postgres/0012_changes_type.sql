-- The type of each change, so that listing the changes of one type
-- (?type=emergency) and counting them reads those changes rather than
-- every change.
CREATE INDEX changes_type ON changes (type);

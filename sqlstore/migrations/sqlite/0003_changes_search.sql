-- Filters of the change list that had no index. (Text search scans: an
-- embedded store holds few enough changes.)
CREATE INDEX changes_tier ON changes (tier);
CREATE INDEX changes_requester ON changes (requester);

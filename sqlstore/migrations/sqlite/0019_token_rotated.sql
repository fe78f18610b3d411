-- An API token rotated (andon token rotate) names the token issued in
-- place of it, by hash, while it goes on working for the overlap: the
-- listing says so, and the expiry metric leaves it out, since the token
-- to replace has been replaced.
ALTER TABLE tokens ADD COLUMN rotated_to TEXT;

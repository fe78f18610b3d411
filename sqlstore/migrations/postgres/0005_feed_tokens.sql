-- Tokens get a scope: 'api' tokens open the API, 'feed' tokens only the
-- calendar feed, whose URL carries them. Existing tokens are API tokens.
ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api';

-- A session of the board may be opened through an OpenID Connect
-- provider rather than with an API token: issuer is that provider's
-- issuer URL, and such a session has no parent. A session with neither
-- opens nothing. NULL for every token before.
ALTER TABLE tokens ADD COLUMN issuer TEXT;

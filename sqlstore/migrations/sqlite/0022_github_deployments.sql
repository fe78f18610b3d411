-- The deployment protection requests of GitHub Actions jobs that andon's
-- GitHub App holds (docs/pipelines.md): waiting for the gate, then
-- decided, and answered once GitHub took the answer. A request is known
-- by its callback URL (its run) and its GitHub environment while it is
-- not answered, so that a delivery sent again records nothing. body
-- holds the whole andon.GitHubDeployment as JSON.
CREATE TABLE github_deployments (
	seq                INTEGER PRIMARY KEY AUTOINCREMENT,
	id                 TEXT NOT NULL UNIQUE,
	callback_url       TEXT NOT NULL,
	github_environment TEXT NOT NULL,
	state              TEXT NOT NULL,
	answered           INTEGER NOT NULL DEFAULT 0,
	body               TEXT NOT NULL
);
CREATE INDEX github_deployments_open ON github_deployments (callback_url, github_environment) WHERE answered = 0;
CREATE INDEX github_deployments_state ON github_deployments (state, seq);

-- sqlite/0023_github_delivery.sql in PostgreSQL's types: the webhook
-- delivery each GitHub deployment protection request was recorded from.
ALTER TABLE github_deployments ADD COLUMN delivery TEXT NOT NULL DEFAULT '';
UPDATE github_deployments SET delivery = COALESCE(body::jsonb->>'delivery', '');
CREATE INDEX github_deployments_delivery ON github_deployments (delivery);

-- The GitHub webhook delivery (X-GitHub-Delivery) each deployment
-- protection request was recorded from: a delivery sent again, even once
-- its request is answered (a replay, or GitHub's Redeliver), records
-- nothing new. Rows recorded before take it from their body.
ALTER TABLE github_deployments ADD COLUMN delivery TEXT NOT NULL DEFAULT '';
UPDATE github_deployments SET delivery = COALESCE(json_extract(body, '$.delivery'), '');
CREATE INDEX github_deployments_delivery ON github_deployments (delivery);

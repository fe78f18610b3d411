-- The reviews overdue that change.review_overdue has not been recorded
-- for yet, in the order the scan records them (sqlstore/jobs.go): the
-- index changes_review_due does not know overdue_recorded, so each batch
-- of the scan read every overdue review recorded already before keeping
-- its hundred. changes_review_due stays, for the findings and the inbox,
-- which ask for every review owed, recorded overdue or not.
CREATE INDEX changes_review_overdue ON changes (review_due, seq)
	WHERE review_due IS NOT NULL AND reviewed = 0 AND overdue_recorded = 0;

-- The reviews overdue that change.review_overdue has not been recorded
-- for yet, in the order the scan records them (sqlstore/jobs.go): the
-- index changes_review_due does not know overdue_recorded, so each batch
-- of the scan read every overdue review recorded already before keeping
-- its hundred. changes_review_due stays, for the findings and the inbox,
-- which ask for every review owed, recorded overdue or not.
--
-- overdue_recorded leads, always 0 here, because SQLite, which keeps no
-- statistics, sees no more in the narrower condition of a partial index:
-- between two indexes of review_due alone it takes either, by the order
-- they were created in; the equality on overdue_recorded makes this one
-- its choice. seq is the rowid, which ends every index, so that the index
-- has the scan's order.
CREATE INDEX changes_review_overdue ON changes (overdue_recorded, review_due)
	WHERE review_due IS NOT NULL AND reviewed = 0 AND overdue_recorded = 0;

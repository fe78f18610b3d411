-- The business processes each change affects (its body's processes,
-- given or derived from the modules it touches), one row each, indexed by
-- process, so that listing the changes that touched one process
-- (?process=finance) reads those changes rather than every change's body.
-- A change's processes are fixed when it is opened; the store writes its
-- rows in the transaction that inserts it, as it does its artifacts.
CREATE TABLE change_processes (
	change_seq BIGINT NOT NULL REFERENCES changes (seq),
	process    TEXT NOT NULL,
	PRIMARY KEY (change_seq, process)
);
CREATE INDEX change_processes_process ON change_processes (process, change_seq);
-- The changes opened before this version, from their stored bodies. A
-- body whose processes are not a list of names (none stored so) adds no
-- row.
INSERT INTO change_processes (change_seq, process)
	SELECT DISTINCT c.seq, p.process
	FROM changes c, json_array_elements_text(CASE json_typeof(c.body::json -> 'processes')
		WHEN 'array' THEN c.body::json -> 'processes' ELSE '[]' END) AS p (process)
	WHERE p.process IS NOT NULL;

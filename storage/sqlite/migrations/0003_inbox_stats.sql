-- Inbox Stats without a scan of the table: the live states are counted
-- from a partial index (as long as the backlog), and the acked items,
-- which the inbox keeps for weeks for deduplication, by a counter that
-- triggers keep.
CREATE INDEX inbox_live ON inbox (state) WHERE state IN (0, 1, 2);

CREATE TABLE inbox_acked (
	shard INTEGER PRIMARY KEY,
	n     INTEGER NOT NULL
);
INSERT INTO inbox_acked (shard, n) SELECT 0, COUNT(*) FROM inbox WHERE state = 3;

CREATE TRIGGER inbox_acked_insert AFTER INSERT ON inbox WHEN NEW.state = 3
BEGIN
	UPDATE inbox_acked SET n = n + 1 WHERE shard = 0;
END;
CREATE TRIGGER inbox_acked_enter AFTER UPDATE OF state ON inbox WHEN NEW.state = 3 AND OLD.state <> 3
BEGIN
	UPDATE inbox_acked SET n = n + 1 WHERE shard = 0;
END;
CREATE TRIGGER inbox_acked_leave AFTER UPDATE OF state ON inbox WHEN OLD.state = 3 AND NEW.state <> 3
BEGIN
	UPDATE inbox_acked SET n = n - 1 WHERE shard = 0;
END;
CREATE TRIGGER inbox_acked_delete AFTER DELETE ON inbox WHEN OLD.state = 3
BEGIN
	UPDATE inbox_acked SET n = n - 1 WHERE shard = 0;
END;

-- Inbox Stats without a scan of the table: the live states are counted
-- from a partial index (as long as the backlog), and the acked items,
-- which the inbox keeps for weeks for deduplication, by counters that
-- statement triggers keep. The count is spread over 16 rows, each
-- statement adding to one picked at random, so that concurrent acks from
-- several replicas seldom wait for each other's row lock.
CREATE INDEX inbox_live ON inbox (state) WHERE state IN (0, 1, 2);

CREATE TABLE inbox_acked (
	shard INTEGER PRIMARY KEY,
	n     BIGINT NOT NULL
);
INSERT INTO inbox_acked (shard, n) SELECT g, 0 FROM generate_series(0, 15) g;
UPDATE inbox_acked SET n = (SELECT COUNT(*) FROM inbox WHERE state = 3) WHERE shard = 0;

CREATE FUNCTION inbox_acked_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d BIGINT := 0;
	-- Drawn once: random() in the WHERE clause would be drawn per row.
	s INTEGER := floor(random() * 16)::int;
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		SELECT d + COUNT(*) INTO d FROM new_rows WHERE state = 3;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		SELECT d - COUNT(*) INTO d FROM old_rows WHERE state = 3;
	END IF;
	IF d <> 0 THEN
		UPDATE inbox_acked SET n = n + d WHERE shard = s;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER inbox_acked_insert AFTER INSERT ON inbox REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION inbox_acked_count();
CREATE TRIGGER inbox_acked_update AFTER UPDATE ON inbox REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION inbox_acked_count();
CREATE TRIGGER inbox_acked_delete AFTER DELETE ON inbox REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION inbox_acked_count();

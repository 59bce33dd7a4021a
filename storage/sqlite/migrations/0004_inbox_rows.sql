-- 0003 cost every ack a second row written (the acked count) and every
-- change of state an entry in a new index. Here a change of state writes
-- nothing more than before: the live states are counted from the partial
-- indexes the claims use already (inbox_queue, inbox_dead), and the counter
-- inbox_rows holds the number of items, kept by the store as a put inserts
-- them (in the counters page a put writes anyway for the order numbers) and
-- as a purge deletes them; the acked items are that number less the live
-- ones.
DROP TRIGGER inbox_acked_insert;
DROP TRIGGER inbox_acked_enter;
DROP TRIGGER inbox_acked_leave;
DROP TRIGGER inbox_acked_delete;
DROP TABLE inbox_acked;
DROP INDEX inbox_live;

INSERT INTO counters (name, value) SELECT 'inbox_rows', COUNT(*) FROM inbox;

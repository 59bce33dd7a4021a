-- A lease no longer changes an item's state: a leased item is an active
-- one (state 0) whose owner is set. Every partial index filters on state,
-- so a claim that wrote the state rewrote an entry in each of them; now a
-- claim writes the owner and the lease only. Items leased when the file
-- was written keep their owner and lease.
UPDATE inbox SET state = 0 WHERE state = 1;

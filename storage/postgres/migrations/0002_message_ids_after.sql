-- Dropping the columns drops their unique index and constraint. The old
-- values stay in dead tuples until VACUUM reclaims them.
ALTER TABLE messages DROP COLUMN id;
ALTER TABLE messages ALTER COLUMN id_hash SET NOT NULL, ALTER COLUMN id_sealed SET NOT NULL;
CREATE UNIQUE INDEX messages_id ON messages (id_hash);

ALTER TABLE recipients DROP COLUMN message_id;
CREATE UNIQUE INDEX recipients_message ON recipients (message_hash);

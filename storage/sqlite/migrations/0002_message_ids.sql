-- Message ids leave the clear: a WhatsApp message id can encode the
-- person's phone number. The Go step of this migration fills the new
-- columns (a keyed hash for lookups, the id sealed under the contact's
-- data key for reads) before 0002_message_ids_after.sql drops the old ones.
ALTER TABLE messages ADD COLUMN id_hash BLOB;
ALTER TABLE messages ADD COLUMN id_sealed BLOB;
ALTER TABLE recipients ADD COLUMN message_hash BLOB;
ALTER TABLE recipients ADD COLUMN message_sealed BLOB;

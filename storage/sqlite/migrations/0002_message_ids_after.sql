-- messages.id carries a UNIQUE constraint, which SQLite cannot drop: the
-- table is rebuilt without it (secure_delete zeroes the freed pages).
CREATE TABLE messages_v2 (
	ord        INTEGER PRIMARY KEY,
	id_hash    BLOB NOT NULL UNIQUE,
	id_sealed  BLOB NOT NULL,
	subject    BLOB NOT NULL,
	ref        BLOB NOT NULL,
	direction  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	body       BLOB NOT NULL,
	purpose    TEXT NOT NULL,
	staff      TEXT NOT NULL,
	status     TEXT NOT NULL,
	status_at  INTEGER NOT NULL,
	error_code INTEGER NOT NULL,
	at         INTEGER NOT NULL
);
INSERT INTO messages_v2 (ord, id_hash, id_sealed, subject, ref, direction, kind, body, purpose, staff, status, status_at, error_code, at)
	SELECT ord, id_hash, id_sealed, subject, ref, direction, kind, body, purpose, staff, status, status_at, error_code, at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE INDEX messages_subject ON messages (subject, at, ord);

DROP INDEX recipients_message;
ALTER TABLE recipients DROP COLUMN message_id;
CREATE UNIQUE INDEX recipients_message ON recipients (message_hash);

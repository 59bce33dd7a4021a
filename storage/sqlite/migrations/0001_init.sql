-- Version 1: every aggregate. Times are Unix nanoseconds (0 for none);
-- subjects are keyed hashes; columns holding personal data hold AES-GCM
-- sealed values under the subject's data key (table dek).

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('inbox_order', 0);

CREATE TABLE dek (
	subject    BLOB PRIMARY KEY,
	wrapped    BLOB NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE inbox (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	ord         INTEGER NOT NULL,
	key_hash    BLOB NOT NULL UNIQUE,
	part        BLOB,
	body        BLOB,
	at          INTEGER NOT NULL,
	put_at      INTEGER NOT NULL,
	state       INTEGER NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	retry_at    INTEGER NOT NULL DEFAULT 0,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbox_active ON inbox (part, ord) WHERE state IN (0, 1);
CREATE INDEX inbox_queue ON inbox (ord) WHERE state IN (0, 1);
CREATE INDEX inbox_dead ON inbox (ord) WHERE state = 2;
CREATE INDEX inbox_erase ON inbox (part) WHERE state = 2;
CREATE INDEX inbox_done ON inbox (put_at) WHERE state = 3;

CREATE TABLE contacts (
	ord             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	subject         BLOB NOT NULL UNIQUE,
	ref             BLOB NOT NULL,
	name            BLOB,
	language        TEXT NOT NULL,
	fields          BLOB,
	last_inbound_at INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	version         INTEGER NOT NULL
);

CREATE TABLE sessions (
	subject    BLOB PRIMARY KEY,
	ref        BLOB NOT NULL,
	data       BLOB NOT NULL,
	version    INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE messages (
	ord        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
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
CREATE INDEX messages_subject ON messages (subject, at, ord);

CREATE TABLE consent_events (
	ord     INTEGER PRIMARY KEY,
	id      TEXT NOT NULL UNIQUE,
	subject BLOB NOT NULL,
	ref     BLOB,
	doc     TEXT NOT NULL
);
CREATE INDEX consent_events_subject ON consent_events (subject, ord);

CREATE TABLE consent_states (
	subject    BLOB PRIMARY KEY,
	ref        BLOB,
	last_event TEXT NOT NULL,
	erased     INTEGER NOT NULL DEFAULT 0,
	doc        TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE tickets (
	ord        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	subject    BLOB,
	ref        BLOB,
	queue      TEXT NOT NULL,
	priority   INTEGER NOT NULL,
	category   TEXT NOT NULL,
	state      TEXT NOT NULL,
	assignee   TEXT NOT NULL,
	due_at     INTEGER NOT NULL,
	arrival    INTEGER NOT NULL,
	opened_at  INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	closed_at  INTEGER NOT NULL,
	escalated  INTEGER NOT NULL,
	acked_at   INTEGER NOT NULL,
	notes      BLOB,
	version    INTEGER NOT NULL
);
CREATE UNIQUE INDEX tickets_active ON tickets (subject) WHERE state <> 'closed';
CREATE INDEX tickets_subject ON tickets (subject);
CREATE INDEX tickets_open ON tickets (priority DESC, due_at, arrival) WHERE state = 'open';
CREATE INDEX tickets_arrival ON tickets (arrival);

CREATE TABLE broadcasts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	state      TEXT NOT NULL,
	spec       BLOB,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version    INTEGER NOT NULL
);

CREATE TABLE recipients (
	broadcast  TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	subject    BLOB,
	ref        BLOB,
	params     BLOB,
	state      TEXT NOT NULL,
	message_id TEXT NOT NULL,
	reason     TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (broadcast, seq)
);
CREATE UNIQUE INDEX recipients_message ON recipients (message_id) WHERE message_id <> '';
CREATE INDEX recipients_state ON recipients (broadcast, state, seq);
CREATE INDEX recipients_subject ON recipients (subject);

CREATE TABLE audit (
	ord    INTEGER PRIMARY KEY,
	id     TEXT NOT NULL UNIQUE,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at, ord);

CREATE TABLE staff (
	id            TEXT PRIMARY KEY,
	login         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	password_hash BLOB,
	roles         TEXT NOT NULL,
	disabled      INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	version       INTEGER NOT NULL
);

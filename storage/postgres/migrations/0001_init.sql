-- Version 1: every aggregate. Times are Unix nanoseconds (0 for none);
-- subjects are keyed hashes; columns holding personal data hold AES-GCM
-- sealed values under the subject's data key (table dek).

CREATE SEQUENCE inbox_order;

CREATE TABLE dek (
	subject    BYTEA PRIMARY KEY,
	wrapped    BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE inbox (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ord         BIGINT NOT NULL,
	key_hash    BYTEA NOT NULL UNIQUE,
	part        BYTEA,
	body        BYTEA,
	at          BIGINT NOT NULL,
	put_at      BIGINT NOT NULL,
	state       SMALLINT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	retry_at    BIGINT NOT NULL DEFAULT 0,
	attempts    BIGINT NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT ''
);
-- A queue table: every item is updated twice and its old versions pile up in
-- the partial indexes claims scan. Vacuum it after a few thousand changes
-- rather than after a fifth of the table.
ALTER TABLE inbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
	autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);
CREATE INDEX inbox_active ON inbox (part, ord) WHERE state IN (0, 1);
CREATE INDEX inbox_queue ON inbox (ord) WHERE state IN (0, 1);
CREATE INDEX inbox_dead ON inbox (ord) WHERE state = 2;
CREATE INDEX inbox_erase ON inbox (part) WHERE state = 2;
CREATE INDEX inbox_done ON inbox (put_at) WHERE state = 3;

CREATE TABLE contacts (
	ord             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	subject         BYTEA NOT NULL UNIQUE,
	ref             BYTEA NOT NULL,
	name            BYTEA,
	language        TEXT NOT NULL,
	fields          BYTEA,
	last_inbound_at BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	version         BIGINT NOT NULL
);

CREATE TABLE sessions (
	subject    BYTEA PRIMARY KEY,
	ref        BYTEA NOT NULL,
	data       BYTEA NOT NULL,
	version    BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE TABLE messages (
	ord        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	subject    BYTEA NOT NULL,
	ref        BYTEA NOT NULL,
	direction  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	body       BYTEA NOT NULL,
	purpose    TEXT NOT NULL,
	staff      TEXT NOT NULL,
	status     TEXT NOT NULL,
	status_at  BIGINT NOT NULL,
	error_code BIGINT NOT NULL,
	at         BIGINT NOT NULL
);
CREATE INDEX messages_subject ON messages (subject, at, ord);

CREATE TABLE consent_events (
	ord     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id      TEXT NOT NULL UNIQUE,
	subject BYTEA NOT NULL,
	ref     BYTEA,
	doc     TEXT NOT NULL
);
CREATE INDEX consent_events_subject ON consent_events (subject, ord);

CREATE TABLE consent_states (
	subject    BYTEA PRIMARY KEY,
	ref        BYTEA,
	last_event TEXT NOT NULL,
	erased     BIGINT NOT NULL DEFAULT 0,
	doc        TEXT NOT NULL
);

CREATE TABLE tickets (
	ord        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	subject    BYTEA,
	ref        BYTEA,
	queue      TEXT NOT NULL,
	priority   BIGINT NOT NULL,
	category   TEXT NOT NULL,
	state      TEXT NOT NULL,
	assignee   TEXT NOT NULL,
	due_at     BIGINT NOT NULL,
	arrival    BIGINT NOT NULL,
	opened_at  BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	closed_at  BIGINT NOT NULL,
	escalated  BIGINT NOT NULL,
	acked_at   BIGINT NOT NULL,
	notes      BYTEA,
	version    BIGINT NOT NULL
);
CREATE UNIQUE INDEX tickets_active ON tickets (subject) WHERE state <> 'closed';
CREATE INDEX tickets_subject ON tickets (subject);
CREATE INDEX tickets_open ON tickets (priority DESC, due_at, arrival) WHERE state = 'open';
CREATE INDEX tickets_arrival ON tickets (arrival);

CREATE TABLE broadcasts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	state      TEXT NOT NULL,
	spec       BYTEA,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version    BIGINT NOT NULL
);

CREATE TABLE recipients (
	broadcast  TEXT NOT NULL,
	seq        BIGINT NOT NULL,
	subject    BYTEA,
	ref        BYTEA,
	params     BYTEA,
	state      TEXT NOT NULL,
	message_id TEXT NOT NULL,
	reason     TEXT NOT NULL,
	attempts   BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (broadcast, seq)
);
CREATE UNIQUE INDEX recipients_message ON recipients (message_id) WHERE message_id <> '';
CREATE INDEX recipients_state ON recipients (broadcast, state, seq);
CREATE INDEX recipients_subject ON recipients (subject);

CREATE TABLE audit (
	ord    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id     TEXT NOT NULL UNIQUE,
	at     BIGINT NOT NULL,
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
	password_hash BYTEA,
	roles         TEXT NOT NULL,
	disabled      BIGINT NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	version       BIGINT NOT NULL
);

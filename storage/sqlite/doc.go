// Package sqlite is the default storage.Store: one SQLite file in WAL mode,
// pure Go (modernc.org/sqlite, no cgo), with the schema migrated on open.
//
//	keys, err := keyring.FromFile("/var/lib/helpline/keys", keyring.Create())
//	...
//	st, err := sqlite.Open(ctx, "/var/lib/helpline/line.db", sqlite.WithKeyring(keys))
//
// Personal data is sealed before it is written (see internal/sqlstore and
// storage/keyring): a copy of the file without the keyring shows no phone
// number, name or message text, and Erase destroys a person's data key with
// their content. Open refuses to run without a keyring, and refuses a file
// whose schema is newer than this code (storage.ErrSchemaTooNew).
//
// Writes go through one connection, with their statements prepared once.
// Writes that arrive while it is busy (inbox puts, message records, session
// saves, claims, acks...) are run together in one transaction with one
// commit and one sync to the disk (group commit), each caller's work in its
// own savepoint, so that one caller's failure undoes only its own work; a
// write to an idle store commits at once. Reads use a small pool beside it,
// which WAL lets run while a write is in progress. One process should own a
// file at a time: for several replicas of a line, use storage/postgres.
//
// Committed writes survive a power cut by default (synchronous=FULL);
// [WithSynchronous]("normal") trades that for speed, still surviving an
// application crash. Inbox leases and acks are always written the faster
// way: a power cut may undo one, and the event is then handled again, as
// the inbox allows; the next durable write makes them durable too.
// Deleted content is overwritten in place (secure_delete), so freed pages
// keep no sealed leftovers either.
package sqlite

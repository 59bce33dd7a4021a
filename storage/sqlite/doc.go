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
// commit (group commit); should one caller's work fail, the transaction is
// undone and the others run again, each in a savepoint of its own, so that
// one caller's failure undoes only its own work. A write to an idle store
// commits at once. Reads use a small pool beside it, which WAL lets run
// while a write is in progress. One process should own a file at a time:
// for several replicas of a line, use storage/postgres.
//
// A write the store reports done survives a power cut by default
// (synchronous=full): its caller is answered only once the write-ahead log
// has been flushed to the disk after its commit. The flush runs beside the
// writer, which meanwhile commits the next group, and one flush serves
// every commit made before it. So other work can see a write before it is
// on the disk; a power cut in that moment can lose it although it was
// read, but never once its caller was told it succeeded. A failed flush
// fails every durable write after it until the store is opened again.
// [WithSynchronous]("normal") does without the flush, still surviving an
// application crash. Inbox leases and acks, and a chat.Server handler's
// writes, never wait for the flush: a power cut may undo one, and the event
// is then handled again, as the inbox allows; the next flush makes them
// durable too.
// Deleted content is overwritten in place (secure_delete), so freed pages
// keep no sealed leftovers either.
package sqlite

// Package sqlstore is the storage.Store shared by the SQLite and Postgres
// backends: one implementation of every aggregate over database/sql, with
// the differences between the two databases (placeholders, locking, order
// counters, error codes) kept in a [Dialect].
//
// Personal data is sealed before it reaches SQL. Every contact has a random
// data key, stored only wrapped by the [storage.Keyring] in the dek table and
// found through the contact's subject: the keyed hash (blind index) of
// storage.PartitionOf(ref). Identifiers, names, contact fields, message
// bodies, session data, inbox payloads, ticket notes and broadcast
// parameters are sealed with AES-256-GCM under that key, bound to the table,
// field and record they belong to. Message ids (a WhatsApp message id can
// encode the phone number) are stored as a keyed hash for lookups and
// sealed for reads. Store.Erase deletes the data key and the
// content in one transaction, leaving the consent tombstone.
//
// Beyond storage.Store, a Store offers [BatchAcker] on its inbox (acking a
// claimed batch in one transaction), [Store.ImportContacts] (bulk creation
// of contacts) and [Store.Rewrap] (moving data keys to the current master
// key after a rotation).
//
// Migrations are versioned SQL scripts supplied by each backend, with an
// optional Go step for conversions that need the keyring; [Migrate]
// applies the missing ones and refuses a database newer than the code.
package sqlstore

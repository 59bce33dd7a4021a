// Package postgres is the storage.Store for lines that outgrow one
// machine: several stateless replicas of a line share one Postgres
// database (pgx, through database/sql).
//
//	keys, err := keyring.FromEnv("IMPACTCHAT_KEYRING")
//	...
//	st, err := postgres.Open(ctx, "postgres://helpline@db/helpline", postgres.WithKeyring(keys))
//
// Every replica must use the same keyring. Personal data is sealed before
// it is sent to the server (see internal/sqlstore), so a dump of the
// database shows no phone number, name or message text, and Erase destroys
// a person's data key with their content.
//
// How the replicas share the work:
//
//   - Inbox claims lease the head item of each free partition with
//     FOR UPDATE SKIP LOCKED: a head is claimable only when no earlier item
//     of its partition is pending or leased, so one contact's events are
//     handled one at a time and in order, whichever replica claims them.
//   - Puts of one partition hold a transaction-scoped advisory lock while
//     they draw order numbers, so items of a partition become visible in
//     the order of their numbers. Under that lock a put may also lease the
//     new head of a free partition to its own replica (storage.PutClaimer):
//     no other put or requeue of the partition runs meanwhile, and a claim
//     elsewhere cannot see the item until it is leased.
//   - Tickets.ClaimNext takes the most urgent open ticket with SKIP LOCKED.
//   - Erase deletes the data key first; writers still sealing with it hold
//     a share lock on it, so nothing sealed under a destroyed key is left.
//   - Migrations run on Open under an advisory lock; a schema newer than the
//     code is storage.ErrSchemaTooNew.
//
// Inbox leases and acks commit without waiting for the server's WAL flush
// (synchronous_commit off, on a second small pool): a server crash can lose
// one, and the event is then handled again, as the inbox allows. Puts and
// everything else wait for the flush.
//
// Tests use storage/postgres/postgrestest, which gives each test a schema
// of its own.
package postgres

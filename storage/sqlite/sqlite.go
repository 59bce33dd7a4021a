package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite"

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations lists the schema versions this code knows, oldest first.
func migrations(kr storage.Keyring) ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFiles, "migrations", []sqlstore.Step{
		{SQL: "0001_init.sql"},
		{SQL: "0002_message_ids.sql", After: "0002_message_ids_after.sql", Convert: sqlstore.ConvertMessageIDs(kr, dialect)},
		{SQL: "0003_inbox_stats.sql"},
		{SQL: "0004_inbox_rows.sql"},
		{SQL: "0005_leases.sql"},
	})
}

// SchemaVersion is the schema version this code writes.
const SchemaVersion = 5

// Option configures Open.
type Option func(*options) error

type options struct {
	keyring storage.Keyring
	ids     func() string
	clock   func() time.Time
	readers int
	busy    time.Duration
	sync    string
	// wrapFlush, set only by tests, wraps the flush of the log.
	wrapFlush func(flush func() error) func() error
}

// WithKeyring sets the keyring that wraps each contact's data key and gives
// the blind-index key. Required: Open fails without one.
func WithKeyring(k storage.Keyring) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("WithKeyring: keyring is nil")
		}
		o.keyring = k
		return nil
	}
}

// WithIDs sets the source of the ids the store assigns (contacts, tickets,
// audit entries, staff accounts). The default makes random UUIDs.
func WithIDs(next func() string) Option {
	return func(o *options) error {
		if next == nil {
			return errors.New("WithIDs: id source is nil")
		}
		o.ids = next
		return nil
	}
}

// WithClock sets the clock used where a call gives no time. The default is
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("WithClock: clock is nil")
		}
		o.clock = now
		return nil
	}
}

// WithReaders sets how many connections serve reads in parallel with the
// single writer (default: the number of CPUs, at least 2, at most 8).
func WithReaders(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 64 {
			return fmt.Errorf("WithReaders: %d readers; want 1 to 64", n)
		}
		o.readers = n
		return nil
	}
}

// WithBusyTimeout sets how long a statement waits for another process's
// lock on the file before failing (default 10 s).
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("WithBusyTimeout: %v is negative", d)
		}
		o.busy = d
		return nil
	}
}

// WithSynchronous sets how durable writes are: "full" (the default: a write
// reported done survives a power cut; the store flushes the write-ahead log
// for it, beside the writer, see the package doc) or "normal" (faster; a
// power cut may lose the last commits, an application crash never does).
func WithSynchronous(mode string) Option {
	return func(o *options) error {
		switch m := strings.ToLower(mode); m {
		case "full", "normal":
			o.sync = m
			return nil
		}
		return fmt.Errorf("WithSynchronous: mode %q; want \"full\" or \"normal\"", mode)
	}
}

// Store is a storage.Store in one SQLite file. It is safe for concurrent
// use; one process should open a file at a time.
type Store struct {
	*sqlstore.Store
	path string
}

var _ storage.Store = (*Store)(nil)

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Open opens or creates the database file at path, in WAL mode, and brings
// its schema up to date. A file written by newer code fails with an error
// matching storage.ErrSchemaTooNew; no keyring fails too: the store never
// keeps personal data unsealed.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{readers: min(max(runtime.NumCPU(), 2), 8), busy: 10 * time.Second, sync: "full"}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	if o.keyring == nil {
		return nil, errors.New("sqlite: no keyring: personal data cannot be sealed; pass one with sqlite.WithKeyring")
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: path %q: want the path of a database file", path)
	}
	ms, err := migrations(o.keyring)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(%s)&_pragma=temp_store(memory)&_pragma=secure_delete(on)",
			o.busy.Milliseconds(), o.sync)
	// The writer checkpoints only as a backstop (walBackstop pages); the
	// checkpointer below copies the log into the database file on its own
	// connection, so that writes do not wait for that copy and its sync.
	w, err := sql.Open("sqlite", base+fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=cache_size(%d)", walBackstop, -writerCacheKiB))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// One connection writes: SQLite allows one writer at a time, and
	// queueing in the pool is cheaper than retrying on a busy lock.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := sqlstore.Migrate(ctx, w, dialect, ms); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// Pages a migration freed (secure_delete zeroes them in the log) reach
	// the database file now rather than at some later checkpoint.
	if _, err := w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	r.SetMaxOpenConns(o.readers)
	r.SetMaxIdleConns(o.readers)
	r.SetConnMaxIdleTime(0)
	r.SetConnMaxLifetime(0)
	ck, err := startCheckpointer(ctx, base)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	cfg := sqlstore.Config{
		Write: w, Read: r, Dialect: dialect, Keyring: o.keyring, IDs: o.ids, Clock: o.clock, OnClose: ck.stop,
		DurableSync: "PRAGMA synchronous = " + o.sync,
		RelaxedSync: "PRAGMA synchronous = normal",
	}
	if o.sync == "full" {
		// Durable commits reach the disk through the flusher, off the
		// writer (see walFlusher).
		wf, err := openWALFlusher(path)
		if err != nil {
			ck.stop()
			w.Close()
			r.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		cfg.DurableSync = cfg.RelaxedSync
		cfg.SyncLog = wf.flush
		if o.wrapFlush != nil {
			cfg.SyncLog = o.wrapFlush(wf.flush)
		}
		cfg.OnClose = func() error { return errors.Join(ck.stop(), wf.close()) }
	}
	st, err := sqlstore.New(ctx, cfg)
	if err != nil {
		if cfg.OnClose != nil {
			cfg.OnClose()
		}
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return &Store{Store: st, path: path}, nil
}

var dialect = sqlstore.Dialect{
	Name:   "sqlite",
	Pinned: true,
	// Pending and leased items from the partial index inbox_queue (and
	// their rows), dead ones from inbox_dead; acked items are all items
	// (the counter inbox_rows) less those (see migration 0004).
	InboxStats: `SELECT CASE WHEN owner = '' THEN 0 ELSE 1 END, COUNT(*) FROM inbox WHERE state IN (0, 1) GROUP BY 1
UNION ALL SELECT 2, COUNT(*) FROM inbox WHERE state = 2
UNION ALL SELECT 3, (SELECT value FROM counters WHERE name = 'inbox_rows')
	- (SELECT COUNT(*) FROM inbox WHERE state IN (0, 1)) - (SELECT COUNT(*) FROM inbox WHERE state = 2)`,
	InboxRows: true,
	IsConflict: func(err error) bool {
		var e *sqlite3.Error
		return errors.As(err, &e) && e.Code()&0xff == 19 // SQLITE_CONSTRAINT
	},
	Retryable: func(err error) bool {
		var e *sqlite3.Error
		return errors.As(err, &e) && (e.Code()&0xff == 5 || e.Code()&0xff == 6) // SQLITE_BUSY, SQLITE_LOCKED
	},
	Next: func(ctx context.Context, tx sqlstore.Querier, counter string, n int) ([]int64, error) {
		var last int64
		if err := tx.QueryRowContext(ctx, "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value", n, counter).Scan(&last); err != nil {
			return nil, fmt.Errorf("counter %s: %w", counter, err)
		}
		out := make([]int64, n)
		for i := range out {
			out[i] = last - int64(n) + 1 + int64(i)
		}
		return out, nil
	},
}

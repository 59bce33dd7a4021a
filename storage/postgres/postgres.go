package postgres

import (
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	neturl "net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func migrations(kr storage.Keyring) ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFiles, "migrations", []sqlstore.Step{
		{SQL: "0001_init.sql"},
		{SQL: "0002_message_ids.sql", After: "0002_message_ids_after.sql", Convert: sqlstore.ConvertMessageIDs(kr, dialect)},
		{SQL: "0003_inbox_stats.sql"},
		{SQL: "0004_leases.sql"},
	})
}

// SchemaVersion is the schema version this code writes.
const SchemaVersion = 4

// Option configures Open.
type Option func(*options) error

type options struct {
	keyring  storage.Keyring
	ids      func() string
	clock    func() time.Time
	maxConns int
}

// WithKeyring sets the keyring that wraps each contact's data key and gives
// the blind-index key. Required: Open fails without one. Every replica
// sharing a database must use the same keyring.
func WithKeyring(k storage.Keyring) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("WithKeyring: keyring is nil")
		}
		o.keyring = k
		return nil
	}
}

// WithIDs sets the source of the ids the store assigns. The default makes
// random UUIDs, which replicas can draw without coordinating.
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

// WithMaxConns bounds the connections this replica opens (default 10).
func WithMaxConns(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 1000 {
			return fmt.Errorf("WithMaxConns: %d connections; want 1 to 1000", n)
		}
		o.maxConns = n
		return nil
	}
}

// Store is a storage.Store in a Postgres database, which several replicas
// of a line may share. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

var _ storage.Store = (*Store)(nil)

// DB is the connection pool, for health checks and operators' queries.
func (s *Store) DB() *sql.DB { return s.db }

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string; a search_path parameter selects the schema), checks
// that it answers, and brings the schema up to date. Replicas opening at
// once migrate one after the other. A schema newer than the code is
// storage.ErrSchemaTooNew; no keyring is an error too.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{maxConns: 10}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	if o.keyring == nil {
		return nil, errors.New("postgres: no keyring: personal data cannot be sealed; pass one with postgres.WithKeyring")
	}
	ms, err := migrations(o.keyring)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := pgconn.ParseConfig(url); err != nil {
		// The parser's message may repeat the URL, password included.
		return nil, errors.New("postgres: the connection URL does not parse")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, errors.New("postgres: the connection URL does not parse")
	}
	db.SetMaxOpenConns(o.maxConns)
	db.SetMaxIdleConns(o.maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := sqlstore.Migrate(ctx, db, dialect, ms); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Inbox leases and acks go through sessions that do not wait for the
	// WAL flush: one lost to a crash of the server means an event is
	// handled again, which the inbox allows.
	relaxed, err := sql.Open("pgx", withParam(url, "synchronous_commit", "off"))
	if err != nil {
		db.Close()
		return nil, errors.New("postgres: the connection URL does not parse")
	}
	relaxed.SetMaxOpenConns(o.maxConns)
	relaxed.SetMaxIdleConns(o.maxConns)
	relaxed.SetConnMaxIdleTime(5 * time.Minute)
	st, err := sqlstore.New(ctx, sqlstore.Config{
		Write: db, Read: db, Relaxed: relaxed, Dialect: dialect, Keyring: o.keyring, IDs: o.ids, Clock: o.clock,
	})
	if err != nil {
		db.Close()
		relaxed.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{Store: st, db: db}, nil
}

// withParam adds a run-time parameter to a postgres:// URL or a key=value
// connection string.
func withParam(conn, key, value string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		if u, err := neturl.Parse(conn); err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return conn + " " + key + "=" + value
}

func code(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

var counters = map[string]bool{"inbox_order": true}

var dialect = sqlstore.Dialect{
	// Live states from the partial index inbox_live; acked items from the
	// counters the triggers of migration 0003 keep.
	InboxStats: `SELECT CASE WHEN state IN (0, 1) AND owner <> '' THEN 1 WHEN state IN (0, 1) THEN 0 ELSE state END, COUNT(*)
FROM inbox WHERE state IN (0, 1, 2) GROUP BY 1
UNION ALL SELECT 3, COALESCE(SUM(n), 0) FROM inbox_acked`,
	Name:       "postgres",
	Numbered:   true,
	ForShare:   "FOR SHARE",
	ForUpdate:  "FOR UPDATE",
	SkipLocked: "FOR UPDATE SKIP LOCKED",
	RelaxTx:    "SET LOCAL synchronous_commit = off",
	IsConflict: func(err error) bool { return code(err) == "23505" }, // unique_violation
	Retryable: func(err error) bool {
		c := code(err)
		return c == "40001" || c == "40P01" // serialization_failure, deadlock_detected
	},
	Next: func(ctx context.Context, tx sqlstore.Querier, counter string, n int) ([]int64, error) {
		if !counters[counter] {
			return nil, fmt.Errorf("unknown counter %q", counter)
		}
		rows, err := tx.QueryContext(ctx, "SELECT nextval('"+counter+"') FROM generate_series(1, $1)", n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := make([]int64, 0, n)
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		slices.Sort(out)
		return out, nil
	},
	// Puts and requeues of one partition take its advisory lock until
	// commit, so the order numbers of a partition become visible in the
	// order they were drawn and a claimer never sees a later item before an
	// earlier one.
	LockPartitions: func(ctx context.Context, tx sqlstore.Querier, parts [][]byte) error {
		keys := make([]int64, 0, len(parts))
		for _, p := range parts {
			keys = append(keys, int64(binary.BigEndian.Uint64(p[:8])))
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k ORDER BY k", keys)
		return err
	},
	LockMigrations: func(ctx context.Context, tx sqlstore.Querier) error {
		_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7177, hashtext(current_schema()))")
		return err
	},
}

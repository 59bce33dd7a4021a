package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

// Dialect holds what differs between the databases.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Numbered placeholders ($1, $2...) instead of "?".
	Numbered bool
	// ForShare is appended to the data-key read inside writes, so that
	// an erasure waits for writers still using the key ("FOR SHARE").
	ForShare string
	// SkipLocked is appended to the sub-selects of claims
	// ("FOR UPDATE SKIP LOCKED").
	SkipLocked string
	// ForUpdate is appended to reads that precede a write of the same row
	// ("FOR UPDATE").
	ForUpdate string
	// IsConflict reports a unique or primary key violation.
	IsConflict func(error) bool
	// Retryable reports a transaction that lost a race (serialisation
	// failure, deadlock, busy database) and may simply be run again.
	Retryable func(error) bool
	// Next allocates n increasing numbers from the named counter
	// ("inbox_order", "ticket_arrival") inside tx.
	Next func(ctx context.Context, tx Querier, counter string, n int) ([]int64, error)
	// LockPartitions serialises the writers of the given inbox partitions
	// until tx ends, so order numbers commit in the order they were drawn.
	// Nil when writers are serialised anyway (SQLite).
	LockPartitions func(ctx context.Context, tx Querier, parts [][]byte) error
	// LockMigrations serialises concurrent migrators (nil for SQLite, whose
	// write transactions are exclusive).
	LockMigrations func(ctx context.Context, tx Querier) error
	// RelaxTx starts a relaxed write transaction on a pool (Postgres:
	// SET LOCAL synchronous_commit = off); see Config.RelaxedSync.
	RelaxTx string
	// TxOptions are given to BeginTx for write transactions on a pool.
	TxOptions *sql.TxOptions
	// InboxStats counts inbox items by state (state, count rows) without
	// scanning the acked items kept for deduplication.
	InboxStats string
	// InboxRows keeps the number of inbox items in the counter
	// "inbox_rows": Put adds the items it inserts, Purge takes away those
	// it deletes (no other statement inserts or deletes items).
	InboxRows bool
	// Pinned makes every write run on one connection kept open for the
	// store's life, with BEGIN IMMEDIATE / COMMIT issued directly and
	// statements prepared once on it (SQLite's single writer). Otherwise
	// writes are pool transactions and the driver caches statements.
	Pinned bool
}

// Querier is what runs statements inside a write: a *sql.Tx, or the pinned
// *sql.Conn while it holds a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Config is what a backend hands to New.
type Config struct {
	// Write runs every write transaction; Read runs reads outside
	// transactions. They may be the same pool.
	Write, Read *sql.DB
	Dialect     Dialect
	Keyring     storage.Keyring
	// IDs makes record ids; nil means random UUIDs.
	IDs func() string
	// Clock fills times no call gives; nil means time.Now.
	Clock func() time.Time
	// OnClose runs once when the store closes, after the pools.
	OnClose func() error
	// Relaxed, if set, is a pool whose sessions commit without waiting for
	// the write-ahead log to reach the disk (Postgres: synchronous_commit
	// off); single-statement relaxed writes run on it.
	Relaxed *sql.DB
	// DurableSync and RelaxedSync are statements run on the pinned writer
	// before a durable write (the default) and before a write that may be
	// lost on power failure without harm (inbox leases and acks: an event
	// whose ack is lost is delivered again). Empty: no switching.
	DurableSync, RelaxedSync string
	// SyncLog, when set, flushes the write-ahead log to the disk. The
	// pinned writer then commits without waiting for the disk (the
	// dialect's DurableSync must not wait either) and answers a durable
	// request only after a SyncLog that followed its commit: the flush
	// happens off the writer, which meanwhile runs the next group (see
	// syncer).
	SyncLog func() error
}

// Store implements storage.Store over database/sql.
type Store struct {
	w, r     *sql.DB
	relaxed  *sql.DB
	d        Dialect
	keyring  storage.Keyring
	indexKey []byte
	newID    func() string
	now      func() time.Time
	onClose  func() error

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // read statements (pinned dialects only)

	pin *pinned

	boxes *boxCache     // data keys opened lately
	index *seal.Indexer // blind indexes under indexKey
}

// pinned is the single write connection and its prepared statements. Who
// holds sem (one slot) owns the connection: its statements, its mode, its
// transaction.
type pinned struct {
	sem   chan struct{}
	conn  *sql.Conn
	stmts map[string]*sql.Stmt

	durable, relaxed string
	mode             string // the last of them run

	qmu   sync.Mutex
	queue []*request // waiting for the writer, see Store.submit

	sy *syncer // flushes durable commits off the writer; nil: commits wait for the disk
}

var _ storage.Store = (*Store)(nil)

// New builds a store on pools already migrated. It reads the index key
// from the keyring once.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Keyring == nil {
		return nil, errors.New("sqlstore: no keyring: personal data cannot be sealed; pass one with WithKeyring")
	}
	if cfg.Write == nil || cfg.Read == nil {
		return nil, errors.New("sqlstore: no database")
	}
	ik, err := cfg.Keyring.IndexKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: index key: %w", err)
	}
	if len(ik) < 16 {
		return nil, fmt.Errorf("sqlstore: index key is %d bytes; want at least 16", len(ik))
	}
	s := &Store{
		w: cfg.Write, r: cfg.Read, relaxed: cfg.Relaxed, d: cfg.Dialect, keyring: cfg.Keyring, indexKey: ik,
		newID: cfg.IDs, now: cfg.Clock, onClose: cfg.OnClose,
		stmts: make(map[string]*sql.Stmt),
		boxes: newBoxCache(),
		index: seal.NewIndexer(ik),
	}
	if s.d.Pinned {
		conn, err := cfg.Write.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: writer connection: %w", err)
		}
		s.pin = &pinned{sem: make(chan struct{}, 1), conn: conn, stmts: make(map[string]*sql.Stmt), durable: cfg.DurableSync, relaxed: cfg.RelaxedSync}
		if cfg.SyncLog != nil {
			s.pin.sy = newSyncer(cfg.SyncLog)
		}
	}
	if s.newID == nil {
		s.newID = uuid.NewString
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Inbox returns the event intake.
func (s *Store) Inbox() storage.Inbox { return inbox{s} }

// Contacts returns the people the line talks to.
func (s *Store) Contacts() storage.Contacts { return contacts{s} }

// Consent returns the consent ledger.
func (s *Store) Consent() storage.ConsentLog { return consent{s} }

// Sessions returns the flow sessions.
func (s *Store) Sessions() storage.Sessions { return sessions{s} }

// Messages returns the conversation log.
func (s *Store) Messages() storage.Messages { return messages{s} }

// Tickets returns the human queue.
func (s *Store) Tickets() storage.Tickets { return tickets{s} }

// Broadcasts returns the campaigns.
func (s *Store) Broadcasts() storage.Broadcasts { return broadcasts{s} }

// Audit returns the record of staff actions.
func (s *Store) Audit() storage.Audit { return audit{s} }

// Staff returns the staff accounts.
func (s *Store) Staff() storage.Staff { return staff{s} }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("ping: %w", storage.ErrClosed)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// Close closes the pools; later calls fail with ErrClosed. Closing twice is
// not an error.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.mu.Lock()
		for _, st := range s.stmts {
			st.Close()
		}
		s.stmts = nil
		s.mu.Unlock()
		var errs []error
		if p := s.pin; p != nil {
			// Waits for a write in progress to finish. Callers still
			// queued then find the statements gone: ErrClosed.
			p.sem <- struct{}{}
			if p.sy != nil {
				p.sy.stop() // answers the writes still waiting for the disk
			}
			for _, st := range p.stmts {
				st.Close()
			}
			p.stmts = nil
			errs = append(errs, p.conn.Close())
			<-p.sem
		}
		if s.relaxed != nil {
			errs = append(errs, s.relaxed.Close())
		}
		errs = append(errs, s.w.Close())
		if s.r != s.w {
			errs = append(errs, s.r.Close())
		}
		if s.onClose != nil {
			errs = append(errs, s.onClose())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// fail wraps err for operation op, mapping driver errors to sentinels.
// Driver messages never carry values here: statements bind them.
func (s *Store) fail(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrClosed) || errors.Is(err, storage.ErrConflict) ||
		errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) ||
		errors.Is(err, storage.ErrLeaseLost) || errors.Is(err, storage.ErrCorrupt) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", op, err)
	case s.closed.Load() || errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed"):
		return fmt.Errorf("%s: %w", op, storage.ErrClosed)
	case s.d.IsConflict != nil && s.d.IsConflict(err):
		return fmt.Errorf("%s: %w", op, storage.ErrConflict)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// open checks the store is usable before an operation.
func (s *Store) open(ctx context.Context) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return ctx.Err()
}

// readStmt returns a read statement prepared once (pinned dialects).
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stmts == nil {
		return nil, storage.ErrClosed
	}
	if st := s.stmts[query]; st != nil {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// stmt returns a statement prepared once on the pinned connection. The
// caller holds p.sem.
func (p *pinned) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if p.stmts == nil {
		return nil, storage.ErrClosed
	}
	if st := p.stmts[query]; st != nil {
		return st, nil
	}
	st, err := p.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = st
	return st, nil
}

// rebind turns ? placeholders into $1, $2... for dialects that number them.
// Queries here never hold a ? inside a literal.
func (s *Store) rebind(q string) string {
	if !s.d.Numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// db runs statements inside a write (raw is the transaction or the pinned
// connection) or, when raw is nil, on the read pool.
type db struct {
	s   *Store
	raw Querier
	pin *pinned
	req *request // the request running on the pinned writer, if any
}

// wroteNothing tells the writer that the request running found nothing to
// write: it is answered without waiting for the disk.
func (q db) wroteNothing() {
	if q.req != nil {
		q.req.readOnly = true
	}
}

// uncancelled is the pinned connection as a Querier whose statements ignore
// the caller's cancellation: interrupting a statement inside a transaction
// would undo the whole transaction, other callers' work included. Callers'
// contexts are checked before their work starts instead.
type uncancelled struct{ c *sql.Conn }

func (u uncancelled) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	return u.c.ExecContext(context.Background(), query, args...)
}

func (u uncancelled) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.c.QueryContext(context.Background(), query, args...)
}

func (u uncancelled) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	return u.c.QueryRowContext(context.Background(), query, args...)
}

// stmtCtx is the context statements run under: on the pinned writer, never
// cancelled (see uncancelled).
func (q db) stmtCtx(ctx context.Context) context.Context {
	if q.pin != nil {
		return context.Background()
	}
	return ctx
}

// stmtRunner is what both a *sql.Stmt and a Querier with a fixed query
// offer.
type stmtRunner interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

// direct runs a query text on a Querier (the driver caches statements).
type direct struct {
	q     Querier
	query string
}

func (d direct) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return d.q.ExecContext(ctx, d.query, args...)
}

func (d direct) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return d.q.QueryContext(ctx, d.query, args...)
}

func (d direct) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return d.q.QueryRowContext(ctx, d.query, args...)
}

func (q db) prepared(ctx context.Context, query string) (stmtRunner, error) {
	switch {
	case q.pin != nil:
		return q.pin.stmt(ctx, query)
	case q.raw != nil:
		return direct{q.raw, q.s.rebind(query)}, nil
	case q.s.d.Pinned:
		return q.s.readStmt(ctx, query)
	}
	return direct{q.s.r, q.s.rebind(query)}, nil
}

// querier is q as a Querier for the dialect's hooks (Next,
// LockPartitions): on the pinned writer their statements are prepared once,
// not parsed again on every call.
func (q db) querier() Querier {
	if q.pin != nil {
		return pinnedQuerier{q}
	}
	return q.raw
}

// pinnedQuerier runs query texts through the pinned writer's statements.
type pinnedQuerier struct{ q db }

func (p pinnedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.q.pin.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.Background(), args...)
}

func (p pinnedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.q.pin.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.Background(), args...)
}

func (p pinnedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.q.pin.stmt(ctx, query)
	if err != nil {
		// A *sql.Row cannot be built with an error outside database/sql;
		// the connection's own QueryRowContext reports it on Scan.
		return p.q.raw.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(context.Background(), args...)
}

func (q db) exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := q.prepared(ctx, query)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(q.stmtCtx(ctx), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q db) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(q.stmtCtx(ctx), args...)
}

// row runs a query expected to return at most one row.
func (q db) row(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	st, err := q.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(q.stmtCtx(ctx), args...), nil
}

// scanRow scans one row; sql.ErrNoRows is returned as is.
func (q db) scanRow(ctx context.Context, query string, args []any, dest ...any) error {
	r, err := q.row(ctx, query, args...)
	if err != nil {
		return err
	}
	return r.Scan(dest...)
}

func (s *Store) reader() db { return db{s: s} }

// write runs fn in a durable write transaction, again when it lost a race.
func (s *Store) write(ctx context.Context, fn func(q db) error) error {
	return s.writeMode(ctx, false, false, fn)
}

// writeFirst is write for work someone waits on before answering over the
// network (an inbox Put): on the pinned writer it is committed ahead of the
// other work queued with it.
func (s *Store) writeFirst(ctx context.Context, fn func(q db) error) error {
	return s.writeMode(ctx, false, true, fn)
}

// execOne runs a single write statement as its own transaction: on the
// pinned writer without BEGIN and COMMIT around it (or grouped with other
// callers' statements, see one), on a pool in autocommit (on the relaxed
// pool when relaxed). It reports the rows changed.
func (s *Store) execOne(ctx context.Context, relaxed bool, query string, args ...any) (int64, error) {
	var n int64
	err := s.one(ctx, relaxed, func(ctx context.Context, q db) (err error) {
		n, err = q.exec(ctx, query, args...)
		return err
	})
	return n, err
}

// request is a caller's work waiting for the pinned writer.
type request struct {
	ctx     context.Context
	relaxed bool
	// tx marks a transaction: alone, it runs inside BEGIN and COMMIT; fn
	// of a request without tx is statements that each stand alone (an
	// ack, a claim), which alone run in autocommit.
	tx    bool
	first bool // committed and answered ahead of the rest of its group
	// readOnly is set by fn (db.wroteNothing) when it wrote nothing, so
	// that no flush of the disk is awaited for it.
	readOnly bool
	fn       func(ctx context.Context, q db) error
	state    atomic.Int32
	err      error
	done     chan struct{}
	// panicked is what fn panicked with, raised again in its caller's
	// goroutine: the other callers of the group keep their own outcome.
	panicked any
}

// errPanicked is the error of a request whose work panicked, while the
// group goes on.
var errPanicked = errors.New("write panicked")

// call runs the request's work, turning a panic into errPanicked.
func (r *request) call(q db) (err error) {
	r.readOnly = false // a request run again starts afresh
	q.req = r
	defer func() {
		if v := recover(); v != nil {
			r.panicked = v
			err = errPanicked
		}
	}()
	return r.fn(context.Background(), q)
}

// result is the caller's outcome once done is closed.
func (r *request) result() error {
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// The states of a request.
const (
	queued    = iota
	taken     // the writer has it: it runs, or fails as a whole
	abandoned // its caller's context ended while it waited: never run
)

// one runs fn, whose statements each stand alone (an ack, a claim), as
// cheaply as the store allows: on a pool in autocommit (on the relaxed pool
// when relaxed), on the pinned writer through submit.
func (s *Store) one(ctx context.Context, relaxed bool, fn func(ctx context.Context, q db) error) error {
	relaxed = relaxed || storage.RelaxedWrites(ctx)
	p := s.pin
	if p == nil {
		pool := s.w
		if relaxed && s.relaxed != nil {
			pool = s.relaxed
		}
		return fn(ctx, db{s: s, raw: pool})
	}
	return s.submit(ctx, p, &request{ctx: ctx, relaxed: relaxed, fn: fn, done: make(chan struct{})})
}

// submit runs r on the pinned writer with group commit. r joins the queue;
// whoever next gets the writer takes every queued request and runs them in
// one transaction (see runBatch for how one failure is undone alone), and
// answers them after the one commit, or, with a syncer, those that must be
// durable after the flush that follows it. A lone request runs at once, so
// an idle store adds no delay; under load, callers that arrive while a
// group runs share the next commit. A caller whose context ends while it
// waits for the writer returns at once, and its work is never run.
func (s *Store) submit(ctx context.Context, p *pinned, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.sy != nil && !r.relaxed {
		if err := p.sy.failed(); err != nil {
			return err // a durable write cannot be made durable: it does not run
		}
	}
	p.qmu.Lock()
	p.queue = append(p.queue, r)
	p.qmu.Unlock()
	select {
	case <-r.done: // another caller ran it
		return r.result()
	case p.sem <- struct{}{}:
		select {
		case <-r.done: // the previous holder ran it
			<-p.sem
			return r.result()
		default:
		}
		// r is still queued: only a holder of the writer empties the
		// queue, and it answers what it took before letting go.
		p.qmu.Lock()
		batch := p.queue
		p.queue = nil
		p.qmu.Unlock()
		s.runGroup(p, batch, r) // lets go of the writer
		<-r.done                // r may wait for the disk (see syncer)
		return r.result()
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		<-r.done // already running: it commits or fails as a whole
		return r.result()
	}
}

// runGroup runs a batch of requests on the pinned writer, which the caller
// (whose own request is own) holds, settles each (see settle), and lets go
// of the writer. Requests marked first (an inbox Put, which a webhook is
// waiting on before it answers) are committed and settled before the rest
// of the group runs: their wait is one commit of their own work (and, with
// a syncer, the flush after it, which runs beside the rest), not of
// everything that queued with them. A caller whose own request was among
// them returns then, and the rest runs on in a goroutine that holds the
// writer until it is done.
func (s *Store) runGroup(p *pinned, batch []*request, own *request) {
	var first, rest []*request
	for _, r := range batch {
		if r.first {
			first = append(first, r)
		} else {
			rest = append(rest, r)
		}
	}
	if len(first) == 0 || len(rest) == 0 {
		s.runBatch(p, batch)
		s.settle(p, batch)
		<-p.sem
		return
	}
	s.runBatch(p, first)
	s.settle(p, first)
	if own.first {
		go func() {
			s.runBatch(p, rest)
			s.settle(p, rest)
			<-p.sem
		}()
		return
	}
	s.runBatch(p, rest)
	s.settle(p, rest)
	<-p.sem
}

// settle answers the requests of a group that ran: those that must be
// durable and succeeded after the syncer's next flush, when there is a
// syncer, the others now.
func (s *Store) settle(p *pinned, rs []*request) {
	if p.sy == nil {
		answer(rs)
		return
	}
	var wait []*request
	for _, r := range rs {
		if r.state.Load() == taken && r.err == nil && r.panicked == nil && !r.relaxed && !r.readOnly {
			wait = append(wait, r)
		} else {
			close(r.done)
		}
	}
	p.sy.add(wait)
}

// answer wakes the callers of requests that have their outcome.
func answer(rs []*request) {
	for _, r := range rs {
		close(r.done)
	}
}

// runBatch runs requests in one transaction on the pinned writer, which
// the caller holds.
func (s *Store) runBatch(p *pinned, batch []*request) {
	run := make([]*request, 0, len(batch))
	for _, r := range batch {
		if r.state.CompareAndSwap(queued, taken) {
			run = append(run, r)
		}
	}
	if len(run) == 0 {
		return
	}
	// fail gives err to every request that has no error of its own: it
	// was not run, or its work was undone with the transaction.
	fail := func(err error) {
		for _, r := range run {
			if r.err == nil {
				r.err = err
			}
		}
	}
	if p.stmts == nil {
		fail(storage.ErrClosed)
		return
	}
	bg := context.Background()
	q := db{s: s, raw: uncancelled{p.conn}, pin: p}
	mode := p.relaxed
	for _, r := range run {
		if !r.relaxed {
			mode = p.durable // the group commits as durably as its most demanding request
		}
	}
	if mode != p.mode {
		if _, err := q.exec(bg, mode); err != nil {
			fail(err)
			return
		}
		p.mode = mode
	}
	if len(run) == 1 {
		s.runAlone(q, run[0])
		return
	}
	// Most groups succeed as a whole: run them without savepoints, which
	// would copy every page a request first touches into a statement
	// journal and cost two statements a request. Should a request fail,
	// the whole transaction is undone: that request keeps its outcome
	// (its work was undone, as it would have been alone) and the others
	// run again, each in a savepoint of its own. Their work from the
	// first try was rolled back, so each is committed at most once; the
	// request that failed is not tried again.
	failed, ok := s.runTogether(q, run)
	if ok {
		return
	}
	again := run[:0:0]
	for i, r := range run {
		if i != failed {
			r.err = nil
			again = append(again, r)
		}
	}
	if len(again) > 0 {
		s.runSavepoints(q, again, fail)
	}
}

// runTogether runs requests in one transaction without savepoints. When
// one fails, it rolls back, so that nothing of the group is written, and
// reports which (-1 when BEGIN or COMMIT failed).
func (s *Store) runTogether(q db, run []*request) (failed int, ok bool) {
	bg := context.Background()
	if _, err := q.exec(bg, "BEGIN IMMEDIATE"); err != nil {
		return -1, false
	}
	for i, r := range run {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if err := r.call(q); err != nil {
			r.err = err
			// SQLite may have ended the transaction itself (a full
			// disk, an I/O error); then there is nothing to roll back.
			q.exec(bg, "ROLLBACK")
			return i, false
		}
	}
	if _, err := q.exec(bg, "COMMIT"); err != nil {
		q.exec(bg, "ROLLBACK")
		return -1, false
	}
	return -1, true
}

// runSavepoints runs requests in one transaction, each inside a savepoint:
// a request that fails is undone alone.
func (s *Store) runSavepoints(q db, run []*request, fail func(error)) {
	bg := context.Background()
	if _, err := q.exec(bg, "BEGIN IMMEDIATE"); err != nil {
		fail(err)
		return
	}
	abort := func(err error) {
		q.exec(bg, "ROLLBACK")
		fail(err)
	}
	for _, r := range run {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if _, err := q.exec(bg, "SAVEPOINT grp"); err != nil {
			abort(err)
			return
		}
		if err := r.call(q); err != nil {
			r.err = err
			// A failed rollback to the savepoint means SQLite ended
			// the whole transaction (a full disk, an I/O error):
			// nobody's work survives.
			if _, err := q.exec(bg, "ROLLBACK TO grp"); err != nil {
				abort(err)
				return
			}
		}
		if _, err := q.exec(bg, "RELEASE grp"); err != nil {
			abort(err)
			return
		}
	}
	if _, err := q.exec(bg, "COMMIT"); err != nil {
		abort(err)
	}
}

// runAlone runs a request that has the writer to itself.
func (s *Store) runAlone(q db, r *request) {
	bg := context.Background()
	if !r.tx {
		r.err = r.call(q)
		return
	}
	if _, err := q.exec(bg, "BEGIN IMMEDIATE"); err != nil {
		r.err = err
		return
	}
	if err := r.call(q); err != nil {
		if _, rerr := q.exec(bg, "ROLLBACK"); rerr != nil {
			err = errors.Join(err, rerr)
		}
		r.err = err
		return
	}
	if _, err := q.exec(bg, "COMMIT"); err != nil {
		q.exec(bg, "ROLLBACK")
		r.err = err
	}
}

func (s *Store) writeMode(ctx context.Context, relaxed, first bool, fn func(q db) error) error {
	relaxed = relaxed || storage.RelaxedWrites(ctx)
	for attempt := 0; ; attempt++ {
		err := s.writeOnce(ctx, relaxed, first, fn)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) || attempt >= 8 {
			return err
		}
		t := time.NewTimer(time.Duration(attempt+1) * 2 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *Store) writeOnce(ctx context.Context, relaxed, first bool, fn func(q db) error) error {
	if p := s.pin; p != nil {
		return s.writePinned(ctx, p, relaxed, first, fn)
	}
	tx, err := s.w.BeginTx(ctx, s.d.TxOptions)
	if err != nil {
		return err
	}
	if relaxed && s.d.RelaxTx != "" {
		if _, err := tx.ExecContext(ctx, s.d.RelaxTx); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(db{s: s, raw: tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// writePinned runs fn as one transaction on the pinned writer, grouped
// with other callers' work under one commit (see submit).
func (s *Store) writePinned(ctx context.Context, p *pinned, relaxed, first bool, fn func(q db) error) error {
	return s.submit(ctx, p, &request{ctx: ctx, relaxed: relaxed, tx: true, first: first,
		fn: func(_ context.Context, q db) error { return fn(q) }, done: make(chan struct{})})
}

// --- sealing ---

// subject is the blind index of a contact: the keyed hash of its partition.
func (s *Store) subject(ref storage.ContactRef) []byte {
	return s.partSubject(storage.PartitionOf(ref))
}

func (s *Store) partSubject(partition string) []byte {
	return s.index.Index("subject", partition)
}

// subjectHex is how ConsentState.Subject shows a subject.
func subjectHex(b []byte) string { return hex.EncodeToString(b) }

// keys opens data keys for one operation, unwrapping each once.
type keys struct {
	s     *Store
	boxes map[string]*seal.Box
}

func (s *Store) keys() *keys { return &keys{s: s, boxes: map[string]*seal.Box{}} }

// open returns the box for a subject from a wrapped key read with the row.
// A missing key for a row that holds sealed data means the data cannot be
// read: ErrCorrupt.
func (k *keys) open(ctx context.Context, subject, wrapped []byte) (*seal.Box, error) {
	if b := k.boxes[string(subject)]; b != nil {
		return b, nil
	}
	if wrapped == nil {
		return nil, fmt.Errorf("no data key for sealed value: %w", storage.ErrCorrupt)
	}
	if b := k.s.boxes.get(subject, wrapped); b != nil {
		k.boxes[string(subject)] = b
		return b, nil
	}
	dek, err := k.s.keyring.UnwrapKey(ctx, subject, wrapped)
	if err != nil {
		return nil, err
	}
	b, err := seal.New(dek)
	clear(dek)
	if err != nil {
		return nil, fmt.Errorf("data key: %v: %w", err, storage.ErrCorrupt)
	}
	k.s.boxes.put(subject, wrapped, b)
	k.boxes[string(subject)] = b
	return b, nil
}

// forWrite returns the subject's box inside a write, creating the data key
// on first use. The read holds a share lock where the dialect has one, so an
// erasure waits for this transaction.
func (k *keys) forWrite(ctx context.Context, q db, subject []byte) (*seal.Box, error) {
	if b := k.boxes[string(subject)]; b != nil {
		return b, nil
	}
	sel := "SELECT wrapped FROM dek WHERE subject = ? " + k.s.d.ForShare
	var wrapped []byte
	err := q.scanRow(ctx, sel, []any{subject}, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		w, werr := k.s.keyring.WrapKey(ctx, subject, seal.NewKey())
		if werr != nil {
			return nil, fmt.Errorf("wrap data key: %w", werr)
		}
		// RETURNING gives the row only when this insert made it; another
		// writer's key, made meanwhile, is read back instead.
		err = q.scanRow(ctx, "INSERT INTO dek (subject, wrapped, created_at) VALUES (?, ?, ?) ON CONFLICT (subject) DO NOTHING RETURNING wrapped",
			[]any{subject, w, k.s.now().UnixNano()}, &wrapped)
		if errors.Is(err, sql.ErrNoRows) {
			err = q.scanRow(ctx, sel, []any{subject}, &wrapped)
		}
	}
	if err != nil {
		return nil, err
	}
	return k.open(ctx, subject, wrapped)
}

// load reads the wrapped keys of many subjects in one query per 200 and
// opens them; subjects without a key are left out (forWrite creates them).
func (k *keys) load(ctx context.Context, q db, subjects [][]byte) error {
	var want []any
	seen := map[string]bool{}
	for _, s := range subjects {
		if k.boxes[string(s)] == nil && !seen[string(s)] {
			seen[string(s)] = true
			want = append(want, s)
		}
	}
	for len(want) > 0 {
		n := min(len(want), 200)
		rows, err := q.query(ctx, "SELECT subject, wrapped FROM dek WHERE subject IN ("+placeholders(n)+") "+k.s.d.ForShare, want[:n]...)
		if err != nil {
			return err
		}
		type row struct{ subject, wrapped []byte }
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.subject, &r.wrapped); err != nil {
				rows.Close()
				return err
			}
			got = append(got, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range got {
			if _, err := k.open(ctx, r.subject, r.wrapped); err != nil {
				return err
			}
		}
		want = want[n:]
	}
	return nil
}

func aad(table, field, record string) []byte { return seal.AAD(table, field, record) }

// openValue opens a sealed column; a value that does not open is ErrCorrupt.
func openValue(b *seal.Box, sealed []byte, table, field, record string) ([]byte, error) {
	if b == nil {
		return nil, fmt.Errorf("%s.%s: no data key: %w", table, field, storage.ErrCorrupt)
	}
	pt, err := b.Open(sealed, aad(table, field, record))
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", table, field, storage.ErrCorrupt)
	}
	return pt, nil
}

// packRef encodes a ContactRef for sealing.
func packRef(r storage.ContactRef) []byte { return seal.AAD(r.Channel, r.Identifier) }

func unpackRef(b []byte) (storage.ContactRef, error) {
	parts, ok := unpack(b, 2)
	if !ok {
		return storage.ContactRef{}, fmt.Errorf("contact reference: %w", storage.ErrCorrupt)
	}
	return storage.ContactRef{Channel: string(parts[0]), Identifier: string(parts[1])}, nil
}

// unpack splits n length-prefixed parts made by seal.AAD.
func unpack(b []byte, n int) ([][]byte, bool) {
	out := make([][]byte, 0, n)
	for range n {
		if len(b) < 4 {
			return nil, false
		}
		l := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(l) > uint64(len(b)) {
			return nil, false
		}
		out = append(out, b[:l])
		b = b[l:]
	}
	return out, len(b) == 0
}

// sealRef seals a reference into table.ref of record.
func sealRef(b *seal.Box, r storage.ContactRef, table, record string) []byte {
	return b.Seal(packRef(r), aad(table, "ref", record))
}

func openRef(b *seal.Box, sealed []byte, table, record string) (storage.ContactRef, error) {
	if sealed == nil {
		return storage.ContactRef{}, nil
	}
	pt, err := openValue(b, sealed, table, "ref", record)
	if err != nil {
		return storage.ContactRef{}, err
	}
	return unpackRef(pt)
}

// --- times ---

// ts stores a time as Unix nanoseconds; the zero time is 0.
func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	const limit = math.MaxInt64 / int64(time.Second)
	sec := t.Unix()
	switch {
	case sec >= limit:
		return math.MaxInt64
	case sec <= -limit:
		return math.MinInt64 + 1
	}
	return t.UnixNano()
}

// tm reads a time stored by ts, in UTC.
func tm(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func fieldErr(field, problem string) error {
	return &storage.FieldError{Field: field, Problem: problem}
}

func checkLimit(limit int) error {
	if limit < 0 {
		return fieldErr("limit", "is negative; use 0 for no limit")
	}
	return nil
}

// sqlLimit turns "0 means none" into a SQL LIMIT value.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return math.MaxInt64
	}
	return int64(limit)
}

package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/storage"
)

// Server is the runtime of a line. Accept stores the events a channel
// delivers in the durable inbox (storage.Inbox) and returns once they are
// safe; Run drains the inbox into the Handler chain. With the default
// status handler, delivery statuses are recorded in storage.Messages by
// Accept itself, as durably, and do not go through the inbox (see Accept).
//
// The guarantees:
//
//   - Nothing accepted is lost. An event leaves the inbox only when it was
//     handled (acked) or set aside for an operator (dead-lettered). A process
//     that dies while handling leaves the event leased; when the lease ends,
//     any replica handles it again. Handling is therefore at least once: a
//     handler that fails or dies after replying may reply again when the
//     event is retried.
//   - Nothing is handled twice because it was delivered twice: the inbox
//     deduplicates by Event.Key, across replicas sharing a store.
//   - One person's events are handled one at a time and in the order they
//     were accepted; different people are handled in parallel, up to the
//     number of workers.
//   - A Handler that returns an error or panics is retried with backoff and,
//     after RetryPolicy.MaxAttempts attempts, dead-lettered with a readable
//     reason; the person's later events then go on. An error marked
//     Permanent (or matching ErrInvalid) is dead-lettered at once. A panic
//     never stops the Server. While an event waits for its retry, the same
//     person's later events wait too, so that their order holds.
//   - The inbox remembers handled events' keys for the retention (see
//     WithRetention) and the Server purges older ones.
//
// When the store's inbox is a storage.PutClaimer (the memory, SQLite and
// Postgres stores are), a running Server leases the events Accept stores to
// its idle workers in the same write, and they start at once, without a
// claim to fetch them back; events that must wait (behind an earlier event
// of the same person, or for a free worker) are claimed as usual. If the
// Server stops as such a put commits, the events it leased go back to the
// inbox for a retry.
//
// Handlers' writes carry storage.WithRelaxedWrites: an event whose Ack is
// lost is handled again, and the Ack follows every write of its handling,
// so a store whose log keeps commits in order may commit them without
// waiting for the disk (SQLite and Postgres do; a power cut then at worst
// has the event handled again, as a lost Ack always could).
//
// Before the Handler runs, the Server records the time of the person's
// message (storage.Contacts.Touch) so that a channel can enforce the 24-hour
// window (see ContactWindow). It stores nothing else about the person: what
// they wrote is kept only by RecordInbound, which belongs after the consent
// gate (or by consent's RecordGranted, which checks consent itself). Every reply sent through the Replier the Handler receives is recorded
// in storage.Messages under the channel's message id, so that delivery
// statuses find it.
//
// Several Servers may share one store (replicas behind a load balancer
// sharing Postgres): each claims events with its own owner name. A Server
// reads every form of inbox item that this or an earlier version wrote, not
// the forms of later versions: when replicas are upgraded, stop the older
// ones before an upgraded one starts accepting events.
type Server struct {
	store    storage.Store
	inbox    storage.Inbox
	puts     *putBatcher
	acks     *ackBatcher // nil when the inbox has no storage.BatchAcker
	contacts storage.Contacts
	messages storage.Messages
	handler  Handler
	status   StatusHandler
	// inline: statuses go to storage.Messages in Accept itself (the
	// default status handler), not through the inbox.
	inline  bool
	sender  Sender
	metrics Metrics
	log     *slog.Logger
	now     func() time.Time
	owner   string

	workers int
	batch   int
	lease   time.Duration
	poll    time.Duration
	drain   time.Duration
	retain  time.Duration // keep keys of handled events this long; 0: never purge
	retry   RetryPolicy

	wake chan struct{} // Accept tells a running Server there is new work
	// direct is the inbox as a storage.PutClaimer, when it is one: Accept
	// then leases new events to idle workers as it stores them, and hands
	// them to the run that active holds (nil when not running).
	direct storage.PutClaimer
	active atomic.Pointer[runState]

	mu        sync.Mutex
	running   bool          // Run was called
	shutdown  bool          // Shutdown was called: its context sets the drain deadline
	stopping  chan struct{} // closed when claiming must stop
	force     chan struct{} // closed when in-flight handlers must be cancelled
	done      chan struct{} // closed when Run has returned
	stopOnce  sync.Once
	forceOnce sync.Once
}

// ServerOption configures a Server.
type ServerOption func(*Server) error

// Defaults of a Server.
const (
	DefaultWorkers      = 16
	DefaultLease        = 30 * time.Second
	DefaultPollInterval = 500 * time.Millisecond
	DefaultDrainTimeout = 10 * time.Second
	// DefaultRetention is how long the inbox remembers the keys of handled
	// events, to recognise a delivery that comes again. Meta retries a
	// delivery for up to seven days.
	DefaultRetention = 14 * 24 * time.Hour
)

// acceptTimeout bounds one inbox write made by Accept.
const acceptTimeout = 30 * time.Second

// WithStatusHandler sets what the Server does with delivery statuses. The
// default is RecordStatus(store.Messages()).
func WithStatusHandler(h StatusHandler) ServerOption {
	return func(s *Server) error {
		if h == nil {
			return &FieldError{Field: "status handler", Problem: "is nil"}
		}
		s.status = h
		return nil
	}
}

// WithSender sets the Sender replies go through (for WhatsApp, a
// whatsapp.Channel, usually wrapped in a consent guard). Without one, every
// Reply fails with ErrNoSender.
func WithSender(snd Sender) ServerOption {
	return func(s *Server) error {
		if snd == nil {
			return &FieldError{Field: "sender", Problem: "is nil"}
		}
		s.sender = snd
		return nil
	}
}

// WithWorkers sets how many events the Server handles at once (different
// people in parallel). The default is DefaultWorkers; handlers mostly wait
// on the network, so more workers than cores is normal.
func WithWorkers(n int) ServerOption {
	return func(s *Server) error {
		if n < 1 || n > 4096 {
			return &FieldError{Field: "workers", Problem: fmt.Sprintf("is %d; give 1 to 4096", n)}
		}
		s.workers = n
		return nil
	}
}

// WithClaimBatch sets the most events claimed from the inbox in one call.
// The default is the number of workers. Larger batches mean fewer round trips
// to the store; the Server never claims more than it has idle workers for, so
// claimed events do not wait with their lease running.
func WithClaimBatch(n int) ServerOption {
	return func(s *Server) error {
		if n < 1 || n > 10000 {
			return &FieldError{Field: "claim batch", Problem: fmt.Sprintf("is %d; give 1 to 10000", n)}
		}
		s.batch = n
		return nil
	}
}

// WithLease sets how long a claimed event stays reserved to this Server
// before another may take it. The Server extends the lease of a handler
// still running every third of it, so the lease bounds how long an event
// waits after a crash, not how long a handler may run. The default is
// DefaultLease.
func WithLease(d time.Duration) ServerOption {
	return func(s *Server) error {
		if d < 100*time.Millisecond || d > 24*time.Hour {
			return &FieldError{Field: "lease", Problem: fmt.Sprintf("is %v; give 100ms to 24h", d)}
		}
		s.lease = d
		return nil
	}
}

// WithPollInterval sets how often an idle Server looks for work it was not
// told about: events accepted by another replica, retries that became due,
// and leases of dead replicas that ended. Events accepted by this Server are
// handled at once; one that must wait for an earlier event of its person
// leased to another replica is looked for again after 10 ms, then after
// twice as long each time, up to this interval. The default is
// DefaultPollInterval.
func WithPollInterval(d time.Duration) ServerOption {
	return func(s *Server) error {
		if d < time.Millisecond || d > time.Hour {
			return &FieldError{Field: "poll interval", Problem: fmt.Sprintf("is %v; give 1ms to 1h", d)}
		}
		s.poll = d
		return nil
	}
}

// WithDrainTimeout sets how long Run, once its context is cancelled, waits
// for handlers in flight before cancelling their contexts. The default is
// DefaultDrainTimeout. Shutdown's context overrides it.
func WithDrainTimeout(d time.Duration) ServerOption {
	return func(s *Server) error {
		if d < 0 || d > time.Hour {
			return &FieldError{Field: "drain timeout", Problem: fmt.Sprintf("is %v; give 0 to 1h", d)}
		}
		s.drain = d
		return nil
	}
}

// WithRetention sets how long the inbox keeps the keys of handled events
// for deduplication. A running Server purges older keys once an hour (any
// replica may; purging is idempotent). At least 7 days, since a channel may
// deliver an event again that long after; zero turns purging off, for
// deployments that run storage.Inbox.Purge elsewhere. The default is
// DefaultRetention.
func WithRetention(d time.Duration) ServerOption {
	return func(s *Server) error {
		if d != 0 && d < 7*24*time.Hour {
			return &FieldError{Field: "retention", Problem: fmt.Sprintf("is %v; give at least 168h (7 days), or 0 to never purge", d)}
		}
		s.retain = d
		return nil
	}
}

// WithRetry sets how failed events are retried. Zero fields of p take the
// defaults of DefaultRetryPolicy, except Jitter, where zero means none.
func WithRetry(p RetryPolicy) ServerOption {
	return func(s *Server) error {
		p = p.withDefaults()
		if err := p.validate(); err != nil {
			return err
		}
		s.retry = p
		return nil
	}
}

// WithClock sets the source of the current time, for tests.
func WithClock(now func() time.Time) ServerOption {
	return func(s *Server) error {
		if now == nil {
			return &FieldError{Field: "clock", Problem: "is nil"}
		}
		s.now = now
		return nil
	}
}

// WithLogger sets the logger. The default discards. The Server logs inbox
// sequence numbers, fingerprints of message ids (a WhatsApp id spells the
// person's number), kinds and masked addresses, never what a person wrote.
func WithLogger(l *slog.Logger) ServerOption {
	return func(s *Server) error {
		if l == nil {
			return &FieldError{Field: "logger", Problem: "is nil"}
		}
		s.log = l
		return nil
	}
}

// WithOwner sets the name this Server claims inbox events under. Each
// replica sharing a store needs its own; the default is "chat-" followed by
// random hex, new for each Server.
func WithOwner(name string) ServerOption {
	return func(s *Server) error {
		if name == "" || len(name) > 200 {
			return &FieldError{Field: "owner", Problem: fmt.Sprintf("is %d bytes; give 1 to 200", len(name))}
		}
		s.owner = name
		return nil
	}
}

// WithMetrics sets where the Server reports counts and timings. The default
// is NopMetrics.
func WithMetrics(m Metrics) ServerOption {
	return func(s *Server) error {
		if m == nil {
			return &FieldError{Field: "metrics", Problem: "is nil"}
		}
		s.metrics = m
		return nil
	}
}

// NewServer returns a Server that keeps its events in store and hands
// inbound messages to h.
func NewServer(store storage.Store, h Handler, opts ...ServerOption) (*Server, error) {
	if store == nil {
		return nil, &FieldError{Field: "store", Problem: "is nil"}
	}
	if h == nil {
		return nil, &FieldError{Field: "handler", Problem: "is nil"}
	}
	s := &Server{
		store:    store,
		inbox:    store.Inbox(),
		contacts: store.Contacts(),
		messages: store.Messages(),
		handler:  h,
		metrics:  NopMetrics{},
		log:      slog.New(slog.DiscardHandler),
		now:      time.Now,
		workers:  DefaultWorkers,
		lease:    DefaultLease,
		poll:     DefaultPollInterval,
		drain:    DefaultDrainTimeout,
		retain:   DefaultRetention,
		retry:    DefaultRetryPolicy(),
		wake:     make(chan struct{}, 1),
		stopping: make(chan struct{}),
		force:    make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, fmt.Errorf("chat: new server: %w", err)
		}
	}
	if s.status == nil {
		s.status = RecordStatus(s.messages)
		s.inline = true
	}
	s.puts = &putBatcher{inbox: s.inbox, timeout: acceptTimeout, srv: s}
	if pc, ok := s.inbox.(storage.PutClaimer); ok {
		s.direct = pc
	}
	if s.batch == 0 {
		s.batch = s.workers
	}
	if s.owner == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		s.owner = "chat-" + hex.EncodeToString(b[:])
	}
	if ba, ok := s.inbox.(storage.BatchAcker); ok {
		s.acks = &ackBatcher{in: ba, owner: s.owner}
	}
	return s, nil
}

// Owner is the name this Server claims inbox events under.
func (s *Server) Owner() string { return s.owner }

// Accept stores events in the inbox and returns nil only once they are
// durable; a channel's webhook acknowledges the delivery after that, and
// answers with an error (503 for WhatsApp, so Meta delivers again) when
// Accept fails. Events the inbox has seen (by Event.Key) are skipped, so a
// delivery that comes twice, even to two replicas at once, is handled once.
//
// Accept satisfies whatsapp/webhook's Sink. Concurrent calls share store
// writes: deliveries that arrive while one is being written are written
// together next, so the store sees fewer, larger transactions under load
// and no delay when idle.
//
// With the default status handler (no WithStatusHandler), a delivery status
// is recorded by Accept itself: the update of storage.Messages is as durable
// as an inbox item and never regresses a status, so it needs neither the
// inbox's deduplication nor its order, and a line spends far less on the
// three statuses Meta sends for every reply. A status whose message is not
// in the log yet (its reply is still being recorded) goes to the inbox and
// is tried again when handled, as every status is with a custom handler.
//
// Events that are not valid (Event.Validate) are dropped and logged with the
// reason, not stored and not returned as an error: the channel would deliver
// the same bad event again on every retry, so failing would block the valid
// events delivered with it forever, while storing it would keep a person's
// data that can never be handled. They are counted by Metrics.Rejected.
func (s *Server) Accept(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	now := s.now()
	items := make([]storage.InboxItem, 0, len(events))
	seen := make(map[string]bool, len(events))
	rejected, dup := 0, 0
	var inline []*Status
	for i, e := range events {
		if err := e.Validate(); err != nil {
			rejected++
			s.log.LogAttrs(ctx, slog.LevelWarn, "chat: dropped an invalid event",
				slog.Int("index", i), slog.String("reason", err.Error()))
			continue
		}
		key := e.Key()
		if seen[key] {
			dup++
			continue
		}
		payload, err := encodeEvent(nil, e)
		if err != nil {
			rejected++
			s.log.LogAttrs(ctx, slog.LevelWarn, "chat: dropped an event that does not encode",
				slog.Int("index", i), slog.String("key", redact.MessageID(key)), slog.String("reason", err.Error()))
			continue
		}
		seen[key] = true
		if s.inline && e.Status != nil {
			inline = append(inline, e.Status)
			continue
		}
		at := e.Time()
		if at.IsZero() {
			at = now
		}
		items = append(items, storage.InboxItem{
			Key:       key,
			Partition: partitionOf(e.Address()),
			Payload:   payload,
			At:        at,
		})
	}
	if rejected > 0 {
		s.metrics.Rejected(rejected)
	}
	applied, err := s.recordStatuses(ctx, inline)
	if err != nil {
		return fmt.Errorf("chat: accept: %w", err)
	}
	for i, st := range inline {
		if !applied[i] {
			// Not in the log yet: the inbox keeps it for a later try.
			payload, err := encodeEvent(nil, Event{Status: st})
			if err != nil {
				return fmt.Errorf("chat: accept: %w", err)
			}
			at := st.Time
			if at.IsZero() {
				at = now
			}
			items = append(items, storage.InboxItem{Key: Event{Status: st}.Key(), Partition: partitionOf(st.To), Payload: payload, At: at})
		}
	}
	if len(items) == 0 {
		if dup > 0 {
			s.metrics.Duplicate(dup)
		}
		return nil
	}
	isFresh, handed, err := s.puts.put(ctx, items, now)
	if err != nil {
		return fmt.Errorf("chat: accept %d events: %w", len(items), err)
	}
	fresh := 0
	for _, f := range isFresh {
		if f {
			fresh++
		}
	}
	dup += len(items) - fresh
	if fresh > 0 {
		s.metrics.Accepted(fresh)
		if !handed {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
	if dup > 0 {
		s.metrics.Duplicate(dup)
	}
	return nil
}

// maxStatusWrites bounds the status updates one Accept makes at once.
const maxStatusWrites = 16

// recordStatuses records delivery statuses in storage.Messages within
// Accept, side by side (a store that commits in groups commits them
// together), reporting for each whether its message was in the log.
func (s *Server) recordStatuses(ctx context.Context, sts []*Status) ([]bool, error) {
	applied := make([]bool, len(sts))
	if len(sts) == 1 {
		var err error
		applied[0], err = s.recordStatus(ctx, sts[0])
		return applied, err
	}
	errs := make([]error, len(sts))
	sem := make(chan struct{}, maxStatusWrites)
	var wg sync.WaitGroup
	for i, st := range sts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			applied[i], errs[i] = s.recordStatus(ctx, st)
		}()
	}
	wg.Wait()
	return applied, errors.Join(errs...)
}

// recordStatus records a delivery status in storage.Messages within
// Accept, reporting false when the message is not in the log (yet).
func (s *Server) recordStatus(ctx context.Context, st *Status) (bool, error) {
	start := s.now()
	code := 0
	if st.Error != nil {
		code = st.Error.Code
	}
	ctx, cancel := context.WithTimeout(ctx, acceptTimeout)
	defer cancel()
	if _, err := s.messages.UpdateStatus(ctx, st.MessageID, storage.Delivery(st.State), st.Time, code); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("record status: %w", err)
	}
	s.metrics.Accepted(1)
	s.metrics.Handled(MetricStatus, s.now().Sub(start))
	return true, nil
}

// partitionOf is the inbox partition of a person: storage.PartitionOf of
// their channel and identifier, the key storage uses for a contact (Erase
// finds the person's pending events by it). The line is left out on purpose:
// a person writing to two lines of one organisation is one contact, and
// their events are handled in one order.
func partitionOf(a Address) string {
	return storage.PartitionOf(storage.ContactRef{Channel: a.Channel, Identifier: a.Contact})
}

// RetryPolicy says how the Server retries an event whose handling failed:
// the n-th failed attempt waits Initial·Multiplier^(n-1), at most Max, spread
// by ±Jitter; after MaxAttempts attempts the event is dead-lettered.
type RetryPolicy struct {
	MaxAttempts int           // attempts before dead-lettering; default 10
	Initial     time.Duration // wait after the first failure; default 1s
	Max         time.Duration // longest wait; default 5m
	Multiplier  float64       // growth of the wait; default 2
	Jitter      float64       // fraction in [0, 1); zero means none
}

// DefaultRetryPolicy returns the policy a Server uses unless told otherwise:
// 10 attempts, waits from 1s doubling to at most 5m, ±20% jitter. The
// attempts span about eight and a half minutes, enough to ride out a short
// outage of the channel or the store.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, Initial: time.Second, Max: 5 * time.Minute, Multiplier: 2, Jitter: 0.2}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.Initial == 0 {
		p.Initial = d.Initial
	}
	if p.Max == 0 {
		p.Max = max(d.Max, p.Initial)
	}
	if p.Multiplier == 0 {
		p.Multiplier = d.Multiplier
	}
	return p
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 1 || p.MaxAttempts > 1000:
		return &FieldError{Field: "retry.max_attempts", Problem: fmt.Sprintf("is %d; give 1 to 1000", p.MaxAttempts)}
	case p.Initial < 0:
		return &FieldError{Field: "retry.initial", Problem: fmt.Sprintf("is %v; give a positive duration", p.Initial)}
	case p.Max < p.Initial:
		return &FieldError{Field: "retry.max", Problem: fmt.Sprintf("is %v, less than retry.initial %v", p.Max, p.Initial)}
	case p.Multiplier < 1 || p.Multiplier > 100:
		return &FieldError{Field: "retry.multiplier", Problem: fmt.Sprintf("is %v; give 1 to 100", p.Multiplier)}
	case p.Jitter < 0 || p.Jitter >= 1:
		return &FieldError{Field: "retry.jitter", Problem: fmt.Sprintf("is %v; give 0 up to but not including 1", p.Jitter)}
	}
	return nil
}

// Delay is how long to wait after the given failed attempt (1 for the
// first) before the next one.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := float64(p.Initial) * math.Pow(p.Multiplier, float64(attempt-1))
	if d > float64(p.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(p.Max)
	}
	if p.Jitter > 0 {
		d *= 1 + p.Jitter*(2*mrand.Float64()-1)
	}
	return time.Duration(d)
}

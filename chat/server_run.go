package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/storage"
)

// ErrNoSender is returned by a Replier of a Server built without WithSender.
var ErrNoSender = errors.New("chat: reply: the server has no sender (use WithSender)")

// ErrServerStarted is returned by Run when it is called a second time.
var ErrServerStarted = errors.New("chat: run: the server was already started")

const (
	// graceAfterCancel is how long Run waits, after cancelling the contexts
	// of handlers still in flight at the drain deadline, for them to return.
	graceAfterCancel = time.Second
	// settleTimeout bounds each Ack, Nack and DeadLetter call.
	settleTimeout = 10 * time.Second
	// maxReason bounds the reason stored with a retried or dead-lettered event.
	maxReason = 500
	// gatherDelay is the longest the dispatcher waits, under a backlog, for
	// more workers to become idle before claiming for the few that are.
	gatherDelay = 2 * time.Millisecond
	// purgeFirst and purgeEvery schedule the purge of old inbox keys.
	purgeFirst = time.Minute
	purgeEvery = time.Hour
	// maxClaimBackoff caps the wait between failed claims.
	maxClaimBackoff = 30 * time.Second
	// blockedRetry is the first wait before the dispatcher looks again for
	// events it knows wait but could not claim; each wait after it doubles,
	// up to the poll interval.
	blockedRetry = 10 * time.Millisecond
)

// Run claims events from the inbox and handles them until ctx is cancelled
// or Shutdown is called, then drains: it stops claiming, lets the handlers in
// flight finish (for up to the drain timeout, or until Shutdown's context
// ends), and cancels the contexts of those still running. An event whose
// handler did not finish is released for a retry (by this or another
// replica), so nothing is left half done; a handler that ignores its
// context's cancellation keeps its event leased, and the event is retried
// when the lease ends.
//
// Run returns nil after a clean stop. It returns an error when the store is
// closed, or when handlers were still running a second after their contexts
// were cancelled. A Server runs once.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return ErrServerStarted
	}
	s.running = true
	s.mu.Unlock()
	defer close(s.done)

	// Handlers get a context that survives the cancellation of ctx, so that
	// they can finish during the drain; it ends at the drain deadline.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	r := &runState{
		work:      work,
		finished:  make(chan struct{}, 1),
		flights:   make(map[int64]*flight),
		jobs:      make(chan job, s.workers),
		sem:       make(chan struct{}, s.workers),
		parts:     make(map[string]int),
		followers: make(map[string]int),
		open:      true,
	}
	// A fixed set of goroutines handles the events: a goroutine started
	// for each event would grow its stack anew, through the handlers, the
	// store and the HTTP client, every time.
	// They end once Run no longer claims and their last event is done
	// (Run does not wait for a handler that ignores its cancellation).
	for range s.workers {
		go func() {
			for j := range r.jobs {
				s.runJob(r, j)
			}
		}()
	}
	defer close(r.jobs)
	keeperDone := make(chan struct{})
	go func() {
		defer close(keeperDone)
		s.keepLeases(r)
	}()
	purgerDone := make(chan struct{})
	go func() {
		defer close(purgerDone)
		s.purge(r.work)
	}()

	s.log.LogAttrs(ctx, slog.LevelInfo, "chat: server running",
		slog.String("owner", s.owner), slog.Int("workers", s.workers))
	if s.direct != nil {
		s.active.Store(r)
	}
	runErr := s.dispatch(ctx, r)
	s.stop()
	// No event starts after this: Accept hands over no more (see handOver).
	r.mu.Lock()
	r.open = false
	r.mu.Unlock()
	s.active.Store(nil)

	// Drain.
	allDone := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(allDone)
	}()
	var deadline <-chan time.Time
	s.mu.Lock()
	viaShutdown := s.shutdown
	s.mu.Unlock()
	if !viaShutdown {
		t := time.NewTimer(s.drain)
		defer t.Stop()
		deadline = t.C
	}
	select {
	case <-allDone:
	case <-deadline:
	case <-s.force:
	}
	cancelWork()
	<-keeperDone
	<-purgerDone
	select {
	case <-allDone:
	default:
		t := time.NewTimer(graceAfterCancel)
		defer t.Stop()
		select {
		case <-allDone:
		case <-t.C:
			n := r.inFlight()
			s.log.LogAttrs(context.WithoutCancel(ctx), slog.LevelError, "chat: handlers did not return after cancellation",
				slog.Int("in_flight", n))
			if runErr == nil {
				runErr = fmt.Errorf("chat: run: %d handlers still running after cancellation; their events are retried when their leases end", n)
			}
		}
	}
	s.log.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "chat: server stopped", slog.String("owner", s.owner))
	return runErr
}

// Shutdown stops the Server gracefully: it stops claiming, waits for the
// handlers in flight to finish, and returns when Run has returned. If ctx
// ends first, the handlers' contexts are cancelled (their events are
// released for a retry) and Shutdown returns ctx's error once Run has
// returned. Calling Shutdown before Run makes Run return at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	running := s.running
	s.mu.Unlock()
	s.stop()
	if !running {
		return nil
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.forceOnce.Do(func() { close(s.force) })
		<-s.done
		return ctx.Err()
	}
}

func (s *Server) stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// runState is what one Run shares with its workers.
type runState struct {
	work     context.Context // parent of every handler's context
	finished chan struct{}   // a worker finished: partitions may have freed up
	wg       sync.WaitGroup

	jobs chan job // claimed events for the workers
	// sem holds a slot for every event between its start and the end of
	// its job: the dispatcher claims for the free slots, and Accept takes
	// free slots for the events it leases as it stores them.
	sem chan struct{}

	mu      sync.Mutex
	flights map[int64]*flight
	ticks   int64 // lease keeper ticks so far
	open    bool  // events may start: false once Run stops dispatching
	// When the Server leases events as Accept stores them (Server.direct),
	// the end of such an event wakes the dispatcher only for events known
	// to wait in the inbox (the end of a claimed one always does); the
	// poll finds the others (another replica's, retries, ended leases).
	// waiting counts those that a claim may take now, and followers those
	// stored here behind an event of their partition in flight here, which
	// become waiting when it finishes. parts counts the events in flight
	// by partition.
	parts     map[string]int
	followers map[string]int
	waiting   int
}

func (r *runState) inFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.flights)
}

// flight is one claimed event being handled.
type flight struct {
	c      storage.Claimed
	ctx    context.Context
	cancel context.CancelFunc
	born   int64       // the lease keeper tick it started at
	lost   atomic.Bool // the lease was lost: another worker may hold the event
	direct bool        // leased as Accept stored it (Server.direct)
}

// dispatch claims events while there are idle workers, until ctx ends, the
// Server is stopped, or the store is closed.
func (s *Server) dispatch(ctx context.Context, r *runState) error {
	sem := r.sem
	poll := time.NewTimer(s.poll)
	defer poll.Stop()
	failures := 0
	backlog := false // the last claim got all it asked for: more is waiting
	// blocked counts the claims in a row that found fewer events than were
	// known to wait (see below).
	blocked := 0
	lowWater := max(1, min(s.workers, s.batch)/4)
	gatherTimer := time.NewTimer(gatherDelay)
	defer gatherTimer.Stop()
	// wait blocks until there may be work, reporting false when Run must stop.
	wait := func(d time.Duration, onWake bool) bool {
		poll.Reset(d)
		wake := s.wake
		if !onWake {
			wake = nil
		}
		select {
		case <-ctx.Done():
			return false
		case <-s.stopping:
			return false
		case <-wake:
		case <-r.finished:
		case <-poll.C:
		}
		return true
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.stopping:
			return nil
		default:
		}
		free := s.workers - len(sem)
		if free <= 0 || (backlog && free < lowWater) {
			// Under a backlog, gather a few idle workers before claiming
			// again: one claim for several events costs the store far less
			// than one claim per event, and a short gather costs little.
			var gather <-chan time.Time
			if free > 0 {
				gatherTimer.Reset(gatherDelay)
				gather = gatherTimer.C
			}
			// The poll too: a worker that finishes signals only when
			// events are known to wait (see runState.waiting).
			poll.Reset(s.poll)
			select {
			case <-ctx.Done():
				return nil
			case <-s.stopping:
				return nil
			case <-r.finished:
				continue
			case <-gather:
			case <-poll.C:
				continue
			}
		}
		// Take the slots before claiming: Accept takes free slots too, for
		// the events it leases as it stores them (reserve), and a claim
		// sized for slots lost meanwhile would hold events, their leases
		// running unextended, until a worker finished; a Shutdown would
		// wait for it too.
		n := 0
	take:
		for n < min(free, s.batch) {
			select {
			case sem <- struct{}{}:
				n++
			default:
				break take
			}
		}
		if n == 0 {
			continue
		}
		r.mu.Lock()
		known := r.waiting
		r.mu.Unlock()
		items, err := s.claim(r.work, n)
		for range n - len(items) {
			<-sem // slots the claim found no events for
		}
		if err != nil {
			if errors.Is(err, storage.ErrClosed) {
				s.log.LogAttrs(ctx, slog.LevelError, "chat: store closed; stopping", slog.String("error", err.Error()))
				return fmt.Errorf("chat: run: %w", err)
			}
			failures++
			backoff := min(s.poll<<min(failures, 16), maxClaimBackoff)
			s.log.LogAttrs(ctx, slog.LevelWarn, "chat: claim failed",
				slog.String("error", err.Error()), slog.Int("failures", failures), slog.Duration("retry_in", backoff))
			if !wait(backoff, false) {
				return nil
			}
			continue
		}
		failures = 0
		next := s.poll
		r.mu.Lock()
		switch {
		case len(items) == n:
			r.waiting = max(0, r.waiting-len(items))
			blocked = 0
		case len(items) < min(known, n) && blockedRetry<<blocked < s.poll:
			// Events stored here could not be claimed: an earlier event of
			// their person is leased to another Server sharing the inbox,
			// which does not know of them, or waits for its retry. Look
			// again soon, then less and less often, until the poll takes
			// over: a person's next message follows the one in flight
			// elsewhere by about as long as that one has taken so far.
			next = blockedRetry << blocked
			blocked++
			r.waiting = max(0, r.waiting-len(items))
		default:
			r.waiting = 0 // the claim took every event it could
			blocked = 0
		}
		r.mu.Unlock()
		for _, c := range items {
			if !s.start(r, c, sem) { // on a slot taken above
				<-sem
			}
		}
		backlog = len(items) == n
		if backlog {
			continue // there may be more
		}
		if !wait(next, true) {
			return nil
		}
	}
}

// claim leases up to n events. The claim is not cancelled with Run's
// context: a claim the store committed while its caller gave up would leave
// events leased to nobody until the lease ends.
func (s *Server) claim(work context.Context, n int) ([]storage.Claimed, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(work), s.lease)
	defer cancel()
	return s.inbox.Claim(ctx, s.owner, n, s.lease, s.now())
}

// start starts a claimed event, unless its handler still runs here: its
// lease ended while extensions failed, and this Server claimed it again.
// That handler then goes on under the new lease (or, if it was told its
// lease was lost, leaves the event to be claimed again once that lease
// ends), so that no event runs twice at once in one Server. It reports
// whether it started one.
func (s *Server) start(r *runState, c storage.Claimed, sem chan struct{}) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, running := r.flights[c.Seq]; running {
		s.log.LogAttrs(r.work, slog.LevelWarn, "chat: claimed an event again while handling it; the handler goes on",
			slog.Int64("seq", c.Seq), slog.String("key", redact.MessageID(c.Key)))
		return false
	}
	s.startLocked(r, c, sem, false)
	return true
}

// startLocked is start with r.mu held; direct marks an event leased as
// Accept stored it.
func (s *Server) startLocked(r *runState, c storage.Claimed, sem chan struct{}, direct bool) {
	ctx, cancel := context.WithCancel(r.work)
	// The event is handled again unless its Ack survives, and the Ack
	// comes after every write of its handling: those writes need not
	// wait for the disk either (see storage.WithRelaxedWrites).
	f := &flight{c: c, ctx: storage.WithRelaxedWrites(ctx), cancel: cancel, direct: direct}
	f.born = r.ticks
	r.flights[c.Seq] = f
	r.parts[c.Partition]++
	r.wg.Add(1)
	// sem holds a slot for every event between here and runJob's end, and
	// has as many slots as jobs has room and there are workers: this send
	// never waits.
	r.jobs <- job{f: f, sem: sem}
}

// job is a claimed event given to a worker.
type job struct {
	f   *flight
	sem chan struct{}
}

func (s *Server) runJob(r *runState, j job) {
	f := j.f
	defer func() {
		f.cancel()
		p := f.c.Partition
		r.mu.Lock()
		delete(r.flights, f.c.Seq)
		if r.parts[p]--; r.parts[p] <= 0 {
			delete(r.parts, p)
		}
		if n := r.followers[p]; n > 0 {
			// The next event of the partition may be claimed now.
			r.waiting += n
			delete(r.followers, p)
		}
		// A claimed event may have had later events of its partition
		// behind it that nobody here saw stored (an earlier run, another
		// replica): a claim after it finds them, as without direct.
		signal := !f.direct || r.waiting > 0
		r.mu.Unlock()
		<-j.sem
		if signal {
			select {
			case r.finished <- struct{}{}:
			default:
			}
		}
		r.wg.Done()
	}()
	s.process(r, f)
}

// keepLeases extends, every third of the lease, the lease of every event
// whose handler has been running for at least one such period.
func (s *Server) keepLeases(r *runState) {
	t := time.NewTicker(s.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-r.work.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		r.ticks++
		var due []*flight
		for _, f := range r.flights {
			if f.born < r.ticks-1 {
				due = append(due, f)
			}
		}
		r.mu.Unlock()
		for _, f := range due {
			if f.ctx.Err() != nil {
				continue
			}
			ctx, cancel := context.WithTimeout(r.work, s.lease/3)
			err := s.inbox.Extend(ctx, s.owner, f.c.Seq, s.lease, s.now())
			cancel()
			switch {
			case err == nil:
			case errors.Is(err, storage.ErrLeaseLost):
				f.lost.Store(true)
				f.cancel()
				s.log.LogAttrs(r.work, slog.LevelWarn, "chat: lease lost while handling; the event may be handled again",
					slog.Int64("seq", f.c.Seq), slog.String("key", redact.MessageID(f.c.Key)))
			case r.work.Err() != nil:
				return
			default:
				s.log.LogAttrs(r.work, slog.LevelWarn, "chat: could not extend a lease",
					slog.Int64("seq", f.c.Seq), slog.String("error", err.Error()))
			}
		}
	}
}

// purge forgets, once an hour (the first time a minute after start), the
// keys of events handled longer ago than the retention, until ctx ends.
func (s *Server) purge(ctx context.Context) {
	if s.retain == 0 {
		return
	}
	t := time.NewTimer(purgeFirst)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, purgeEvery)
		n, err := s.inbox.Purge(pctx, s.now().Add(-s.retain))
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.LogAttrs(ctx, slog.LevelWarn, "chat: purging old inbox keys failed", slog.String("error", err.Error()))
		case n > 0:
			s.log.LogAttrs(ctx, slog.LevelInfo, "chat: purged old inbox keys", slog.Int("count", n))
		}
		t.Reset(purgeEvery)
	}
}

// process handles one claimed event and settles it with the inbox: ack,
// retry later, release, or dead-letter.
func (s *Server) process(r *runState, f *flight) {
	c := f.c
	start := s.now()
	ev, err := decodeEvent(c.Payload)
	if err != nil {
		s.log.LogAttrs(r.work, slog.LevelError, "chat: inbox item is not a valid event; dead-lettering",
			slog.Int64("seq", c.Seq), slog.String("key", redact.MessageID(c.Key)), slog.String("reason", err.Error()))
		if s.settle(r, f, MetricInvalid, func(ctx context.Context) error {
			return s.inbox.DeadLetter(ctx, s.owner, c.Seq, clipReason(err.Error()))
		}) {
			s.metrics.DeadLettered(MetricInvalid)
		}
		return
	}
	kind := MetricMessage
	if ev.Status != nil {
		kind = MetricStatus
	}
	err = s.call(f, ev)
	if f.lost.Load() {
		return // another worker may hold the event; it is not ours to settle
	}
	if err == nil {
		if s.settle(r, f, kind, func(ctx context.Context) error { return s.ack(ctx, c.Seq) }) {
			s.metrics.Handled(kind, s.now().Sub(start))
		}
		return
	}
	attrs := []slog.Attr{
		slog.Int64("seq", c.Seq), slog.String("key", redact.MessageID(c.Key)), slog.String("kind", kind),
		slog.Int("attempt", c.Attempts), slog.String("error", err.Error()),
	}
	if r.work.Err() != nil {
		// Shutting down past the deadline: give the event back at once.
		s.log.LogAttrs(r.work, slog.LevelInfo, "chat: released an event at shutdown", attrs...)
		s.settle(r, f, kind, func(ctx context.Context) error {
			return s.inbox.Nack(ctx, s.owner, c.Seq, s.now(), "released: the server shut down before handling finished")
		})
		return
	}
	reason := clipReason(fmt.Sprintf("attempt %d of %d: %v", c.Attempts, s.retry.MaxAttempts, err))
	permanent := isPermanent(err)
	if permanent {
		reason = clipReason(fmt.Sprintf("attempt %d, not retried: %v", c.Attempts, err))
	}
	if permanent || c.Attempts >= s.retry.MaxAttempts {
		s.log.LogAttrs(r.work, slog.LevelError, "chat: handling failed; dead-lettering", attrs...)
		if s.settle(r, f, kind, func(ctx context.Context) error { return s.inbox.DeadLetter(ctx, s.owner, c.Seq, reason) }) {
			s.metrics.DeadLettered(kind)
		}
		return
	}
	delay := s.retry.Delay(c.Attempts)
	s.log.LogAttrs(r.work, slog.LevelWarn, "chat: handling failed; will retry",
		append(attrs, slog.Duration("retry_in", delay))...)
	if s.settle(r, f, kind, func(ctx context.Context) error {
		return s.inbox.Nack(ctx, s.owner, c.Seq, s.now().Add(delay), reason)
	}) {
		s.metrics.Retried(kind)
	}
}

// settle runs one Ack, Nack or DeadLetter, retrying a failing store a few
// times. It reports whether the call succeeded. If it never does, the lease
// runs out and the event is handled again: at least once, never lost.
func (s *Server) settle(r *runState, f *flight, kind string, op func(ctx context.Context) error) bool {
	wait := 50 * time.Millisecond
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.work), settleTimeout)
		err := op(ctx)
		cancel()
		if err == nil {
			return true
		}
		if errors.Is(err, storage.ErrLeaseLost) {
			// Not a failure of the inbox: the item is no longer this
			// server's, because its lease passed to another (which handles
			// it again) or because the person was erased while it was
			// handled (which ends it).
			s.log.LogAttrs(context.WithoutCancel(r.work), slog.LevelWarn,
				"chat: the inbox no longer holds this event for this server (lease passed on, or the person erased)",
				slog.Int64("seq", f.c.Seq), slog.String("key", redact.MessageID(f.c.Key)), slog.String("kind", kind))
			return false
		}
		last := try == 3 || errors.Is(err, storage.ErrClosed)
		if last {
			s.log.LogAttrs(context.WithoutCancel(r.work), slog.LevelError,
				"chat: could not settle an event with the inbox; it will be handled again when its lease ends",
				slog.Int64("seq", f.c.Seq), slog.String("key", redact.MessageID(f.c.Key)), slog.String("kind", kind),
				slog.String("error", err.Error()))
			return false
		}
		t := time.NewTimer(wait)
		<-t.C
		wait *= 4
	}
}

// ack acks one handled event, in a batch with others when the inbox allows.
func (s *Server) ack(ctx context.Context, seq int64) error {
	if s.acks != nil {
		return s.acks.ack(ctx, seq)
	}
	return s.inbox.Ack(ctx, s.owner, seq)
}

// call runs the event through the handlers, turning a panic into an error.
func (s *Server) call(f *flight, ev Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: describePanic(v)}
			s.log.LogAttrs(f.ctx, slog.LevelError, "chat: handler panicked",
				slog.Int64("seq", f.c.Seq), slog.String("key", redact.MessageID(f.c.Key)),
				slog.String("panic", describePanic(v)), slog.String("stack", string(debug.Stack())))
		}
	}()
	if ev.Message != nil {
		return s.handleMessage(f.ctx, ev.Message)
	}
	return s.status.HandleStatus(f.ctx, ev.Status)
}

func (s *Server) handleMessage(ctx context.Context, m *Message) error {
	at, now := m.Time, s.now()
	if at.IsZero() || at.After(now) {
		at = now
	}
	ref := storage.ContactRef{Channel: m.From.Channel, Identifier: m.From.Contact}
	c, err := s.contacts.Touch(ctx, ref, at)
	if err != nil {
		return fmt.Errorf("record last inbound time: %w", err)
	}
	ctx = context.WithValue(ctx, inboundKey{}, inbound{channel: m.From.Channel, contact: m.From.Contact, at: at, c: c})
	return s.handler.Handle(ctx, replier{s: s, to: m.From}, m)
}

// Permanent marks err as a failure that a retry cannot cure (a message the
// handler can never process, a reply the channel will always refuse): the
// Server dead-letters the event at once instead of retrying it. Errors
// matching ErrInvalid (an Outgoing that does not validate) are treated as
// permanent too. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p) || errors.Is(err, ErrInvalid)
}

// PanicError is the error a panicking handler is retried and dead-lettered
// with. Value describes what was passed to panic without quoting it, since
// it may hold a person's data: its type, or the message of a runtime error.
type PanicError struct {
	Value string
}

// Error says that a handler panicked, and with what kind of value.
func (e *PanicError) Error() string { return "handler panicked: " + e.Value }

func describePanic(v any) string {
	if re, ok := v.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("value of type %T", v)
}

func clipReason(s string) string {
	if len(s) <= maxReason {
		return s
	}
	cut := maxReason
	for cut > 0 && (s[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// decodeEvent decodes an inbox payload: the binary form Accept writes, or
// JSON, which earlier versions wrote.
func decodeEvent(p []byte) (Event, error) {
	if len(p) > 0 && p[0] == eventFormat1 {
		e, err := decodeBinaryEvent(p)
		if err != nil {
			return e, err
		}
		if err := e.Validate(); err != nil {
			return e, fmt.Errorf("payload is not a valid event: %w", err)
		}
		return e, nil
	}
	var e Event
	if err := json.Unmarshal(p, &e); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return e, fmt.Errorf("payload is not JSON (syntax error at byte %d)", se.Offset)
		case errors.As(err, &te):
			return e, fmt.Errorf("payload field %q has the wrong type", te.Field)
		}
		return e, errors.New("payload does not decode into an event")
	}
	if err := e.Validate(); err != nil {
		return e, fmt.Errorf("payload is not a valid event: %w", err)
	}
	return e, nil
}

// replier answers the person whose message is being handled, through the
// Server's Sender, and records every reply in storage.Messages.
type replier struct {
	s  *Server
	to Address
}

func (r replier) Address() Address { return r.to }

func (r replier) Reply(ctx context.Context, m Outgoing) (SendResult, error) {
	s := r.s
	if m == nil {
		return SendResult{}, &FieldError{Field: "reply", Problem: "is nil"}
	}
	if s.sender == nil {
		return SendResult{}, ErrNoSender
	}
	res, err := s.sender.Send(ctx, r.to, m)
	if err == nil || res.MessageID != "" {
		// A result with an error is a message sent in part (a long text
		// in several messages, whatsapp.PartialSendError): the person
		// has the part it names, and its statuses must find it.
		s.recordReply(ctx, r.to, m, res)
	}
	return res, err
}

// recordReply logs a sent reply in storage.Messages. A failure is logged and
// not returned: the person already has the message, and failing the handler
// would send it again on the retry.
func (s *Server) recordReply(ctx context.Context, to Address, m Outgoing, res SendResult) {
	if res.MessageID == "" {
		s.log.LogAttrs(ctx, slog.LevelWarn, "chat: the sender returned no message id; the reply is not recorded",
			slog.Any("to", to), slog.String("type", m.Type()))
		return
	}
	at := res.Time
	if at.IsZero() {
		at = s.now()
	}
	in := IntentFrom(ctx)
	// The handler's context may end as the send returns (the drain
	// deadline, a lost lease): the record is still made.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	err := s.messages.Record(ctx, storage.MessageRecord{
		ID:        res.MessageID,
		Contact:   storage.ContactRef{Channel: to.Channel, Identifier: to.Contact},
		Direction: storage.Outbound,
		Kind:      m.Type(),
		Body:      OutgoingText(m),
		Purpose:   string(in.Purpose),
		Staff:     in.Staff,
		At:        at,
	})
	if err != nil && !errors.Is(err, storage.ErrConflict) {
		s.log.LogAttrs(ctx, slog.LevelError, "chat: could not record a sent reply; its statuses will not be tracked",
			slog.String("message_id", redact.MessageID(res.MessageID)), slog.String("error", err.Error()))
	}
}

// reserve takes up to n free worker slots of the running dispatcher for
// the events a combined Put may lease as it stores them (storage.PutClaimer),
// reporting the run and how many it took: none when the Server does not
// lease at put or is not running.
func (s *Server) reserve(n int) (*runState, int) {
	if s == nil || s.direct == nil {
		return nil, 0
	}
	r := s.active.Load()
	if r == nil {
		return nil, 0
	}
	k := 0
	for k < n {
		select {
		case r.sem <- struct{}{}:
			k++
		default:
			return r, k
		}
	}
	return r, k
}

// handOver starts the events a Put leased on slots reserve took, frees the
// slots left over, and notes the fresh events the Put did not lease (of
// partitions, one entry each) as waiting for a claim, waking the
// dispatcher. Once Run has stopped dispatching, the leased events are given
// back to the inbox for a retry instead.
func (s *Server) handOver(r *runState, slots int, leased []storage.Claimed, unleased []string) {
	r.mu.Lock()
	open := r.open
	if open {
		for _, c := range leased {
			s.startLocked(r, c, r.sem, true)
		}
		for _, p := range unleased {
			if r.parts[p] > 0 {
				r.followers[p]++
			} else {
				r.waiting++
			}
		}
	}
	wake := open && r.waiting > 0
	r.mu.Unlock()
	used := len(leased)
	if !open {
		used = 0
	}
	for range slots - used {
		<-r.sem
	}
	if wake {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	if open {
		return
	}
	for _, c := range leased {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.work), settleTimeout)
		err := s.inbox.Nack(ctx, s.owner, c.Seq, s.now(), "released: the server stopped as the event was stored")
		cancel()
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "chat: could not release an event leased as the server stopped; it is retried when its lease ends",
				slog.Int64("seq", c.Seq), slog.String("error", err.Error()))
		}
	}
}

package broadcast

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// pageSize is how many queued recipients Run reads from the store at a time.
const pageSize = 256

// maxHold caps how long a campaign holds back after its line was throttled.
const maxHold = time.Minute

// Run sends a running campaign until every recipient has an outcome (the
// campaign is then done), the campaign is paused or cancelled (by this
// Runner or by another process, seen within the refresh interval), or ctx
// ends. It returns the progress at that point.
//
// Each recipient is moved from queued to sending before the request and to
// its outcome after it, so that Run is safe to call again after a crash: the
// recipients found in sending (the process died mid-request, so nobody knows
// whether the message went out) become unknown, and are reported, never sent
// to again. Consent is checked again right before each send.
//
// A campaign runs in one process at a time; Run refuses to run a campaign
// this Runner is already running (ErrAlreadyRunning). When the runner pauses
// the campaign itself because every send would fail (a Fatal error), Run
// returns an error matching ErrHalted. When ctx ends, Run waits for the sends
// in flight for up to the drain timeout and returns ctx's error.
func (r *Runner) Run(ctx context.Context, id string) (Progress, error) {
	x := &run{
		r:       r,
		id:      id,
		stopped: make(chan struct{}),
		wake:    make(chan struct{}, 1),
		slots:   make(chan struct{}, r.inFlight()),
	}
	r.mu.Lock()
	if r.running[id] != nil {
		r.mu.Unlock()
		return Progress{}, fmt.Errorf("broadcast run %s: %w", id, ErrAlreadyRunning)
	}
	r.running[id] = x
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
	}()

	runnable, err := r.prepare(ctx, x)
	if err != nil {
		return Progress{}, fmt.Errorf("broadcast run %s: %w", id, err)
	}
	if runnable {
		r.log.InfoContext(ctx, "broadcast running", "campaign", id, "rate", r.Rate())
		err = x.loop(ctx)
	}
	p, perr := r.Progress(context.WithoutCancel(ctx), id)
	if err == nil {
		err = perr
	}
	if err != nil {
		return p, fmt.Errorf("broadcast run %s: %w", id, err)
	}
	return p, nil
}

// prepare loads the campaign, finishes an interrupted snapshot, turns the
// recipients left in sending into unknown, and remembers the recent sends
// for the daily limit. It reports whether there is anything to send.
func (r *Runner) prepare(ctx context.Context, x *run) (bool, error) {
	b, err := r.bs.Get(ctx, x.id)
	if err != nil {
		return false, err
	}
	st, err := decodeStored(b.Spec)
	if err != nil {
		return false, err
	}
	x.spec = st.Spec
	x.lim = r.limiter(&x.spec)
	if State(b.State) == StateDraft {
		counts, err := r.bs.Counts(ctx, x.id)
		if err != nil {
			return false, err
		}
		switch {
		case len(counts) > 0:
			_, err = r.setState(ctx, x.id, func(b *storage.Broadcast, _ *stored) bool {
				if State(b.State) != StateDraft {
					return false
				}
				b.State = string(StateRunning)
				return true
			})
		case st.List:
			return false, ErrIncomplete
		default:
			_, err = r.snapshot(ctx, x.id, st.Spec)
		}
		if err != nil {
			return false, err
		}
		if b, err = r.bs.Get(ctx, x.id); err != nil {
			return false, err
		}
	}
	if State(b.State) != StateRunning {
		return false, nil
	}
	if err := r.settleInterrupted(ctx, x.id); err != nil {
		return false, err
	}
	if r.daily != nil {
		if err := r.rememberRecent(ctx, x.id); err != nil {
			return false, err
		}
	}
	return true, nil
}

// settleInterrupted records the recipients left in sending as unknown.
func (r *Runner) settleInterrupted(ctx context.Context, id string) error {
	return r.settleSending(ctx, id, "interrupted")
}

// settleSending records every recipient of campaign id still in sending as
// unknown, for reason: maybe sent, never sent again.
func (r *Runner) settleSending(ctx context.Context, id, reason string) error {
	var after int64
	for {
		rs, err := r.bs.Recipients(ctx, id, storage.RecipientSending, after, pageSize)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		for _, rec := range rs {
			after = rec.Seq
			rec.State = storage.RecipientUnknown
			rec.Reason = reason
			rec.UpdatedAt = r.clock.Now()
			if err := r.bs.Transition(ctx, rec, storage.RecipientSending); err != nil && !errors.Is(err, storage.ErrConflict) {
				return err
			}
			r.log.WarnContext(ctx, "broadcast send outcome unknown", "campaign", id, "seq", rec.Seq)
		}
	}
}

// rememberRecent counts, against the daily limit, every recipient the
// campaign may have reached in the last 24 hours.
func (r *Runner) rememberRecent(ctx context.Context, id string) error {
	now := r.clock.Now()
	var after int64
	for {
		rs, err := r.bs.Recipients(ctx, id, "", after, 1024)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		for _, rec := range rs {
			after = rec.Seq
			reached := rec.MessageID != "" || rec.State == storage.RecipientUnknown
			if reached && now.Sub(rec.UpdatedAt) < dailyWindow {
				r.daily.note(personKey(rec.Contact), rec.UpdatedAt)
			}
		}
	}
}

func personKey(ref storage.ContactRef) string { return ref.Channel + "\x00" + ref.Identifier }

// run is one Run of one campaign.
type run struct {
	r    *Runner
	id   string
	spec Spec
	lim  *rate.Limiter

	slots chan struct{} // one per send in flight
	wake  chan struct{} // a send finished
	wg    sync.WaitGroup

	mu           sync.Mutex
	retries      retryHeap
	inflight     int
	hold         time.Time // no send starts before
	throttles    int       // throttled sends in a row
	streak       int       // sends in a row that failed for good with streakReason
	streakReason string
	fatal        string // the reason of a Fatal error

	stopOnce sync.Once
	stopped  chan struct{} // closed when the campaign stops running
}

// halt stops the run: the campaign was paused or cancelled, or a Fatal error
// came back (reason set).
func (x *run) halt(reason string) {
	if reason != "" {
		x.mu.Lock()
		if x.fatal == "" {
			x.fatal = reason
		}
		x.mu.Unlock()
	}
	x.stopOnce.Do(func() { close(x.stopped) })
}

func (x *run) isStopped() bool {
	select {
	case <-x.stopped:
		return true
	default:
		return false
	}
}

// sleep waits d on the runner's clock; false if the run stopped first.
func (x *run) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-x.r.clock.After(d):
		return true
	case <-ctx.Done():
	case <-x.stopped:
	}
	return false
}

// loop hands recipients to sends at the campaign's pace.
func (x *run) loop(ctx context.Context) error {
	r := x.r
	watchDone := make(chan struct{})
	defer close(watchDone)
	go x.watch(ctx, watchDone)

	var (
		cursor    int64
		page      []storage.Recipient
		exhausted bool
		done      bool
		loopErr   error
		rescans   int
	)
	for ctx.Err() == nil && !x.isStopped() {
		now := r.clock.Now()
		x.mu.Lock()
		hold := x.hold
		x.mu.Unlock()
		if hold.After(now) {
			x.sleep(ctx, hold.Sub(now))
			continue
		}
		rec, ok := x.dueRetry(now)
		if !ok && len(page) == 0 && !exhausted {
			var err error
			page, err = r.bs.Recipients(ctx, x.id, storage.RecipientQueued, cursor, pageSize)
			if err != nil {
				loopErr = err
				break
			}
			if len(page) == 0 {
				exhausted = true
			} else {
				cursor = page[len(page)-1].Seq
			}
		}
		if !ok && len(page) > 0 {
			rec, page, ok = page[0], page[1:], true
		}
		if !ok {
			if exhausted && x.idle() {
				// Every recipient has had its turn. Those whose outcome
				// could not be written are still queued or sending: a
				// campaign marked done never runs again, so they are
				// settled first, or the campaign stays running.
				left, err := x.unfinished(ctx)
				if err != nil {
					loopErr = err
					break
				}
				if left > 0 && rescans < maxRescans {
					rescans++
					cursor, exhausted = 0, false
					continue
				}
				if left > 0 {
					loopErr = fmt.Errorf("recipients left queued because their outcomes could not be recorded: %d; run the campaign again", left)
					break
				}
				done = true
				break
			}
			x.waitWork(ctx)
			continue
		}
		select {
		case x.slots <- struct{}{}:
		case <-ctx.Done():
			continue
		case <-x.stopped:
			continue
		}
		// The send's turn is reserved now and the worker waits for it: the
		// turns follow the limiter's own timeline, so a worker that wakes a
		// little late does not push every later turn back.
		now = r.clock.Now()
		turn := now.Add(x.lim.ReserveN(now, 1).DelayFrom(now))
		x.mu.Lock()
		x.inflight++
		x.mu.Unlock()
		x.wg.Add(1)
		go x.work(ctx, rec, turn)
	}
	x.drain(ctx)

	x.mu.Lock()
	fatal := x.fatal
	x.mu.Unlock()
	bg := context.WithoutCancel(ctx)
	switch {
	case loopErr != nil:
		return loopErr
	case fatal != "":
		_, err := r.setState(bg, x.id, func(b *storage.Broadcast, st *stored) bool {
			if State(b.State) != StateRunning {
				return false
			}
			b.State, st.Halt = string(StatePaused), fatal
			return true
		})
		if err != nil {
			return err
		}
		r.log.ErrorContext(ctx, "broadcast halted", "campaign", x.id, "reason", fatal)
		return fmt.Errorf("%s: %w", fatal, ErrHalted)
	case done:
		_, err := r.setState(bg, x.id, func(b *storage.Broadcast, _ *stored) bool {
			if State(b.State) != StateRunning {
				return false
			}
			b.State = string(StateDone)
			return true
		})
		if err != nil {
			return err
		}
		r.log.InfoContext(ctx, "broadcast done", "campaign", x.id)
		return nil
	}
	return ctx.Err()
}

// maxRescans is how many times a run goes back over recipients left
// queued by a failed write before it gives up and leaves the campaign
// running.
const maxRescans = 2

// unfinished settles, once every send has ended, the recipients left in
// sending (the write of their outcome failed) as unknown, and returns how
// many are still queued (a skip or a requeue that could not be written).
func (x *run) unfinished(ctx context.Context) (int, error) {
	bg := context.WithoutCancel(ctx)
	if err := x.r.settleSending(bg, x.id, "unrecorded"); err != nil {
		return 0, err
	}
	counts, err := x.r.bs.Counts(bg, x.id)
	if err != nil {
		return 0, err
	}
	return counts[storage.RecipientQueued], nil
}

// drain waits for the sends in flight: all of them after a pause, for at
// most the drain timeout once ctx has ended.
func (x *run) drain(ctx context.Context) {
	finished := make(chan struct{})
	go func() {
		x.wg.Wait()
		close(finished)
	}()
	if ctx.Err() == nil {
		<-finished
		return
	}
	select {
	case <-finished:
	case <-x.r.clock.After(x.r.drain):
		x.r.log.Warn("broadcast sends still in flight after the drain timeout", "campaign", x.id)
	}
}

// watch reads the stored state, to see a pause or cancel made elsewhere.
func (x *run) watch(ctx context.Context, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-x.r.clock.After(x.r.refresh):
		}
		b, err := x.r.bs.Get(ctx, x.id)
		if err != nil {
			continue
		}
		if State(b.State) != StateRunning {
			x.halt("")
			return
		}
	}
}

// idle reports whether no send is in flight and no retry waits.
func (x *run) idle() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.inflight == 0 && x.retries.Len() == 0
}

// waitWork waits for a send to finish or a retry to fall due.
func (x *run) waitWork(ctx context.Context) {
	x.mu.Lock()
	var due <-chan time.Time
	if x.retries.Len() > 0 {
		due = x.r.clock.After(max(x.retries[0].due.Sub(x.r.clock.Now()), 0))
	}
	x.mu.Unlock()
	select {
	case <-x.wake:
	case <-due:
	case <-ctx.Done():
	case <-x.stopped:
	}
}

// dueRetry takes the first retry that is due.
func (x *run) dueRetry(now time.Time) (storage.Recipient, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.retries.Len() == 0 || x.retries[0].due.After(now) {
		return storage.Recipient{}, false
	}
	return heap.Pop(&x.retries).(retryItem).rec, true
}

// finish ends one send: the recipient is queued again for a retry when
// retry is set.
func (x *run) finish(retry *retryItem) {
	x.mu.Lock()
	if retry != nil {
		heap.Push(&x.retries, *retry)
	}
	x.inflight--
	x.mu.Unlock()
	<-x.slots
	select {
	case x.wake <- struct{}{}:
	default:
	}
	x.wg.Done()
}

// holdFor holds every send back until at least until.
func (x *run) holdFor(until time.Time) {
	x.mu.Lock()
	if until.After(x.hold) {
		x.hold = until
	}
	x.mu.Unlock()
}

// throttled holds the campaign back after the line hit a limit, longer each
// time in a row, and returns when the hold ends.
func (x *run) throttled(now time.Time, after time.Duration) time.Time {
	x.mu.Lock()
	d := min(x.r.backoff<<min(x.throttles, 16), maxHold)
	x.throttles++
	d = max(d, after)
	until := now.Add(d)
	if until.After(x.hold) {
		x.hold = until
	}
	x.mu.Unlock()
	return until
}

func (x *run) sent() {
	x.mu.Lock()
	x.throttles = 0
	x.streak, x.streakReason = 0, ""
	x.mu.Unlock()
}

// failedFor counts a send that failed for good, and halts the campaign when
// too many in a row failed for the same reason: a template that is missing
// or paused fails every send, and should not use up the whole list.
func (x *run) failedFor(reason string) {
	x.mu.Lock()
	if reason == x.streakReason {
		x.streak++
	} else {
		x.streak, x.streakReason = 1, reason
	}
	n := x.streak
	x.mu.Unlock()
	if limit := x.r.failureLimit; limit > 0 && n >= limit {
		x.halt(fmt.Sprintf("%d sends in a row failed with %s", n, reason))
	}
}

// work waits for the send's turn, then checks and sends to one recipient
// and records the outcome.
func (x *run) work(ctx context.Context, rec storage.Recipient, turn time.Time) {
	var retry *retryItem
	defer func() { x.finish(retry) }()
	if !x.sleep(ctx, turn.Sub(x.r.clock.Now())) {
		return // stopped: the recipient is still queued
	}
	x.mu.Lock()
	hold := x.hold
	x.mu.Unlock()
	if hold.After(x.r.clock.Now()) {
		// The line was throttled after this turn was given out.
		retry = &retryItem{due: hold, rec: rec}
		return
	}
	retry = x.send(ctx, rec)
}

// send does the work of one recipient; it returns the retry to schedule, if
// any.
func (x *run) send(ctx context.Context, rec storage.Recipient) *retryItem {
	r := x.r
	bs := r.bs
	now := r.clock.Now()
	if rec.Contact.Identifier == "" {
		x.settle(ctx, rec, storage.RecipientQueued, storage.RecipientSkipped, "erased")
		return nil
	}
	later := func(d time.Duration) *retryItem {
		return &retryItem{due: now.Add(d), rec: rec}
	}
	ok, why, err := r.elig.Eligible(ctx, rec.Contact, x.spec.Purpose, now)
	if err != nil {
		if ctx.Err() != nil {
			return nil // still queued; picked up when the campaign runs again
		}
		r.log.WarnContext(ctx, "broadcast eligibility check failed", "campaign", x.id, "seq", rec.Seq, "err", err)
		return later(r.backoffFor(1))
	}
	if !ok {
		x.settle(ctx, rec, storage.RecipientQueued, storage.RecipientSkipped, why)
		return nil
	}
	if x.spec.Text != "" || r.daily != nil {
		c, err := r.store.Contacts().Get(ctx, rec.Contact)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			if ctx.Err() != nil {
				return nil
			}
			r.log.WarnContext(ctx, "broadcast contact lookup failed", "campaign", x.id, "seq", rec.Seq, "err", err)
			return later(r.backoffFor(1))
		}
		outside := c.LastInboundAt.IsZero() || now.Sub(c.LastInboundAt) >= dailyWindow
		switch {
		case outside && x.spec.Text != "":
			x.settle(ctx, rec, storage.RecipientQueued, storage.RecipientSkipped, "outside_window")
			return nil
		case outside && r.daily != nil:
			if ok, wait := r.daily.take(personKey(rec.Contact), now); !ok {
				x.holdFor(wait)
				r.log.InfoContext(ctx, "broadcast waiting for the daily messaging limit", "campaign", x.id, "until", wait)
				return &retryItem{due: wait, rec: rec}
			}
		}
	}
	msg, err := x.message(rec)
	if err != nil {
		x.settle(ctx, rec, storage.RecipientQueued, storage.RecipientFailed, "params")
		return nil
	}
	if ctx.Err() != nil {
		return nil
	}

	// Mark the intent before the request: from here on, a crash leaves the
	// recipient in sending, reported as unknown and never sent again.
	rec.State = storage.RecipientSending
	rec.Attempts++
	rec.UpdatedAt = now
	if err := bs.Transition(ctx, rec, storage.RecipientQueued); err != nil {
		if !errors.Is(err, storage.ErrConflict) && ctx.Err() == nil {
			r.log.WarnContext(ctx, "broadcast could not mark a send", "campaign", x.id, "seq", rec.Seq, "err", err)
			rec.State, rec.Attempts = storage.RecipientQueued, rec.Attempts-1
			return later(r.backoffFor(1))
		}
		return nil // changed elsewhere (erased, another runner): not ours to send
	}

	to := chat.Address{Channel: x.spec.channel(), Line: x.spec.Line, Contact: rec.Contact.Identifier}
	sctx := chat.WithIntent(context.WithoutCancel(ctx), chat.Intent{Purpose: x.spec.Purpose})
	sctx, cancel := context.WithTimeout(sctx, r.sendTimeout)
	res, sendErr := r.snd.Send(sctx, to, msg)
	cancel()
	bg := context.WithoutCancel(ctx)
	done := r.clock.Now()
	rec.UpdatedAt = done

	if sendErr == nil {
		x.sent()
		rec.State, rec.MessageID, rec.Reason = storage.RecipientSent, res.MessageID, ""
		if err := bs.Transition(bg, rec, storage.RecipientSending); err != nil {
			// The message went out; left in sending, it is reported as
			// unknown when the campaign runs again, never sent twice.
			r.log.ErrorContext(ctx, "broadcast could not record a send", "campaign", x.id, "seq", rec.Seq, "err", err)
		}
		return nil
	}

	o := r.classify(sendErr)
	reason := o.Reason
	if reason == "" {
		reason = o.Action.String()
	}
	r.log.InfoContext(ctx, "broadcast send failed", "campaign", x.id, "seq", rec.Seq, "action", o.Action.String(), "reason", reason)
	switch o.Action {
	case Retry:
		if rec.Attempts >= r.maxAttempts {
			x.settle(bg, rec, storage.RecipientSending, storage.RecipientFailed, reason)
			return nil
		}
		wait := max(o.After, jitter(r.backoffFor(rec.Attempts)))
		due := done.Add(wait)
		if o.Throttle {
			if until := x.throttled(done, o.After); until.After(due) {
				due = until
			}
		}
		rec.State, rec.Reason = storage.RecipientQueued, reason
		if err := bs.Transition(bg, rec, storage.RecipientSending); err != nil {
			r.log.ErrorContext(ctx, "broadcast could not requeue", "campaign", x.id, "seq", rec.Seq, "err", err)
			return nil
		}
		return &retryItem{due: due, rec: rec}
	case Stop:
		x.settle(bg, rec, storage.RecipientSending, storage.RecipientFailed, reason)
		x.failedFor(reason)
	case Fatal:
		// Nothing was sent: back to the queue, with the attempt not counted.
		rec.State, rec.Reason, rec.Attempts = storage.RecipientQueued, reason, rec.Attempts-1
		if err := bs.Transition(bg, rec, storage.RecipientSending); err != nil {
			r.log.ErrorContext(ctx, "broadcast could not requeue", "campaign", x.id, "seq", rec.Seq, "err", err)
		}
		x.halt(reason)
	default:
		x.settle(bg, rec, storage.RecipientSending, storage.RecipientUnknown, reason)
	}
	return nil
}

// settle records a final outcome.
func (x *run) settle(ctx context.Context, rec storage.Recipient, from, to storage.RecipientState, reason string) {
	rec.State, rec.Reason, rec.UpdatedAt = to, reason, x.r.clock.Now()
	if err := x.r.bs.Transition(ctx, rec, from); err != nil && !errors.Is(err, storage.ErrConflict) {
		x.r.log.ErrorContext(ctx, "broadcast could not record an outcome", "campaign", x.id, "seq", rec.Seq, "state", string(to), "err", err)
	}
}

// message builds what one recipient is sent.
func (x *run) message(rec storage.Recipient) (chat.Outgoing, error) {
	if x.spec.Template == nil {
		return chat.Text{Body: x.spec.Text}, nil
	}
	t := *x.spec.Template
	if len(rec.Params) > 0 {
		var ps []chat.Param
		if err := json.Unmarshal(rec.Params, &ps); err != nil {
			return nil, err
		}
		t.Body = ps
	}
	return t, nil
}

// jitter spreads d by up to a tenth either way.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

type retryItem struct {
	due time.Time
	rec storage.Recipient
}

// retryHeap orders retries by due time, then position.
type retryHeap []retryItem

func (h retryHeap) Len() int { return len(h) }
func (h retryHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].rec.Seq < h[j].rec.Seq
}
func (h retryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(v any)   { *h = append(*h, v.(retryItem)) }
func (h *retryHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

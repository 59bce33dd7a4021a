package broadcast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Defaults of a Runner.
const (
	DefaultThroughput = 80  // messages per second of a WhatsApp number
	DefaultShare      = 0.8 // of the throughput a campaign uses, leaving room for replies
	// MinWorkers is the fewest sends a campaign keeps in flight by default;
	// see WithWorkers.
	MinWorkers          = 16
	DefaultMaxAttempts  = 6
	DefaultBackoff      = time.Second
	DefaultMaxBackoff   = 5 * time.Minute
	DefaultSendTimeout  = time.Minute
	DefaultDrainTimeout = 10 * time.Second
	DefaultRefresh      = time.Second
	DefaultFailureLimit = 50
)

// State is where a campaign is.
type State string

// Campaign states.
const (
	StateDraft     State = "draft"     // being snapshotted
	StateRunning   State = "running"   // sending, or ready to be sent by Run
	StatePaused    State = "paused"    // stopped until Resume
	StateCancelled State = "cancelled" // stopped for good; the queued were never sent
	StateDone      State = "done"      // every recipient has an outcome
)

// Errors callers branch on.
var (
	// ErrAlreadyRunning: this Runner is already running the campaign.
	ErrAlreadyRunning = errors.New("broadcast: campaign already running")
	// ErrFinished: the campaign was cancelled or is done.
	ErrFinished = errors.New("broadcast: campaign finished")
	// ErrIncomplete: the snapshot of a campaign made from a list was
	// interrupted before any recipient was stored; start it again.
	ErrIncomplete = errors.New("broadcast: campaign snapshot incomplete")
	// ErrHalted: the runner paused the campaign because of an error every
	// send would meet (see Fatal); Progress.Halt says which.
	ErrHalted = errors.New("broadcast: campaign halted")
)

// Store is the part of a storage.Store a Runner uses.
type Store interface {
	Broadcasts() storage.Broadcasts
	Contacts() storage.Contacts
	Consent() storage.ConsentLog
}

// Clock tells the time and waits. The default is the system clock; tests
// inject their own or run under testing/synctest.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Campaign is a stored campaign.
type Campaign struct {
	ID        string
	Spec      Spec // without Segment.List, which is kept only in the recipients
	State     State
	Halt      string // why the runner paused it by itself, if it did
	CreatedAt time.Time
	UpdatedAt time.Time
	// Recipients is how many people the snapshot holds.
	Recipients int
	// Excluded counts, by reason, the people of the segment left out at the
	// snapshot (no consent, a missing parameter field). Set by Start only.
	Excluded map[string]int
}

// Runner starts, runs, pauses, resumes and cancels campaigns, and keeps their
// recipients' states up to date from delivery statuses. It is safe for
// concurrent use; a campaign runs in one process at a time.
type Runner struct {
	store    Store
	bs       storage.Broadcasts
	snd      chat.Sender
	clock    Clock
	ids      func() string
	log      *slog.Logger
	elig     Eligibility
	classify Classifier

	throughput   int
	share        float64
	workers      int
	dailyLimit   int
	maxAttempts  int
	backoff      time.Duration
	maxBackoff   time.Duration
	sendTimeout  time.Duration
	drain        time.Duration
	refresh      time.Duration
	failureLimit int

	daily *daily

	mu      sync.Mutex
	running map[string]*run
	// limiters pace each line (channel and line), shared by every campaign
	// running on it: two campaigns on one line keep to its rate together.
	limiters map[string]*rate.Limiter
}

// Option configures a Runner.
type Option func(*Runner) error

// WithClock sets the clock the runner reads and waits on.
func WithClock(c Clock) Option {
	return func(r *Runner) error {
		if c == nil {
			return errors.New("WithClock: clock is nil")
		}
		r.clock = c
		return nil
	}
}

// WithIDs sets the source of campaign ids (default: random UUIDs).
func WithIDs(next func() string) Option {
	return func(r *Runner) error {
		if next == nil {
			return errors.New("WithIDs: id source is nil")
		}
		r.ids = next
		return nil
	}
}

// WithLogger sets the logger (default: discard). The runner logs campaign
// ids, positions and reason codes, never numbers, names or message text.
func WithLogger(l *slog.Logger) Option {
	return func(r *Runner) error {
		if l == nil {
			return errors.New("WithLogger: logger is nil")
		}
		r.log = l
		return nil
	}
}

// WithEligibility sets who may receive a campaign (default
// ConsentEligibility over the store's consent ledger).
func WithEligibility(e Eligibility) Option {
	return func(r *Runner) error {
		if e == nil {
			return errors.New("WithEligibility: eligibility is nil")
		}
		r.elig = e
		return nil
	}
}

// WithClassifier sets how send errors are understood (default
// DefaultClassifier). Lines pass their channel's classifier.
func WithClassifier(c Classifier) Option {
	return func(r *Runner) error {
		if c == nil {
			return errors.New("WithClassifier: classifier is nil")
		}
		r.classify = c
		return nil
	}
}

// WithThroughput sets the line's throughput in messages per second (default
// DefaultThroughput; WhatsApp numbers are upgraded to 1,000). Campaigns use
// the share of it set by WithShare.
func WithThroughput(perSecond int) Option {
	return func(r *Runner) error {
		if perSecond < 1 || perSecond > 10_000 {
			return fmt.Errorf("WithThroughput: %d messages per second; want 1 to 10000", perSecond)
		}
		r.throughput = perSecond
		return nil
	}
}

// WithShare sets the fraction of the throughput a campaign may use, above 0
// and at most 1 (default DefaultShare, leaving the rest for replies).
func WithShare(f float64) Option {
	return func(r *Runner) error {
		if !(f > 0 && f <= 1) {
			return fmt.Errorf("WithShare: %v; want more than 0 and at most 1", f)
		}
		r.share = f
		return nil
	}
}

// WithWorkers sets how many sends may be in flight at once. By default a
// campaign keeps enough in flight for sends that take half a second at its
// rate (at least MinWorkers): 32 at 64 messages a second, 500 at 1,000.
func WithWorkers(n int) Option {
	return func(r *Runner) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("WithWorkers: %d; want 1 to 1024", n)
		}
		r.workers = n
		return nil
	}
}

// WithDailyLimit sets the business's messaging limit: how many distinct
// people outside their 24-hour window it may message in a moving 24 hours
// (Tier250, Tier2K, Tier10K, Tier100K, or TierUnlimited, the default).
// When it is reached the campaign waits for the oldest counted person to
// leave the window. The count lives in the runner: after a restart, every
// recipient the campaign sent to in the last 24 hours is counted again, inside
// their window or not, which can only err on the side of the limit.
func WithDailyLimit(n int) Option {
	return func(r *Runner) error {
		if n < 0 {
			return fmt.Errorf("WithDailyLimit: %d is negative; use TierUnlimited (0) for no limit", n)
		}
		r.dailyLimit = n
		return nil
	}
}

// WithMaxAttempts sets how many times one recipient is tried before a
// retryable error becomes a failure (default DefaultMaxAttempts).
func WithMaxAttempts(n int) Option {
	return func(r *Runner) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("WithMaxAttempts: %d; want 1 to 100", n)
		}
		r.maxAttempts = n
		return nil
	}
}

// WithBackoff sets the wait before a recipient's second attempt, growing
// fourfold with each attempt (WhatsApp's advice for its pair rate limit) up to
// max (defaults DefaultBackoff and DefaultMaxBackoff).
func WithBackoff(initial, max time.Duration) Option {
	return func(r *Runner) error {
		if initial <= 0 || max < initial {
			return fmt.Errorf("WithBackoff: initial %v, max %v; want 0 < initial <= max", initial, max)
		}
		r.backoff, r.maxBackoff = initial, max
		return nil
	}
}

// WithSendTimeout bounds one send (default DefaultSendTimeout). A send that
// times out has an unknown outcome.
func WithSendTimeout(d time.Duration) Option {
	return func(r *Runner) error {
		if d <= 0 {
			return fmt.Errorf("WithSendTimeout: %v; want more than 0", d)
		}
		r.sendTimeout = d
		return nil
	}
}

// WithDrainTimeout sets how long Run waits for sends in flight once its
// context ends (default DefaultDrainTimeout). Sends still running then are
// left in state sending, and become unknown when the campaign runs again.
func WithDrainTimeout(d time.Duration) Option {
	return func(r *Runner) error {
		if d < 0 {
			return fmt.Errorf("WithDrainTimeout: %v is negative", d)
		}
		r.drain = d
		return nil
	}
}

// WithRefresh sets how often Run reads the campaign's stored state, to see a
// pause or cancel made by another process (default DefaultRefresh).
func WithRefresh(d time.Duration) Option {
	return func(r *Runner) error {
		if d <= 0 {
			return fmt.Errorf("WithRefresh: %v; want more than 0", d)
		}
		r.refresh = d
		return nil
	}
}

// WithFailureLimit pauses a campaign when n sends in a row fail for good
// with the same reason (default DefaultFailureLimit; 0 never pauses): a
// missing or paused template fails every send, and should not use up the
// list. The campaign's Halt says why; the n recipients stay failed.
func WithFailureLimit(n int) Option {
	return func(r *Runner) error {
		if n < 0 {
			return fmt.Errorf("WithFailureLimit: %d is negative; use 0 to never pause", n)
		}
		r.failureLimit = n
		return nil
	}
}

// New returns a Runner keeping campaigns in store and sending through snd.
func New(store Store, snd chat.Sender, opts ...Option) (*Runner, error) {
	if store == nil {
		return nil, errors.New("broadcast: store is nil")
	}
	if snd == nil {
		return nil, errors.New("broadcast: sender is nil")
	}
	r := &Runner{
		store:        store,
		bs:           store.Broadcasts(),
		snd:          snd,
		clock:        systemClock{},
		ids:          uuid.NewString,
		log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		classify:     DefaultClassifier,
		throughput:   DefaultThroughput,
		share:        DefaultShare,
		maxAttempts:  DefaultMaxAttempts,
		backoff:      DefaultBackoff,
		maxBackoff:   DefaultMaxBackoff,
		sendTimeout:  DefaultSendTimeout,
		drain:        DefaultDrainTimeout,
		refresh:      DefaultRefresh,
		failureLimit: DefaultFailureLimit,
		running:      make(map[string]*run),
		limiters:     make(map[string]*rate.Limiter),
	}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, fmt.Errorf("broadcast: %w", err)
		}
	}
	if r.elig == nil {
		r.elig = ConsentEligibility{Log: store.Consent()}
	}
	if r.dailyLimit > 0 {
		r.daily = newDaily(r.dailyLimit)
	}
	return r, nil
}

// inFlight is how many sends a campaign may have in flight.
func (r *Runner) inFlight() int {
	if r.workers > 0 {
		return r.workers
	}
	return min(max(MinWorkers, int(math.Ceil(r.Rate()/2))), 1024)
}

// Rate is the number of messages per second a campaign sends at.
func (r *Runner) Rate() float64 { return float64(r.throughput) * r.share }

// Start stores a campaign and snapshots its recipients: the people of the
// segment who are eligible now, each with their parameters. It does not
// send; Run does. The snapshot is stored in one batch, so a campaign either
// has all its recipients or none.
func (r *Runner) Start(ctx context.Context, spec Spec) (Campaign, error) {
	if err := spec.Validate(); err != nil {
		return Campaign{}, fmt.Errorf("broadcast start: %w", err)
	}
	id := r.ids()
	if id == "" {
		return Campaign{}, errors.New("broadcast start: the id source returned an empty id")
	}
	body, err := encodeStored(stored{Spec: spec, List: len(spec.Segment.List) > 0})
	if err != nil {
		return Campaign{}, fmt.Errorf("broadcast start: %w", err)
	}
	now := r.clock.Now()
	b := storage.Broadcast{ID: id, Name: spec.Name, State: string(StateDraft), Spec: body, CreatedAt: now, UpdatedAt: now}
	if err := r.bs.Create(ctx, b); err != nil {
		return Campaign{}, fmt.Errorf("broadcast start: %w", err)
	}
	c, err := r.snapshot(ctx, id, spec)
	if err != nil {
		return Campaign{}, fmt.Errorf("broadcast start %s: %w", id, err)
	}
	r.log.InfoContext(ctx, "broadcast snapshot", "campaign", id, "recipients", c.Recipients, "excluded", len(c.Excluded))
	return c, nil
}

// snapshot stores the recipients of a draft campaign and marks it running.
func (r *Runner) snapshot(ctx context.Context, id string, spec Spec) (Campaign, error) {
	now := r.clock.Now()
	excluded := make(map[string]int)
	seen := make(map[storage.ContactRef]bool)
	var rs []storage.Recipient
	consider := func(ref storage.ContactRef, c *storage.Contact, params []chat.Param) error {
		if seen[ref] {
			return nil
		}
		seen[ref] = true
		if spec.Segment.filters() && (c == nil || !spec.Segment.matches(*c)) {
			return nil
		}
		ok, why, err := r.elig.Eligible(ctx, ref, spec.Purpose, now)
		if err != nil {
			return err
		}
		if !ok {
			excluded[why]++
			return nil
		}
		if len(params) == 0 && len(spec.ParamFields) > 0 {
			var missing bool
			params, missing = fieldParams(spec, c)
			if missing {
				excluded["missing_field"]++
				return nil
			}
		}
		rec := storage.Recipient{Seq: int64(len(rs) + 1), Contact: ref, UpdatedAt: now}
		if len(params) > 0 {
			b, err := json.Marshal(params)
			if err != nil {
				return err
			}
			rec.Params = b
		}
		rs = append(rs, rec)
		return nil
	}
	if len(spec.Segment.List) > 0 {
		cs := r.store.Contacts()
		for _, t := range spec.Segment.List {
			var cp *storage.Contact
			c, err := cs.Get(ctx, t.Contact)
			switch {
			case err == nil:
				cp = &c
			case !errors.Is(err, storage.ErrNotFound):
				return Campaign{}, fmt.Errorf("snapshot: %w", err)
			}
			if err := consider(t.Contact, cp, t.Params); err != nil {
				return Campaign{}, fmt.Errorf("snapshot: %w", err)
			}
		}
	} else {
		for c, err := range r.store.Contacts().List(ctx) {
			if err != nil {
				return Campaign{}, fmt.Errorf("snapshot: %w", err)
			}
			if c.Ref.Channel != spec.channel() {
				continue
			}
			if err := consider(c.Ref, &c, nil); err != nil {
				return Campaign{}, fmt.Errorf("snapshot: %w", err)
			}
		}
	}
	if len(rs) > 0 {
		if err := r.bs.AddRecipients(ctx, id, rs); err != nil {
			return Campaign{}, fmt.Errorf("snapshot: %w", err)
		}
	}
	b, err := r.setState(ctx, id, func(b *storage.Broadcast, _ *stored) bool {
		if State(b.State) != StateDraft {
			return false
		}
		b.State = string(StateRunning)
		return true
	})
	if err != nil {
		return Campaign{}, err
	}
	c, err := toCampaign(b)
	if err != nil {
		return Campaign{}, err
	}
	c.Recipients = len(rs)
	c.Excluded = excluded
	return c, nil
}

// fieldParams fills the template's body parameters from the contact's
// fields; missing reports a field absent with no template value to fall back
// on.
func fieldParams(spec Spec, c *storage.Contact) (ps []chat.Param, missing bool) {
	base := spec.Template.Body
	n := max(len(base), len(spec.ParamFields))
	ps = make([]chat.Param, n)
	copy(ps, base)
	for i, f := range spec.ParamFields {
		v, ok := "", false
		if c != nil {
			v, ok = c.Fields[f]
		}
		switch {
		case ok && v != "":
			ps[i].Value = v
		case i < len(base) && base[i].Value != "":
		default:
			return nil, true
		}
	}
	return ps, false
}

func toCampaign(b storage.Broadcast) (Campaign, error) {
	st, err := decodeStored(b.Spec)
	if err != nil {
		return Campaign{}, err
	}
	return Campaign{ID: b.ID, Spec: st.Spec, State: State(b.State), Halt: st.Halt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}, nil
}

// Campaign returns the stored campaign id.
func (r *Runner) Campaign(ctx context.Context, id string) (Campaign, error) {
	b, err := r.bs.Get(ctx, id)
	if err != nil {
		return Campaign{}, fmt.Errorf("broadcast campaign: %w", err)
	}
	c, err := toCampaign(b)
	if err != nil {
		return Campaign{}, fmt.Errorf("broadcast campaign %s: %w", id, err)
	}
	counts, err := r.bs.Counts(ctx, id)
	if err != nil {
		return Campaign{}, fmt.Errorf("broadcast campaign %s: %w", id, err)
	}
	for _, n := range counts {
		c.Recipients += n
	}
	return c, nil
}

// setState changes the stored campaign with change (which reports whether
// anything changed), retrying when another writer got there first.
func (r *Runner) setState(ctx context.Context, id string, change func(*storage.Broadcast, *stored) bool) (storage.Broadcast, error) {
	for range 10 {
		b, err := r.bs.Get(ctx, id)
		if err != nil {
			return b, err
		}
		st, err := decodeStored(b.Spec)
		if err != nil {
			return b, err
		}
		if !change(&b, &st) {
			return b, nil
		}
		if b.Spec, err = encodeStored(st); err != nil {
			return b, err
		}
		out, err := r.bs.Update(ctx, b)
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		return out, err
	}
	return storage.Broadcast{}, fmt.Errorf("campaign %s changed too often: %w", id, storage.ErrConflict)
}

// Pause stops a running campaign after the sends in flight; Resume and Run
// go on where it stopped. Pausing a paused campaign is not an error.
func (r *Runner) Pause(ctx context.Context, id string) error {
	_, err := r.setState(ctx, id, func(b *storage.Broadcast, _ *stored) bool {
		if State(b.State) != StateRunning {
			return false
		}
		b.State = string(StatePaused)
		return true
	})
	if err != nil {
		return fmt.Errorf("broadcast pause: %w", err)
	}
	r.signal(id)
	return nil
}

// Resume makes a paused campaign running again; call Run to send. Resuming a
// running campaign is not an error; a cancelled or done one is ErrFinished.
func (r *Runner) Resume(ctx context.Context, id string) error {
	var finished State
	_, err := r.setState(ctx, id, func(b *storage.Broadcast, st *stored) bool {
		switch State(b.State) {
		case StateCancelled, StateDone:
			finished = State(b.State)
			return false
		case StatePaused:
			b.State = string(StateRunning)
			st.Halt = ""
			return true
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("broadcast resume: %w", err)
	}
	if finished != "" {
		return fmt.Errorf("broadcast resume %s: campaign is %s: %w", id, finished, ErrFinished)
	}
	return nil
}

// Cancel stops a campaign for good: the recipients still queued are never
// sent to. Cancelling a done or cancelled campaign is not an error.
func (r *Runner) Cancel(ctx context.Context, id string) error {
	_, err := r.setState(ctx, id, func(b *storage.Broadcast, _ *stored) bool {
		switch State(b.State) {
		case StateCancelled, StateDone:
			return false
		}
		b.State = string(StateCancelled)
		return true
	})
	if err != nil {
		return fmt.Errorf("broadcast cancel: %w", err)
	}
	r.signal(id)
	return nil
}

func (r *Runner) signal(id string) {
	r.mu.Lock()
	x := r.running[id]
	r.mu.Unlock()
	if x != nil {
		x.halt("")
	}
}

// backoffFor is the wait after a recipient's n-th failed attempt.
func (r *Runner) backoffFor(n int) time.Duration {
	d := float64(r.backoff) * math.Pow(4, float64(max(n-1, 0)))
	if d > float64(r.maxBackoff) {
		return r.maxBackoff
	}
	return time.Duration(d)
}

// limiter returns the pacing of the line a campaign goes out on, shared by
// every campaign of this Runner on that line.
func (r *Runner) limiter(s *Spec) *rate.Limiter {
	k := s.channel() + "\x00" + s.Line
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.limiters[k]; l != nil {
		return l
	}
	// A burst of one spaces sends evenly: no second ever holds more than
	// the rate plus one.
	l := rate.NewLimiter(rate.Limit(r.Rate()), 1)
	r.limiters[k] = l
	return l
}

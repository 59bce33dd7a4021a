package consent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Canceller stops messages already scheduled for a person (follow-ups,
// broadcast recipients, retries) when they withdraw. A line plugs in one per
// component that sends on its own.
type Canceller interface {
	CancelPending(ctx context.Context, ref storage.ContactRef) error
}

// CancellerFunc adapts a function to Canceller.
type CancellerFunc func(ctx context.Context, ref storage.ContactRef) error

// CancelPending calls f.
func (f CancellerFunc) CancelPending(ctx context.Context, ref storage.ContactRef) error {
	return f(ctx, ref)
}

// HoldCheck says whether something outside the ledger must delay the
// erasure of a person's data, such as an open safeguarding case. It returns
// nil when nothing does.
type HoldCheck func(ctx context.Context, ref storage.ContactRef) (*Hold, error)

// Option configures a Service.
type Option func(*Service) error

// WithClock sets the clock; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Service) error {
		if now == nil {
			return errors.New("consent: WithClock: clock is nil")
		}
		s.now = now
		return nil
	}
}

// WithIDs sets the source of event ids; the default is random UUIDs.
func WithIDs(next func() string) Option {
	return func(s *Service) error {
		if next == nil {
			return errors.New("consent: WithIDs: id source is nil")
		}
		s.newID = next
		return nil
	}
}

// WithLogger sets the logger; the default discards. Nothing personal is
// ever logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) error {
		if l == nil {
			return errors.New("consent: WithLogger: logger is nil")
		}
		s.log = l
		return nil
	}
}

// WithKeywords sets the control words; the default is DefaultKeywords.
func WithKeywords(k *Keywords) Option {
	return func(s *Service) error {
		if k == nil {
			return errors.New("consent: WithKeywords: keywords are nil")
		}
		s.keywords = k
		return nil
	}
}

// WithCanceller adds a Canceller told about every withdrawal and erasure.
func WithCanceller(c Canceller) Option {
	return func(s *Service) error {
		if c == nil {
			return errors.New("consent: WithCanceller: canceller is nil")
		}
		s.cancellers = append(s.cancellers, c)
		return nil
	}
}

// WithHoldCheck adds a check run before every erasure.
func WithHoldCheck(h HoldCheck) Option {
	return func(s *Service) error {
		if h == nil {
			return errors.New("consent: WithHoldCheck: check is nil")
		}
		s.holdChecks = append(s.holdChecks, h)
		return nil
	}
}

// WithUrgentCaseHold sets the ticket priority from which an open ticket
// holds an erasure (default 2, urgent) and how long until the hold is
// reviewed (default 30 days). A negative priority turns the check off.
func WithUrgentCaseHold(priority int, review time.Duration) Option {
	return func(s *Service) error {
		if review <= 0 {
			return fmt.Errorf("consent: WithUrgentCaseHold: review is %v; it must be positive", review)
		}
		s.holdPriority, s.holdReview = priority, review
		return nil
	}
}

// WithPromptWindow sets how long after showing a notice the same notice is
// not shown again (default 24 hours, WhatsApp's conversation window).
func WithPromptWindow(d time.Duration) Option {
	return func(s *Service) error {
		if d < 0 {
			return fmt.Errorf("consent: WithPromptWindow: window is %v; it must not be negative", d)
		}
		s.window = d
		return nil
	}
}

// WithDeclinedRetention sets how long the minimal record of a person who
// declined, or never answered, is kept before Sweep forgets it (default 90
// days).
func WithDeclinedRetention(d time.Duration) Option {
	return func(s *Service) error {
		if d <= 0 {
			return fmt.Errorf("consent: WithDeclinedRetention: %v; it must be positive", d)
		}
		s.declinedRetention = d
		return nil
	}
}

// WithLanguageHint sets how the language of a first notice is chosen when
// the message is not a control word; it returns a language tag or "". The
// default recognises the script of the message (Arabic, Cyrillic).
func WithLanguageHint(f func(m *chat.Message) string) Option {
	return func(s *Service) error {
		if f == nil {
			return errors.New("consent: WithLanguageHint: function is nil")
		}
		s.hint = f
		return nil
	}
}

// WithExportSink sets where exports asked for in the chat go (a staff
// queue, a case system). Without one, the request is recorded for staff and
// nothing is produced. Exports are never sent into the chat.
func WithExportSink(f func(ctx context.Context, e *Export) error) Option {
	return func(s *Service) error {
		if f == nil {
			return errors.New("consent: WithExportSink: function is nil")
		}
		s.exportSink = f
		return nil
	}
}

// WithController sets the organisation named in Kantara receipts.
func WithController(c Controller) Option {
	return func(s *Service) error {
		s.controller = c
		return nil
	}
}

// Service keeps the consent ledger of a line and enforces it: Gate on the
// way in, Guard on the way out, and the rights actions (withdraw, erase,
// export) in between. It is safe for concurrent use; it holds no state of its
// own beyond its configuration.
type Service struct {
	store   storage.Store
	notices atomic.Pointer[Notices]

	keywords          *Keywords
	now               func() time.Time
	newID             func() string
	log               *slog.Logger
	cancellers        []Canceller
	holdChecks        []HoldCheck
	holdPriority      int
	holdReview        time.Duration
	window            time.Duration
	declinedRetention time.Duration
	hint              func(m *chat.Message) string
	exportSink        func(ctx context.Context, e *Export) error
	controller        Controller
}

// New returns a Service keeping its ledger in store and showing notices.
func New(store storage.Store, notices *Notices, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, errors.New("consent: New: store is nil")
	}
	if notices == nil || len(notices.byLang) == 0 {
		return nil, fmt.Errorf("consent: New: %w", ErrNoNotice)
	}
	s := &Service{
		store: store,
		now:   time.Now, newID: uuid.NewString,
		log:               slog.New(slog.DiscardHandler),
		holdPriority:      2,
		holdReview:        30 * 24 * time.Hour,
		window:            24 * time.Hour,
		declinedRetention: 90 * 24 * time.Hour,
	}
	s.notices.Store(notices)
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.keywords == nil {
		s.keywords = DefaultKeywords()
	}
	if s.hint == nil {
		s.hint = s.scriptHint
	}
	if s.holdPriority >= 0 {
		s.holdChecks = append([]HoldCheck{s.urgentCaseHold}, s.holdChecks...)
	}
	return s, nil
}

// Notices returns the notices the service shows.
func (s *Service) Notices() *Notices { return s.notices.Load() }

// SetNotices publishes a new set of notices, for lines that reload edited
// files without restarting. People whose consent a material change no
// longer covers are asked again on their next message; run Sweep to record
// that for everyone at once.
func (s *Service) SetNotices(ns *Notices) error {
	if ns == nil || len(ns.byLang) == 0 {
		return fmt.Errorf("consent: SetNotices: %w", ErrNoNotice)
	}
	s.notices.Store(ns)
	return nil
}

// ContactOf returns the storage reference of the person at a.
func ContactOf(a chat.Address) storage.ContactRef {
	return storage.ContactRef{Channel: a.Channel, Identifier: a.Contact}
}

func refOf(a chat.Address) storage.ContactRef { return ContactOf(a) }

// State returns the person's consent state; found is false for a person the
// ledger has never seen.
func (s *Service) State(ctx context.Context, ref storage.ContactRef) (st storage.ConsentState, found bool, err error) {
	st, err = s.store.Consent().State(ctx, ref)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.ConsentState{}, false, nil
	}
	if err != nil {
		return storage.ConsentState{}, false, fmt.Errorf("consent: state: %w", err)
	}
	return st, true, nil
}

// History returns the person's ledger, oldest first.
func (s *Service) History(ctx context.Context, ref storage.ContactRef) ([]storage.ConsentEvent, error) {
	h, err := s.store.Consent().History(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("consent: history: %w", err)
	}
	return h, nil
}

// entry is an event being written, before ids, times and hashes.
type entry struct {
	typ      EventType
	purposes []chat.Purpose
	notice   *Notice // nil: keep the state's notice
	lang     string
	method   string
	evidence string
	actor    string
	basis    Basis
	reason   string
	reviewAt time.Time
	occurred time.Time
	prompt   bool // a notice was sent: count it
}

// appendEvent writes e for ref on top of the latest state, retrying when
// another writer got there first, and returns the new state.
func (s *Service) appendEvent(ctx context.Context, ref storage.ContactRef, en entry) (storage.ConsentState, error) {
	log := s.store.Consent()
	forgetState(ctx)
	for attempt := 0; ; attempt++ {
		st, found, err := s.State(ctx, ref)
		if err != nil {
			return st, err
		}
		prevHash := ""
		if found && st.LastEvent != "" {
			h, err := log.History(ctx, ref)
			if err != nil {
				return st, fmt.Errorf("consent: append: %w", err)
			}
			if len(h) > 0 {
				prevHash = h[len(h)-1].EventHash
			}
		}
		now := s.now().UTC()
		occurred := en.occurred
		if occurred.IsZero() {
			occurred = now
		}
		e := storage.ConsentEvent{
			ID: s.newID(), Contact: ref, Type: string(en.typ), Purposes: purposeStrings(en.purposes),
			Language: en.lang, Method: en.method, Evidence: en.evidence, Actor: en.actor,
			Basis: string(en.basis), Reason: en.reason, ReviewAt: en.reviewAt.UTC(),
			OccurredAt: occurred.UTC(), RecordedAt: now, PrevHash: prevHash,
		}
		if en.notice != nil {
			e.Notice, e.Hash = en.notice.Version, en.notice.Hash
		} else {
			e.Notice, e.Hash = st.Notice, st.Hash
		}
		if e.Language == "" {
			e.Language = st.Language
		}
		e.EventHash = EventHash(e)
		next := s.project(st, found, ref, e, en)
		err = log.Append(ctx, e, st.LastEvent, next)
		if errors.Is(err, storage.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("consent: record %s: %w", en.typ, err)
		}
		s.log.LogAttrs(ctx, slog.LevelDebug, "consent event", slog.String("type", e.Type), slog.String("event", e.ID))
		return next, nil
	}
}

// project applies e to st: the state is a pure function of the events.
func (s *Service) project(st storage.ConsentState, found bool, ref storage.ContactRef, e storage.ConsentEvent, en entry) storage.ConsentState {
	next := st
	if !found {
		next = storage.ConsentState{}
	}
	next.Contact = ref
	next.Purposes = maps.Clone(st.Purposes)
	if next.Purposes == nil {
		next.Purposes = map[string]storage.PurposeState{}
	}
	next.LastEvent = e.ID
	next.UpdatedAt = e.RecordedAt
	if e.Language != "" && en.notice != nil {
		// the person's language is the language of the notice they saw
		next.Language = e.Language
	}
	set := func(state State, basis string) {
		for _, p := range e.Purposes {
			ps := storage.PurposeState{State: string(state), Basis: basis, Since: e.OccurredAt}
			if state == StateGranted && en.notice != nil {
				if t, ok := en.notice.Terms(chat.Purpose(p)); ok && t.ConsentTTL > 0 {
					ps.ExpiresAt = e.OccurredAt.Add(t.ConsentTTL)
				}
			}
			next.Purposes[p] = ps
		}
	}
	switch EventType(e.Type) {
	case EventPresented:
		for _, p := range e.Purposes {
			ps := next.Purposes[p]
			switch State(ps.State) {
			case StateGranted, StateReconsent:
				// an audio replay or a re-ask keeps the answer pending as it was
			default:
				next.Purposes[p] = storage.PurposeState{State: string(StatePresented), Since: e.OccurredAt}
			}
		}
		next.Notice, next.Hash = e.Notice, e.Hash
		next.Prompts++
		next.PromptAt = e.RecordedAt
	case EventGranted, EventReconfirmed:
		set(StateGranted, e.Basis)
		next.Notice, next.Hash = e.Notice, e.Hash
		next.Prompts = 0
		next.Erased = false
	case EventDeclined:
		set(StateDeclined, e.Basis)
		next.Notice, next.Hash = e.Notice, e.Hash
		next.Prompts = 0
	case EventWithdrawn:
		set(StateWithdrawn, e.Basis)
	case EventReconsentRequired:
		set(StateReconsent, e.Basis)
	case EventExpired:
		set(StateExpired, e.Basis)
	case EventObjected:
		set(StateObjected, e.Basis)
	case EventRestricted:
		set(StateRestricted, e.Basis)
	case EventErasureRequested:
		for p, ps := range next.Purposes {
			if State(ps.State) != StateDeclined && State(ps.State) != StateErased {
				next.Purposes[p] = storage.PurposeState{State: string(StateWithdrawn), Basis: ps.Basis, Since: e.OccurredAt}
			}
		}
	case EventErased:
		for p, ps := range next.Purposes {
			next.Purposes[p] = storage.PurposeState{State: string(StateErased), Basis: ps.Basis, Since: e.OccurredAt}
		}
		next.Erased = true
		next.Hold = false
		// A clean start: a notice shown before the erasure is neither
		// waiting for an answer (the person's next message gets the notice
		// again) nor answerable (a tap on its old button is not consent).
		next.Prompts, next.PromptAt = 0, time.Time{}
	case EventExportRequested:
		// Answering the request is a legal obligation (GDPR Art. 12, 15):
		// the ledger names the person again, sealed, so that staff can
		// reach them, even after their data was erased (a person who
		// declined and then asks what is kept). What else is kept of them
		// goes once the request is answered (see Export).
		next.Erased = false
	case EventHoldPlaced:
		next.Hold = true
	case EventHoldReleased:
		next.Hold = false
	}
	return next
}

func purposeStrings(ps []chat.Purpose) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// messageEvidence is the evidence the ledger keeps of a channel message: the
// SHA-256 of its id, which the id, from the platform or the person's phone,
// can be checked against, while the ledger, which outlives an erasure, does
// not hold the id itself (a WhatsApp id spells the person's number).
func messageEvidence(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// EventHash returns the hash that chains e to the event before it: SHA-256
// over PrevHash and every field except the contact (which a store empties
// after erasure) and EventHash itself. Times count to the second, so that
// every store's time precision gives the same hash.
func EventHash(e storage.ConsentEvent) string {
	purposes := e.Purposes
	if purposes == nil {
		purposes = []string{}
	}
	unix := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.Unix()
	}
	b, _ := json.Marshal([]any{
		"impactchat-consent-v1", e.PrevHash, e.ID, e.Type, purposes, e.Notice, e.Hash, e.Language,
		e.Method, e.Evidence, e.Actor, e.Basis, e.Reason, unix(e.ReviewAt), unix(e.OccurredAt), unix(e.RecordedAt),
	})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ErrTampered means a person's ledger does not verify: an event was
// changed, removed or inserted.
var ErrTampered = errors.New("consent: ledger does not verify")

// Verify checks the hash chain of the person's ledger and that the stored
// state points at its last event.
func (s *Service) Verify(ctx context.Context, ref storage.ContactRef) error {
	h, err := s.History(ctx, ref)
	if err != nil {
		return err
	}
	prev := ""
	for i, e := range h {
		if e.PrevHash != prev {
			return fmt.Errorf("%w: event %d (%s) does not follow the one before it", ErrTampered, i, e.ID)
		}
		if EventHash(e) != e.EventHash {
			return fmt.Errorf("%w: event %d (%s) was changed", ErrTampered, i, e.ID)
		}
		prev = e.EventHash
	}
	st, found, err := s.State(ctx, ref)
	if err != nil {
		return err
	}
	if found && len(h) > 0 && st.LastEvent != h[len(h)-1].ID {
		return fmt.Errorf("%w: the state does not point at the last event", ErrTampered)
	}
	return nil
}

// Allowed reports whether purpose p may be served to the person in state
// st (found false: never seen) at now, and the state that decided it.
// The core purpose needs the core granted, unexpired and covered by the
// current notice; an optional purpose needs the same of both itself and the
// core. Optional purposes never gate the core one.
func (s *Service) Allowed(st storage.ConsentState, found bool, p chat.Purpose, now time.Time) (bool, State) {
	if !found {
		return false, StateUnknown
	}
	if ok, why := s.purposeOK(st, chat.PurposeCore, now); !ok {
		return false, why
	}
	if p == chat.PurposeCore {
		return true, StateGranted
	}
	return s.purposeOK(st, p, now)
}

func (s *Service) purposeOK(st storage.ConsentState, p chat.Purpose, now time.Time) (bool, State) {
	ps, ok := st.Purposes[string(p)]
	if !ok {
		return false, StateUnknown
	}
	if State(ps.State) != StateGranted {
		return false, State(ps.State)
	}
	if !ps.ExpiresAt.IsZero() && !now.Before(ps.ExpiresAt) {
		return false, StateExpired
	}
	if !s.notices.Load().Get(st.Language).Covers(st.Notice) {
		return false, StateReconsent
	}
	return true, StateGranted
}

// allPurposes returns every purpose the person's state or the notice names,
// core first.
func allPurposes(st storage.ConsentState, n *Notice) []chat.Purpose {
	set := map[chat.Purpose]bool{chat.PurposeCore: true}
	for p := range st.Purposes {
		set[chat.Purpose(p)] = true
	}
	if n != nil {
		for _, t := range n.Purposes {
			set[t.Purpose] = true
		}
	}
	out := []chat.Purpose{chat.PurposeCore}
	rest := make([]chat.Purpose, 0, len(set))
	for p := range set {
		if p != chat.PurposeCore {
			rest = append(rest, p)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

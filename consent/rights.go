package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Withdraw records the withdrawal of req.Purposes (all purposes when empty)
// and, when the core purpose is withdrawn, deletes the person's open flow
// session and tells every Canceller to drop pending sends. It returns once
// the ledger says so, so that Guard refuses the very next send. Withdrawing
// optional purposes only leaves the core service untouched.
func (s *Service) Withdraw(ctx context.Context, ref storage.ContactRef, req Request) error {
	return s.stopPurposes(ctx, ref, req, EventWithdrawn)
}

// Object records that the person objects to req.Purposes (all when empty)
// resting on public or legitimate interest (GDPR Art. 21); Restrict records
// that their processing is restricted while a dispute is settled (Art. 18).
// Both stop the purposes as a withdrawal does and cancel pending sends.
func (s *Service) Object(ctx context.Context, ref storage.ContactRef, req Request) error {
	return s.stopPurposes(ctx, ref, req, EventObjected)
}

// Restrict records a restriction of processing; see Object.
func (s *Service) Restrict(ctx context.Context, ref storage.ContactRef, req Request) error {
	return s.stopPurposes(ctx, ref, req, EventRestricted)
}

// stopPurposes records an event of type typ that stops req.Purposes (all
// when empty) and cancels pending sends. A withdrawal of every purpose, or
// of the core service, also ends the flow session.
func (s *Service) stopPurposes(ctx context.Context, ref storage.ContactRef, req Request, typ EventType) error {
	op := string(typ)
	if typ == EventWithdrawn {
		op = "withdraw"
	}
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("consent: %s: %w", op, err)
	}
	st, _, err := s.State(ctx, ref)
	if err != nil {
		return err
	}
	purposes := req.Purposes
	if len(purposes) == 0 {
		purposes = allPurposes(st, s.notices.Load().Get(st.Language))
	}
	if _, err := s.appendEvent(ctx, ref, entry{
		typ: typ, purposes: purposes, lang: req.Language, method: req.method(),
		evidence: req.Evidence, actor: req.actor(), occurred: req.OccurredAt,
	}); err != nil {
		return err
	}
	if typ == EventWithdrawn && (len(req.Purposes) == 0 || containsPurpose(req.Purposes, chat.PurposeCore)) {
		if err := s.store.Sessions().Delete(ctx, ref); err != nil {
			return fmt.Errorf("consent: withdraw: end session: %w", err)
		}
	}
	return s.cancelPending(ctx, ref)
}

func containsPurpose(ps []chat.Purpose, p chat.Purpose) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func (s *Service) cancelPending(ctx context.Context, ref storage.ContactRef) error {
	var errs []error
	for _, c := range s.cancellers {
		if err := c.CancelPending(ctx, ref); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("consent: cancel pending sends: %w", err)
	}
	return nil
}

// ErasureResult says what Erase did.
type ErasureResult struct {
	Erased bool  // everything was erased; only the ledger's tombstone is left
	Hold   *Hold // the hold that delays the erasure, when not erased
	// Waiting is set when messages of the person still wait to be handled:
	// the erasure would drop them unscreened (an urgent one too), so it is
	// finished when the last of them is handled (see Middleware).
	Waiting bool
}

// Erase withdraws every purpose and erases everything held about the person
// through storage.Store.Erase, leaving the consent ledger as the tombstone.
// A hold (placed by staff, or found by a HoldCheck such as an open urgent
// case) delays it: the hold is recorded with its reason, actor and review
// date, and ReleaseHold finishes the erasure later. Messages of the person
// still waiting in the inbox (sent after the request) delay it too, with
// Waiting set: the erasure would drop them unscreened, so it finishes when
// the gate handles the last of them.
func (s *Service) Erase(ctx context.Context, ref storage.ContactRef, req Request) (ErasureResult, error) {
	if err := ref.Validate(); err != nil {
		return ErasureResult{}, fmt.Errorf("consent: erase: %w", err)
	}
	if _, err := s.appendEvent(ctx, ref, entry{
		typ: EventErasureRequested, lang: req.Language, method: req.method(),
		evidence: req.Evidence, actor: req.actor(), occurred: req.OccurredAt,
	}); err != nil {
		return ErasureResult{}, err
	}
	if err := s.cancelPending(ctx, ref); err != nil {
		return ErasureResult{}, err
	}
	return s.holdOrErase(ctx, ref, req.actor())
}

// holdOrErase finishes a requested erasure: it records the hold that delays
// it, if any, or erases now, unless messages of the person wait.
func (s *Service) holdOrErase(ctx context.Context, ref storage.ContactRef, actor string) (ErasureResult, error) {
	hold, err := s.holdFor(ctx, ref)
	if err != nil {
		return ErasureResult{}, err
	}
	if hold != nil {
		st, _, err := s.State(ctx, ref)
		if err != nil {
			return ErasureResult{}, err
		}
		if !st.Hold {
			if _, err := s.appendEvent(ctx, ref, entry{
				typ: EventHoldPlaced, actor: hold.Actor, reason: hold.Reason, reviewAt: hold.ReviewAt,
				basis: BasisVitalInterest,
			}); err != nil {
				return ErasureResult{}, err
			}
		}
		return ErasureResult{Hold: hold}, nil
	}
	erased, err := s.eraseNow(ctx, ref, actor)
	return ErasureResult{Erased: erased, Waiting: err == nil && !erased}, err
}

// eraseNow erases the person unless messages of theirs wait in the inbox
// (beyond the one being handled): Store.Erase would drop them before they
// were screened. It reports whether it erased.
func (s *Service) eraseNow(ctx context.Context, ref storage.ContactRef, actor string) (bool, error) {
	forgetState(ctx)
	if e, ok := s.store.(storage.IdleEraser); ok {
		allow := 0
		if _, handling := chat.ContactFrom(ctx, ref); handling {
			allow = 1 // the message being handled, which the runtime acks next
		}
		erased, err := e.EraseIfIdle(ctx, ref, allow)
		if err != nil {
			return false, fmt.Errorf("consent: erase: %w", err)
		}
		if !erased {
			s.log.LogAttrs(ctx, slog.LevelInfo, "consent: erasure waits for the person's messages to be handled")
			return false, nil
		}
	} else if err := s.store.Erase(ctx, ref); err != nil {
		return false, fmt.Errorf("consent: erase: %w", err)
	}
	if _, err := s.appendEvent(ctx, ref, entry{typ: EventErased, actor: actor, method: "store"}); err != nil {
		return true, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "consent: contact erased")
	return true, nil
}

// erasureWaiting reports whether the ledger holds an erasure requested and
// neither finished, held, nor overtaken by a new consent.
func erasureWaiting(h []storage.ConsentEvent) bool {
	for i := len(h) - 1; i >= 0; i-- {
		switch EventType(h[i].Type) {
		case EventErasureRequested:
			return true
		case EventErased, EventHoldPlaced, EventGranted, EventReconfirmed:
			return false
		}
	}
	return false
}

// holdFor returns the hold that delays an erasure now: one in the ledger, or
// one a HoldCheck finds.
func (s *Service) holdFor(ctx context.Context, ref storage.ContactRef) (*Hold, error) {
	st, found, err := s.State(ctx, ref)
	if err != nil {
		return nil, err
	}
	if found && st.Hold {
		h, err := s.History(ctx, ref)
		if err != nil {
			return nil, err
		}
		for i := len(h) - 1; i >= 0; i-- {
			if EventType(h[i].Type) == EventHoldPlaced {
				return &Hold{Reason: h[i].Reason, Actor: h[i].Actor, ReviewAt: h[i].ReviewAt}, nil
			}
		}
		return &Hold{Reason: "hold in the ledger", Actor: ActorSystem}, nil
	}
	for _, check := range s.holdChecks {
		h, err := check(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("consent: hold check: %w", err)
		}
		if h != nil {
			return h, nil
		}
	}
	return nil, nil
}

// urgentCaseHold holds the erasure of a person with an open ticket at or
// above the hold priority (an urgent safeguarding case).
func (s *Service) urgentCaseHold(ctx context.Context, ref storage.ContactRef) (*Hold, error) {
	t, err := s.store.Tickets().Active(ctx, ref)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if t.Priority < s.holdPriority {
		return nil, nil
	}
	return &Hold{
		// No ticket id: the hold outlives the erasure on the ledger, and
		// must not link the erased person to their case.
		Reason:   "open case with priority " + strconv.Itoa(t.Priority),
		Actor:    ActorSystem,
		ReviewAt: s.now().Add(s.holdReview).UTC(),
	}, nil
}

// PlaceHold records a hold that delays any erasure of the person's data. A
// hold needs a reason, an actor and a review date.
func (s *Service) PlaceHold(ctx context.Context, ref storage.ContactRef, h Hold) error {
	switch {
	case h.Reason == "":
		return errors.New("consent: place hold: reason is empty")
	case h.Actor == "":
		return errors.New("consent: place hold: actor is empty")
	case !h.ReviewAt.After(s.now()):
		return errors.New("consent: place hold: review date is not in the future")
	}
	_, err := s.appendEvent(ctx, ref, entry{typ: EventHoldPlaced, actor: h.Actor, reason: h.Reason, reviewAt: h.ReviewAt, basis: BasisLegalObligation, method: "staff"})
	return err
}

// ReleaseHold records the end of a hold. If the person asked for erasure
// since their last erasure, it runs now (unless a HoldCheck still holds it).
func (s *Service) ReleaseHold(ctx context.Context, ref storage.ContactRef, actor, reason string) (ErasureResult, error) {
	if actor == "" || reason == "" {
		return ErasureResult{}, errors.New("consent: release hold: actor and reason are required")
	}
	if _, err := s.appendEvent(ctx, ref, entry{typ: EventHoldReleased, actor: actor, reason: reason, method: "staff"}); err != nil {
		return ErasureResult{}, err
	}
	h, err := s.History(ctx, ref)
	if err != nil {
		return ErasureResult{}, err
	}
	pending := false
	for _, e := range h {
		switch EventType(e.Type) {
		case EventErasureRequested:
			pending = true
		case EventErased:
			pending = false
		}
	}
	if !pending {
		return ErasureResult{}, nil
	}
	hold, err := s.holdFor(ctx, ref)
	if err != nil || hold != nil {
		return ErasureResult{Hold: hold}, err
	}
	erased, err := s.eraseNow(ctx, ref, actor)
	return ErasureResult{Erased: erased, Waiting: err == nil && !erased}, err
}

// RightsRequest is a request a person made that staff must complete: a copy
// of their data, or an erasure (held or failed).
type RightsRequest struct {
	Subject     string             // the store's keyed hash
	Contact     storage.ContactRef // to act on it; personal data
	Type        EventType          // EventExportRequested or EventErasureRequested
	Event       string             // the id of the request's event
	Method      string
	RequestedAt time.Time
	// DueAt is one month after the request (GDPR Art. 12(3)); it may be
	// extended by two months if the person is told within the first.
	DueAt    time.Time
	Extended bool // the deadline was extended
	Held     bool // an erasure delayed by a hold
}

// ErrNotExtendable is returned by ExtendRequest for a request extended
// already, or past its first month.
var ErrNotExtendable = errors.New("the deadline cannot be extended")

// ExtendRequest extends the deadline of an open rights request by two
// months, as GDPR Art. 12(3) allows for complex or numerous requests. It must
// be done, and the person told, within the first month; reason says why
// (no personal data).
func (s *Service) ExtendRequest(ctx context.Context, r RightsRequest, actor, reason string) error {
	switch {
	case actor == "" || reason == "":
		return errors.New("consent: extend request: actor and reason are required")
	case r.Extended:
		return fmt.Errorf("consent: extend request: already extended once: %w", ErrNotExtendable)
	case !s.now().Before(r.RequestedAt.AddDate(0, 1, 0)):
		return fmt.Errorf("consent: extend request: the first month has passed; an extension must be decided within it: %w", ErrNotExtendable)
	}
	_, err := s.appendEvent(ctx, r.Contact, entry{
		typ: EventRequestExtended, actor: actor, reason: reason, evidence: r.Event,
		reviewAt: r.RequestedAt.AddDate(0, 3, 0), method: "staff",
	})
	return err
}

// OpenRequests lists the requests not yet completed, oldest first: a copy
// asked for and not exported, an erasure asked for and not done.
func (s *Service) OpenRequests(ctx context.Context) ([]RightsRequest, error) {
	var states []storage.ConsentState
	for st, err := range s.store.Consent().List(ctx) {
		if err != nil {
			return nil, fmt.Errorf("consent: open requests: %w", err)
		}
		if st.Contact.Identifier != "" {
			states = append(states, st)
		}
	}
	var out []RightsRequest
	for _, st := range states {
		h, err := s.History(ctx, st.Contact)
		if err != nil {
			return nil, err
		}
		export, erase := openRights(h)
		extended := map[string]time.Time{} // request event id → extended due date
		for i := range h {
			if EventType(h[i].Type) == EventRequestExtended {
				extended[h[i].Evidence] = h[i].ReviewAt
			}
		}
		for _, e := range []*storage.ConsentEvent{export, erase} {
			if e == nil {
				continue
			}
			r := RightsRequest{
				Subject: st.Subject, Contact: st.Contact, Type: EventType(e.Type), Event: e.ID, Method: e.Method,
				RequestedAt: e.OccurredAt, DueAt: e.OccurredAt.AddDate(0, 1, 0), Held: e == erase && st.Hold,
			}
			if due, ok := extended[e.ID]; ok {
				r.DueAt, r.Extended = due, true
			}
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b RightsRequest) int { return a.RequestedAt.Compare(b.RequestedAt) })
	return out, nil
}

// openRights finds, in a person's history, the first request for a copy
// not yet exported and the first request for erasure not yet done (an
// erasure ends both).
func openRights(h []storage.ConsentEvent) (export, erase *storage.ConsentEvent) {
	for i := range h {
		switch EventType(h[i].Type) {
		case EventExportRequested:
			if export == nil {
				export = &h[i]
			}
		case EventExported:
			export = nil
		case EventErasureRequested:
			if erase == nil {
				erase = &h[i]
			}
		case EventErased:
			// The erasure answers a request for erasure, and ends a
			// request for a copy: nothing is left to copy, and nobody to
			// send it to.
			export, erase = nil, nil
		}
	}
	return export, erase
}

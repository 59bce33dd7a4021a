package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Withdraw records the withdrawal of req.Purposes (all purposes when empty)
// and, when the core purpose is withdrawn, deletes the person's open flow
// session and tells every Canceller to drop pending sends. It returns once
// the ledger says so, so that Guard refuses the very next send. Withdrawing
// optional purposes only leaves the core service untouched.
func (s *Service) Withdraw(ctx context.Context, ref storage.ContactRef, req Request) error {
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("consent: withdraw: %w", err)
	}
	st, _, err := s.State(ctx, ref)
	if err != nil {
		return err
	}
	purposes := req.Purposes
	if len(purposes) == 0 {
		purposes = allPurposes(st, s.notices.Get(st.Language))
	}
	if _, err := s.appendEvent(ctx, ref, entry{
		typ: EventWithdrawn, purposes: purposes, lang: req.Language, method: req.method(),
		evidence: req.Evidence, actor: req.actor(), occurred: req.OccurredAt,
	}); err != nil {
		return err
	}
	if len(req.Purposes) == 0 || containsPurpose(req.Purposes, chat.PurposeCore) {
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
}

// Erase withdraws every purpose and erases everything held about the person
// through storage.Store.Erase, leaving the consent ledger as the tombstone.
// A hold (placed by staff, or found by a HoldCheck such as an open urgent
// case) delays it: the hold is recorded with its reason, actor and review
// date, and ReleaseHold finishes the erasure later.
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
	return ErasureResult{Erased: true}, s.eraseNow(ctx, ref, req.actor())
}

func (s *Service) eraseNow(ctx context.Context, ref storage.ContactRef, actor string) error {
	if err := s.store.Erase(ctx, ref); err != nil {
		return fmt.Errorf("consent: erase: %w", err)
	}
	if _, err := s.appendEvent(ctx, ref, entry{typ: EventErased, actor: actor, method: "store"}); err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "consent: contact erased")
	return nil
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
		Reason:   "open case with priority " + strconv.Itoa(t.Priority) + " (ticket " + t.ID + ")",
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
	return ErasureResult{Erased: true}, s.eraseNow(ctx, ref, actor)
}

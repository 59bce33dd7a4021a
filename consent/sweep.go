package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// SweepReport counts what Sweep did.
type SweepReport struct {
	Reconsent int // people moved to reconsent_required by a material notice change
	Expired   int // consents past their time limit
	Forgotten int // minimal records of people who declined or never answered, past retention
	// Broken counts ledgers whose hash chain does not verify (see
	// Service.Verify); they are logged by keyed subject only.
	Broken int
}

// Sweep walks the ledger's states once: it marks people whose consent no
// longer covers the current notice as needing to answer again, expires
// consents past their time limit, and forgets the minimal records of people
// who declined or never answered once the retention period has passed. Run
// it at startup after publishing notices, and daily.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.now()
	var todo []storage.ConsentState
	for st, err := range s.store.Consent().List(ctx) {
		if err != nil {
			return rep, fmt.Errorf("consent: sweep: %w", err)
		}
		todo = append(todo, st)
	}
	for _, st := range todo {
		core := st.Purposes[string(chat.PurposeCore)]
		switch State(core.State) {
		case StateDeclined, StatePresented:
			if s.forgettable(ctx, st, now) {
				if st.Contact.Identifier != "" {
					// what the runtime kept of a person who never answered
					if err := s.dropResidue(ctx, st.Contact); err != nil {
						return rep, fmt.Errorf("consent: sweep: %w", err)
					}
				}
				if err := s.store.Consent().Forget(ctx, st.Subject); err != nil {
					return rep, fmt.Errorf("consent: sweep: forget: %w", err)
				}
				rep.Forgotten++
			}
			continue
		}
		if st.Contact.Identifier == "" {
			continue // a tombstone: nothing to do without the contact
		}
		if err := s.Verify(ctx, st.Contact); errors.Is(err, ErrTampered) {
			rep.Broken++
			s.log.LogAttrs(ctx, slog.LevelError, "consent: ledger does not verify", slog.String("subject", st.Subject))
		} else if err != nil {
			return rep, err
		}
		var expired, stale []chat.Purpose
		notice := s.notices.Load().Get(st.Language)
		for p, ps := range st.Purposes {
			if State(ps.State) != StateGranted {
				continue
			}
			if !ps.ExpiresAt.IsZero() && !now.Before(ps.ExpiresAt) {
				expired = append(expired, chat.Purpose(p))
			} else if !notice.Covers(st.Notice) {
				stale = append(stale, chat.Purpose(p))
			}
		}
		if len(expired) > 0 {
			if _, err := s.appendEvent(ctx, st.Contact, entry{typ: EventExpired, purposes: sorted(expired), actor: ActorSystem, reason: "consent time limit reached"}); err != nil {
				return rep, err
			}
			rep.Expired++
		}
		if len(stale) > 0 {
			if _, err := s.appendEvent(ctx, st.Contact, entry{typ: EventReconsentRequired, purposes: sorted(stale), actor: ActorSystem, reason: "material notice change to " + notice.Version}); err != nil {
				return rep, err
			}
			rep.Reconsent++
		}
	}
	return rep, nil
}

// forgettable reports whether the minimal record of a person who declined
// or never answered may go: past retention, not held, no rights request of
// theirs open, and the person never agreed to anything (a ledger that
// proves past consent stays as evidence).
// A tombstone whose contact is gone cannot show its history; it is forgotten
// only if the core purpose is all it ever had.
func (s *Service) forgettable(ctx context.Context, st storage.ConsentState, now time.Time) bool {
	if st.Hold || st.Subject == "" || now.Sub(st.UpdatedAt) < s.declinedRetention {
		return false
	}
	for p := range st.Purposes {
		if p != string(chat.PurposeCore) {
			return false
		}
	}
	if st.Contact.Identifier == "" {
		return true
	}
	h, err := s.History(ctx, st.Contact)
	if err != nil {
		return false
	}
	if export, erase := openRights(h); export != nil || erase != nil {
		return false // a request staff have not answered yet
	}
	_, granted := lastGrant(h)
	return !granted
}

func sorted(ps []chat.Purpose) []chat.Purpose {
	slices.Sort(ps)
	return ps
}

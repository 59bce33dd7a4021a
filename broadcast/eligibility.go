package broadcast

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Eligibility decides whether a person may receive a campaign's message now.
// The runner asks when it snapshots the segment and again right before each
// send, so a person who withdraws during the campaign is skipped.
type Eligibility interface {
	// Eligible returns true, or false with a short reason (recorded on the
	// recipient, no personal data). An error fails closed: the person is not
	// sent to.
	Eligible(ctx context.Context, to storage.ContactRef, p chat.Purpose, now time.Time) (ok bool, reason string, err error)
}

// EligibilityFunc adapts a function to the Eligibility interface.
type EligibilityFunc func(ctx context.Context, to storage.ContactRef, p chat.Purpose, now time.Time) (bool, string, error)

// Eligible calls f.
func (f EligibilityFunc) Eligible(ctx context.Context, to storage.ContactRef, p chat.Purpose, now time.Time) (bool, string, error) {
	return f(ctx, to, p, now)
}

// ConsentEligibility is the default Eligibility: it reads the person's
// consent state from the ledger and requires the campaign's purpose, and the
// core purpose (agreeing to the service at all), to be "granted" and not
// expired. A person with no state, an erased person, or one on hold is not
// eligible.
//
// Lines whose consent rules say more (a notice version that must still be
// current, a re-consent after a change) pass their own Eligibility, such as
// one built on the consent package's decision.
type ConsentEligibility struct {
	Log storage.ConsentLog
}

// Eligible implements Eligibility.
func (e ConsentEligibility) Eligible(ctx context.Context, to storage.ContactRef, p chat.Purpose, now time.Time) (bool, string, error) {
	st, err := e.Log.State(ctx, to)
	if errors.Is(err, storage.ErrNotFound) {
		return false, "no_consent", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("consent state: %w", err)
	}
	if st.Erased {
		return false, "erased", nil
	}
	if st.Hold {
		// A safeguarding or legal case: staff decide what the person is
		// sent, not a campaign.
		return false, "hold", nil
	}
	for _, purpose := range []chat.Purpose{chat.PurposeCore, p} {
		ps, ok := st.Purposes[string(purpose)]
		switch {
		case !ok || ps.State == "":
			return false, "no_consent", nil
		case ps.State != "granted":
			return false, ps.State, nil
		case !ps.ExpiresAt.IsZero() && !now.Before(ps.ExpiresAt):
			return false, "expired", nil
		}
	}
	return true, "", nil
}

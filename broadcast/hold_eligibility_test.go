package broadcast_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// A person under a hold (a safeguarding or legal case) is not eligible:
// ConsentEligibility reads ConsentState.Hold, as its doc says.
func TestConsentEligibilityRefusesHold(t *testing.T) {
	ctx := t.Context()
	st := memory.New()
	now := time.Now()
	seed(t, ctx, st, 1, now, false, allConsent(now))
	cur, err := st.Consent().State(ctx, ref(0))
	if err != nil {
		t.Fatal(err)
	}
	cur.Hold = true
	if err := st.Consent().SaveState(ctx, cur.LastEvent, cur); err != nil {
		t.Fatal(err)
	}
	ok, why, err := broadcast.ConsentEligibility{Log: st.Consent()}.Eligible(ctx, ref(0), chat.PurposeFollowUp, now)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Errorf("a person on hold is eligible (reason %q); the documented rule says not", why)
	}
}

package consent_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
)

// A person who sees the notice, writes DELETE before answering it, and then
// writes again starts clean: their next message gets the notice. The
// prompt counter and time from before the erasure used to survive in the
// tombstone and kept the line silent instead.
func TestEraseBeforeAnswerThenReturnGetsNotice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("4915123456700")
	e.written(t, who, "hello")
	if got := e.channel.take(); len(got) != 1 || got[0].Intent.Exemption != chat.ExemptNotice {
		t.Fatalf("first message: want the notice, got %d sends", len(got))
	}
	e.written(t, who, "DELETE")
	st, found, err := e.svc.State(t.Context(), refOf(who))
	if err != nil || !found || !st.Erased {
		t.Fatalf("not erased: %+v %v %v", st, found, err)
	}
	e.channel.take() // the confirmation
	e.clock.Advance(10 * time.Minute)
	e.written(t, who, "hello again")
	got := e.channel.take()
	notice := false
	for _, s := range got {
		if s.Intent.Exemption == chat.ExemptNotice {
			notice = true
		}
	}
	if !notice {
		st, _, _ := e.svc.State(t.Context(), refOf(who))
		t.Errorf("after erasure the person wrote again and got %d messages, no notice (tombstone prompts=%d, prompt at %v): they do not start clean", len(got), st.Prompts, st.PromptAt)
	}
}

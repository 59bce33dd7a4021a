package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

func TestOptions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	st := memory.New(
		memory.WithIDs(func() string { n++; return fmt.Sprintf("id-%d", n) }),
		memory.WithClock(func() time.Time { return clock }),
		memory.WithSubjectKey([]byte("another key")),
	)
	defer st.Close()
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "15550000001"}
	c, err := st.Contacts().Touch(ctx, ref, clock)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "id-1" {
		t.Errorf("contact id %q; want id-1 from the id source", c.ID)
	}
	if err := st.Audit().Append(ctx, storage.AuditEntry{Actor: "staff-1", Action: "contact.revealed", Target: c.ID}); err != nil {
		t.Fatal(err)
	}
	es, err := st.Audit().List(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].ID != "id-2" || !es[0].At.Equal(clock) {
		t.Errorf("audit entries %+v; want one with id id-2 at the clock's time", es)
	}

	subject := func(st *memory.Store) string {
		ev := storage.ConsentEvent{ID: "e1", Contact: ref, Type: "granted"}
		if err := st.Consent().Append(ctx, ev, "", storage.ConsentState{Contact: ref, LastEvent: "e1"}); err != nil {
			t.Fatal(err)
		}
		s, err := st.Consent().State(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		return s.Subject
	}
	def1, def2 := memory.New(), memory.New()
	if subject(def1) != subject(def2) {
		t.Error("the default subject key differs between stores")
	}
	if subject(st) == subject(memory.New()) {
		t.Error("WithSubjectKey did not change the subject")
	}
}

// A store with a repeating id source reports a conflict rather than
// overwriting a record.
func TestRepeatedIDIsConflict(t *testing.T) {
	t.Parallel()
	st := memory.New(memory.WithIDs(func() string { return "same" }))
	defer st.Close()
	ctx := t.Context()
	if _, err := st.Contacts().Touch(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: "1"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err := st.Contacts().Touch(ctx, storage.ContactRef{Channel: "whatsapp", Identifier: "2"}, time.Time{})
	if err == nil {
		t.Fatal("a repeated id was accepted")
	}
}

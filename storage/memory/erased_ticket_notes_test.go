package memory_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// After Erase, the contact's tickets stay "without Contact and Notes". A
// staff note added to such a ticket afterwards (the console reloads the
// ticket, so its version is current) would name the person's case again in
// staff's words: the memory store refuses it as the SQL stores do (it kept
// and served it).
func TestNoteOnErasedTicketIsNotKept(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st := memory.New()
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "15550000001"}
	tk, _, err := st.Tickets().Open(ctx, storage.Ticket{Contact: ref, Queue: "protection", Priority: 1, Category: "violence"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Erase(ctx, ref); err != nil {
		t.Fatal(err)
	}
	cur, err := st.Tickets().Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.Notes = append(cur.Notes, storage.TicketNote{At: now, Author: "staff-1", Text: "She lives at 12 Odos Patision with her two children"})
	_, uerr := st.Tickets().Update(ctx, cur, now)
	got, err := st.Tickets().Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notes) > 0 {
		t.Errorf("a note added to the erased contact's ticket after the erasure is kept (update error %v): %q", uerr, got.Notes[0].Text)
	}
}

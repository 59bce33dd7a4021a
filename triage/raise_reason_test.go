package triage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/triage"
)

// RaiseBy bounds its reason as Lower does (MaxReason): it used to take any
// length and write it to the append-only audit log.
func TestRaiseByReasonIsBounded(t *testing.T) {
	t.Parallel()
	st := memory.New()
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	q, err := triage.NewQueue(st.Tickets(), triage.WithAudit(st.Audit()), triage.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	it, _, err := q.Enqueue(t.Context(), triage.Request{Contact: storage.ContactRef{Channel: "whatsapp", Identifier: "447700900001"}, Priority: triage.Routine})
	if err != nil {
		t.Fatal(err)
	}
	reason := strings.Repeat("r", 1<<20)
	_, err = q.RaiseBy(t.Context(), it.Ticket.ID, triage.Urgent, "", "staff-1", reason)
	if err == nil {
		entries, _ := st.Audit().List(t.Context(), time.Time{}, 100)
		longest := 0
		for _, e := range entries {
			longest = max(longest, len(e.Detail["reason"]))
		}
		t.Fatalf("RaiseBy accepted a reason of %d bytes (Lower allows 200) and the audit log now holds a reason of %d bytes", len(reason), longest)
	}
	if !strings.Contains(err.Error(), "reason") || !strings.Contains(err.Error(), "200") {
		t.Fatalf("error does not name the field and the limit: %v", err)
	}
}

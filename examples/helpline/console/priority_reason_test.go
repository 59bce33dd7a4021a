package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The priority form's reason is bounded (as a note's and an extension's
// are): a 100 000-character reason was written to the audit log as it was.
func TestPriorityReasonIsBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := f.openTicket("447700900001", 0, t0.Add(time.Hour))
	c := f.client()
	if code, body := f.signIn(c, "correct horse battery"); code != http.StatusOK {
		t.Fatalf("sign in: %d\n%s", code, body)
	}
	_, page := f.get(c, "/console/t/"+tk.ID)
	reason := strings.Repeat("r", 100_000)
	code, _ := f.post(c, "/console/t/"+tk.ID+"/priority", url.Values{"csrf": {csrfOf(t, page)}, "priority": {"elevated"}, "reason": {reason}})
	entries, err := f.store.Audit().List(t.Context(), time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := len(e.Detail["reason"]); n > maxPriorityReason {
			t.Fatalf("priority change with a %d-character reason was accepted (status %d); the audit log holds %d bytes of it", len(reason), code, n)
		}
	}
}

package whatsapp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
)

// cyclingPages serves an edge whose "after" cursors go A, B, A, B, ...:
// a misbehaving (or hostile) Graph API answer. The listings stop with an
// error; they used to compare a cursor with the previous one only, and
// never stopped.
func cyclingPages(t *testing.T, items func(cursor string, n int64) string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		next := "A"
		if r.URL.Query().Get("after") == "A" {
			next = "B"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{%s,"paging":{"cursors":{"after":%q},"next":"https://graph.facebook.com/next"}}`, items(next, n), next)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

const cyclePagesBound = 200

func TestTemplatesListStopsOnCursorCycle(t *testing.T) {
	t.Parallel()
	srv, calls := cyclingPages(t, func(_ string, n int64) string {
		return fmt.Sprintf(`"data":[{"id":"%d","name":"t%d","language":"en","status":"APPROVED","category":"UTILITY"}]`, n, n)
	})
	c, err := whatsapp.New("token", whatsapp.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	items := 0
	for _, err := range c.Templates.List(ctx, "1234", nil) {
		if err != nil {
			t.Logf("List ended with error: %v", err)
			break
		}
		if items++; items > cyclePagesBound {
			t.Fatalf("Templates.List fetched %d pages of a cursor cycle A→B→A… and is still going: "+
				"the page loop only compares a cursor with the previous one, so Sync never returns and grows without bound",
				calls.Load())
		}
	}
}

func TestGroupsListStopsOnCursorCycle(t *testing.T) {
	t.Parallel()
	srv, calls := cyclingPages(t, func(_ string, n int64) string {
		return fmt.Sprintf(`"data":{"groups":[{"id":"g%d","subject":"s"}]}`, n)
	})
	c, err := whatsapp.New("token", whatsapp.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	items := 0
	for _, err := range c.Groups.List(t.Context(), "1234") {
		if err != nil {
			t.Logf("List ended with error: %v", err)
			break
		}
		if items++; items > cyclePagesBound {
			t.Fatalf("Groups.List fetched %d pages of a cursor cycle A→B→A… and is still going", calls.Load())
		}
	}
}

// A successful answer over the client's 8 MiB bound fails with an error
// that names the limit (it used to say "unexpected EOF").
func TestOversizedResponseNamesTheLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 9<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"1","name":"%s"}`, big)
	}))
	t.Cleanup(srv.Close)
	c, err := whatsapp.New("token", whatsapp.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Templates.Get(t.Context(), "1")
	if err == nil {
		t.Fatal("a 9 MiB answer was accepted")
	}
	msg := err.Error()
	if !strings.Contains(msg, "8388608") && !strings.Contains(msg, "8 MiB") && !strings.Contains(msg, "larger than") {
		t.Fatalf("error for an answer over the 8 MiB bound does not name the limit: %q", msg)
	}
}

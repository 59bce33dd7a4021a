package broadcast_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// A text campaign whose text the Channel splits into two messages: part 1
// is accepted, part 2 meets one 130429 (throughput). The error is a partial
// send (ErrAmbiguous), not a rate limit, so the line's classifier does not
// say Retry and the person gets part 1 once.
func TestMultipartTextNotSentTwice(t *testing.T) {
	ctx := t.Context()
	fake := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	defer fake.Close()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") && posts.Add(1) == 2 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{"messaging_product":"whatsapp","details":"throughput reached"},"fbtrace_id":"A"}}`))
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()

	st := memory.New()
	now := time.Now()
	seed(t, ctx, st, 1, now.Add(-time.Hour), false, allConsent(now)) // wrote an hour ago: inside the window
	client, err := whatsapp.New(whatsapptest.DefaultToken, whatsapp.WithBaseURL(srv.URL),
		whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()})
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, st, channel, broadcast.WithClassifier(classify), broadcast.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	spec := alertSpec()
	spec.Line = whatsapptest.DefaultPhoneNumberID
	spec.Template = nil
	spec.Text = strings.Repeat("The clinic on the main road is open again today. ", 100) // about 5,000 characters: two messages
	c, err := r.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Run(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]int{}
	for _, s := range fake.Sent() {
		first[s.Text]++
	}
	for text, n := range first {
		if n > 1 {
			t.Errorf("the person received the same part (%d characters) %d times; %d messages in all (progress %+v)", len([]rune(text)), n, len(fake.Sent()), p)
		}
	}
}

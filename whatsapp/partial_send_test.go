package whatsapp_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
)

// A long text goes out as several messages. When the first part was
// accepted by Meta and a later part hits a rate limit, the error Channel.Send
// returns does not tell the caller to try the whole send again (as
// whatsapp.Retryable, or a classifier matching ErrRateLimited, would): that
// would send part 1 to the person twice.
func TestPartialSendIsNotRetryable(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if posts.Add(1) == 1 {
			w.Write([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.part1"}]}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"fbtrace_id":"A"}}`))
	}))
	defer srv.Close()
	c, err := whatsapp.New("tok", whatsapp.WithBaseURL(srv.URL), whatsapp.WithoutPacing(),
		whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := whatsapp.NewChannel(c, openWindow(time.Minute), whatsapp.WithMaxTextLength(100))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("The clinic is open again today. ", 6) // about 190 characters: two parts
	_, err = ch.Send(t.Context(), line, chat.Text{Body: body})
	if err == nil || posts.Load() != 2 {
		t.Fatalf("err %v after %d posts; want the second part to fail", err, posts.Load())
	}
	if whatsapp.Retryable(err) || errors.Is(err, whatsapp.ErrRateLimited) {
		t.Errorf("part 1 was delivered, yet the error says retry the whole send (Retryable=%v, ErrRateLimited=%v): %v",
			whatsapp.Retryable(err), errors.Is(err, whatsapp.ErrRateLimited), err)
	}
}

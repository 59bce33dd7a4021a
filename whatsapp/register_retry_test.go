package whatsapp_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
)

// instantClock fires every wait at once and records it.
type instantClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *instantClock) Now() time.Time { return time.Now() }
func (c *instantClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

// 133015 means the number was recently deleted and registration can only
// succeed after 5 minutes (Meta: "yes, after 5 min"). The client waits that
// long or hands the error back; retrying after seconds would spend one of
// the 10 registrations a number has in 72 hours (133016) on each try.
func TestRegister133015NotRetriedWithinMinutes(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":{"message":"(#133015) Please wait a few minutes before attempting to register this phone number","type":"OAuthException","code":133015,"error_data":{"messaging_product":"whatsapp","details":"The phone number you are attempting to register was recently deleted, and deletion has not yet completed. Try again in 5 minutes."},"fbtrace_id":"A"}}`))
	}))
	defer srv.Close()
	clk := &instantClock{}
	c, err := whatsapp.New("tok", whatsapp.WithBaseURL(srv.URL), whatsapp.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	err = c.PhoneNumbers.Register(t.Context(), "106540352242922", whatsapp.Registration{PIN: "123456"})
	if err == nil {
		t.Fatal("register succeeded")
	}
	for _, d := range clk.waits {
		if d < 5*time.Minute {
			t.Errorf("register was retried after %v (%d calls in all); Meta says wait 5 minutes", d, calls.Load())
			break
		}
	}
}

// 131057 means the account is in maintenance (a throughput upgrade takes up
// to a minute): the client waits a minute, or hands the error back when its
// policy allows no such wait, rather than spending its tries in seconds.
func TestMaintenance131057WaitsAMinute(t *testing.T) {
	for _, maxDelay := range []time.Duration{30 * time.Second, 2 * time.Minute} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"message":"(#131057) Account in maintenance mode","type":"OAuthException","code":131057,"fbtrace_id":"A"}}`))
		}))
		clk := &instantClock{}
		c, err := whatsapp.New("tok", whatsapp.WithBaseURL(srv.URL), whatsapp.WithClock(clk), whatsapp.WithoutPacing(),
			whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 3, InitialDelay: time.Second, MaxDelay: maxDelay}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Messages.Send(t.Context(), "106540352242922", whatsapp.Text{Envelope: whatsapp.Envelope{To: "16505551234"}, Body: "hello"})
		srv.Close()
		if err == nil {
			t.Fatal("send succeeded")
		}
		for _, d := range clk.waits {
			if d < time.Minute {
				t.Errorf("MaxDelay %v: retried after %v (%d calls); Meta says about a minute", maxDelay, d, calls.Load())
				break
			}
		}
		if maxDelay < time.Minute && calls.Load() != 1 {
			t.Errorf("MaxDelay %v: %d calls; want the error handed back after one", maxDelay, calls.Load())
		}
	}
}

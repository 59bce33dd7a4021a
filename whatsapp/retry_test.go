package whatsapp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// newFake starts a fake outside any synctest bubble (its listener would
// keep the bubble from ever idling); clients reach it in process.
func newFake(t *testing.T, opts ...whatsapptest.Option) *whatsapptest.Server {
	t.Helper()
	srv := whatsapptest.NewServer(append([]whatsapptest.Option{whatsapptest.WithoutWindow()}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

func fakeClient(t *testing.T, srv *whatsapptest.Server, opts ...whatsapp.Option) *whatsapp.Client {
	t.Helper()
	c, err := srv.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func text(n int) whatsapp.Text {
	return whatsapp.Text{Envelope: whatsapp.Envelope{To: "+1650555" + strconv.Itoa(1000+n)}, Body: "hello"}
}

func TestRetryThroughputLimitThenSucceed(t *testing.T) {
	srv := newFake(t)
	srv.Inject(whatsapptest.Fault{Code: 130429, Times: 2, PathSuffix: "/messages"})
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv)
		start := time.Now()
		r, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(1))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if r.MessageID == "" || len(srv.Requests()) != 3 {
			t.Fatalf("result %+v after %d requests, want success on the 3rd", r, len(srv.Requests()))
		}
		// Two backoffs of about 1 s and 2 s, with ±50 % jitter.
		if d := time.Since(start); d < 1*time.Second || d > 5*time.Second {
			t.Fatalf("retries took %v of fake time", d)
		}
	})
}

func TestNoRetryWhenUndeliverable(t *testing.T) {
	srv := newFake(t)
	srv.FailNext(131026)
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv)
		start := time.Now()
		_, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(1))
		if !errors.Is(err, whatsapp.ErrUndeliverable) || whatsapp.Retryable(err) {
			t.Fatalf("err = %v, want ErrUndeliverable, not retryable", err)
		}
		if n := len(srv.Requests()); n != 1 || time.Since(start) != 0 {
			t.Fatalf("%d requests over %v, want 1 at once", n, time.Since(start))
		}
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv := newFake(t)
	srv.Inject(whatsapptest.Fault{Code: 130429, RetryAfter: 7 * time.Second, PathSuffix: "/messages"})
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv)
		start := time.Now()
		if _, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(1)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 7*time.Second {
			t.Fatalf("waited %v, want exactly the 7 s of Retry-After", d)
		}
	})
}

func TestRetryAfterBeyondMaxDelayGivesUp(t *testing.T) {
	srv := newFake(t)
	srv.Inject(whatsapptest.Fault{Code: 130429, RetryAfter: time.Hour, PathSuffix: "/messages"})
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv)
		_, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(1))
		var ae *whatsapp.APIError
		if !errors.As(err, &ae) || ae.RetryAfter != time.Hour || !errors.Is(err, whatsapp.ErrRateLimited) {
			t.Fatalf("err = %v, want the 130429 with its Retry-After", err)
		}
		if len(srv.Requests()) != 1 {
			t.Fatalf("%d requests, want 1", len(srv.Requests()))
		}
	})
}

func TestCancelStopsWaitingAtOnce(t *testing.T) {
	srv := newFake(t)
	srv.Inject(whatsapptest.Fault{Code: 130429, RetryAfter: 20 * time.Second, PathSuffix: "/messages"})
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		start := time.Now()
		_, err := c.Messages.Send(ctx, whatsapptest.DefaultPhoneNumberID, text(1))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("returned after %v, want 1 s (when cancelled)", d)
		}
	})
}

func TestCancelStopsPacingWait(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv, whatsapp.WithPairRateLimit(time.Minute, 1))
		if _, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(1)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Messages.Send(ctx, whatsapptest.DefaultPhoneNumberID, text(1))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 3*time.Second {
			t.Fatalf("err = %v after %v, want a deadline at 3 s", err, time.Since(start))
		}
	})
}

// TestPacedBurst sends 800 messages at the default 80/s: they take 10 s of
// fake time and no one-second window ever holds more than 80.
func TestPacedBurst(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv)
		start := time.Now()
		var wg sync.WaitGroup
		var failed atomic.Int32
		next := atomic.Int32{}
		for range 8 {
			wg.Go(func() {
				for {
					i := int(next.Add(1))
					if i > 800 {
						return
					}
					if _, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(i)); err != nil {
						t.Errorf("send %d: %v", i, err)
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		reqs := srv.Requests()
		if len(reqs) != 800 || failed.Load() != 0 {
			t.Fatalf("%d requests, %d failures; want 800 accepted at once", len(reqs), failed.Load())
		}
		if elapsed < 9900*time.Millisecond || elapsed > 10*time.Second {
			t.Fatalf("800 sends took %v of fake time, want 10 s", elapsed)
		}
		for i := 80; i < len(reqs); i++ {
			if d := reqs[i].Time.Sub(reqs[i-80].Time); d < time.Second {
				t.Fatalf("81 sends within %v (requests %d..%d)", d, i-80, i)
			}
		}
	})
}

// TestPairPacing: Meta allows bursts of 45 to one person, then one per 6 s.
func TestPairPacing(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv)
		start := time.Now()
		for i := range 50 {
			if _, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(7)); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if d := time.Since(start); d < 29*time.Second || d > 30*time.Second {
			t.Fatalf("50 sends to one person took %v, want 30 s (45 at once, then 1 per 6 s)", d)
		}
		if n := len(srv.Requests()); n != 50 {
			t.Fatalf("%d requests, want 50 (no 131056)", n)
		}
	})
}

// TestPairLimitFromMetaIsRetried: with pacing off, the fake's 131056 is
// retried after 4^X seconds.
func TestPairLimitFromMetaIsRetried(t *testing.T) {
	srv := newFake(t, whatsapptest.WithPairLimit(6*time.Second, 1))
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv, whatsapp.WithoutPacing())
		if _, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(3)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(3)); err != nil {
			t.Fatal(err)
		}
		// Waits of 1 s, then 4 s, reach the 6 s the fake asks for... after 1+4+16.
		if d := time.Since(start); d != 21*time.Second {
			t.Fatalf("took %v, want 1+4+16 s", d)
		}
	})
}

// flaky fails a number of calls with a transport error, then answers.
type flaky struct {
	fails atomic.Int32
	err   error
	calls atomic.Int32
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	if f.fails.Add(-1) >= 0 {
		return nil, f.err
	}
	body := okSend
	if r.Method == http.MethodGet {
		body = `{"url":"https://lookaside.example/x","mime_type":"image/png","id":"1"}`
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func TestAmbiguousSendIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, optIn := range []bool{false, true} {
			f := &flaky{err: io.ErrUnexpectedEOF}
			f.fails.Store(1)
			p := whatsapp.DefaultRetryPolicy()
			p.RetryAmbiguous = optIn
			c, err := whatsapp.New("tok", whatsapp.WithHTTPClient(&http.Client{Transport: f}), whatsapp.WithRetryPolicy(p))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Messages.Send(t.Context(), phoneID, text(1))
			if optIn {
				if err != nil || f.calls.Load() != 2 {
					t.Fatalf("opted in: err %v after %d calls, want success on the 2nd", err, f.calls.Load())
				}
				continue
			}
			if !errors.Is(err, whatsapp.ErrAmbiguous) || whatsapp.Retryable(err) || f.calls.Load() != 1 {
				t.Fatalf("err %v after %d calls, want ErrAmbiguous after 1", err, f.calls.Load())
			}
		}
	})
}

func TestIdempotentCallsRetryTransportErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flaky{err: io.ErrUnexpectedEOF}
		f.fails.Store(2)
		c, err := whatsapp.New("tok", whatsapp.WithHTTPClient(&http.Client{Transport: f}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Media.URL(t.Context(), "1"); err != nil || f.calls.Load() != 3 {
			t.Fatalf("err %v after %d calls, want success on the 3rd", err, f.calls.Load())
		}
	})
}

func TestServerErrorsWithoutGraphBodyAreRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := &capture{status: 502, answer: []byte("<html>bad gateway</html>")}
		c, err := whatsapp.New("tok", whatsapp.WithHTTPClient(&http.Client{Transport: cp}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Messages.Send(t.Context(), phoneID, text(1))
		if !errors.Is(err, whatsapp.ErrUnavailable) || len(cp.reqs) != 4 {
			t.Fatalf("err %v after %d requests, want ErrUnavailable after 4", err, len(cp.reqs))
		}
	})
}

// TestLogsHoldNoSecrets: retries are logged without the token, the phone
// number or the text.
func TestLogsHoldNoSecrets(t *testing.T) {
	srv := newFake(t)
	srv.Inject(whatsapptest.Fault{Code: 131000, Times: 2, Details: "Recipient +16505551234 unknown", PathSuffix: "/messages"})
	synctest.Test(t, func(t *testing.T) {
		var buf strings.Builder
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return buf.Write(p)
		}), &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := fakeClient(t, srv, whatsapp.WithLogger(log))
		_, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, whatsapp.Text{Envelope: whatsapp.Envelope{To: "+16505551234"}, Body: "my case number is 77"})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		out := buf.String()
		if !strings.Contains(out, "retrying") {
			t.Fatalf("no retry logged: %s", out)
		}
		for _, secret := range []string{whatsapptest.DefaultToken, "6505551234", "case number"} {
			if strings.Contains(out, secret) {
				t.Fatalf("log holds %q: %s", secret, out)
			}
		}
	})
	// And the error string masks numbers in Meta's text.
	srv.Inject(whatsapptest.Fault{Code: 131026, Details: "Recipient +16505551234 unknown", PathSuffix: "/messages"})
	c := fakeClient(t, srv)
	_, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, text(1))
	if err == nil || strings.Contains(err.Error(), "6505551234") || strings.Contains(err.Error(), whatsapptest.DefaultToken) {
		t.Fatalf("error string: %v", err)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestPairPacingKnowsOnePersonInTwoSpellings: the pair limiter keys on the
// number's digits.
func TestPairPacingKnowsOnePersonInTwoSpellings(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		c := fakeClient(t, srv, whatsapp.WithPairRateLimit(time.Minute, 1))
		start := time.Now()
		for _, n := range []string{"+1 650-555-1234", "16505551234"} {
			if _, err := c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, whatsapp.Text{Envelope: whatsapp.Envelope{To: n}, Body: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(start); d != time.Minute {
			t.Fatalf("second send after %v, want 1 min", d)
		}
	})
}

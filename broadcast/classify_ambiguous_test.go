package broadcast_test

import (
	"errors"
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

// With the default classifier, a send whose answer timed out after Meta
// accepted it (HTTP/2, Transport.ResponseHeaderTimeout) is not retried: an
// error deep in its chain has Temporary() == true, but the client's error,
// which marks it ErrAmbiguous, answers Temporary first. The person gets the
// alert once.
func TestDefaultClassifierNeverRetriesAmbiguousSend(t *testing.T) {
	ctx := t.Context()
	fake := whatsapptest.NewServer()
	defer fake.Close()
	var posts atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		fake.Handler().ServeHTTP(rec, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") && posts.Add(1) == 1 {
			time.Sleep(500 * time.Millisecond) // accepted, but the answer is slow
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 100 * time.Millisecond
	client, err := whatsapp.New(whatsapptest.DefaultToken, whatsapp.WithBaseURL(srv.URL),
		whatsapp.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}

	st := memory.New()
	now := time.Now()
	seed(t, ctx, st, 1, now, false, allConsent(now))
	channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()})
	if err != nil {
		t.Fatal(err)
	}
	// What the client reports for such a send:
	_, sendErr := channel.Send(ctx, chat.Address{Channel: chat.ChannelWhatsApp, Line: whatsapptest.DefaultPhoneNumberID, Contact: phone(9)},
		chat.Template{Name: "storm_update", Language: "en"})
	if !errors.Is(sendErr, whatsapp.ErrAmbiguous) {
		t.Fatalf("setup: send error %v, want ErrAmbiguous", sendErr)
	}
	if o := broadcast.DefaultClassifier(sendErr); o.Action != broadcast.Unknown {
		t.Errorf("DefaultClassifier(%v) = %v; a send that may have gone out must be Unknown", sendErr, o.Action)
	}
	fake.Reset()
	posts.Store(0)

	r := newRunner(t, st, channel, broadcast.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	spec := alertSpec()
	spec.Line = whatsapptest.DefaultPhoneNumberID
	c, err := r.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Run(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("the person received the alert %d times (progress %+v)", n, p)
	}
}

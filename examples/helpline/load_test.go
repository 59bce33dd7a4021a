package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/internal/loadgen"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// replies routes each message the line sends to whoever waits for the
// recipient's next reply.
type replies struct {
	mu      sync.Mutex
	waiting map[string]chan whatsapptest.Sent
}

// expect returns the channel that receives what the line sends to a
// person, emptied of anything left from before. Each person has one, made on
// first use: a new buffered channel per message would make the benchmark's
// own allocations a good part of what it measures.
func (r *replies) expect(to string) chan whatsapptest.Sent {
	r.mu.Lock()
	ch := r.waiting[to]
	if ch == nil {
		ch = make(chan whatsapptest.Sent, 16)
		r.waiting[to] = ch
	}
	r.mu.Unlock()
	for {
		select {
		case <-ch:
		default:
			return ch
		}
	}
}

func (r *replies) seen(s whatsapptest.Sent) {
	r.mu.Lock()
	ch := r.waiting[strings.TrimPrefix(s.To, "+")]
	r.mu.Unlock()
	if ch != nil {
		select {
		case ch <- s:
		default:
		}
	}
}

// BenchmarkHelplineLoad measures the whole line on SQLite under load: each
// operation is one message from a person who has agreed to the notice,
// delivered as a signed webhook over loopback HTTP, through the runtime,
// screen, consent gate, conversation log, router and playbook, until the
// line's reply reaches the fake Graph API (which then sends its own sent
// and delivered statuses back through the webhook, as Meta does). Each
// person has one message in flight at a time, as in a real conversation.
//
//	go test -run '^$' -bench HelplineLoad -benchtime 1x ./examples/helpline/
//
// HELPLINE_LOAD_PEOPLE (default 200) and HELPLINE_LOAD_MESSAGES (default
// 20000) size the run; it stops after 2 minutes in any case.
// HELPLINE_LOAD_WORKERS sets the line's -workers (default 128).
func BenchmarkHelplineLoad(b *testing.B) {
	people := envInt("HELPLINE_LOAD_PEOPLE", 200)
	messages := envInt("HELPLINE_LOAD_MESSAGES", 20000)
	rs := &replies{waiting: map[string]chan whatsapptest.Sent{}}
	cfg := config{addr: "127.0.0.1:0", db: loadDB(b), phone: false, workers: envInt("HELPLINE_LOAD_WORKERS", defaultWorkers),
		getenv: func(string) string { return "" }, onSend: rs.seen, unlimited: true}
	a, err := newApp(b.Context(), cfg, io.Discard, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, strings.NewReader("")) }()
	defer func() {
		cancel()
		<-done
	}()
	hook := a.baseURL + "/webhook"

	deliver := func(ctx context.Context, in whatsapptest.Inbound) error {
		in.PhoneNumberID = a.lineID
		_, err := a.sim.DeliverMessage(ctx, hook, a.appSecret, in)
		return err
	}
	// Each person writes, gets the notice, agrees and gets the menu.
	numbers := make(chan string, people)
	var wg sync.WaitGroup
	errs := make(chan error, people)
	for p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := fmt.Sprintf("1555%07d", 2000000+p)
			ch := rs.expect(n)
			if err := deliver(ctx, whatsapptest.Inbound{From: n, Text: "hello"}); err != nil {
				errs <- err
				return
			}
			notice := <-ch
			var accept whatsapptest.Choice
			for _, o := range notice.Options {
				if o.ID == consent.ChoiceAccept {
					accept = o
				}
			}
			if err := deliver(ctx, whatsapptest.Inbound{From: n, ButtonReply: &whatsapptest.Reply{ID: accept.ID, Title: accept.Title}}); err != nil {
				errs <- err
				return
			}
			for s := range ch {
				if len(s.Options) >= 4 { // the main menu
					break
				}
			}
			numbers <- n
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}

	var lat, ack loadgen.Recorder
	b.ResetTimer()
	driven, err := loadgen.Drive(ctx, loadgen.Plan{Count: messages, Duration: 2 * time.Minute, Concurrency: people},
		func(ctx context.Context, i int, _ time.Time) error {
			n := <-numbers
			defer func() { numbers <- n }()
			ch := rs.expect(n)
			start := time.Now()
			if err := deliver(ctx, whatsapptest.Inbound{From: n, Text: "menu"}); err != nil {
				return err
			}
			ack.Add(time.Since(start))
			select {
			case <-ch:
				lat.Add(time.Since(start))
				return nil
			case <-time.After(30 * time.Second):
				return fmt.Errorf("no reply within 30 s")
			}
		})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if driven.Failed > 0 {
		b.Fatalf("%d of %d messages failed; first: %v", driven.Failed, driven.Started, driven.FirstErr)
	}
	s, k := lat.Summary(), ack.Summary()
	b.ReportMetric(float64(s.Count)/driven.Elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(s.P50.Microseconds())/1000, "p50-reply-ms")
	b.ReportMetric(float64(s.P99.Microseconds())/1000, "p99-reply-ms")
	b.ReportMetric(float64(k.P99.Microseconds())/1000, "p99-ack-ms")
	b.Logf("%d messages from %d people in %s: reply %s; webhook ack %s", s.Count, people, driven.Elapsed.Round(time.Millisecond), s, k)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// loadDB is the store of the load benchmark: a SQLite file by default, or
// HELPLINE_LOAD_DB (memory: or a postgres:// URL).
func loadDB(b *testing.B) string {
	if v := os.Getenv("HELPLINE_LOAD_DB"); v != "" {
		return v
	}
	return filepath.Join(b.TempDir(), "load.db")
}

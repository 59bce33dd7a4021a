package broadcast_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// TestTenThousandAgainstFake runs a 10,000-person campaign against the fake
// Graph API with throughput, pair-limit and undeliverable errors injected,
// people withdrawing midway, and the process "killed" halfway with sends in
// flight, then resumed by a new Runner on the same SQLite file.
func TestTenThousandAgainstFake(t *testing.T) {
	const throughput = 80
	n := 10_000
	if raceEnabled {
		n = 1_500 // the same campaign, smaller, to keep -race runs short
	}
	killAt := int64(n / 2)
	srv := whatsapptest.NewServer(whatsapptest.WithThroughput(throughput))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "line.db")
	secret := make([]byte, 32)
	rand.Read(secret)
	ring, err := keyring.New(secret)
	if err != nil {
		t.Fatal(err)
	}

	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		open := func() *sqlite.Store {
			st, err := sqlite.Open(ctx, path, sqlite.WithKeyring(ring), sqlite.WithSynchronous("normal"))
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		st := open()
		start := time.Now()
		// Every 10th person never agreed, every 25th declined follow-ups;
		// the rest agreed to the service and to follow-up alerts.
		consented := func(i int) bool { return i%10 != 0 && i%25 != 0 }
		seed(t, ctx, st, n, start, false, func(i int) (map[string]storage.PurposeState, bool) {
			switch {
			case i%10 == 0:
				return nil, false
			case i%25 == 0:
				ps := granted(start, chat.PurposeCore)
				ps[string(chat.PurposeFollowUp)] = storage.PurposeState{State: "declined", Since: start}
				return ps, true
			}
			return granted(start, chat.PurposeCore, chat.PurposeFollowUp), true
		})
		// People who withdraw once a third of the campaign is out: the last
		// consented ones, whom the campaign has not reached yet.
		var withdrawn []int
		for i := n - 1; len(withdrawn) < 40; i-- {
			if consented(i) {
				withdrawn = append(withdrawn, i)
			}
		}

		client, err := srv.NewClient(whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
		if err != nil {
			t.Fatal(err)
		}
		channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()})
		if err != nil {
			t.Fatal(err)
		}

		// The sender injects faults as the campaign goes, and at killAt
		// stops answering: the message is accepted by the fake but the
		// "process" dies before it hears back.
		var (
			calls     atomic.Int64
			dead      = make(chan struct{})
			release   = make(chan struct{})
			deadOnce  sync.Once
			storeLive atomic.Pointer[sqlite.Store]
		)
		storeLive.Store(st)
		faults := map[int64]int{}
		for _, k := range []int64{300, 1_300, 6_200} {
			faults[k] = 130429
		}
		for k := int64(700); k < int64(n); k += 900 {
			faults[k] = 131026
		}
		for k := int64(150); k < int64(n); k += 450 {
			if faults[k] == 0 {
				faults[k] = 131056
			}
		}
		injected := map[int]int{}
		var injMu sync.Mutex
		sender := func(kill bool) chat.Sender {
			return chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
				if chat.IntentFrom(ctx).Purpose != chat.PurposeFollowUp {
					t.Errorf("send without the campaign's purpose: %+v", chat.IntentFrom(ctx))
				}
				k := calls.Add(1)
				if code := faults[k]; code != 0 {
					injMu.Lock()
					injected[code]++
					injMu.Unlock()
					srv.Inject(whatsapptest.Fault{Code: code, Method: "POST", PathSuffix: "/messages"})
				}
				if k == int64(n/3) {
					for _, i := range withdrawn {
						if err := withdraw(ctx, storeLive.Load(), i, time.Now()); err != nil {
							t.Error(err)
						}
					}
				}
				res, err := channel.Send(ctx, to, m)
				if kill && k >= killAt {
					deadOnce.Do(func() { close(dead) })
					<-release // never answers while the "process" is dead
				}
				return res, err
			})
		}
		newRunner := func(st storage.Store, snd chat.Sender) *broadcast.Runner {
			r, err := broadcast.New(st, snd,
				broadcast.WithClassifier(classify),
				broadcast.WithThroughput(throughput),
				broadcast.WithDrainTimeout(time.Second),
				broadcast.WithIDs(func() string { return "alert-1" }))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		first := newRunner(st, sender(true))
		c, err := first.Start(ctx, broadcast.Spec{
			Name:     "bus cancellations",
			Purpose:  chat.PurposeFollowUp,
			Line:     whatsapptest.DefaultPhoneNumberID,
			Template: &chat.Template{Name: "school_bus_update", Language: "en", Body: []chat.Param{{Value: "Monday"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantRecipients := 0
		for i := range n {
			if consented(i) {
				wantRecipients++
			}
		}
		if c.Recipients != wantRecipients {
			t.Fatalf("snapshot has %d recipients, want %d (excluded %v)", c.Recipients, wantRecipients, c.Excluded)
		}

		// First process: runs until it "dies" halfway.
		runCtx, kill := context.WithCancel(ctx)
		firstDone := make(chan error, 1)
		go func() {
			_, err := first.Run(runCtx, c.ID)
			firstDone <- err
		}()
		<-dead
		synctest.Wait() // every worker is now stuck in a send or waiting for a slot
		kill()
		if err := <-firstDone; err == nil {
			t.Fatal("the killed run reported success")
		}
		mid, err := first.Progress(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if mid.Sending == 0 {
			t.Fatal("no recipient was left in sending by the kill")
		}
		stuck := mid.Sending
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}

		// Second process: same file, new store, new Runner.
		st2 := open()
		defer st2.Close()
		storeLive.Store(st2)
		channel, err = whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st2.Contacts()})
		if err != nil {
			t.Fatal(err)
		}
		second := newRunner(st2, sender(false))
		p, err := second.Run(ctx, c.ID)
		close(release)
		if err != nil {
			t.Fatal(err)
		}
		if p.State != broadcast.StateDone {
			t.Fatalf("state %s, want done; progress %+v", p.State, p)
		}

		// Every consented person got exactly one message, except those the
		// fake refused as undeliverable and those who withdrew; nobody else
		// got any.
		got := map[string]int{}
		for _, s := range srv.Sent() {
			got[strings.TrimPrefix(s.To, "+")]++
		}
		isWithdrawn := map[int]bool{}
		for _, i := range withdrawn {
			isWithdrawn[i] = true
		}
		undeliverable := 0
		for i := range n {
			switch k := got[phone(i)]; {
			case k > 1:
				t.Errorf("person %d got %d messages", i, k)
			case !consented(i) && k > 0:
				t.Errorf("person %d did not consent and got a message", i)
			case isWithdrawn[i] && k > 0:
				t.Errorf("person %d withdrew and got a message", i)
			case consented(i) && !isWithdrawn[i] && k == 0:
				undeliverable++
			}
		}
		if want := injected[131026]; undeliverable != want || p.Failures["131026"] != want || p.Failed != want {
			t.Errorf("%d consented people got nothing; %d undeliverable injected; progress failures %v", undeliverable, want, p.Failures)
		}
		if p.Skips["withdrawn"] != len(withdrawn) || p.Skipped != len(withdrawn) {
			t.Errorf("skips %v, want %d withdrawn", p.Skips, len(withdrawn))
		}
		if p.Unknown != stuck || p.Unknowns["interrupted"] != stuck {
			t.Errorf("unknown %d (%v), want the %d sends cut by the kill", p.Unknown, p.Unknowns, stuck)
		}
		if p.Reached()+p.Unknown != len(got) || p.Total != wantRecipients || p.Reached()+p.Unknown+p.Failed+p.Skipped != p.Total {
			t.Errorf("reached %d, fake accepted messages for %d people; progress %+v", p.Reached(), len(got), p)
		}
		if injected[130429] == 0 || injected[131056] == 0 {
			t.Errorf("faults not injected: %v", injected)
		}

		// The per-second rate, measured by the fake, never went over the
		// line's throughput (the runner aims at 80 % of it).
		var times []time.Time
		for _, q := range srv.Requests() {
			if q.Method == "POST" && strings.HasSuffix(q.Path, "/messages") {
				times = append(times, q.Time)
			}
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		peak, j := 0, 0
		for i := range times {
			for times[i].Sub(times[j]) >= time.Second {
				j++
			}
			peak = max(peak, i-j+1)
		}
		if peak > throughput {
			t.Errorf("%d requests in one second; the line allows %d", peak, throughput)
		}
		t.Logf("%d requests, peak %d/s, %v of fake time; injected %v; progress %+v",
			len(times), peak, times[len(times)-1].Sub(times[0]).Round(time.Second), injected, p)
	})
}

package broadcast_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// recorder is a Sender that records what it sends and can fail on demand.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]chat.Outgoing
	n    int
	fail func(n int, to chat.Address) error
}

func (s *recorder) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.fail != nil {
		if err := s.fail(s.n, to); err != nil {
			return chat.SendResult{}, err
		}
	}
	if s.sent == nil {
		s.sent = map[string][]chat.Outgoing{}
	}
	s.sent[to.Contact] = append(s.sent[to.Contact], m)
	return chat.SendResult{MessageID: "wamid." + to.Contact, Time: time.Now()}, nil
}

func (s *recorder) count(contact string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent[contact])
}

func (s *recorder) people() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// temporary is an error that says it is worth retrying.
type temporary struct{}

func (temporary) Error() string   { return "try again" }
func (temporary) Temporary() bool { return true }

func alertSpec() broadcast.Spec {
	return broadcast.Spec{
		Name:     "storm update",
		Purpose:  chat.PurposeFollowUp,
		Line:     "line-1",
		Template: &chat.Template{Name: "storm_update", Language: "en", Body: []chat.Param{{Value: "open"}}},
	}
}

func allConsent(at time.Time) consentOf {
	return func(int) (map[string]storage.PurposeState, bool) {
		return granted(at, chat.PurposeCore, chat.PurposeFollowUp), true
	}
}

func newRunner(t *testing.T, st storage.Store, snd chat.Sender, opts ...broadcast.Option) *broadcast.Runner {
	t.Helper()
	r, err := broadcast.New(st, snd, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStatusesMoveRecipientsForward(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := memory.New()
	now := time.Now()
	seed(t, ctx, st, 3, now, false, allConsent(now))
	snd := &recorder{}
	r := newRunner(t, st, snd, broadcast.WithThroughput(1000))
	c, err := r.Start(ctx, alertSpec())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	status := func(i int, s chat.StatusState, code int) {
		t.Helper()
		cs := &chat.Status{MessageID: "wamid." + phone(i), State: s, Time: now}
		if code != 0 {
			cs.Error = &chat.StatusError{Code: code}
		}
		if err := r.HandleStatus(ctx, cs); err != nil {
			t.Fatal(err)
		}
	}
	status(0, chat.StatusDelivered, 0)
	status(0, chat.StatusRead, 0)
	status(0, chat.StatusSent, 0)        // late: ignored
	status(0, chat.StatusFailed, 131049) // after read: ignored
	status(1, chat.StatusDelivered, 0)   //
	status(1, chat.StatusFailed, 131049) // a failure replaces delivered
	status(2, chat.StatusPlayed, 0)      // counts as read
	if err := r.HandleStatus(ctx, &chat.Status{MessageID: "wamid.other", State: chat.StatusRead}); err != nil {
		t.Fatalf("a status of another message: %v", err)
	}
	p, err := r.Progress(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Read != 2 || p.Failed != 1 || p.Failures["131049"] != 1 || p.Sent != 0 {
		t.Fatalf("progress %+v", p)
	}
}

func TestPauseResumeCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 100, now, false, allConsent(now))
		snd := &recorder{}
		r := newRunner(t, st, snd, broadcast.WithThroughput(10), broadcast.WithShare(1))
		c, err := r.Start(ctx, alertSpec())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan broadcast.Progress)
		go func() {
			p, err := r.Run(ctx, c.ID)
			if err != nil {
				t.Error(err)
			}
			done <- p
		}()
		time.Sleep(3 * time.Second)
		if _, err := r.Run(ctx, c.ID); !errors.Is(err, broadcast.ErrAlreadyRunning) {
			t.Fatalf("second Run: %v", err)
		}
		if err := r.Pause(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		p := <-done
		if p.State != broadcast.StatePaused || p.Queued == 0 || p.Reached() == 0 {
			t.Fatalf("after pause: %+v", p)
		}
		// Run on a paused campaign does nothing.
		if p2, err := r.Run(ctx, c.ID); err != nil || p2.Reached() != p.Reached() {
			t.Fatalf("run while paused: %+v, %v", p2, err)
		}

		// Another process pauses and cancels through the store.
		if err := r.Resume(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		other := newRunner(t, st, &recorder{})
		go func() {
			p, err := r.Run(ctx, c.ID)
			if err != nil {
				t.Error(err)
			}
			done <- p
		}()
		time.Sleep(2 * time.Second)
		if err := other.Cancel(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		p = <-done
		if p.State != broadcast.StateCancelled || p.Queued == 0 {
			t.Fatalf("after cancel: %+v", p)
		}
		if err := r.Resume(ctx, c.ID); !errors.Is(err, broadcast.ErrFinished) {
			t.Fatalf("resume after cancel: %v", err)
		}
		if snd.people() != p.Reached() {
			t.Fatalf("sent to %d people, progress says %d", snd.people(), p.Reached())
		}
		for i := range 100 {
			if k := snd.count(phone(i)); k > 1 {
				t.Fatalf("person %d got %d messages", i, k)
			}
		}
	})
}

func TestFatalErrorHaltsCampaign(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 20, now, false, allConsent(now))
		expired := errors.New("token expired")
		broken := true
		snd := &recorder{fail: func(n int, _ chat.Address) error {
			if n > 5 && broken {
				return expired
			}
			return nil
		}}
		classifier := func(err error) broadcast.Outcome {
			if errors.Is(err, expired) {
				return broadcast.Outcome{Action: broadcast.Fatal, Reason: "190"}
			}
			return broadcast.DefaultClassifier(err)
		}
		r := newRunner(t, st, snd, broadcast.WithClassifier(classifier), broadcast.WithWorkers(1))
		c, err := r.Start(ctx, alertSpec())
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Run(ctx, c.ID)
		if !errors.Is(err, broadcast.ErrHalted) {
			t.Fatalf("run: %v", err)
		}
		if p.State != broadcast.StatePaused || p.Halt != "190" || p.Reached() != 5 || p.Queued != 15 || p.Failed != 0 {
			t.Fatalf("halted: %+v", p)
		}
		snd.mu.Lock()
		broken = false
		snd.mu.Unlock()
		if err := r.Resume(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if p, err = r.Run(ctx, c.ID); err != nil || p.State != broadcast.StateDone || p.Reached() != 20 || p.Halt != "" {
			t.Fatalf("after resume: %+v, %v", p, err)
		}
	})
}

func TestRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 4, now, false, allConsent(now))
		snd := &recorder{fail: func(_ int, to chat.Address) error {
			if to.Contact == phone(1) {
				return temporary{}
			}
			return nil
		}}
		r := newRunner(t, st, snd, broadcast.WithMaxAttempts(3), broadcast.WithBackoff(time.Second, time.Minute))
		c, err := r.Start(ctx, alertSpec())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		p, err := r.Run(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Failed != 1 || p.Failures["temporary"] != 1 || p.Reached() != 3 {
			t.Fatalf("progress %+v", p)
		}
		// Waits of about 1 s and 4 s before the second and third attempts.
		if took := time.Since(start); took < 4*time.Second {
			t.Fatalf("gave up after %v; the backoff was not honoured", took)
		}
		rs, err := st.Broadcasts().Recipients(ctx, c.ID, storage.RecipientFailed, 0, 0)
		if err != nil || len(rs) != 1 || rs[0].Attempts != 3 {
			t.Fatalf("failed recipients %+v, %v", rs, err)
		}
	})
}

func TestUnknownOutcomeIsNeverRepeated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := memory.New()
	now := time.Now()
	seed(t, ctx, st, 3, now, false, allConsent(now))
	snd := &recorder{fail: func(_ int, to chat.Address) error {
		if to.Contact == phone(2) {
			return errors.New("connection reset after the request was written")
		}
		return nil
	}}
	r := newRunner(t, st, snd, broadcast.WithThroughput(1000))
	c, err := r.Start(ctx, alertSpec())
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Run(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Unknown != 1 || p.Unknowns["error"] != 1 || snd.n != 3 {
		t.Fatalf("progress %+v after %d sends", p, snd.n)
	}
}

func TestTextOnlyInsideTheWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 4, now.Add(-30*time.Hour), false, allConsent(now))
		// Two people wrote an hour ago.
		for _, i := range []int{1, 3} {
			if _, err := st.Contacts().Touch(ctx, ref(i), now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		snd := &recorder{}
		r := newRunner(t, st, snd)
		spec := alertSpec()
		spec.Template, spec.Text = nil, "The clinic is open again today."
		c, err := r.Start(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Run(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Reached() != 2 || p.Skips["outside_window"] != 2 || snd.count(phone(1)) != 1 || snd.count(phone(0)) != 0 {
			t.Fatalf("progress %+v", p)
		}
		if _, ok := snd.sent[phone(3)][0].(chat.Text); !ok {
			t.Fatalf("sent %T, want chat.Text", snd.sent[phone(3)][0])
		}
	})
}

func TestDailyLimitWaitsForTheWindowToMove(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		// 30 people, all last heard from two days ago: each counts against
		// the limit of 10 new people a day.
		seed(t, ctx, st, 30, now.Add(-48*time.Hour), false, allConsent(now))
		snd := &recorder{}
		r := newRunner(t, st, snd, broadcast.WithDailyLimit(10))
		c, err := r.Start(ctx, alertSpec())
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(time.Hour)
			p, err := r.Progress(ctx, c.ID)
			if err != nil {
				t.Error(err)
				return
			}
			if p.Reached() != 10 || p.DailyUsed != 10 || p.Waiting.IsZero() {
				t.Errorf("after an hour: %+v", p)
			}
		}()
		p, err := r.Run(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(now); p.Reached() != 30 || took < 48*time.Hour || took > 49*time.Hour {
			t.Fatalf("reached %d in %v; want 30 in just over two days", p.Reached(), took)
		}
	})
}

func TestWithdrawalBeforeTheSendIsSkipped(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 10, now, false, allConsent(now))
		snd := &recorder{}
		r := newRunner(t, st, snd, broadcast.WithThroughput(1), broadcast.WithShare(1))
		c, err := r.Start(ctx, alertSpec())
		if err != nil {
			t.Fatal(err)
		}
		if err := withdraw(ctx, st, 7, now); err != nil {
			t.Fatal(err)
		}
		// Consent that expires while the campaign runs.
		cur, err := st.Consent().State(ctx, ref(8))
		if err != nil {
			t.Fatal(err)
		}
		ps := cur.Purposes[string(chat.PurposeFollowUp)]
		ps.ExpiresAt = now.Add(5 * time.Second)
		cur.Purposes[string(chat.PurposeFollowUp)] = ps
		if err := st.Consent().SaveState(ctx, cur.LastEvent, cur); err != nil {
			t.Fatal(err)
		}
		p, err := r.Run(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Skips["withdrawn"] != 1 || p.Skips["expired"] != 1 || p.Reached() != 8 || snd.count(phone(7)) != 0 || snd.count(phone(8)) != 0 {
			t.Fatalf("progress %+v", p)
		}
	})
}

func TestSegments(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Now()
	st := memory.New()
	// 12 people with profiles; person 5 has no consent, person 6 declined
	// follow-ups.
	seed(t, ctx, st, 12, now, true, func(i int) (map[string]storage.PurposeState, bool) {
		switch i {
		case 5:
			return nil, false
		case 6:
			ps := granted(now, chat.PurposeCore)
			ps[string(chat.PurposeFollowUp)] = storage.PurposeState{State: "declined"}
			return ps, true
		}
		return granted(now, chat.PurposeCore, chat.PurposeFollowUp), true
	})
	tests := []struct {
		name     string
		segment  broadcast.Segment
		fields   []string
		want     []int
		excluded map[string]int
		params   map[int]string
	}{
		{name: "everyone", want: []int{0, 1, 2, 3, 4, 7, 8, 9, 10, 11}, excluded: map[string]int{"no_consent": 1, "declined": 1}},
		{name: "language", segment: broadcast.Segment{Languages: []string{"ar"}}, want: []int{0, 4, 8}},
		{name: "field", segment: broadcast.Segment{Fields: map[string]string{"city": "city-2"}}, want: []int{2, 8, 11}, excluded: map[string]int{"no_consent": 1}},
		{name: "list with params", segment: broadcast.Segment{List: []broadcast.Target{
			{Contact: ref(3), Params: []chat.Param{{Value: "Tuesday"}}},
			{Contact: ref(5)},
			{Contact: ref(3)},
			{Contact: storage.ContactRef{Channel: "whatsapp", Identifier: "15550001111"}},
		}}, want: []int{3}, excluded: map[string]int{"no_consent": 2}, params: map[int]string{3: "Tuesday"}},
		{name: "fields fill parameters", segment: broadcast.Segment{Languages: []string{"en"}, Fields: map[string]string{"city": "city-1"}},
			fields: []string{"city"}, want: []int{1, 7, 10}, params: map[int]string{1: "city-1", 7: "city-1", 10: "city-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snd := &recorder{}
			r := newRunner(t, st, snd, broadcast.WithThroughput(1000))
			spec := alertSpec()
			spec.Segment = tt.segment
			spec.ParamFields = tt.fields
			c, err := r.Start(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if c.Recipients != len(tt.want) || len(c.Excluded) != len(tt.excluded) {
				t.Fatalf("snapshot %d recipients, excluded %v; want %d, %v", c.Recipients, c.Excluded, len(tt.want), tt.excluded)
			}
			for k, v := range tt.excluded {
				if c.Excluded[k] != v {
					t.Fatalf("excluded %v, want %v", c.Excluded, tt.excluded)
				}
			}
			if _, err := r.Run(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			for _, i := range tt.want {
				msgs := snd.sent[phone(i)]
				if len(msgs) != 1 {
					t.Fatalf("person %d got %d messages", i, len(msgs))
				}
				want := "open"
				if v, ok := tt.params[i]; ok {
					want = v
				}
				if got := msgs[0].(chat.Template).Body[0].Value; got != want {
					t.Errorf("person %d parameter %q, want %q", i, got, want)
				}
			}
			if snd.people() != len(tt.want) {
				t.Fatalf("sent to %d people, want %d", snd.people(), len(tt.want))
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	tmpl := &chat.Template{Name: "t", Language: "en"}
	tests := []struct {
		name  string
		spec  broadcast.Spec
		field string
	}{
		{"no purpose", broadcast.Spec{Line: "l", Template: tmpl}, "purpose"},
		{"no line", broadcast.Spec{Purpose: "followup", Template: tmpl}, "line"},
		{"nothing to send", broadcast.Spec{Purpose: "followup", Line: "l"}, "template"},
		{"both", broadcast.Spec{Purpose: "followup", Line: "l", Template: tmpl, Text: "hi"}, "text"},
		{"long name", broadcast.Spec{Name: strings.Repeat("n", 201), Purpose: "followup", Line: "l", Template: tmpl}, "name"},
		{"text with fields", broadcast.Spec{Purpose: "followup", Line: "l", Text: "hi", ParamFields: []string{"city"}}, "param_fields"},
		{"empty field", broadcast.Spec{Purpose: "followup", Line: "l", Template: tmpl, ParamFields: []string{" "}}, "param_fields[0]"},
		{"bad list entry", broadcast.Spec{Purpose: "followup", Line: "l", Template: tmpl, Segment: broadcast.Segment{List: []broadcast.Target{{}}}}, "contact.channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.spec.Validate()
			if !errors.Is(err, chat.ErrInvalid) && !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("Validate() = %v, want an invalid-input error", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Validate() = %v, want it to name %s", err, tt.field)
			}
		})
	}
	ok := broadcast.Spec{Purpose: "followup", Line: "l", Template: tmpl}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFailuresInARowPauseTheCampaign(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 200, now, false, allConsent(now))
		missing := errors.New("template not found")
		snd := &recorder{fail: func(int, chat.Address) error { return missing }}
		classifier := func(err error) broadcast.Outcome {
			return broadcast.Outcome{Action: broadcast.Stop, Reason: "132001"}
		}
		r := newRunner(t, st, snd, broadcast.WithClassifier(classifier), broadcast.WithWorkers(1), broadcast.WithFailureLimit(20))
		c, err := r.Start(ctx, alertSpec())
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Run(ctx, c.ID)
		if !errors.Is(err, broadcast.ErrHalted) {
			t.Fatalf("run: %v", err)
		}
		if p.State != broadcast.StatePaused || p.Failed != 20 || p.Queued != 180 || !strings.Contains(p.Halt, "20 sends in a row failed with 132001") {
			t.Fatalf("progress %+v", p)
		}
	})
}

func TestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := memory.New()
		now := time.Now()
		seed(t, ctx, st, 20, now, false, allConsent(now))
		if err := withdraw(ctx, st, 3, now); err != nil {
			t.Fatal(err)
		}
		snd := &recorder{fail: func(n int, to chat.Address) error {
			switch n % 5 {
			case 1:
				return temporary{}
			case 2:
				return errors.New("failed sending to " + to.Contact)
			}
			return nil
		}}
		var logs strings.Builder
		var mu sync.Mutex
		logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logs.Write(p)
		}), &slog.HandlerOptions{Level: slog.LevelDebug}))
		r := newRunner(t, st, snd, broadcast.WithLogger(logger), broadcast.WithMaxAttempts(2))
		spec := alertSpec()
		spec.Template.Body[0].Value = "Amina, the clinic opens at 9"
		c, err := r.Start(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(logs.String(), "broadcast send failed") {
			t.Fatalf("no failure logged:\n%s", logs.String())
		}
		for i := range 20 {
			if strings.Contains(logs.String(), phone(i)) || strings.Contains(logs.String(), phone(i)[3:]) {
				t.Fatalf("the logs hold person %d's number:\n%s", i, logs.String())
			}
		}
		if strings.Contains(logs.String(), "Amina") {
			t.Fatalf("the logs hold message text:\n%s", logs.String())
		}
	})
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

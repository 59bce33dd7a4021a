package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c, err := parse(args, stderr, getenv)
	if err != nil {
		return err
	}
	ring, err := keyring.FromFile(c.keyFile, keyring.Create())
	if err != nil {
		return err
	}
	opts := []sqlite.Option{sqlite.WithKeyring(ring)}
	if c.simulated() {
		// Demo data only: a power cut may lose the last writes, a crash
		// of the program never does.
		opts = append(opts, sqlite.WithSynchronous("normal"))
	}
	st, err := sqlite.Open(ctx, c.db, opts...)
	if err != nil {
		return err
	}
	defer st.Close()

	sending := c.command == "start" || c.command == "resume"
	var (
		sender chat.Sender = chat.SenderFunc(func(context.Context, chat.Address, chat.Outgoing) (chat.SendResult, error) {
			return chat.SendResult{}, errors.New("this command does not send")
		})
		sim  *simulator
		line = c.phoneNumberID
	)
	switch {
	case sending && c.simulated():
		sim, err = newSimulator(c, st)
		if err != nil {
			return err
		}
		defer sim.close()
		sender, line = sim, whatsapptest.DefaultPhoneNumberID
		if err := seedDemo(ctx, st, c); err != nil {
			return err
		}
	case sending:
		wopts := []whatsapp.Option{whatsapp.WithRateLimit(c.throughput), whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1})}
		if c.apiURL != "" {
			wopts = append(wopts, whatsapp.WithBaseURL(c.apiURL))
		}
		client, err := whatsapp.New(c.token, wopts...)
		if err != nil {
			return err
		}
		ch, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()})
		if err != nil {
			return err
		}
		sender = ch
	}

	runner, err := broadcast.New(st, sender,
		broadcast.WithClassifier(classify),
		broadcast.WithThroughput(c.throughput),
		broadcast.WithDailyLimit(c.tier))
	if err != nil {
		return err
	}
	if sim != nil {
		go sim.reportStatuses(ctx, runner)
	}

	switch c.command {
	case "status":
		p, err := runner.Progress(ctx, c.id)
		if err != nil {
			return err
		}
		summary(stdout, p)
		return nil
	case "pause":
		if err := runner.Pause(ctx, c.id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "campaign %s paused; resume it with: broadcast resume -id %s\n", c.id, c.id)
		return nil
	case "cancel":
		if err := runner.Cancel(ctx, c.id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "campaign %s cancelled\n", c.id)
		return nil
	case "resume":
		if err := runner.Resume(ctx, c.id); err != nil {
			return err
		}
		return watch(ctx, runner, c, c.id, sim, stdout, stderr)
	}

	spec := broadcast.Spec{
		Name:    "alert " + time.Now().UTC().Format("2006-01-02 15:04"),
		Purpose: chat.Purpose(c.purpose),
		Line:    line,
	}
	if c.text != "" {
		spec.Text = c.text
	} else {
		t := &chat.Template{Name: c.template, Language: c.lang}
		for _, v := range c.params {
			t.Body = append(t.Body, chat.Param{Value: v})
		}
		spec.Template = t
	}
	if c.language != "" {
		spec.Segment.Languages = []string{c.language}
	}
	camp, err := runner.Start(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "campaign %s: %d recipients", camp.ID, camp.Recipients)
	if n := sum(camp.Excluded); n > 0 {
		fmt.Fprintf(stdout, " (%d left out: %s)", n, reasons(camp.Excluded))
	}
	fmt.Fprintf(stdout, ", sending at %.0f messages/s\n", runner.Rate())
	return watch(ctx, runner, c, camp.ID, sim, stdout, stderr)
}

// watch runs the campaign with a progress bar and prints the summary.
func watch(ctx context.Context, runner *broadcast.Runner, c config, id string, sim *simulator, stdout, stderr io.Writer) error {
	p, err := runner.Progress(ctx, id)
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(p.Total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetVisibility(c.bar),
		progressbar.OptionSetDescription("sending"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("msg"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionFullWidth(),
	)
	done := make(chan error, 1)
	go func() {
		_, err := runner.Run(ctx, id)
		done <- err
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var runErr error
loop:
	for {
		select {
		case runErr = <-done:
			break loop
		case <-tick.C:
			if p, err := runner.Progress(context.WithoutCancel(ctx), id); err == nil {
				_ = bar.Set(p.Settled())
			}
		}
	}
	if sim != nil {
		sim.settle(ctx)
	}
	p, err = runner.Progress(context.WithoutCancel(ctx), id)
	if err != nil {
		return err
	}
	_ = bar.Set(p.Settled())
	_ = bar.Finish()
	fmt.Fprintln(stderr)
	summary(stdout, p)
	switch {
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintf(stdout, "\ninterrupted; carry on with: broadcast resume -id %s\n", id)
		return nil
	case errors.Is(runErr, broadcast.ErrHalted):
		fmt.Fprintf(stdout, "\npaused by an error every send would meet (%s); fix it, then: broadcast resume -id %s\n", p.Halt, id)
		return nil
	case runErr != nil:
		return runErr
	case p.State == broadcast.StatePaused:
		fmt.Fprintf(stdout, "\npaused; carry on with: broadcast resume -id %s\n", id)
	}
	return nil
}

// summary prints the final table.
func summary(w io.Writer, p broadcast.Progress) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "campaign %s\t%s\n", p.ID, p.State)
	row := func(label string, n int) { fmt.Fprintf(tw, "%s\t%8d\n", label, n) }
	row("recipients", p.Total)
	row("queued", p.Queued)
	row("sending", p.Sending)
	row("sent", p.Sent)
	row("delivered", p.Delivered)
	row("read", p.Read)
	row("failed", p.Failed)
	for _, k := range slices.Sorted(maps.Keys(p.Failures)) {
		row("  "+k, p.Failures[k])
	}
	row("skipped", p.Skipped)
	for _, k := range slices.Sorted(maps.Keys(p.Skips)) {
		row("  "+k, p.Skips[k])
	}
	row("unknown (never resent)", p.Unknown)
	for _, k := range slices.Sorted(maps.Keys(p.Unknowns)) {
		row("  "+k, p.Unknowns[k])
	}
	if p.Halt != "" {
		fmt.Fprintf(tw, "halted by\t%s\n", p.Halt)
	}
	tw.Flush()
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

func reasons(m map[string]int) string {
	out := ""
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%d %s", m[k], k)
	}
	return out
}

// seedDemo fills an empty store with demo people: nine in ten agreed to the
// service and to the campaign's purpose, the others did not. Every third
// speaks Arabic.
func seedDemo(ctx context.Context, st storage.Store, c config) error {
	for _, err := range st.Contacts().List(ctx) {
		if err != nil {
			return err
		}
		return nil // not empty
	}
	now := time.Now()
	for i := range c.demo {
		ref := storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: fmt.Sprintf("1555%07d", i)}
		ct, err := st.Contacts().Touch(ctx, ref, now.Add(-48*time.Hour))
		if err != nil {
			return err
		}
		ct.Language = "en"
		if i%3 == 0 {
			ct.Language = "ar"
		}
		if _, err := st.Contacts().Update(ctx, ct, now); err != nil {
			return err
		}
		if i%10 == 9 {
			continue
		}
		purposes := []string{string(chat.PurposeCore), c.purpose}
		e := storage.ConsentEvent{
			ID: uuid.NewString(), Contact: ref, Type: "granted", Purposes: purposes,
			Method: "demo", Actor: "system", Basis: "consent", OccurredAt: now, RecordedAt: now,
		}
		next := storage.ConsentState{Contact: ref, Purposes: map[string]storage.PurposeState{}, LastEvent: e.ID, UpdatedAt: now}
		for _, p := range purposes {
			next.Purposes[p] = storage.PurposeState{State: "granted", Basis: "consent", Since: now}
		}
		if err := st.Consent().Append(ctx, e, "", next); err != nil {
			return err
		}
	}
	return nil
}

// simulator is the built-in fake Graph API with a sender in front of it that
// makes a share of the sends undeliverable, and a stand-in for the webhook
// that reports deliveries and reads.
type simulator struct {
	srv      *whatsapptest.Server
	ch       *whatsapp.Channel
	failRate float64
	sent     chan accepted
}

// accepted is a message the simulator accepted, and when.
type accepted struct {
	id string
	at time.Time
}

func newSimulator(c config, st storage.Store) (*simulator, error) {
	s := &simulator{failRate: c.undeliverable / 100, sent: make(chan accepted, 1<<16)}
	s.srv = whatsapptest.NewServer(
		whatsapptest.WithThroughput(c.throughput),
		whatsapptest.WithHistory(10000), // a campaign is long; keep memory bounded
		whatsapptest.WithOnSend(func(m whatsapptest.Sent) {
			select {
			case s.sent <- accepted{m.MessageID, time.Now()}:
			default: // statuses are a demo nicety; never hold a send up
			}
		}))
	client, err := s.srv.NewClient(whatsapp.WithRateLimit(c.throughput), whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		s.srv.Close()
		return nil, err
	}
	if s.ch, err = whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()}); err != nil {
		s.srv.Close()
		return nil, err
	}
	return s, nil
}

// Send implements chat.Sender.
func (s *simulator) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	if rand.Float64() < s.failRate {
		s.srv.Inject(whatsapptest.Fault{Code: 131026, Method: "POST", PathSuffix: "/messages"})
	}
	return s.ch.Send(ctx, to, m)
}

// reportStatuses plays the webhook: each accepted message is delivered
// half a second later, and most are read.
func (s *simulator) reportStatuses(ctx context.Context, runner *broadcast.Runner) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-s.sent:
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(m.at.Add(500 * time.Millisecond))):
			}
			now := time.Now()
			_ = runner.HandleStatus(ctx, &chat.Status{MessageID: m.id, State: chat.StatusDelivered, Time: now})
			if rand.IntN(10) < 7 {
				_ = runner.HandleStatus(ctx, &chat.Status{MessageID: m.id, State: chat.StatusRead, Time: now})
			}
		}
	}
}

// settle waits a little for the last statuses.
func (s *simulator) settle(ctx context.Context) {
	deadline := time.Now().Add(3 * time.Second)
	for len(s.sent) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(600 * time.Millisecond)
}

func (s *simulator) close() { s.srv.Close() }

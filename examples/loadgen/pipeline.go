package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/internal/loadgen"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// pipelineConfig is one run of the full pipeline against one store.
type pipelineConfig struct {
	Name       string        // the store's name, for the report
	Store      storage.Store // a fresh store; the run does not close it
	Plan       loadgen.Plan
	Contacts   int           // distinct people writing
	Workers    int           // chat.Server workers
	APILatency time.Duration // the fake Graph API's answer delay
	Settle     time.Duration // how long to wait for the last replies
	Known      bool          // the people have written before: the store knows them
	RunID      string        // makes message ids unique across runs on one database
	Logger     *slog.Logger
}

// result is what one run measured.
type result struct {
	Name      string
	Driven    loadgen.Driven
	Delivered int // deliveries the webhook answered 200
	Replied   int // replies the fake Graph API accepted
	// Throughput is replies per second from the first scheduled delivery to
	// the last reply: messages fully handled, sustained.
	Throughput float64
	// Ack is from the scheduled delivery time to the webhook's 200 (the
	// events are durable). AckWire is from the start of the request.
	Ack, AckWire loadgen.Summary
	// EndToEnd is from the scheduled delivery time to the reply reaching
	// the fake Graph API.
	EndToEnd loadgen.Summary
	Counters chat.CountersSnapshot
	// CPU is the processor time this process used during the run (user and
	// system, all goroutines: the generator, the webhook, the runtime, the
	// store, the client and the fake API), per replied message. Unlike the
	// rates, it hardly depends on what else the machine is doing.
	CPU time.Duration
}

const (
	loadSecret = "loadgen-app-secret"
	replyText  = "Received "
)

// runPipeline starts webhook (HTTP on loopback) → signature check → Accept
// → chat.Server → a handler that replies → whatsapp.Channel →
// whatsapp.Client (HTTP on loopback) → the fake Graph API, drives it with
// signed deliveries of one text message each, and measures.
func runPipeline(ctx context.Context, cfg pipelineConfig) (result, error) {
	res := result{Name: cfg.Name}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var (
		pending   sync.Map // wamid -> scheduled time
		ack, wire loadgen.Recorder
		e2e       loadgen.Recorder
		replied   atomic.Int64
		delivered atomic.Int64
		lastReply atomic.Int64 // unix nanoseconds
	)
	onSend := func(s whatsapptest.Sent) {
		id, ok := strings.CutPrefix(s.Text, replyText)
		if !ok {
			return
		}
		if v, ok := pending.LoadAndDelete(id); ok {
			now := time.Now()
			e2e.Add(now.Sub(v.(time.Time)))
			replied.Add(1)
			lastReply.Store(now.UnixNano())
		}
	}
	// The fake API's goroutines carry the profile label side=meta, the
	// line's side=line (see metaSide).
	var fake *whatsapptest.Server
	pprof.Do(ctx, metaSide, func(context.Context) {
		fake = whatsapptest.NewServer(
			whatsapptest.WithThroughput(0), whatsapptest.WithPairLimit(0, 0), whatsapptest.WithoutWindow(),
			whatsapptest.WithHistory(0), // the run counts replies in onSend
			whatsapptest.WithLatency(cfg.APILatency), whatsapptest.WithOnSend(onSend))
	})
	defer fake.Close()
	if err := loadgen.CheckLoopback(fake.URL); err != nil {
		return res, err
	}
	apiHTTP := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute,
	}}
	client, err := fake.NewClient(whatsapp.WithHTTPClient(apiHTTP), whatsapp.WithoutPacing())
	if err != nil {
		return res, err
	}
	channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: cfg.Store.Contacts()})
	if err != nil {
		return res, err
	}
	answer := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		_, err := r.Reply(ctx, chat.Text{Body: replyText + m.ID})
		return err
	})
	var counters chat.Counters
	srv, err := chat.NewServer(cfg.Store, answer, chat.WithSender(channel), chat.WithWorkers(cfg.Workers),
		chat.WithMetrics(&counters), chat.WithLogger(log), chat.WithPollInterval(100*time.Millisecond))
	if err != nil {
		return res, err
	}
	hook, err := webhook.NewHandler(webhook.Config{Secrets: []string{loadSecret}, VerifyToken: "loadgen", Logger: log}, srv)
	if err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	hs := &http.Server{Handler: hook, ReadHeaderTimeout: 10 * time.Second}
	go pprof.Do(ctx, lineSide, func(context.Context) { _ = hs.Serve(ln) })
	defer hs.Close()
	webhookURL := "http://" + ln.Addr().String() + "/webhook"
	if err := loadgen.CheckLoopback(webhookURL); err != nil {
		return res, err
	}

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	runDone := make(chan error, 1)
	go pprof.Do(ctx, lineSide, func(context.Context) { runDone <- srv.Run(runCtx) })

	conc := cfg.Plan.Concurrency
	if conc == 0 {
		conc = 64
	}
	meta := newRawClient(ln.Addr().String(), conc)
	defer meta.close()
	// Build and sign every delivery, down to the bytes of its request,
	// before the clock starts, so that the generator's own work is not
	// measured as the pipeline's.
	type delivery struct {
		id      string
		request []byte
	}
	n := cfg.Plan.Count
	if cfg.Plan.Rate > 0 {
		n = min(n, int(cfg.Plan.Rate*cfg.Plan.Duration.Seconds())+1)
	}
	deliveries := make([]delivery, n)
	sentAt := time.Now()
	// Each person's messages are a second apart, as in a conversation, and
	// all in the past (Meta's timestamps are whole seconds): each is later
	// than the person's last, as on a line.
	perPerson := (n + cfg.Contacts - 1) / cfg.Contacts
	firstAt := sentAt.Truncate(time.Second).Add(-time.Duration(perPerson) * time.Second)
	for i := range deliveries {
		id := fmt.Sprintf("wamid.load.%s.%d", cfg.RunID, i)
		body := webhooktest.TextPayload(webhooktest.TextMessage{
			Line: whatsapptest.DefaultPhoneNumberID,
			From: person(i % cfg.Contacts),
			ID:   id,
			Body: "Hello, where can I find the nearest office?",
			Time: firstAt.Add(time.Duration(i/cfg.Contacts) * time.Second),
		})
		deliveries[i] = delivery{id: id, request: rawRequest(ln.Addr().String(), "/webhook", body, webhooktest.Sign(body, loadSecret))}
	}
	cfg.Plan.Count = n
	if cfg.Known {
		if err := knowPeople(ctx, cfg.Store, min(cfg.Contacts, n), sentAt.Add(-time.Hour)); err != nil {
			return res, fmt.Errorf("known people: %w", err)
		}
	}

	cpuStart := processCPU()
	start := time.Now()
	deliver := func(ctx context.Context, i int, scheduled time.Time) error {
		d := deliveries[i]
		id := d.id
		pending.Store(id, scheduled)
		sent := time.Now()
		status, err := meta.do(ctx, d.request)
		if err != nil {
			pending.Delete(id)
			return err
		}
		now := time.Now()
		if status != http.StatusOK {
			pending.Delete(id)
			return fmt.Errorf("webhook answered %d", status)
		}
		ack.Add(now.Sub(scheduled))
		wire.Add(now.Sub(sent))
		delivered.Add(1)
		return nil
	}
	var driven loadgen.Driven
	pprof.Do(ctx, metaSide, func(ctx context.Context) {
		driven, err = loadgen.Drive(ctx, cfg.Plan, deliver)
	})
	if err != nil {
		return res, err
	}
	// Wait for the replies to the accepted deliveries.
	settle := time.NewTimer(cfg.Settle)
	defer settle.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for replied.Load() < delivered.Load() {
		select {
		case <-settle.C:
			break wait
		case <-ctx.Done():
			break wait
		case <-tick.C:
		}
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("loadgen: server shutdown", "error", err)
	}
	if err := <-runDone; err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("loadgen: server run", "error", err)
	}

	if res.Replied = int(replied.Load()); res.Replied > 0 {
		res.CPU = (processCPU() - cpuStart) / time.Duration(res.Replied)
	}
	res.Driven = driven
	res.Delivered = int(delivered.Load())
	res.Replied = int(replied.Load())
	if last := lastReply.Load(); last > 0 {
		res.Throughput = float64(res.Replied) / time.Unix(0, last).Sub(start).Seconds()
	}
	res.Ack = ack.Summary()
	res.AckWire = wire.Summary()
	res.EndToEnd = e2e.Summary()
	res.Counters = counters.Snapshot()
	return res, nil
}

// person is the phone number of the i-th person writing.
func person(i int) string { return fmt.Sprintf("4477009%05d", i) }

// knowPeople makes the store know the first n people, as if each had
// written at the given time: their contacts and data keys exist, and a
// run measures a line's steady state, where most messages come from
// people it knows, rather than n first contacts at once. The Touches run
// side by side so that the store groups their commits.
func knowPeople(ctx context.Context, st storage.Store, n int, at time.Time) error {
	const side = 32
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		first atomic.Pointer[error]
	)
	for range side {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || first.Load() != nil {
					return
				}
				ref := storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: person(i)}
				if _, err := st.Contacts().Touch(ctx, ref, at); err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := first.Load(); err != nil {
		return *err
	}
	return nil
}

// metaSide and lineSide label the goroutines of a CPU profile (-cpuprofile)
// by whose work they do: Meta's side (the sender of the deliveries and the
// fake Graph API, which in service run on Meta's machines) or the line's
// (the webhook, the runtime, the store and the client). Goroutines inherit
// the label of the goroutine that starts them; the Go runtime's own work
// (the collector, the scheduler) carries none. `go tool pprof -tags` splits
// the samples by it.
var (
	metaSide = pprof.Labels("side", "meta")
	lineSide = pprof.Labels("side", "line")
)

// processCPU is the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/examples"
	"github.com/impactchat/impactchat/examples/helpline/console"
	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/internal/redact"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/triage"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// simulatedLine is the phone number id of the simulator's line.
const simulatedLine = whatsapptest.DefaultPhoneNumberID

// app is one running line: every part wired as DESIGN.md draws it.
type app struct {
	cfg  config
	line *lineConfig
	log  *slog.Logger
	out  io.Writer

	listener net.Listener
	http     *http.Server
	baseURL  string
	// lineID and appSecret are the line's phone number id and app secret
	// (generated for the simulator).
	lineID    string
	appSecret string

	store    storage.Store
	sim      *whatsapptest.Server
	phone    *phone
	server   *chat.Server
	queue    *triage.Queue
	consent  *consent.Service
	lexicons *triage.Lexicons
	ready    atomic.Bool
}

// content is where line.yaml, the playbooks, the notices and the lexicons
// come from.
type content struct {
	fsys     fs.FS  // has playbooks/ and notices/
	line     []byte // line.yaml
	lineName string
	lexicons string // a folder of lexicon files; empty: the seed lexicons
	where    string
}

// findContent picks the folder given with -content; else the files beside
// this example when run from the repository, so edits need no rebuild; else
// the copies built into the binary.
func findContent(dir string) (content, error) {
	if dir == "" {
		if st, err := os.Stat(filepath.Join("examples", "helpline", "line.yaml")); err == nil && !st.IsDir() {
			dir = "examples"
		}
	}
	if dir == "" {
		return content{fsys: examples.Content, line: defaultLine, lineName: "line.yaml (built in)", where: "built-in copies"}, nil
	}
	c := content{fsys: os.DirFS(dir), where: dir}
	for _, p := range []string{filepath.Join(dir, "line.yaml"), filepath.Join(dir, "helpline", "line.yaml")} {
		if b, err := readAtMost(p, maxLineFile+1); err == nil {
			c.line, c.lineName = b, p // parseLine refuses it when too long
			break
		}
	}
	if c.line == nil {
		return c, fmt.Errorf("-content %s: no line.yaml in it (nor in its helpline folder)", dir)
	}
	if st, err := os.Stat(filepath.Join(dir, "lexicons")); err == nil && st.IsDir() {
		c.lexicons = filepath.Join(dir, "lexicons")
	}
	return c, nil
}

func newApp(ctx context.Context, cfg config, stdout, stderr io.Writer) (_ *app, err error) {
	level := slog.LevelInfo
	if cfg.simulated() && cfg.phone {
		level = slog.LevelWarn // keep the terminal for the conversation
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: redact.ReplaceAttr}))
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.getenv == nil {
		cfg.getenv = os.Getenv
	}
	now := cfg.now
	workers := cfg.workers
	if workers == 0 {
		workers = defaultWorkers
	}
	a := &app{cfg: cfg, log: log, out: stdout}
	defer func() {
		if err != nil {
			a.close()
		}
	}()

	src, err := findContent(cfg.content)
	if err != nil {
		return nil, err
	}
	if a.line, err = parseLine(src.lineName, src.line); err != nil {
		return nil, err
	}

	if a.listener, err = net.Listen("tcp", cfg.addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w (choose another with -addr)", cfg.addr, err)
	}
	a.baseURL = "http://" + loopbackAddr(a.listener.Addr())

	var ring storage.Keyring
	if a.store, ring, err = openStore(ctx, cfg.db, cfg.keyFile, cfg.getenv, now); err != nil {
		return nil, err
	}

	// WhatsApp: the real Graph API, or the simulator.
	lineID, appSecret, verifyToken := cfg.phoneNumberID, cfg.appSecret, cfg.verifyToken
	var client *whatsapp.Client
	if cfg.simulated() {
		lineID, appSecret, verifyToken = simulatedLine, randomSecret(), randomSecret()
		var show func(whatsapptest.Sent)
		var mu sync.Mutex
		simOpts := []whatsapptest.Option{
			whatsapptest.WithStatusWebhooks(a.baseURL+"/webhook", appSecret),
			whatsapptest.WithOnSend(func(s whatsapptest.Sent) {
				mu.Lock()
				f := show
				mu.Unlock()
				if f != nil {
					f(s)
				}
				if cfg.onSend != nil {
					cfg.onSend(s)
				}
			}),
			whatsapptest.WithTemplate(whatsapptest.DefaultWABAID, followUpTemplate(a.line)),
			whatsapptest.WithClock(now),
			// The simulator may run for days: it keeps the newest
			// requests only, so its memory stays bounded.
			whatsapptest.WithHistory(10000),
		}
		clientOpts := []whatsapp.Option{whatsapp.WithLogger(log)}
		// Meta delivers webhooks concurrently over kept-alive connections;
		// so does the simulator.
		simOpts = append(simOpts, whatsapptest.WithWebhookClient(&http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute},
		}))
		if cfg.unlimited {
			simOpts = append(simOpts, whatsapptest.WithThroughput(0), whatsapptest.WithPairLimit(0, 0))
			clientOpts = append(clientOpts, whatsapp.WithoutPacing())
		}
		a.sim = whatsapptest.NewServer(simOpts...)
		if client, err = a.sim.NewClient(clientOpts...); err != nil {
			return nil, err
		}
		if cfg.phone {
			a.phone = newPhone(a.sim, a.baseURL+"/webhook", appSecret, lineID, a.store, stdout)
			mu.Lock()
			show = a.phone.show
			mu.Unlock()
		}
	} else {
		opts := []whatsapp.Option{whatsapp.WithLogger(log)}
		if cfg.apiURL != "" {
			opts = append(opts, whatsapp.WithBaseURL(cfg.apiURL))
		}
		if client, err = whatsapp.New(cfg.token, opts...); err != nil {
			return nil, fmt.Errorf("WhatsApp client: %w", err)
		}
	}
	a.lineID, a.appSecret = lineID, appSecret
	channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: a.store.Contacts()}, whatsapp.WithChannelClock(clock{now}))
	if err != nil {
		return nil, err
	}

	// Consent: notices in every language the line speaks, the ledger, the
	// gate and the guard.
	notices, err := consent.LoadNoticesFS(src.fsys, "notices", a.line.DefaultLanguage)
	if err != nil {
		return nil, fmt.Errorf("notices in %s: %w", src.where, err)
	}
	language := a.contactLanguage
	ctl := a.line.Controller
	if a.consent, err = consent.New(a.store, notices,
		consent.WithLogger(log),
		consent.WithClock(now),
		consent.WithController(consent.Controller{Name: ctl.Name, Contact: ctl.Contact, Email: ctl.Email, URL: ctl.URL, Jurisdiction: ctl.Jurisdiction, Service: ctl.Service}),
	); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	guard := a.consent.Guard(channel)

	// Triage: the lexicons, the queue with its hours and SLAs, the screen
	// and the router.
	sched, err := a.line.schedule()
	if err != nil {
		return nil, err
	}
	load := func() (*triage.Lexicon, error) { return triage.LoadLexicon(triage.SeedLexicons()) }
	if src.lexicons != "" {
		dir := src.lexicons
		load = func() (*triage.Lexicon, error) { return triage.LoadLexiconDir(dir) }
	}
	if a.lexicons, err = triage.NewLexicons(load); err != nil {
		return nil, fmt.Errorf("lexicons: %w", err)
	}
	if a.queue, err = triage.NewQueue(a.store.Tickets(),
		triage.WithAudit(a.store.Audit()),
		triage.WithContacts(a.store.Contacts()),
		triage.WithSchedule(sched),
		triage.WithNotifier(triage.NotifierFunc(a.notify)),
		triage.WithLogger(log),
		triage.WithClock(now),
	); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	replies := a.line.replies()
	screen, err := triage.NewScreen(triage.ScreenConfig{
		Lexicon: a.lexicons, Queue: a.queue, Replies: replies, Logger: log, Language: language,
		Buttons: map[string]triage.Category{"talk-to-staff": triage.HumanRequest, "staff": triage.HumanRequest},
		// Withdrawal, erasure and export reach consent in an urgent
		// conversation too, in every language consent knows.
		Control: a.consent.AsksForRights,
	})
	if err != nil {
		return nil, fmt.Errorf("screen: %w", err)
	}

	// Flows: the playbooks, run by the flow runner; a hand-off in a playbook
	// goes to the queue.
	lib, err := flow.LoadLibrary(subFS(src.fsys, "playbooks"), a.line.Playbooks...)
	if err != nil {
		return nil, fmt.Errorf("playbooks in %s: %w", src.where, err)
	}
	media := &mediaUploader{fsys: subFS(src.fsys, "playbooks"), client: client, line: lineID, now: now, log: log, ids: map[string]uploaded{}}
	runner, err := flow.NewRunner(lib, a.store.Sessions(), a.store.Contacts(),
		flow.WithLogger(log),
		flow.WithClock(now),
		flow.WithMedia(media.resolve),
		flow.WithHandoff(handoff{a.queue}),
	)
	if err != nil {
		return nil, fmt.Errorf("flow runner: %w", err)
	}
	var routes []triage.Route
	for _, f := range a.line.FAQ {
		routes = append(routes, triage.Route{Name: f.Name, When: triage.Keyword(f.Keywords...), Then: triage.Answer(f.Answer)})
	}
	routes = append(routes, triage.Route{Name: "playbook", When: triage.Always(), Then: triage.Handle(runner)})
	router, err := triage.NewRouter(triage.RouterConfig{
		Routes: routes, Queue: a.queue, Replies: replies, Contacts: a.store.Contacts(), Language: language, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}

	// The runtime: the conversation log first (only for people who agreed,
	// so that what the screen keeps from the bot, an urgent message and
	// what follows it, is there for the staff who take the case), then the
	// screen, on every message (a group's too: an urgent one reaches a
	// person), then group messages leave the bot, then consent, then the
	// router.
	handler := chat.Chain(router, a.consent.RecordGranted(a.store.Messages()), screen.Middleware, a.directOnly, a.consent.Gate)
	if a.server, err = chat.NewServer(a.store, handler, chat.WithSender(guard), chat.WithLogger(log), chat.WithClock(now), chat.WithWorkers(workers)); err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	hook, err := webhook.NewHandler(webhook.Config{Secrets: []string{appSecret}, VerifyToken: verifyToken, Logger: log}, a.server)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}

	// The staff console signs its cookies with a key derived from the
	// keyring, so every replica sharing the keyring accepts them.
	idx, err := ring.IndexKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	cookieKey := hmac.New(sha256.New, idx)
	cookieKey.Write([]byte("helpline console session key"))
	con, err := console.New(console.Config{
		Store: a.store, Queue: queueAdapter{a.queue}, Sender: guard, Line: lineID, Key: cookieKey.Sum(nil),
		FollowUp:        console.Template{Name: a.line.FollowUp.Name, Language: a.line.FollowUp.Language},
		InsecureCookies: cfg.simulated(), Logger: log, Now: now, Rights: a.consent,
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/webhook", hook)
	mux.Handle("/console/", con)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", a.readyz)
	a.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	a.ready.Store(true)
	return a, nil
}

func subFS(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return fsys
	}
	return sub
}

func followUpTemplate(l *lineConfig) whatsapp.Template {
	return whatsapp.Template{Name: l.FollowUp.Name, Language: l.FollowUp.Language, Category: "UTILITY",
		Components: []whatsapp.TemplateComponent{{Type: "BODY", Text: "We have an answer to your question: {{1}}"}}}
}

// directOnly keeps group messages away from the bot: this line answers
// people who write to it directly, and a question asked in a moderated group
// is for the group's moderators, not for a one-to-one notice or menu. It
// runs after the screen, so that an urgent message posted in a group still
// opens a case and reaches a person.
func (a *app) directOnly(next chat.Handler) chat.Handler {
	return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		if m.Group != "" {
			a.log.InfoContext(ctx, "helpline: group message left to the group's moderators", "message", m)
			return nil
		}
		return next.Handle(ctx, r, m)
	})
}

// contactLanguage is the language the person chose, as kept on their contact.
func (a *app) contactLanguage(ctx context.Context, m *chat.Message) string {
	c, err := a.store.Contacts().Get(ctx, storage.ContactRef{Channel: m.From.Channel, Identifier: m.From.Contact})
	if err != nil {
		return ""
	}
	return c.Language
}

// handoff puts a person a playbook hands over into the human queue, and
// tells the flow runner to stay quiet while staff own the conversation.
type handoff struct{ q *triage.Queue }

var (
	_ flow.Handoff       = handoff{}
	_ flow.HandoffStatus = handoff{}
)

func (h handoff) Handoff(ctx context.Context, to chat.Address, priority int, reason string) error {
	_, _, err := h.q.Enqueue(ctx, triage.Request{
		Contact:  storage.ContactRef{Channel: to.Channel, Identifier: to.Contact},
		Priority: triage.Priority(priority), Category: triage.HumanRequest,
	})
	return err
}

func (h handoff) Active(ctx context.Context, to chat.Address) (bool, error) {
	_, err := h.q.Active(ctx, storage.ContactRef{Channel: to.Channel, Identifier: to.Contact})
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// notify is where pages, escalations and breaches go. They carry ids and
// priorities only; a real line sends them by email, SMS or a pager.
func (a *app) notify(_ context.Context, e triage.Event) error {
	a.log.Warn("staff notification", "event", e)
	return nil
}

func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if !a.ready.Load() {
		http.Error(w, "starting\n", http.StatusServiceUnavailable)
		return
	}
	if err := a.store.Ping(ctx); err != nil {
		http.Error(w, "store unreachable\n", http.StatusServiceUnavailable)
		return
	}
	if err := a.lexicons.Err(); err != nil {
		// The last good lexicon is still in use; say so without failing.
		w.Header().Set("X-Lexicon-Reload", "failed")
	}
	io.WriteString(w, "ready\n")
}

// run serves until ctx ends (or /quit on the simulator's phone), then stops
// gracefully: no new deliveries, the runtime drains, the store closes.
func (a *app) run(ctx context.Context, stdin io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer a.close()

	errc := make(chan error, 3)
	go func() {
		if err := a.http.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	runDone := make(chan error, 1)
	go func() { runDone <- a.server.Run(ctx) }()
	go a.background(ctx)

	if a.line.Name != "" {
		fmt.Fprintf(a.out, "%s is open.\n", a.line.Name)
	}
	if a.cfg.simulated() {
		fmt.Fprintf(a.out, "No WhatsApp credentials are set: running against the built-in simulator of the WhatsApp Graph API.\n")
	}
	fmt.Fprintf(a.out, "Staff console: %s/console/ (create an account with: go run ./examples/helpline adduser -login NAME)\n", a.baseURL)
	if a.cfg.simulated() && a.phone != nil {
		go func() {
			if err := a.phone.run(ctx, stdin); err != nil {
				errc <- err
				return
			}
			if ctx.Err() == nil {
				fmt.Fprintf(a.out, "Goodbye.\n")
				cancel()
			}
		}()
	} else {
		fmt.Fprintf(a.out, "Webhook: %s/webhook\n", a.baseURL)
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		cancel()
	}
	shut, done := context.WithTimeout(context.Background(), 15*time.Second)
	defer done()
	if e := a.http.Shutdown(shut); e != nil && err == nil {
		err = fmt.Errorf("http shutdown: %w", e)
	}
	if e := <-runDone; e != nil && err == nil {
		err = fmt.Errorf("runtime: %w", e)
	}
	return err
}

// background runs the clocks: escalation and SLA checks, consent expiry
// and declined-record retention, lexicon reloads.
func (a *app) background(ctx context.Context) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	sweep := time.NewTicker(time.Hour)
	defer sweep.Stop()
	go func() {
		_ = a.lexicons.Watch(ctx, time.Minute, func(err error) {
			a.log.Error("lexicon reload failed; the previous lexicon stays in use", "err", err)
		})
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := a.queue.Tick(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("queue tick", "err", err)
			}
		case <-sweep.C:
			if _, err := a.consent.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("consent sweep", "err", err)
			}
		}
	}
}

func (a *app) close() {
	if a.sim != nil {
		a.sim.Close()
	}
	if a.store != nil {
		a.store.Close()
	}
	if a.listener != nil {
		a.listener.Close()
	}
}

// loopbackAddr turns ":8080" into "127.0.0.1:8080" for links.
func loopbackAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
		}
		return addr.String()
	}
	return addr.String()
}

func randomSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("helpline: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// clock adapts a time function to whatsapp.Clock.
type clock struct{ now func() time.Time }

func (c clock) Now() time.Time                         { return c.now() }
func (c clock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// queueAdapter gives the console what it needs of triage's queue.
type queueAdapter struct{ q *triage.Queue }

func (qa queueAdapter) Next(ctx context.Context, staff string) (storage.Ticket, error) {
	it, err := qa.q.Next(ctx, staff)
	if errors.Is(err, triage.ErrEmpty) {
		// The console says "Nobody is waiting." for ErrNotFound.
		err = fmt.Errorf("%w: %w", err, storage.ErrNotFound)
	}
	return it.Ticket, err
}

func (qa queueAdapter) SetPriority(ctx context.Context, id string, p int, staff, reason string) error {
	it, err := qa.q.Get(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case triage.Priority(p) > it.Priority:
		_, err = qa.q.RaiseBy(ctx, id, triage.Priority(p), triage.Category(it.Ticket.Category), staff, reason)
	case triage.Priority(p) < it.Priority:
		_, err = qa.q.Lower(ctx, id, triage.Priority(p), staff, reason)
	}
	return err
}

func (qa queueAdapter) Close(ctx context.Context, id, staff, outcome string) error {
	_, err := qa.q.Resolve(ctx, id, staff, outcome)
	return err
}

// readAtMost reads at most n bytes of the file at p: a file given by the
// operator may be anything, a device included.
func readAtMost(p string, n int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

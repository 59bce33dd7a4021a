package whatsapptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
)

// Defaults of a new Server.
const (
	DefaultToken         = "test-token"
	DefaultPhoneNumberID = "106540352242922"
	DefaultDisplayNumber = "15550783881"
	DefaultWABAID        = "102290129340398"
	DefaultThroughput    = 80
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // e.g. "/v25.0/106540352242922/messages"
	Query  url.Values
	Header http.Header
	query  string // parsed into Query when read
	Body   []byte
	Time   time.Time
}

// Choice is one of the choices in a button or list message.
type Choice struct {
	ID, Title, Description string
}

// Sent is a message the server accepted, decoded for tests and simulators.
type Sent struct {
	PhoneNumberID string
	To            string // the "to" or "recipient" as sent (a group id for group messages)
	Group         bool   // sent to a group (recipient_type "group")
	MessageID     string // the wamid the server answered with
	Type          string // "text", "image", "interactive", "template"...
	// Interactive is the interactive sub-type: "button", "list", "flow",
	// "cta_url", "location_request_message".
	Interactive string
	// Text is what a person would read first: the text body, a caption, an
	// interactive body, or a reaction's emoji.
	Text string
	// Header and Footer of interactive messages; Button labels a list.
	Header, Footer, Button string
	Options                []Choice // reply buttons or list rows
	Template               string   // template name
	Language               string   // template language
	Params                 []string // template body parameter texts
	MediaID, MediaLink     string
	ReplyTo                string
	CallbackData           string
	// FailedCode is the error code of an asynchronous failure (Fault.Async,
	// WithWindowErrorsByWebhook): accepted, then reported failed.
	FailedCode int
	Body       json.RawMessage // the request body as sent
	Time       time.Time
}

// Fault is an error (or a delay) injected into the server's answers.
type Fault struct {
	// Code is Meta's error code, e.g. 130429. Leave Code and Status zero
	// for a delay-only fault.
	Code    int
	Subcode int
	// Status is the HTTP status; by default 401 for auth codes, 500/503 for
	// outages and 400 otherwise.
	Status     int
	Message    string // default: a real-looking "(#code) Title"
	Details    string // error_data.details
	RetryAfter time.Duration
	// Latency delays the answer (honouring the request's context).
	Latency time.Duration
	// Times is how many matching requests the fault hits: 0 means once,
	// a negative number means every one.
	Times int
	// Method and PathSuffix restrict the fault, e.g. "POST" and "/messages".
	Method     string
	PathSuffix string
	// SendsOnly restricts it to requests that send a message: not the
	// read receipts (and typing indicators) posted to the same path.
	SendsOnly bool
	// Async makes a send fault behave as Meta often does: the send is
	// accepted (200, with a message id) and the error arrives later as a
	// "failed" status webhook (see WithStatusWebhooks). Sent.FailedCode
	// records it.
	Async bool
}

func (f *Fault) matches(r *http.Request, body []byte) bool {
	if f.Method != "" && f.Method != r.Method || !strings.HasSuffix(r.URL.Path, f.PathSuffix) {
		return false
	}
	if f.SendsOnly {
		var receipt struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(body, &receipt) == nil && receipt.Status != "" {
			return false // a read receipt, not a send
		}
	}
	return true
}

type config struct {
	token          string
	now            func() time.Time
	throughput     int
	pairEvery      time.Duration
	pairBurst      int
	window         bool
	latency        time.Duration
	onSend         []func(Sent)
	webhookHC      *http.Client
	phones         []whatsapp.PhoneNumber
	templates      []storedTemplate
	statusURL      string
	statusKey      string
	statuses       []string
	templatePacing bool
	asyncWindow    bool
	appSecret      string
	history        int // requests and sent messages kept; -1: all
}

type asyncFaultKey struct{}

// Option configures a Server.
type Option func(*config)

// WithToken makes the server accept only this bearer token (default
// DefaultToken). Any other answers error 190, as Meta does.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithClock sets the server's clock (default time.Now, which is fake time
// inside a testing/synctest bubble).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithThroughput sets the per-number limit in messages per second (default
// 80, with a burst of the same size); beyond it sends fail with 130429.
// Zero turns the limit off.
func WithThroughput(perSecond int) Option { return func(c *config) { c.throughput = perSecond } }

// WithPairLimit sets the per-recipient limit: one message per every, with
// bursts of burst (default 6 s and 45); beyond it sends fail with 131056.
// A zero every turns the limit off.
func WithPairLimit(every time.Duration, burst int) Option {
	return func(c *config) { c.pairEvery, c.pairBurst = every, burst }
}

// WithoutWindow stops the server enforcing the 24-hour window, so tests
// can send free-form messages to people who never wrote.
func WithoutWindow() Option { return func(c *config) { c.window = false } }

// WithLatency delays every answer by d.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// WithOnSend calls f with every message the server accepts, before it
// answers the send; a terminal simulator prints them from here. f must not
// call back into a send on the same server.
func WithOnSend(f func(Sent)) Option {
	return func(c *config) { c.onSend = append(c.onSend, f) }
}

// WithPhoneNumber adds a business phone number the server knows; without
// any, it knows DefaultPhoneNumberID.
func WithPhoneNumber(p whatsapp.PhoneNumber) Option {
	return func(c *config) { c.phones = append(c.phones, p) }
}

// WithTemplate registers a template of wabaID (status APPROVED unless
// set). Once any template is registered, sends must name a registered,
// approved template in its language (else 132001), with as many body
// parameters as its body has placeholders (else 132000). Without any, every
// template name is accepted.
func WithTemplate(wabaID string, t whatsapp.Template) Option {
	return func(c *config) {
		if t.Status == "" {
			t.Status = whatsapp.TemplateApproved
		}
		c.templates = append(c.templates, storedTemplate{waba: wabaID, Template: t})
	}
}

// WithStatusWebhooks makes the server deliver status webhooks for every
// accepted message to url, signed with appSecret: by default "sent" then
// "delivered". Deliveries happen in the background, in order per message;
// Close waits for them.
func WithStatusWebhooks(url, appSecret string, states ...string) Option {
	return func(c *config) {
		if len(states) == 0 {
			states = []string{"sent", "delivered"}
		}
		c.statusURL, c.statusKey, c.statuses = url, appSecret, states
	}
}

// WithWindowErrorsByWebhook makes sends outside the 24-hour window behave
// as Meta's often do: accepted, then reported by a "failed" status webhook
// with 131047 (see WithStatusWebhooks), instead of refused at once.
func WithWindowErrorsByWebhook() Option { return func(c *config) { c.asyncWindow = true } }

// WithTemplatePacing makes template sends answer with message_status
// "accepted", as Meta does for templates under template pacing.
func WithTemplatePacing() Option { return func(c *config) { c.templatePacing = true } }

// WithHistory keeps only the last n requests and the last n accepted
// messages for Requests, Sent, WaitSent and the analytics (default: all of
// them, which is what a test wants). A simulator that runs for days, or a
// load test, sets it so that its memory stays bounded; zero keeps none.
// WaitSent still counts every accepted message.
func WithHistory(n int) Option {
	return func(c *config) { c.history = max(n, 0) }
}

// WithWebhookClient sets the HTTP client webhooks are delivered with
// (default: a client with a 10 s timeout).
func WithWebhookClient(h *http.Client) Option { return func(c *config) { c.webhookHC = h } }

// Server is a fake Graph API. Create it with NewServer and Close it when
// done. It is safe for concurrent use.
type Server struct {
	// URL is the base URL to give whatsapp.WithBaseURL.
	URL string

	cfg  config
	ts   *httptest.Server
	mux  *http.ServeMux
	bg   sync.WaitGroup
	idMu sync.Mutex

	mu         sync.Mutex
	requests   []Request
	sent       []Sent
	faults     []*Fault
	windows    map[string]time.Time // phone id + contact -> last inbound
	inbound    map[string]bool      // wamids delivered as inbound
	outbound   map[string]bool      // wamids the server issued
	throughput map[string]*bucket
	pairs      map[string]*bucket
	media      map[string]*mediaFile
	templates  []storedTemplate
	phones     map[string]whatsapp.PhoneNumber
	groups     map[string]*fakeGroup
	acct       accountState
	flows      map[string]*fakeFlow
	keys       map[string]string // phone number id -> flows public key (PEM)
	seq        int
	accepted   int           // messages accepted, including those no longer kept
	notify     chan struct{} // closed and replaced on every accepted send
}

// keep appends v to a history bounded by limit (-1: unbounded), dropping
// the oldest entries; it copies when it drops, so that the dropped ones
// can be collected.
func keep[T any](h []T, v T, limit int) []T {
	switch {
	case limit < 0:
		return append(h, v)
	case limit == 0:
		return h[:0]
	case len(h) < limit:
		return append(h, v)
	}
	// Full: keep the newest half and the new one, so that the copy is paid
	// once every limit/2 entries.
	n := copy(h, h[len(h)-limit/2:])
	clear(h[n:])
	return append(h[:n], v)
}

// NewServer starts a fake Graph API on a local port.
func NewServer(opts ...Option) *Server {
	cfg := config{
		token:      DefaultToken,
		now:        time.Now,
		throughput: DefaultThroughput,
		pairEvery:  6 * time.Second,
		pairBurst:  45,
		window:     true,
		history:    -1,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.webhookHC == nil {
		cfg.webhookHC = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Server{
		cfg:        cfg,
		windows:    map[string]time.Time{},
		inbound:    map[string]bool{},
		outbound:   map[string]bool{},
		throughput: map[string]*bucket{},
		pairs:      map[string]*bucket{},
		media:      map[string]*mediaFile{},
		templates:  cfg.templates,
		phones:     map[string]whatsapp.PhoneNumber{},
		groups:     map[string]*fakeGroup{},
		notify:     make(chan struct{}),
	}
	for i := range s.templates {
		if s.templates[i].ID == "" {
			s.templates[i].ID = strconv.Itoa(700000000000000 + i)
		}
	}
	if len(cfg.phones) == 0 {
		cfg.phones = []whatsapp.PhoneNumber{{ID: DefaultPhoneNumberID}}
	}
	for _, p := range cfg.phones {
		if p.DisplayPhoneNumber == "" {
			p.DisplayPhoneNumber = DefaultDisplayNumber
		}
		if p.VerifiedName == "" {
			p.VerifiedName = "Test Line"
		}
		if p.QualityRating == "" {
			p.QualityRating = "GREEN"
		}
		if p.CodeVerificationStatus == "" {
			p.CodeVerificationStatus = "VERIFIED"
		}
		if p.NameStatus == "" {
			p.NameStatus = "APPROVED"
		}
		if p.PlatformType == "" {
			p.PlatformType = "CLOUD_API"
		}
		if p.Status == "" {
			p.Status = "CONNECTED"
		}
		if p.MessagingLimit == "" {
			p.MessagingLimit = "TIER_250"
		}
		if p.Throughput == nil {
			p.Throughput = &struct {
				Level string `json:"level"`
			}{Level: "STANDARD"}
		}
		s.phones[p.ID] = p
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /{version}/{id}/messages", s.handleMessages)
	s.mux.HandleFunc("POST /{version}/{id}/media", s.handleUpload)
	s.mux.HandleFunc("GET /{version}/{id}", s.handleGetObject)
	s.mux.HandleFunc("DELETE /{version}/{id}", s.handleDeleteMedia)
	s.mux.HandleFunc("GET /{version}/{id}/message_templates", s.handleListTemplates)
	s.mux.HandleFunc("POST /{version}/{id}/message_templates", s.handleCreateTemplate)
	s.mux.HandleFunc("DELETE /{version}/{id}/message_templates", s.handleDeleteTemplate)
	s.mux.HandleFunc("GET /{version}/{id}/phone_numbers", s.handleListPhones)
	s.mux.HandleFunc("GET /media-files/{id}", s.handleDownload)
	s.mux.HandleFunc("POST /{version}/{id}", s.handlePostObject)
	s.routeGroups()
	s.routeAccount()
	s.routeFlows()
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL
	return s
}

// Close shuts the server down after background webhook deliveries end.
func (s *Server) Close() {
	s.bg.Wait()
	s.ts.Close()
}

// Handler returns the server's http.Handler, to mount elsewhere.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Client returns an *http.Client that reaches the server in process,
// without the network. It is the fastest way to talk to the fake, and the
// one to use inside testing/synctest bubbles (where network waits would
// stop fake time).
func (s *Server) Client() *http.Client { return &http.Client{Transport: inProcess{h: s.Handler()}} }

// NewClient returns a whatsapp.Client talking to this server in process
// with the server's token. Options are applied after those, so they can
// override them.
func (s *Server) NewClient(opts ...whatsapp.Option) (*whatsapp.Client, error) {
	all := append([]whatsapp.Option{whatsapp.WithBaseURL(s.URL), whatsapp.WithHTTPClient(s.Client())}, opts...)
	return whatsapp.New(s.cfg.token, all...)
}

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	out := append([]Request(nil), s.requests...)
	s.mu.Unlock()
	for i := range out {
		out[i].Query, _ = url.ParseQuery(out[i].query)
	}
	return out
}

// Sent returns every message accepted so far, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// WaitSent waits until at least n messages were accepted (since NewServer
// or Reset) and returns them all (those kept, under WithHistory), or
// returns the context's error.
func (s *Server) WaitSent(ctx context.Context, n int) ([]Sent, error) {
	for {
		s.mu.Lock()
		if s.accepted >= n {
			out := append([]Sent(nil), s.sent...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.notify
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

// Reset forgets recorded requests and sent messages (not windows, media or
// templates).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.sent, s.accepted = nil, nil, 0
}

// Inject adds a fault; faults are tried in the order added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// FailNext makes the next send fail with Meta error code (a read receipt
// posted before it goes through).
func (s *Server) FailNext(code int) {
	s.Inject(Fault{Code: code, Method: http.MethodPost, PathSuffix: "/messages", SendsOnly: true})
}

// OpenWindow records that contact wrote to the line at t, opening the
// 24-hour window as an inbound message would.
func (s *Server) OpenWindow(phoneNumberID, contact string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windows[phoneNumberID+"\x00"+normContact(contact)] = t
}

// normContact reduces a phone number to its digits; BSUIDs stay as they are.
func normContact(c string) string {
	if whatsapp.IsBSUID(c) {
		return c
	}
	var b strings.Builder
	for _, r := range c {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (s *Server) now() time.Time { return s.cfg.now() }

// newID returns a fresh id with a prefix ("wamid." for messages).
func (s *Server) newID(prefix string) string {
	s.idMu.Lock()
	s.seq++
	n := s.seq
	s.idMu.Unlock()
	var r [6]byte
	_, _ = rand.Read(r[:])
	return prefix + base64.RawURLEncoding.EncodeToString(append([]byte(strconv.Itoa(n)+"."), r[:]...))
}

func (s *Server) newNumericID() string {
	s.idMu.Lock()
	s.seq++
	n := s.seq
	s.idMu.Unlock()
	return strconv.FormatInt(1000000000000000+int64(n)*7919, 10)
}

const maxRequestBody = 110 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil { // a client request served in process
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		writeError(w, Fault{Code: 100, Details: "could not read the request body"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var rec Request
	if s.cfg.history != 0 {
		rec = Request{Method: r.Method, Path: r.URL.Path, query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, Time: s.now()}
	}
	s.mu.Lock()
	if s.cfg.history != 0 {
		s.requests = keep(s.requests, rec, s.cfg.history)
	}
	var fault *Fault
	for i, f := range s.faults {
		if f.matches(r, body) {
			fault = f
			if f.Times > 0 {
				f.Times--
				if f.Times == 0 {
					s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
				}
			}
			break
		}
	}
	s.mu.Unlock()
	delay := s.cfg.latency
	if fault != nil {
		delay += fault.Latency
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if !s.authorized(r) {
		writeError(w, Fault{Code: 190, Message: "Invalid OAuth access token - Cannot parse access token"})
		return
	}
	if !s.checkProof(w, r) {
		return
	}
	if fault != nil && fault.Async && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
		r = r.WithContext(context.WithValue(r.Context(), asyncFaultKey{}, fault))
	} else if fault != nil && (fault.Code != 0 || fault.Status != 0) {
		writeError(w, *fault)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok { // the resumable upload API documents the OAuth scheme
		tok, ok = strings.CutPrefix(h, "OAuth ")
	}
	return ok && tok != "" && tok == s.cfg.token
}

// errorTitles are Meta's titles for the codes the fake produces.
var errorTitles = map[int]string{
	0:      "AuthException",
	2:      "Service temporarily unavailable",
	4:      "Application request limit reached",
	100:    "Invalid parameter",
	190:    "Invalid OAuth access token",
	80007:  "Rate limit issues",
	130429: "Rate limit hit",
	131000: "Something went wrong",
	131005: "Access denied",
	131008: "Required parameter is missing",
	131009: "Parameter value is not valid",
	131016: "Service unavailable",
	131026: "Message Undeliverable",
	131047: "Re-engagement message",
	131048: "Spam rate limit hit",
	131049: "This message was not delivered to maintain healthy ecosystem engagement.",
	131050: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
	131051: "Unsupported message type",
	131053: "Media upload error",
	131056: "(Business Account, Consumer Account) pair rate limit hit",
	131057: "Account in maintenance mode",
	132000: "Number of parameters does not match the expected number of params",
	132001: "Template name does not exist in the translation",
	132015: "Template is Paused",
	132016: "Template is Disabled",
}

var errorDetails = map[int]string{
	130429: "Cloud API message throughput has been reached.",
	131026: "Message Undeliverable.",
	131047: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
	131056: "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
}

// errorSubcodes are subcodes Meta still sends with some codes.
var errorSubcodes = map[int]int{130429: 2494055}

func statusFor(code int) int {
	switch code {
	case 0, 190:
		return http.StatusUnauthorized
	case 1, 2, 131000:
		return http.StatusInternalServerError
	case 131016, 133004:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// writeError answers with a Graph error body shaped like Meta's.
func writeError(w http.ResponseWriter, f Fault) {
	status := f.Status
	if status == 0 {
		status = statusFor(f.Code)
	}
	msg := f.Message
	if msg == "" {
		title := errorTitles[f.Code]
		if title == "" {
			title = "Error"
		}
		msg = fmt.Sprintf("(#%d) %s", f.Code, title)
	}
	details := f.Details
	if details == "" {
		details = errorDetails[f.Code]
	}
	if f.Subcode == 0 && f.Status == 0 {
		f.Subcode = errorSubcodes[f.Code]
	}
	type errData struct {
		MessagingProduct string `json:"messaging_product"`
		Details          string `json:"details"`
	}
	body := struct {
		Error struct {
			Message   string   `json:"message"`
			Type      string   `json:"type"`
			Code      int      `json:"code"`
			ErrorData *errData `json:"error_data,omitempty"`
			Subcode   int      `json:"error_subcode,omitempty"`
			FBTraceID string   `json:"fbtrace_id"`
		} `json:"error"`
	}{}
	body.Error.Message = msg
	body.Error.Type = "OAuthException"
	body.Error.Code = f.Code
	body.Error.Subcode = f.Subcode
	body.Error.FBTraceID = "Afake" + strconv.Itoa(f.Code) + "trace"
	if details != "" {
		body.Error.ErrorData = &errData{MessagingProduct: "whatsapp", Details: details}
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Facebook-Api-Version", "v25.0")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// bucket is a token bucket: burst tokens, refilled one per every.
type bucket struct {
	tokens float64
	last   time.Time
}

func take(m map[string]*bucket, key string, now time.Time, every time.Duration, burst int) bool {
	b := m[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		m[key] = b
	}
	if now.After(b.last) {
		b.tokens = min(float64(burst), b.tokens+float64(now.Sub(b.last))/float64(every))
		b.last = now
	}
	if b.tokens < 1-1e-6 { // clients' own limiters round to the nanosecond
		return false
	}
	b.tokens--
	return true
}

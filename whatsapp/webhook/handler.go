package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/impactchat/impactchat/chat"
)

// Sink receives the events of a verified delivery. Accept must return nil
// only once the events are durable (stored, or queued somewhere that
// survives a crash): the handler acknowledges the delivery to Meta only
// then. *chat.Server satisfies it.
//
// Meta delivers at least once, so Accept receives the same events again when
// a delivery is retried, and must deduplicate them by chat.Event.Key.
type Sink interface {
	Accept(ctx context.Context, events []chat.Event) error
}

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(ctx context.Context, events []chat.Event) error

// Accept calls f.
func (f SinkFunc) Accept(ctx context.Context, events []chat.Event) error { return f(ctx, events) }

// DefaultMaxBodyBytes bounds a delivery's body when Config.MaxBodyBytes is
// zero: Meta sends at most 3 MB; the rest is margin.
const DefaultMaxBodyBytes = 3<<20 + 512<<10

// maxChallenge bounds the hub.challenge the handshake echoes.
const maxChallenge = 1024

// Configuration errors returned by NewHandler, besides ErrNoSecret.
var (
	// ErrNoVerifyToken means Config.VerifyToken is empty.
	ErrNoVerifyToken = errors.New("webhook: no verify token configured")
	// ErrNoSink means the sink is nil.
	ErrNoSink = errors.New("webhook: no sink")
)

// App is one Meta app whose deliveries the handler accepts.
type App struct {
	// Secrets are the app secrets that may sign its deliveries: one, or two
	// while rotating.
	Secrets []string
	// Lines are the phone number ids this app may report on. A delivery
	// signed by this app that names another line is refused with 403 (and
	// retried by Meta, so correcting the configuration recovers it). Empty
	// means any line.
	Lines []string
}

// Config configures NewHandler. Secrets or Apps, and VerifyToken, are
// required.
type Config struct {
	// Secrets are app secrets any of which may sign a delivery for any line:
	// one app secret, or the old and the new one during a rotation.
	Secrets []string
	// Apps add apps whose deliveries may name only their own lines, for one
	// endpoint shared by several apps.
	Apps []App
	// VerifyToken is the token set in the app dashboard, checked by the
	// subscription handshake (GET).
	VerifyToken string
	// MaxBodyBytes bounds a delivery; larger bodies get 413. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives one line per refused delivery and per problem, with
	// ids, counts and reasons only: never a phone number, a name or a
	// message. Nil discards.
	Logger *slog.Logger
	// OnNotification, when set, is called with every verified notification
	// after the sink accepted its events. It is the way to template,
	// account and quality updates, user preferences and echoes. A non-nil
	// error answers 503 so that Meta retries the whole delivery: it must be
	// idempotent, as Accept is.
	OnNotification func(ctx context.Context, n *Notification) error
	// MaxEventAge, when positive, is the replay horizon: events that
	// happened longer ago are acknowledged but not handed to the sink, so
	// that a captured delivery replayed after its deduplication keys
	// expired is not handled twice. Meta retries for up to seven days; a
	// horizon of eight days, with deduplication keys kept longer, suits
	// most lines. Zero hands every event to the sink.
	MaxEventAge time.Duration
	// Now is the clock MaxEventAge is measured with; nil means time.Now.
	Now func() time.Time
}

// NewHandler returns the http.Handler for a WhatsApp webhook. It serves
// whatever path it is mounted on:
//
//   - GET: the subscription handshake. With hub.mode=subscribe and the
//     verify token (compared in constant time) it answers 200 with
//     hub.challenge (at most 1 KiB) as text/plain; otherwise 403.
//   - POST: a delivery. It reads at most MaxBodyBytes (413 beyond), verifies
//     X-Hub-Signature-256 over the raw bytes (401 when missing, malformed or
//     wrong), parses (400 when the signed body is not a JSON object), checks
//     the lines of the signing app (403), hands every event of the delivery to
//     sink.Accept in one call and answers 200 only once Accept returned nil;
//     503 otherwise, so that Meta delivers it again and nothing is lost.
//   - Anything else: 405.
//
// NewHandler fails closed: no secret, an empty secret, an empty verify token
// or a nil sink is an error, never "skip verification".
func NewHandler(cfg Config, sink Sink) (http.Handler, error) {
	if sink == nil {
		return nil, ErrNoSink
	}
	if cfg.VerifyToken == "" {
		return nil, fmt.Errorf("webhook: config.VerifyToken: %w", ErrNoVerifyToken)
	}
	if cfg.MaxEventAge < 0 {
		return nil, fmt.Errorf("webhook: config.MaxEventAge is %v; it must be positive, or zero for no horizon", cfg.MaxEventAge)
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("webhook: config.MaxBodyBytes is %d; it must be positive, or zero for the default", cfg.MaxBodyBytes)
	}
	if len(cfg.Secrets) == 0 && len(cfg.Apps) == 0 {
		return nil, fmt.Errorf("webhook: config.Secrets and config.Apps are empty: %w", ErrNoSecret)
	}
	h := &handler{
		max:    cfg.MaxBodyBytes,
		log:    cfg.Logger,
		sink:   sink,
		notify: cfg.OnNotification,
		token:  sha256.Sum256([]byte(cfg.VerifyToken)),
		maxAge: cfg.MaxEventAge,
		now:    cfg.Now,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.max == 0 {
		h.max = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	apps := append([]App{{Secrets: cfg.Secrets}}, cfg.Apps...)
	firstSeen := map[string]string{} // secret -> where it was configured
	for i, app := range apps {
		field := "config.Secrets"
		if i > 0 {
			field = "config.Apps[" + strconv.Itoa(i-1) + "].Secrets"
			if len(app.Secrets) == 0 {
				return nil, fmt.Errorf("webhook: %s is empty: %w", field, ErrNoSecret)
			}
		}
		var lines map[string]struct{}
		if len(app.Lines) > 0 {
			lines = make(map[string]struct{}, len(app.Lines))
			for _, l := range app.Lines {
				lines[l] = struct{}{}
			}
		}
		for j, s := range app.Secrets {
			if s == "" {
				return nil, fmt.Errorf("webhook: %s[%d] is empty: %w", field, j, ErrNoSecret)
			}
			here := field + "[" + strconv.Itoa(j) + "]"
			if prev, dup := firstSeen[s]; dup {
				// Which app signed decides which lines a delivery may name:
				// one secret must belong to one app.
				return nil, fmt.Errorf("webhook: %s repeats the secret of %s", here, prev)
			}
			firstSeen[s] = here
			key := []byte(s)
			h.macs = append(h.macs, sync.Pool{New: func() any { return &keyedMAC{h: hmac.New(sha256.New, key)} }})
			h.lines = append(h.lines, lines)
		}
	}
	return h, nil
}

type handler struct {
	lines  []map[string]struct{} // per secret: the lines its app may name; nil for any
	token  [sha256.Size]byte
	max    int64
	log    *slog.Logger
	sink   Sink
	notify func(context.Context, *Notification) error
	maxAge time.Duration
	now    func() time.Time
	macs   []sync.Pool // per secret: of *keyedMAC
	bufs   sync.Pool   // of *bytes.Buffer, for bodies of unknown length
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.deliver(w, r)
	case http.MethodGet:
		h.handshake(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		reply(w, http.StatusMethodNotAllowed)
	}
}

func (h *handler) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	got := sha256.Sum256([]byte(q.Get("hub.verify_token")))
	challenge := q.Get("hub.challenge")
	tokenOK := subtle.ConstantTimeCompare(got[:], h.token[:]) == 1
	modeOK := q.Get("hub.mode") == "subscribe"
	if !modeOK || !tokenOK || challenge == "" || len(challenge) > maxChallenge {
		h.log.WarnContext(r.Context(), "webhook: handshake refused",
			slog.Bool("mode_ok", modeOK), slog.Bool("token_ok", tokenOK),
			slog.Int("challenge_len", len(challenge)))
		reply(w, http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, challenge)
	h.log.InfoContext(r.Context(), "webhook: subscription verified")
}

// maxPooledBuffer bounds the request buffers the handler keeps for reuse.
const maxPooledBuffer = 64 << 10

// maxPreallocated is the largest announced length (Content-Length) the
// handler sizes a body's buffer for before the bytes arrive; a longer body
// grows its buffer as it is read, so an unverified request cannot reserve
// memory it does not send.
const maxPreallocated = 64 << 10

func (h *handler) deliver(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.ContentLength > h.max {
		h.log.WarnContext(ctx, "webhook: delivery too large", slog.Int64("bytes", r.ContentLength), slog.Int64("limit", h.max))
		reply(w, http.StatusRequestEntityTooLarge)
		return
	}
	body, err := h.read(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.log.WarnContext(ctx, "webhook: delivery too large", slog.Int64("limit", h.max))
			reply(w, http.StatusRequestEntityTooLarge)
			return
		}
		h.log.WarnContext(ctx, "webhook: reading delivery failed", slog.Any("error", err))
		reply(w, http.StatusBadRequest)
		return
	}

	app, err := h.verify(body, r.Header.Get(SignatureHeader))
	if err != nil {
		h.log.WarnContext(ctx, "webhook: delivery refused", slog.String("reason", err.Error()), slog.Int("bytes", len(body)))
		reply(w, http.StatusUnauthorized)
		return
	}
	n, err := parseBody(body)
	if err != nil {
		h.log.WarnContext(ctx, "webhook: signed delivery is not a notification", slog.Int("bytes", len(body)))
		reply(w, http.StatusBadRequest)
		return
	}
	if line, ok := h.allowed(app, n); !ok {
		h.log.ErrorContext(ctx, "webhook: delivery names a line its app is not configured for", slog.String("line", line))
		reply(w, http.StatusForbidden)
		return
	}
	events, problems := n.convert(true)
	h.logDetails(ctx, n, problems)
	events = h.recent(ctx, events)
	if len(events) > 0 {
		if err := h.sink.Accept(ctx, events); err != nil {
			h.log.ErrorContext(ctx, "webhook: sink refused delivery; asking Meta to retry", slog.Int("events", len(events)), slog.Any("error", err))
			reply(w, http.StatusServiceUnavailable)
			return
		}
	}
	if h.notify != nil {
		if err := h.notify(ctx, n); err != nil {
			h.log.ErrorContext(ctx, "webhook: notification callback failed; asking Meta to retry", slog.Any("error", err))
			reply(w, http.StatusServiceUnavailable)
			return
		}
	}
	if h.log.Enabled(ctx, slog.LevelDebug) { // spares boxing the attribute when off
		h.log.DebugContext(ctx, "webhook: delivery accepted", slog.Int("events", len(events)))
	}
	w.WriteHeader(http.StatusOK)
}

// read reads the body of r, at most h.max bytes. A body of known length up
// to maxPreallocated is read into a buffer of exactly that size that the
// parsed notification then keeps; a longer one, or one of unknown length
// (chunked), is gathered in a pooled buffer and copied once it is complete.
func (h *handler) read(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, h.max)
	if n := r.ContentLength; n >= 0 && n <= maxPreallocated {
		// net/http stops the body at Content-Length, and
		// deliver refused lengths above h.max. Only a length up to
		// maxPreallocated is trusted for the buffer's size before the
		// bytes arrive: the request is not verified yet.
		buf := make([]byte, n)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	buf, _ := h.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			h.bufs.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// parseBody is Parse of a body the handler owns, without copying it again.
func parseBody(body []byte) (*Notification, error) {
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) == 0 || body[0] != '{' {
		return nil, ErrMalformed
	}
	return parseOwned(body)
}

// verify is verify with the handler's secrets, reusing their keyed MACs
// across deliveries instead of keying a new one for each.
func (h *handler) verify(body []byte, header string) (int, error) {
	if header == "" {
		return -1, ErrMissingSignature
	}
	want, err := decodeSignature(header)
	if err != nil {
		return -1, err
	}
	for i := range h.macs {
		m := h.macs[i].Get().(*keyedMAC)
		m.h.Reset()
		m.h.Write(body)
		ok := hmac.Equal(m.h.Sum(m.sum[:0]), want[:])
		h.macs[i].Put(m)
		if ok {
			// As in verify: stopping at the first match tells only
			// which configured secret signed.
			return i, nil
		}
	}
	return -1, ErrInvalidSignature
}

// keyedMAC is an HMAC-SHA256 keyed with one secret, with room for its sum.
type keyedMAC struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// recent drops the events older than the replay horizon.
func (h *handler) recent(ctx context.Context, events []chat.Event) []chat.Event {
	if h.maxAge <= 0 {
		return events
	}
	horizon := h.now().Add(-h.maxAge)
	kept := events[:0]
	for _, e := range events {
		if t := e.Time(); t.IsZero() || !t.Before(horizon) {
			kept = append(kept, e)
		}
	}
	if dropped := len(events) - len(kept); dropped > 0 {
		h.log.WarnContext(ctx, "webhook: events older than the replay horizon acknowledged without handling",
			slog.Int("events", dropped), slog.Duration("horizon", h.maxAge))
	}
	return kept
}

// allowed reports whether every line named by n may be reported on by the
// app whose secret (index) signed it, and if not, the first line that may
// not.
func (h *handler) allowed(secret int, n *Notification) (string, bool) {
	lines := h.lines[secret]
	if lines == nil {
		return "", true
	}
	for c := range n.Changes() {
		line, named := changeLine(c)
		if !named {
			continue
		}
		if _, ok := lines[line]; !ok {
			return line, false
		}
	}
	return "", true
}

// changeLine returns the line a change names in its value's metadata, for
// every field that has one (messages, but also calls, history and the
// other fields of a line), not only those typed here. A value whose
// metadata cannot be read names an unknown line: the delivery is refused
// rather than handed on unchecked.
func changeLine(c *Change) (string, bool) {
	if v, ok := c.Value.(*MessagesValue); ok {
		return string(v.Metadata.PhoneNumberID), true
	}
	if len(c.Raw) == 0 || isNull(c.Raw) {
		return "", false
	}
	var v struct {
		Metadata *Metadata `json:"metadata"`
	}
	if err := json.Unmarshal(c.Raw, &v); err != nil {
		return "", true
	}
	if v.Metadata == nil || v.Metadata.PhoneNumberID == "" {
		return "", false
	}
	return string(v.Metadata.PhoneNumberID), true
}

// logDetails logs what the handler accepted but could not turn into events,
// and the errors Meta reported: paths, codes and reasons, never content.
func (h *handler) logDetails(ctx context.Context, n *Notification, problems []Problem) {
	for i, p := range problems {
		if i == maxLoggedProblems {
			h.log.WarnContext(ctx, "webhook: more problems in the same delivery", slog.Int("not_logged", len(problems)-i))
			break
		}
		h.log.WarnContext(ctx, "webhook: kept without converting", slog.String("path", p.Path), slog.String("reason", p.Reason))
	}
	logged := 0
	for c := range n.Changes() {
		v, ok := c.Value.(*MessagesValue)
		if !ok {
			if c.Value == nil {
				h.log.DebugContext(ctx, "webhook: field without a type", slog.String("field", c.Field))
			}
			continue
		}
		for _, e := range v.Errors {
			if logged++; logged > maxLoggedProblems {
				continue
			}
			h.log.WarnContext(ctx, "webhook: Meta reported an error",
				slog.String("line", string(v.Metadata.PhoneNumberID)),
				slog.Int64("code", int64(e.Code)), slog.String("title", e.Title))
		}
	}
}

// maxLoggedProblems bounds the problems and errors logged for one
// delivery, which may hold a thousand updates.
const maxLoggedProblems = 10

// reply answers code with its status text as a plain-text body of known
// length.
func reply(w http.ResponseWriter, code int) {
	text := http.StatusText(code)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(text)+1))
	w.WriteHeader(code)
	_, _ = io.WriteString(w, text)
	_, _ = io.WriteString(w, "\n")
}

package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// DefaultAPIVersion is the Graph API version used unless WithAPIVersion
// says otherwise.
const DefaultAPIVersion = "v25.0"

// DefaultBaseURL is Meta's Graph API.
const DefaultBaseURL = "https://graph.facebook.com"

const (
	defaultTimeout      = 30 * time.Second
	maxResponseBody     = 8 << 20 // a successful JSON answer (template pages can be large)
	defaultMessagesRate = 80
	maxMessagesRate     = 1000
)

// Clock tells the time and waits. The default is the system clock; tests
// inject their own (or run under testing/synctest).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RetryPolicy says which failed calls are tried again and how long to wait.
// Only errors for which Retryable is true are retried: rate limits
// (130429, 131056, 4, 80007), temporary outages (2, 131000, 131016, 131057,
// 133004, and an HTTP 5xx whose body is not a Graph error), and connections
// that failed before the request was sent. A 5xx with a Graph error is
// judged by its code (1, "possible server error", is not retried).
//
// A send (POST /messages) that failed after the request may have been
// written (a timeout, a reset connection) is ambiguous: Meta may have
// accepted it, and the API has no idempotency key, so a retry could make
// the person receive the message twice. Such sends are returned with
// ErrAmbiguous unless RetryAmbiguous is set, for lines where a duplicate is
// better than a lost message. Reads and deletes are always safe to retry.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries. Default 4.
	MaxAttempts int
	// InitialDelay is the first backoff delay (with jitter). Default 1s.
	InitialDelay time.Duration
	// MaxDelay caps each delay. A Retry-After longer than MaxDelay ends the
	// retries and returns the error, so the caller can reschedule. Default 30s.
	MaxDelay time.Duration
	// RetryAmbiguous retries sends whose outcome is unknown; see above.
	RetryAmbiguous bool
}

// DefaultRetryPolicy returns the policy a client uses unless told otherwise.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, InitialDelay: time.Second, MaxDelay: 30 * time.Second}
}

// Client talks to the WhatsApp Cloud API. It is safe for concurrent use.
// Create one with New and share it.
type Client struct {
	Messages     *MessagesService
	Media        *MediaService
	Templates    *TemplatesService
	PhoneNumbers *PhoneNumbersService
	Groups       *GroupsService
	Profile      *ProfileService
	QRCodes      *QRCodesService
	Uploads      *UploadsService
	Flows        *FlowsService
	Analytics    *AnalyticsService

	token   string
	auth    string // "Bearer " + token
	base    string // base URL without trailing slash
	version string
	http    *http.Client
	log     *slog.Logger
	clock   Clock
	retry   RetryPolicy
	pace    *pacer         // nil when pacing is off
	tmpl    *TemplateCache // nil unless WithTemplateCache
	proof   string         // appsecret_proof, when WithAppSecretProof
}

type config struct {
	base      string
	version   string
	http      *http.Client
	log       *slog.Logger
	clock     Clock
	retry     RetryPolicy
	pacing    bool
	perSecond int
	pairEvery time.Duration
	pairBurst int
	templates *TemplateCache
	appSecret string
}

// Option configures a Client.
type Option func(*config) error

// WithBaseURL points the client at another Graph API host, such as a
// whatsapptest.Server's URL. It must be an absolute http(s) URL; a path
// prefix is kept.
func WithBaseURL(u string) Option {
	return func(c *config) error {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("whatsapp: base url %q is not an absolute http(s) URL", u)
		}
		if p.RawQuery != "" || p.Fragment != "" {
			return fmt.Errorf("whatsapp: base url %q has a query or fragment", u)
		}
		c.base = strings.TrimRight(p.String(), "/")
		return nil
	}
}

// WithHTTPClient makes the client send through a copy of h. The copy means
// later changes to h do not affect the client. Without this option the
// client uses its own http.Client with a 30 s timeout, never
// http.DefaultClient.
func WithHTTPClient(h *http.Client) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("whatsapp: http client is nil")
		}
		cp := *h
		c.http = &cp
		return nil
	}
}

var versionRE = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`)

// WithAPIVersion sets the Graph API version, e.g. "v26.0". Default
// DefaultAPIVersion.
func WithAPIVersion(v string) Option {
	return func(c *config) error {
		if !versionRE.MatchString(v) {
			return fmt.Errorf("whatsapp: api version %q is not of the form v25.0", v)
		}
		c.version = v
		return nil
	}
}

// WithLogger sets the logger. The default discards. The client logs
// retries and waits without tokens, phone numbers or message text.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("whatsapp: logger is nil")
		}
		c.log = l
		return nil
	}
}

// WithRateLimit sets how many messages per second the client sends from
// each business phone number: 80 by default, up to 1000 for numbers Meta
// has upgraded. Sends beyond it wait (the wait ends with the context).
func WithRateLimit(messagesPerSecond int) Option {
	return func(c *config) error {
		if messagesPerSecond < 1 || messagesPerSecond > maxMessagesRate {
			return fmt.Errorf("whatsapp: rate limit %d messages/s is outside 1..%d", messagesPerSecond, maxMessagesRate)
		}
		c.perSecond = messagesPerSecond
		return nil
	}
}

// WithPairRateLimit sets the per-recipient pacing: one message every
// `every` to the same person, with bursts of up to burst messages. The
// default, one per 6 s with bursts of 45, follows Meta's pair rate limit.
func WithPairRateLimit(every time.Duration, burst int) Option {
	return func(c *config) error {
		if every <= 0 || every > time.Hour {
			return fmt.Errorf("whatsapp: pair rate interval %v is outside (0, 1h]", every)
		}
		if burst < 1 || burst > 1000 {
			return fmt.Errorf("whatsapp: pair rate burst %d is outside 1..1000", burst)
		}
		c.pairEvery, c.pairBurst = every, burst
		return nil
	}
}

// WithoutPacing turns the client's own rate limiting off, for callers that
// pace sends themselves (or benchmarks). Meta's limits still apply and
// come back as ErrRateLimited.
func WithoutPacing() Option {
	return func(c *config) error { c.pacing = false; return nil }
}

// WithClock sets the clock used for pacing, backoff and timestamps.
func WithClock(clk Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return errors.New("whatsapp: clock is nil")
		}
		c.clock = clk
		return nil
	}
}

// WithRetryPolicy sets the retry policy; see RetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		switch {
		case p.MaxAttempts < 1 || p.MaxAttempts > 20:
			return fmt.Errorf("whatsapp: retry max attempts %d is outside 1..20", p.MaxAttempts)
		case p.MaxAttempts > 1 && p.InitialDelay <= 0:
			return fmt.Errorf("whatsapp: retry initial delay %v is not positive", p.InitialDelay)
		case p.MaxAttempts > 1 && p.MaxDelay < p.InitialDelay:
			return fmt.Errorf("whatsapp: retry max delay %v is below the initial delay %v", p.MaxDelay, p.InitialDelay)
		}
		c.retry = p
		return nil
	}
}

// New returns a client that authenticates with token (a system-user or
// business-integration access token). The token is never logged or put in
// an error.
func New(token string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("whatsapp: access token is empty")
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return nil, errors.New("whatsapp: access token contains whitespace")
	}
	cfg := config{
		base:      DefaultBaseURL,
		version:   DefaultAPIVersion,
		log:       slog.New(slog.DiscardHandler),
		clock:     systemClock{},
		retry:     DefaultRetryPolicy(),
		pacing:    true,
		perSecond: defaultMessagesRate,
		pairEvery: 6 * time.Second,
		pairBurst: 45,
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("whatsapp: nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.http == nil {
		cfg.http = &http.Client{Timeout: defaultTimeout}
	}
	c := &Client{
		token:   token,
		auth:    "Bearer " + token,
		base:    cfg.base,
		version: cfg.version,
		http:    cfg.http,
		log:     cfg.log,
		clock:   cfg.clock,
		retry:   cfg.retry,
		tmpl:    cfg.templates,
	}
	if cfg.appSecret != "" {
		c.proof = appSecretProof(token, cfg.appSecret)
	}
	if cfg.pacing {
		c.pace = newPacer(cfg.perSecond, cfg.pairEvery, cfg.pairBurst)
	}
	c.Messages = &MessagesService{c: c}
	c.Media = &MediaService{c: c}
	c.Templates = &TemplatesService{c: c}
	c.PhoneNumbers = &PhoneNumbersService{c: c}
	c.Groups = &GroupsService{c: c}
	c.Profile = &ProfileService{c: c}
	c.QRCodes = &QRCodesService{c: c}
	c.Uploads = &UploadsService{c: c}
	c.Flows = &FlowsService{c: c}
	c.Analytics = &AnalyticsService{c: c}
	return c, nil
}

// APIVersion returns the Graph API version in use.
func (c *Client) APIVersion() string { return c.version }

// LogValue keeps the token out of logs.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.base), slog.String("version", c.version))
}

// String keeps the token out of %v.
func (c *Client) String() string { return "whatsapp.Client(" + c.base + "/" + c.version + ")" }

// URL returns the absolute URL of a Graph API path such as
// "106540352242922/messages", under the base URL and version.
func (c *Client) URL(path string) string {
	return c.base + "/" + c.version + "/" + strings.TrimLeft(path, "/")
}

// NewRequest builds an authenticated request for an endpoint this package
// does not model. path is relative to the versioned base URL (or an
// absolute http(s) URL, for media downloads). body is nil, a []byte sent as
// is, or a value encoded as JSON.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	u := path
	if !strings.HasPrefix(path, "https://") && !strings.HasPrefix(path, "http://") {
		u = c.URL(path)
		if c.proof != "" {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + "appsecret_proof=" + c.proof
		}
	}
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("whatsapp: encode request: %w", err)
		}
		rd, ctype = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: new request: %w", err)
	}
	req.Header["Authorization"] = []string{c.auth}
	if ctype != "" {
		req.Header["Content-Type"] = []string{ctype}
	}
	return req, nil
}

// Do sends req, retrying per the client's RetryPolicy, and decodes a JSON
// success body into v (unless v is nil; if v is an io.Writer the body, at
// most MaxMediaDownload bytes, is copied to it instead). A non-2xx answer becomes an *APIError. The
// returned response's body is already closed.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	return c.do(req, v, nil)
}

// pacing is called before each attempt of a send.
type pacing func(ctx context.Context) error

func (c *Client) do(req *http.Request, v any, pace pacing) (*http.Response, error) {
	ctx := req.Context()
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodDelete
	var bo *backoff.ExponentialBackOff
	pairTries := 0
	for attempt := 1; ; attempt++ {
		if pace != nil {
			if err := pace(ctx); err != nil {
				return nil, err
			}
		}
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				b, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("whatsapp: rewind request body: %w", err)
				}
				r.Body = b
			}
		}
		resp, err := c.once(r, v, idempotent)
		if err == nil {
			return resp, nil
		}
		if attempt >= c.retry.MaxAttempts || ctx.Err() != nil {
			return resp, err
		}
		var delay time.Duration
		var ae *APIError
		var te *transportError
		switch {
		case errors.As(err, &ae) && ae.retryable():
			switch {
			case ae.RetryAfter > 0:
				if ae.RetryAfter > c.retry.MaxDelay {
					return resp, err
				}
				delay = ae.RetryAfter
			case ae.decoded && ae.Code == 131056:
				// Meta's advice for the pair limit: wait 4^X seconds.
				delay = time.Second << (2 * pairTries)
				pairTries++
			case ae.decoded && ae.Code == 133015:
				// A number whose deletion is pending: Meta's advice is
				// to try again after 5 minutes. Sooner, each try would
				// spend one of the 10 registrations a number has in 72
				// hours (133016).
				delay = registrationRetryDelay
				if delay > c.retry.MaxDelay {
					return resp, err
				}
			case ae.decoded && ae.Code == 131057:
				// The account is in maintenance (a throughput upgrade
				// takes up to a minute): Meta's advice is to try again
				// after about a minute.
				delay = maintenanceRetryDelay
				if delay > c.retry.MaxDelay {
					return resp, err
				}
			}
		case errors.As(err, &te) && (!te.ambiguous || idempotent || c.retry.RetryAmbiguous):
		default:
			return resp, err
		}
		if delay == 0 {
			if bo == nil {
				bo = backoff.NewExponentialBackOff(
					backoff.WithInitialInterval(c.retry.InitialDelay),
					backoff.WithMaxInterval(c.retry.MaxDelay),
					backoff.WithMaxElapsedTime(0))
			}
			delay = bo.NextBackOff()
		}
		delay = min(delay, c.retry.MaxDelay)
		c.log.LogAttrs(ctx, slog.LevelWarn, "whatsapp: retrying",
			slog.String("method", req.Method), slog.String("path", req.URL.Path),
			slog.Int("attempt", attempt), slog.Duration("delay", delay), slog.String("error", errorCode(err)))
		if err := sleep(ctx, c.clock, delay); err != nil {
			return resp, err
		}
	}
}

// maxCopiedBody bounds a success body Do copies to a caller's io.Writer:
// the largest file the API serves (MaxMediaDownload). A variable for tests.
var maxCopiedBody int64 = MaxMediaDownload

// maintenanceRetryDelay is how long Meta advises waiting after 131057 (the
// account in maintenance, such as a throughput upgrade).
const maintenanceRetryDelay = time.Minute

// registrationRetryDelay is how long Meta advises waiting before trying a
// registration again after 133015 (the number's deletion is pending).
const registrationRetryDelay = 5 * time.Minute

// errorCode is a short, personal-data-free description of err for logs.
func errorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("api %d (http %d)", ae.Code, ae.HTTPStatus)
	}
	if errors.Is(err, ErrAmbiguous) {
		return "ambiguous transport failure"
	}
	return "transport failure"
}

// once sends one attempt.
func (c *Client) once(req *http.Request, v any, idempotent bool) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		op := strings.ToLower(req.Method) + " " + req.URL.Path
		if ctxErr := req.Context().Err(); ctxErr != nil {
			// Cancelled mid-flight: a send may still have reached Meta.
			return nil, &transportError{op: op, ambiguous: !idempotent, err: ctxErr}
		}
		// Strip the URL from *url.Error: it may hold a media link.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &transportError{op: op, ambiguous: !idempotent && !notSent(err), err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return resp, decodeAPIError(resp.StatusCode, resp.Header, b, c.clock.Now())
	}
	if v == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
		return resp, nil
	}
	if w, ok := v.(io.Writer); ok {
		_, err = io.Copy(w, io.LimitReader(resp.Body, maxCopiedBody))
		if err != nil {
			return resp, fmt.Errorf("whatsapp: read response: %w", err)
		}
		if n, _ := resp.Body.Read(make([]byte, 1)); n > 0 {
			return resp, fmt.Errorf("whatsapp: read response: the body is larger than %d bytes", maxCopiedBody)
		}
		return resp, nil
	}
	body := &io.LimitedReader{R: resp.Body, N: maxResponseBody + 1}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		if body.N == 0 {
			return resp, fmt.Errorf("whatsapp: read response (http %d): the body is larger than %d bytes", resp.StatusCode, maxResponseBody)
		}
		return resp, fmt.Errorf("whatsapp: decode response (http %d): %w", resp.StatusCode, err)
	}
	return resp, nil
}

// notSent reports whether a transport error certainly happened before the
// request left: the connection could not be made.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// sleep waits d on clk, or until ctx is done.
func sleep(ctx context.Context, clk Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clk.After(d):
		return nil
	}
}

// pathID checks an id that becomes a path segment.
func pathID(field, id string) error {
	if id == "" {
		return fieldErr(field, "is empty")
	}
	if strings.ContainsAny(id, "/?#%") || strings.Contains(id, "..") {
		return fieldErr(field, "contains characters not allowed in an id")
	}
	return nil
}

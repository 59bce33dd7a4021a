package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Queue is what the console needs of the human queue. triage.Queue provides
// it in the helpline; StoreQueue is a plain version over storage.Tickets.
type Queue interface {
	// Next gives staff the most urgent waiting conversation.
	// storage.ErrNotFound when nobody is waiting.
	Next(ctx context.Context, staff string) (storage.Ticket, error)
	// SetPriority changes a ticket's priority; lowering it needs a reason
	// and is audited.
	SetPriority(ctx context.Context, ticketID string, priority int, staff, reason string) error
	// Close resolves a ticket; the bot answers the person again.
	Close(ctx context.Context, ticketID, staff, outcome string) error
}

// Template is the approved template staff may send once the person's
// 24-hour window has closed. Its body takes one parameter: the staff text.
type Template struct {
	Name     string
	Language string
}

// Config configures the console. Store, Queue, Sender, Line and Key are
// required.
type Config struct {
	Store  storage.Store
	Queue  Queue
	Sender chat.Sender // sends through the consent guard and the channel
	// Line is the business line replies go out on (a phone number id).
	Line string
	// Key signs session cookies and CSRF tokens: at least 32 random bytes.
	Key []byte
	// FollowUp is the template offered after the window closes.
	FollowUp Template
	// Prefix is where the console is mounted; default "/console".
	Prefix string
	// InsecureCookies drops the Secure flag, for plain HTTP on the loopback
	// in development only.
	InsecureCookies bool
	// Rights lists people's requests for a copy of their data or its
	// erasure, and lets staff prepare copies and extend deadlines (a
	// *consent.Service). Nil leaves the requests page out.
	Rights Rights
	Window time.Duration    // the channel's customer-service window; default 24h
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default discards
}

// Rights is what the console needs of consent.Service for rights requests.
type Rights interface {
	OpenRequests(ctx context.Context) ([]consent.RightsRequest, error)
	Export(ctx context.Context, ref storage.ContactRef, req consent.Request) (*consent.Export, error)
	ExtendRequest(ctx context.Context, r consent.RightsRequest, actor, reason string) error
}

// Console is the staff console's http.Handler.
type Console struct {
	cfg    Config
	sign   signer
	tmpl   *template.Template
	mux    *http.ServeMux
	logins *limiter
	log    *slog.Logger
}

// New checks cfg and returns the console.
func New(cfg Config) (*Console, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("console: Config.Store is nil")
	case cfg.Queue == nil:
		return nil, errors.New("console: Config.Queue is nil")
	case cfg.Sender == nil:
		return nil, errors.New("console: Config.Sender is nil")
	case cfg.Line == "":
		return nil, errors.New("console: Config.Line is empty")
	case len(cfg.Key) < 32:
		return nil, fmt.Errorf("console: Config.Key is %d bytes; at least 32 are needed", len(cfg.Key))
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/console"
	}
	if cfg.Window == 0 {
		cfg.Window = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Console{
		cfg:    cfg,
		sign:   signer{key: cfg.Key},
		mux:    http.NewServeMux(),
		logins: newLimiter(5, 15*time.Minute),
		log:    cfg.Logger,
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"prefix":   func() string { return cfg.Prefix },
		"rights":   func() bool { return cfg.Rights != nil },
		"date":     func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"priority": priorityName,
		"when":     func(t time.Time) string { return when(t) },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	c.tmpl = t
	static, _ := fs.Sub(staticFS, "static")
	p := cfg.Prefix
	c.mux.Handle("GET "+p+"/static/", http.StripPrefix(p+"/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET "+p+"/login", c.loginPage)
	c.mux.HandleFunc("POST "+p+"/login", c.login)
	c.mux.HandleFunc("POST "+p+"/logout", c.auth(c.logout))
	c.mux.HandleFunc("GET "+p+"/{$}", c.auth(c.home))
	c.mux.HandleFunc("POST "+p+"/next", c.auth(c.next))
	c.mux.HandleFunc("GET "+p+"/t/{id}", c.auth(c.ticket))
	c.mux.HandleFunc("POST "+p+"/t/{id}/reply", c.auth(c.reply))
	c.mux.HandleFunc("POST "+p+"/t/{id}/template", c.auth(c.template))
	c.mux.HandleFunc("POST "+p+"/t/{id}/note", c.auth(c.note))
	c.mux.HandleFunc("POST "+p+"/t/{id}/priority", c.auth(c.priority))
	c.mux.HandleFunc("POST "+p+"/t/{id}/reveal", c.auth(c.reveal))
	c.mux.HandleFunc("POST "+p+"/t/{id}/close", c.auth(c.close))
	c.mux.HandleFunc("POST "+p+"/t/{id}/handback", c.auth(c.handback))
	if cfg.Rights != nil {
		c.mux.HandleFunc("GET "+p+"/requests", c.auth(c.requests))
		c.mux.HandleFunc("POST "+p+"/requests/{event}/export", c.auth(c.exportRequest))
		c.mux.HandleFunc("POST "+p+"/requests/{event}/extend", c.auth(c.extendRequest))
	}
	return c, nil
}

// ServeHTTP implements http.Handler, with security headers on every answer.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // "no-referrer" would make browsers send Origin: null on our own posts
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// The console's forms are small and URL-encoded (the largest
		// field, a reply, is 4096 characters); the sign-in form is open
		// to anyone, so no body is read past that, and no other encoding
		// (a multipart body spools files to disk) is read at all.
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
			http.Error(w, "forms must be sent URL-encoded", http.StatusUnsupportedMediaType)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	}
	c.mux.ServeHTTP(w, r)
}

// maxFormBody bounds a console form's body: a 4096-character reply of
// four-byte characters, percent-encoded, with room to spare.
const maxFormBody = 128 << 10

var priorityNames = []string{"routine", "elevated", "urgent", "critical"}

func priorityName(p int) string {
	if p >= 0 && p < len(priorityNames) {
		return priorityNames[p]
	}
	return fmt.Sprintf("priority %d", p)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("Mon 2 Jan 15:04 UTC")
}

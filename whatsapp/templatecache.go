package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// TemplateEdit changes an existing template. Meta allows editing an
// approved template's category or components (at most once a day, ten
// times a month); an edited template goes back to review.
type TemplateEdit struct {
	Category   string              `json:"category,omitempty"`
	Components []TemplateComponent `json:"components,omitempty"`
}

// Edit changes a template. The change goes back to Meta's review, so until
// a status webhook says otherwise the template is PENDING.
func (s *TemplatesService) Edit(ctx context.Context, templateID string, e TemplateEdit) error {
	if err := pathID("template_id", templateID); err != nil {
		return fmt.Errorf("whatsapp: edit template: %w", err)
	}
	switch e.Category {
	case "", CategoryMarketing, CategoryUtility, CategoryAuthentication:
	default:
		return fmt.Errorf("whatsapp: edit template: %w", fieldErr("category", "%q is not MARKETING, UTILITY or AUTHENTICATION", e.Category))
	}
	if e.Category == "" && len(e.Components) == 0 {
		return fmt.Errorf("whatsapp: edit template: %w", fieldErr("components", "and category are both empty; nothing to change"))
	}
	for i, c := range e.Components {
		if c.Type == "" {
			return fmt.Errorf("whatsapp: edit template: %w", fieldErr(fmt.Sprintf("components[%d].type", i), "is empty"))
		}
	}
	var out successResponse
	if err := call(ctx, s.c, http.MethodPost, url.PathEscape(templateID), e, &out); err != nil {
		return fmt.Errorf("whatsapp: edit template: %w", err)
	}
	if !out.Success {
		return errors.New("whatsapp: edit template: response says success is false")
	}
	return nil
}

// TemplateChange is a change to a template that Meta announces by webhook
// (message_template_status_update, message_template_quality_update,
// template_category_update). Package webhook converts those into this
// type; set only what the change says.
type TemplateChange struct {
	TemplateID string
	Name       string
	Language   string
	Status     TemplateStatus // a new review state, e.g. PAUSED
	Quality    string         // a new quality score: GREEN, YELLOW, RED, UNKNOWN
	Category   string         // a new category
	Reason     string         // why, when Meta says (a rejection or pause reason)
}

// CachedTemplate is what a TemplateCache knows of one template.
type CachedTemplate struct {
	Template
	Quality string    // last quality score announced, if any
	Reason  string    // the reason given with the last status change
	Updated time.Time // when the cache last changed this entry
}

// TemplateCache is a local copy of a WABA's templates and their states,
// kept current by TemplatesService.Sync (from the list endpoint) and Apply
// (from webhooks). A Client built WithTemplateCache refuses, before any
// HTTP call, a template the cache knows to be paused, rejected, disabled or
// otherwise not approved. It is safe for concurrent use.
type TemplateCache struct {
	mu     sync.RWMutex
	now    func() time.Time
	byKey  map[string]*CachedTemplate // name + "\x00" + language
	byID   map[string]string          // id -> key
	synced time.Time
}

// NewTemplateCache returns an empty cache.
func NewTemplateCache() *TemplateCache {
	return &TemplateCache{now: time.Now, byKey: map[string]*CachedTemplate{}, byID: map[string]string{}}
}

func templateKey(name, language string) string { return name + "\x00" + language }

// Lookup returns the cached state of a template.
func (c *TemplateCache) Lookup(name, language string) (CachedTemplate, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.byKey[templateKey(name, language)]
	if !ok {
		return CachedTemplate{}, false
	}
	return *t, true
}

// Synced returns when Sync last replaced the cache's contents.
func (c *TemplateCache) Synced() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.synced
}

// Len returns how many templates the cache holds.
func (c *TemplateCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byKey)
}

// TemplateStateError says a template cannot be sent in its current state.
// It matches ErrTemplate.
type TemplateStateError struct {
	Name, Language string
	Status         TemplateStatus
	Reason         string
}

// Error names the template, its language and its state.
func (e *TemplateStateError) Error() string {
	s := fmt.Sprintf("whatsapp: template %q (%s) is %s; only APPROVED templates can be sent", e.Name, e.Language, e.Status)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// Is makes a TemplateStateError match ErrTemplate.
func (e *TemplateStateError) Is(target error) bool { return target == ErrTemplate }

// Check returns a *TemplateStateError when the cache knows the template
// and its status is not APPROVED. A template the cache does not know is
// let through: the cache may be older than the template, and Meta will
// answer 132001 if it does not exist.
func (c *TemplateCache) Check(name, language string) error {
	t, ok := c.Lookup(name, language)
	if !ok || t.Status.Sendable() || t.Status == "" {
		return nil
	}
	return &TemplateStateError{Name: name, Language: language, Status: t.Status, Reason: t.Reason}
}

// Replace sets the cache to exactly ts, as Sync does.
func (c *TemplateCache) Replace(ts []Template) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.byKey
	c.byKey = make(map[string]*CachedTemplate, len(ts))
	c.byID = make(map[string]string, len(ts))
	for _, t := range ts {
		k := templateKey(t.Name, t.Language)
		e := &CachedTemplate{Template: t, Updated: now}
		if prev := old[k]; prev != nil {
			e.Quality = prev.Quality
			if prev.Status == t.Status {
				e.Reason = prev.Reason
			}
		}
		c.byKey[k] = e
		if t.ID != "" {
			c.byID[t.ID] = k
		}
	}
	c.synced = now
}

// Apply records a change announced by webhook. The template is found by
// id, or by name and language; a change to a template the cache does not
// hold adds it when the change names it. Apply reports whether the cache
// changed.
func (c *TemplateCache) Apply(ch TemplateChange) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.byID[ch.TemplateID]
	if !ok || ch.TemplateID == "" {
		if ch.Name == "" || ch.Language == "" {
			return false
		}
		k = templateKey(ch.Name, ch.Language)
	}
	e := c.byKey[k]
	if e == nil {
		if ch.Name == "" || ch.Language == "" {
			return false
		}
		e = &CachedTemplate{Template: Template{ID: ch.TemplateID, Name: ch.Name, Language: ch.Language}}
		c.byKey[k] = e
		if ch.TemplateID != "" {
			c.byID[ch.TemplateID] = k
		}
	}
	if ch.Status != "" {
		e.Status, e.Reason = ch.Status, ch.Reason
	}
	if ch.Quality != "" {
		e.Quality = ch.Quality
	}
	if ch.Category != "" && ch.Category != e.Category {
		e.PreviousCategory, e.Category = e.Category, ch.Category
	}
	e.Updated = now
	return true
}

// Sync replaces the cache's contents with every template of wabaID, read
// from the list endpoint. On error the cache is left as it was.
func (s *TemplatesService) Sync(ctx context.Context, wabaID string, cache *TemplateCache) error {
	if cache == nil {
		return errors.New("whatsapp: sync templates: cache is nil")
	}
	var all []Template
	for t, err := range s.List(ctx, wabaID, &ListTemplatesOptions{Limit: 100}) {
		if err != nil {
			return fmt.Errorf("whatsapp: sync templates: %w", err)
		}
		all = append(all, t)
	}
	cache.Replace(all)
	return nil
}

// KeepSynced runs Sync now and then every interval (at least a minute;
// Meta's management rate limit is 200 calls an hour) until ctx ends, which
// it returns. A failed Sync is logged and tried again at the next tick;
// webhook changes given to Apply keep the cache current between syncs.
func (s *TemplatesService) KeepSynced(ctx context.Context, wabaID string, cache *TemplateCache, interval time.Duration) error {
	if interval < time.Minute {
		return fmt.Errorf("whatsapp: keep templates synced: %w", fieldErr("interval", "is %v; at least 1m", interval))
	}
	for {
		if err := s.Sync(ctx, wabaID, cache); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.c.log.LogAttrs(ctx, slog.LevelWarn, "whatsapp: template sync failed", slog.String("error", errorCode(err)))
		}
		if err := sleep(ctx, s.c.clock, interval); err != nil {
			return err
		}
	}
}

// WithTemplateCache makes Messages.Send refuse, before any HTTP call, a
// template message whose template the cache knows to be in a state other
// than APPROVED (a *TemplateStateError, matching ErrTemplate).
func WithTemplateCache(cache *TemplateCache) Option {
	return func(c *config) error {
		if cache == nil {
			return errors.New("whatsapp: template cache is nil")
		}
		c.templates = cache
		return nil
	}
}

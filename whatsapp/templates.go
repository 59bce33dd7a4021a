package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// TemplatesService manages message templates of a WhatsApp Business
// Account (WABA).
type TemplatesService struct{ c *Client }

// TemplateStatus is a template's review state.
type TemplateStatus string

// Template statuses. Only approved templates can be sent.
const (
	TemplateApproved        TemplateStatus = "APPROVED"
	TemplatePending         TemplateStatus = "PENDING"
	TemplateRejected        TemplateStatus = "REJECTED"
	TemplatePaused          TemplateStatus = "PAUSED"
	TemplateDisabled        TemplateStatus = "DISABLED"
	TemplateInAppeal        TemplateStatus = "IN_APPEAL"
	TemplatePendingDeletion TemplateStatus = "PENDING_DELETION"
	TemplateDeleted         TemplateStatus = "DELETED"
	TemplateArchived        TemplateStatus = "ARCHIVED"
	TemplateLimitExceeded   TemplateStatus = "LIMIT_EXCEEDED"
)

// Sendable reports whether a template in this status can be sent.
func (s TemplateStatus) Sendable() bool { return s == TemplateApproved }

// Template categories.
const (
	CategoryMarketing      = "MARKETING"
	CategoryUtility        = "UTILITY"
	CategoryAuthentication = "AUTHENTICATION"
)

// Template is a message template as Meta stores it.
type Template struct {
	ID               string              `json:"id,omitempty"`
	Name             string              `json:"name"`
	Language         string              `json:"language"`
	Status           TemplateStatus      `json:"status,omitempty"`
	Category         string              `json:"category"`
	PreviousCategory string              `json:"previous_category,omitempty"`
	ParameterFormat  string              `json:"parameter_format,omitempty"` // "positional" or "named"
	Components       []TemplateComponent `json:"components"`
}

// TemplateComponent is one part of a template: HEADER, BODY, FOOTER or
// BUTTONS.
type TemplateComponent struct {
	Type    string                    `json:"type"`
	Format  string                    `json:"format,omitempty"` // headers: TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION
	Text    string                    `json:"text,omitempty"`
	Buttons []TemplateComponentButton `json:"buttons,omitempty"`
	Example *TemplateExample          `json:"example,omitempty"`
}

// TemplateComponentButton is a button defined in a template.
type TemplateComponentButton struct {
	Type        string   `json:"type"` // QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, FLOW...
	Text        string   `json:"text,omitempty"`
	URL         string   `json:"url,omitempty"`
	PhoneNumber string   `json:"phone_number,omitempty"`
	Example     []string `json:"example,omitempty"`
}

// TemplateExample holds the example values Meta requires for review.
type TemplateExample struct {
	HeaderText            []string       `json:"header_text,omitempty"`
	HeaderHandle          []string       `json:"header_handle,omitempty"`
	BodyText              [][]string     `json:"body_text,omitempty"`
	HeaderTextNamedParams []NamedExample `json:"header_text_named_params,omitempty"`
	BodyTextNamedParams   []NamedExample `json:"body_text_named_params,omitempty"`
}

// NamedExample is an example value for a named parameter.
type NamedExample struct {
	ParamName string `json:"param_name"`
	Example   string `json:"example"`
}

// ListTemplatesOptions filters and pages a template listing.
type ListTemplatesOptions struct {
	Limit  int            // page size; Meta's default when zero
	Name   string         // only templates whose name contains this
	Status TemplateStatus // only templates in this status
}

// List iterates over the templates of wabaID, fetching pages as needed. It
// stops at the first error, which it yields.
func (s *TemplatesService) List(ctx context.Context, wabaID string, opts *ListTemplatesOptions) iter.Seq2[Template, error] {
	q := url.Values{}
	if opts != nil {
		if opts.Limit > 0 {
			q.Set("limit", strconv.Itoa(opts.Limit))
		}
		if opts.Name != "" {
			q.Set("name", opts.Name)
		}
		if opts.Status != "" {
			q.Set("status", string(opts.Status))
		}
	}
	return pages[Template](ctx, s.c, "list templates", "waba_id", wabaID, "/message_templates", q)
}

// Get fetches one template by its id.
func (s *TemplatesService) Get(ctx context.Context, templateID string) (*Template, error) {
	if err := pathID("template_id", templateID); err != nil {
		return nil, fmt.Errorf("whatsapp: get template: %w", err)
	}
	req, err := s.c.NewRequest(ctx, http.MethodGet, url.PathEscape(templateID), nil)
	if err != nil {
		return nil, err
	}
	var out Template
	if _, err := s.c.do(req, &out, nil); err != nil {
		return nil, fmt.Errorf("whatsapp: get template: %w", err)
	}
	return &out, nil
}

// NewTemplate is a template to submit for review.
type NewTemplate struct {
	Name                string              `json:"name"`
	Language            string              `json:"language"`
	Category            string              `json:"category"`
	ParameterFormat     string              `json:"parameter_format,omitempty"`
	Components          []TemplateComponent `json:"components"`
	AllowCategoryChange bool                `json:"allow_category_change,omitempty"`
}

// CreatedTemplate is Meta's answer to a template creation.
type CreatedTemplate struct {
	ID       string         `json:"id"`
	Status   TemplateStatus `json:"status"`
	Category string         `json:"category"`
}

// Create submits a template for review. Meta allows 100 creations per
// WABA per hour.
func (s *TemplatesService) Create(ctx context.Context, wabaID string, t NewTemplate) (*CreatedTemplate, error) {
	if err := pathID("waba_id", wabaID); err != nil {
		return nil, fmt.Errorf("whatsapp: create template: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("whatsapp: create template: %w", err)
	}
	req, err := s.c.NewRequest(ctx, http.MethodPost, url.PathEscape(wabaID)+"/message_templates", t)
	if err != nil {
		return nil, err
	}
	var out CreatedTemplate
	if _, err := s.c.do(req, &out, nil); err != nil {
		return nil, fmt.Errorf("whatsapp: create template: %w", err)
	}
	return &out, nil
}

// Validate checks a template before submission: name rules, language,
// category, parameter format and at least one body component.
func (t NewTemplate) Validate() error {
	if err := ValidateTemplateName(t.Name); err != nil {
		return err
	}
	if err := required("template.language", t.Language); err != nil {
		return err
	}
	switch t.Category {
	case CategoryMarketing, CategoryUtility, CategoryAuthentication, "marketing", "utility", "authentication":
	default:
		return fieldErr("template.category", "%q is not MARKETING, UTILITY or AUTHENTICATION", t.Category)
	}
	switch t.ParameterFormat {
	case "", "positional", "named":
	default:
		return fieldErr("template.parameter_format", "%q is not positional or named", t.ParameterFormat)
	}
	if len(t.Components) == 0 {
		return fieldErr("template.components", "is empty")
	}
	for i, c := range t.Components {
		if c.Type == "" {
			return fieldErr(fmt.Sprintf("template.components[%d].type", i), "is empty")
		}
	}
	return nil
}

// Delete deletes a template by name (all its languages), or only the one
// with templateID when that is not empty.
func (s *TemplatesService) Delete(ctx context.Context, wabaID, name, templateID string) error {
	if err := pathID("waba_id", wabaID); err != nil {
		return fmt.Errorf("whatsapp: delete template: %w", err)
	}
	if err := required("template.name", name); err != nil {
		return fmt.Errorf("whatsapp: delete template: %w", err)
	}
	q := url.Values{"name": {name}}
	if templateID != "" {
		q.Set("hsm_id", templateID)
	}
	req, err := s.c.NewRequest(ctx, http.MethodDelete, url.PathEscape(wabaID)+"/message_templates?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	var out successResponse
	if _, err := s.c.do(req, &out, nil); err != nil {
		return fmt.Errorf("whatsapp: delete template: %w", err)
	}
	if !out.Success {
		return errors.New("whatsapp: delete template: response says success is false")
	}
	return nil
}

// page is one page of a Graph API edge.
type page[T any] struct {
	Data   []T `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// pages iterates over a paged edge of the object id. The next page is
// fetched from our own base URL with the "after" cursor, never from the
// absolute "next" link, so the token only goes to the configured host.
func pages[T any](ctx context.Context, c *Client, op, field, id, edge string, q url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := pathID(field, id); err != nil {
			yield(zero, fmt.Errorf("whatsapp: %s: %w", op, err))
			return
		}
		var cur cursors
		for {
			path := url.PathEscape(id) + edge
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			req, err := c.NewRequest(ctx, http.MethodGet, path, nil)
			if err != nil {
				yield(zero, err)
				return
			}
			var p page[T]
			if _, err := c.do(req, &p, nil); err != nil {
				yield(zero, fmt.Errorf("whatsapp: %s: %w", op, err))
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			after := p.Paging.Cursors.After
			if p.Paging.Next == "" || after == "" || after == q.Get("after") || len(p.Data) == 0 {
				return
			}
			if err := cur.next(after); err != nil {
				yield(zero, fmt.Errorf("whatsapp: %s: %w", op, err))
				return
			}
			q = cloneValues(q)
			q.Set("after", after)
		}
	}
}

// maxPages bounds the pages one listing reads: ten times the most any
// account holds at Meta's largest page size.
const maxPages = 1000

// cursors remembers the cursors a listing has followed, so that an API
// whose cursors come round again, or never end, cannot keep it reading.
type cursors struct {
	seen map[string]bool
}

func (c *cursors) next(after string) error {
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[after] {
		return errors.New("the API returned a page cursor it had returned before; stopped listing")
	}
	if len(c.seen) >= maxPages {
		return fmt.Errorf("more than %d pages; stopped listing", maxPages)
	}
	c.seen[after] = true
	return nil
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q)+1)
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// AnalyticsService reads a WhatsApp Business Account's message, pricing,
// conversation and template analytics.
type AnalyticsService struct{ c *Client }

// TimeRange is a half-open period [Start, End), sent to Meta as Unix
// seconds.
type TimeRange struct {
	Start, End time.Time
}

func (r TimeRange) validate() error {
	switch {
	case r.Start.IsZero() || r.End.IsZero():
		return fieldErr("time_range", "needs both a start and an end")
	case !r.End.After(r.Start):
		return fieldErr("time_range", "ends at or before it starts")
	}
	return nil
}

// Granularity is how finely analytics are bucketed.
type Granularity int

// Granularities. Meta spells them differently per endpoint (DAY or DAILY);
// the client translates.
const (
	ByDay Granularity = iota
	ByHalfHour
	ByMonth
)

func (g Granularity) messaging() string {
	return [...]string{"DAY", "HALF_HOUR", "MONTH"}[g]
}

func (g Granularity) billing() string {
	return [...]string{"DAILY", "HALF_HOUR", "MONTHLY"}[g]
}

func (g Granularity) validate() error {
	if g < ByDay || g > ByMonth {
		return fieldErr("granularity", "%d is not ByDay, ByHalfHour or ByMonth", int(g))
	}
	return nil
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func jsonList(xs []string) string {
	b, _ := json.Marshal(xs)
	return string(b)
}

// MessagingPoint is the number of messages sent and delivered in one
// bucket.
type MessagingPoint struct {
	Start     time.Time
	End       time.Time
	Sent      int
	Delivered int
}

// AnalyticsQuery narrows an analytics read.
type AnalyticsQuery struct {
	Range        TimeRange
	Granularity  Granularity
	PhoneNumbers []string // display numbers to include; all when empty
	CountryCodes []string // ISO country codes of recipients; all when empty
}

func (q AnalyticsQuery) validate() error {
	return firstErr(q.Range.validate(), q.Granularity.validate())
}

func (q AnalyticsQuery) filters() string {
	s := ""
	if len(q.PhoneNumbers) > 0 {
		s += ".phone_numbers(" + jsonList(q.PhoneNumbers) + ")"
	}
	if len(q.CountryCodes) > 0 {
		s += ".country_codes(" + jsonList(q.CountryCodes) + ")"
	}
	return s
}

type wirePoint struct {
	Start     int64 `json:"start"`
	End       int64 `json:"end"`
	Sent      int   `json:"sent"`
	Delivered int   `json:"delivered"`
}

// Messaging reads how many messages the WABA's numbers sent and delivered.
func (s *AnalyticsService) Messaging(ctx context.Context, wabaID string, q AnalyticsQuery) ([]MessagingPoint, error) {
	if err := firstErr(pathID("waba_id", wabaID), q.validate()); err != nil {
		return nil, fmt.Errorf("whatsapp: messaging analytics: %w", err)
	}
	field := "analytics.start(" + unix(q.Range.Start) + ").end(" + unix(q.Range.End) + ").granularity(" + q.Granularity.messaging() + ")" + q.filters()
	var out struct {
		Analytics struct {
			DataPoints []wirePoint `json:"data_points"`
		} `json:"analytics"`
	}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(wabaID)+"?"+url.Values{"fields": {field}}.Encode(), nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: messaging analytics: %w", err)
	}
	pts := make([]MessagingPoint, len(out.Analytics.DataPoints))
	for i, p := range out.Analytics.DataPoints {
		pts[i] = MessagingPoint{Start: time.Unix(p.Start, 0).UTC(), End: time.Unix(p.End, 0).UTC(), Sent: p.Sent, Delivered: p.Delivered}
	}
	return pts, nil
}

// PricingPoint is what was delivered, and what it cost, in one bucket for
// one combination of the dimensions asked for. Since July 2025 Meta
// charges per delivered template message by category and country.
type PricingPoint struct {
	Start           time.Time `json:"-"`
	End             time.Time `json:"-"`
	PhoneNumber     string    `json:"phone_number"`
	Country         string    `json:"country"`
	PricingType     string    `json:"pricing_type"`     // REGULAR, FREE_CUSTOMER_SERVICE, FREE_ENTRY_POINT
	PricingCategory string    `json:"pricing_category"` // MARKETING, UTILITY, AUTHENTICATION, SERVICE...
	Volume          int       `json:"volume"`
	Cost            float64   `json:"cost"`
}

// ConversationPoint is the number and cost of conversations in one bucket
// (the billing model before July 2025, still readable for past periods).
type ConversationPoint struct {
	Start                 time.Time `json:"-"`
	End                   time.Time `json:"-"`
	PhoneNumber           string    `json:"phone_number"`
	Country               string    `json:"country"`
	ConversationType      string    `json:"conversation_type"`
	ConversationDirection string    `json:"conversation_direction"`
	ConversationCategory  string    `json:"conversation_category"`
	Conversations         int       `json:"conversation"`
	Cost                  float64   `json:"cost"`
}

// Pricing reads delivered volume and cost, split by pricing category,
// pricing type, country and phone number.
func (s *AnalyticsService) Pricing(ctx context.Context, wabaID string, q AnalyticsQuery) ([]PricingPoint, error) {
	var raw []json.RawMessage
	if err := s.billing(ctx, "pricing analytics", "pricing_analytics", wabaID, q,
		[]string{"PRICING_CATEGORY", "PRICING_TYPE", "COUNTRY", "PHONE"}, &raw); err != nil {
		return nil, err
	}
	return decodePoints(raw, func(p *PricingPoint, start, end time.Time) { p.Start, p.End = start, end })
}

// Conversations reads conversation counts and costs, split by category,
// type, direction, country and phone number.
func (s *AnalyticsService) Conversations(ctx context.Context, wabaID string, q AnalyticsQuery) ([]ConversationPoint, error) {
	var raw []json.RawMessage
	if err := s.billing(ctx, "conversation analytics", "conversation_analytics", wabaID, q,
		[]string{"CONVERSATION_CATEGORY", "CONVERSATION_TYPE", "COUNTRY", "PHONE"}, &raw); err != nil {
		return nil, err
	}
	return decodePoints(raw, func(p *ConversationPoint, start, end time.Time) { p.Start, p.End = start, end })
}

func (s *AnalyticsService) billing(ctx context.Context, op, edge, wabaID string, q AnalyticsQuery, dims []string, raw *[]json.RawMessage) error {
	if err := firstErr(pathID("waba_id", wabaID), q.validate()); err != nil {
		return fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	field := edge + ".start(" + unix(q.Range.Start) + ").end(" + unix(q.Range.End) + ").granularity(" + q.Granularity.billing() + ")" +
		q.filters() + ".dimensions(" + jsonList(dims) + ")"
	var out map[string]json.RawMessage
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(wabaID)+"?"+url.Values{"fields": {field}}.Encode(), nil, &out); err != nil {
		return fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	var body struct {
		Data []struct {
			DataPoints []json.RawMessage `json:"data_points"`
		} `json:"data"`
	}
	if b := out[edge]; len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			return fmt.Errorf("whatsapp: %s: decode: %w", op, err)
		}
	}
	for _, d := range body.Data {
		*raw = append(*raw, d.DataPoints...)
	}
	return nil
}

func decodePoints[T any](raw []json.RawMessage, times func(*T, time.Time, time.Time)) ([]T, error) {
	out := make([]T, 0, len(raw))
	for _, r := range raw {
		var p T
		var ts struct {
			Start int64 `json:"start"`
			End   int64 `json:"end"`
		}
		if err := json.Unmarshal(r, &p); err != nil {
			return nil, fmt.Errorf("whatsapp: analytics: decode point: %w", err)
		}
		_ = json.Unmarshal(r, &ts)
		times(&p, time.Unix(ts.Start, 0).UTC(), time.Unix(ts.End, 0).UTC())
		out = append(out, p)
	}
	return out, nil
}

// TemplateMetric is a template analytics metric.
type TemplateMetric string

// Template analytics metrics.
const (
	MetricSent      TemplateMetric = "SENT"
	MetricDelivered TemplateMetric = "DELIVERED"
	MetricRead      TemplateMetric = "READ"
	MetricClicked   TemplateMetric = "CLICKED"
)

// MaxTemplateAnalyticsIDs is how many templates one read may name.
const MaxTemplateAnalyticsIDs = 10

// TemplateAnalyticsQuery names the templates, period and metrics to read.
// Meta keeps template analytics daily, for the last 90 days.
type TemplateAnalyticsQuery struct {
	Range       TimeRange
	TemplateIDs []string         // 1 to 10 template ids
	Metrics     []TemplateMetric // all four when empty
}

// TemplatePoint is one template's figures for one day.
type TemplatePoint struct {
	TemplateID string         `json:"template_id"`
	Start      time.Time      `json:"-"`
	End        time.Time      `json:"-"`
	Sent       int            `json:"sent"`
	Delivered  int            `json:"delivered"`
	Read       int            `json:"read"`
	Clicked    []ButtonClicks `json:"clicked,omitempty"`
}

// ButtonClicks counts taps on one of a template's buttons.
type ButtonClicks struct {
	Type          string `json:"type"` // quick_reply_button, url_button...
	ButtonContent string `json:"button_content"`
	Count         int    `json:"count"`
}

// Templates reads daily figures for up to 10 templates.
func (s *AnalyticsService) Templates(ctx context.Context, wabaID string, q TemplateAnalyticsQuery) ([]TemplatePoint, error) {
	if err := firstErr(pathID("waba_id", wabaID), q.Range.validate()); err != nil {
		return nil, fmt.Errorf("whatsapp: template analytics: %w", err)
	}
	if n := len(q.TemplateIDs); n == 0 || n > MaxTemplateAnalyticsIDs {
		return nil, fmt.Errorf("whatsapp: template analytics: %w", fieldErr("template_ids", "has %d ids; WhatsApp allows 1 to %d", n, MaxTemplateAnalyticsIDs))
	}
	metrics := q.Metrics
	if len(metrics) == 0 {
		metrics = []TemplateMetric{MetricSent, MetricDelivered, MetricRead, MetricClicked}
	}
	ms := make([]string, len(metrics))
	for i, m := range metrics {
		switch m {
		case MetricSent, MetricDelivered, MetricRead, MetricClicked:
		default:
			return nil, fmt.Errorf("whatsapp: template analytics: %w", fieldErr(fmt.Sprintf("metric_types[%d]", i), "%q is not SENT, DELIVERED, READ or CLICKED", m))
		}
		ms[i] = string(m)
	}
	v := url.Values{
		"start":        {unix(q.Range.Start)},
		"end":          {unix(q.Range.End)},
		"granularity":  {"DAILY"},
		"metric_types": {jsonList(ms)},
		"template_ids": {jsonList(q.TemplateIDs)},
	}
	var out []TemplatePoint
	for page, err := range pages[struct {
		DataPoints []json.RawMessage `json:"data_points"`
	}](ctx, s.c, "template analytics", "waba_id", wabaID, "/template_analytics", v) {
		if err != nil {
			return nil, err
		}
		pts, err := decodePoints(page.DataPoints, func(p *TemplatePoint, start, end time.Time) { p.Start, p.End = start, end })
		if err != nil {
			return nil, err
		}
		out = append(out, pts...)
	}
	return out, nil
}

// CallPoint is the number, duration and cost of calls in one bucket for
// one combination of direction, country and phone number.
type CallPoint struct {
	Start           time.Time `json:"-"`
	End             time.Time `json:"-"`
	PhoneNumber     string    `json:"phone_number"`
	Country         string    `json:"country"`
	Direction       string    `json:"direction"` // USER_INITIATED, BUSINESS_INITIATED
	Count           int       `json:"count"`
	Cost            float64   `json:"cost"`
	AverageDuration float64   `json:"average_duration"` // seconds
}

// Calls reads WhatsApp Business Calling analytics, split by direction,
// country and phone number.
func (s *AnalyticsService) Calls(ctx context.Context, wabaID string, q AnalyticsQuery) ([]CallPoint, error) {
	var raw []json.RawMessage
	if err := s.billing(ctx, "call analytics", "call_analytics", wabaID, q, []string{"DIRECTION", "COUNTRY", "PHONE"}, &raw); err != nil {
		return nil, err
	}
	return decodePoints(raw, func(p *CallPoint, start, end time.Time) { p.Start, p.End = start, end })
}

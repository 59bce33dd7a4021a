package whatsapp_test

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// The analytics fields and the template_analytics edge are not in Meta's
// OpenAPI description (v23.0); these tests check the requests against the
// documented field-expansion syntax and the answers against the fake.
func TestAnalyticsAgainstFake(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	srv, c, tp := tappedFake(t, whatsapptest.WithClock(func() time.Time { return now }), whatsapptest.WithoutWindow(),
		whatsapptest.WithTemplate(waba, reminder("ar")))
	ctx := t.Context()
	for _, to := range []string{"+96170000001", "+96170000002", "+16505551234"} {
		if _, err := c.Messages.Send(ctx, fakeLine, whatsapp.Text{Envelope: whatsapp.Envelope{To: to}, Body: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Messages.Send(ctx, fakeLine, whatsapp.TemplateMessage{Envelope: whatsapp.Envelope{To: "+96170000001"},
		Name: "appointment_reminder", Language: "ar", Body: []whatsapp.Param{{Text: "الاثنين"}}}); err != nil {
		t.Fatal(err)
	}
	day := whatsapp.TimeRange{Start: now.Add(-24 * time.Hour), End: now.Add(time.Hour)}
	q := whatsapp.AnalyticsQuery{Range: day, Granularity: whatsapp.ByDay, PhoneNumbers: []string{whatsapptest.DefaultDisplayNumber}}

	pts, err := c.Analytics.Messaging(ctx, waba, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || pts[0].Sent != 4 || pts[0].Delivered != 4 || !pts[0].Start.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("messaging %+v", pts)
	}
	fields, _ := url.ParseQuery(tp.last().query)
	want := "analytics.start(" + itoa(day.Start.Unix()) + ").end(" + itoa(day.End.Unix()) + `).granularity(DAY).phone_numbers(["15550783881"])`
	if got := fields.Get("fields"); got != want {
		t.Errorf("fields %s, want %s", got, want)
	}

	pricing, err := c.Analytics.Pricing(ctx, waba, whatsapp.AnalyticsQuery{Range: day, Granularity: whatsapp.ByMonth})
	if err != nil {
		t.Fatal(err)
	}
	var utility, service int
	for _, p := range pricing {
		switch {
		case p.PricingCategory == "UTILITY" && p.Country == "LB" && p.PricingType == "REGULAR":
			utility += p.Volume
		case p.PricingCategory == "SERVICE":
			service += p.Volume
		}
		if p.Start.IsZero() || !p.End.After(p.Start) {
			t.Errorf("pricing point without its period: %+v", p)
		}
	}
	if utility != 1 || service != 3 {
		t.Errorf("pricing %+v", pricing)
	}
	fields, _ = url.ParseQuery(tp.last().query)
	if f := fields.Get("fields"); !strings.Contains(f, ".granularity(MONTHLY)") || !strings.HasSuffix(f, `.dimensions(["PRICING_CATEGORY","PRICING_TYPE","COUNTRY","PHONE"])`) {
		t.Errorf("pricing fields %s", f)
	}

	conv, err := c.Analytics.Conversations(ctx, waba, whatsapp.AnalyticsQuery{Range: day, Granularity: whatsapp.ByHalfHour})
	if err != nil || len(conv) != 0 {
		t.Errorf("conversations %+v, %v", conv, err)
	}

	calls, err := c.Analytics.Calls(ctx, waba, whatsapp.AnalyticsQuery{Range: day, Granularity: whatsapp.ByDay})
	if err != nil || len(calls) != 0 {
		t.Errorf("calls %+v, %v", calls, err)
	}
	if f, _ := url.ParseQuery(tp.last().query); !strings.HasPrefix(f.Get("fields"), "call_analytics.start(") {
		t.Errorf("call fields %s", f.Get("fields"))
	}

	id := srv.Templates(waba)[0].ID
	tpts, err := c.Analytics.Templates(ctx, waba, whatsapp.TemplateAnalyticsQuery{Range: day, TemplateIDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tpts) != 1 || tpts[0].TemplateID != id || tpts[0].Sent != 1 || tpts[0].Delivered != 1 {
		t.Errorf("template analytics %+v", tpts)
	}
	tq, _ := url.ParseQuery(tp.last().query)
	if tq.Get("metric_types") != `["SENT","DELIVERED","READ","CLICKED"]` || tq.Get("granularity") != "DAILY" {
		t.Errorf("template analytics query %v", tq)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAnalyticsValidation(t *testing.T) {
	t.Parallel()
	c, cp := captureClient(t, okSend)
	ctx := t.Context()
	now := time.Now()
	errs := map[string]error{}
	_, errs["no range"] = c.Analytics.Messaging(ctx, waba, whatsapp.AnalyticsQuery{})
	_, errs["backwards"] = c.Analytics.Pricing(ctx, waba, whatsapp.AnalyticsQuery{Range: whatsapp.TimeRange{Start: now, End: now.Add(-time.Hour)}})
	_, errs["granularity"] = c.Analytics.Conversations(ctx, waba, whatsapp.AnalyticsQuery{Range: whatsapp.TimeRange{Start: now, End: now.Add(time.Hour)}, Granularity: 9})
	_, errs["no templates"] = c.Analytics.Templates(ctx, waba, whatsapp.TemplateAnalyticsQuery{Range: whatsapp.TimeRange{Start: now, End: now.Add(time.Hour)}})
	_, errs["metric"] = c.Analytics.Templates(ctx, waba, whatsapp.TemplateAnalyticsQuery{Range: whatsapp.TimeRange{Start: now, End: now.Add(time.Hour)}, TemplateIDs: []string{"1"}, Metrics: []whatsapp.TemplateMetric{"LIKED"}})
	for name, err := range errs {
		if !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if len(cp.reqs) != 0 {
		t.Errorf("%d requests sent for invalid input", len(cp.reqs))
	}
}

package whatsapp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

const waba = whatsapptest.DefaultWABAID

func reminder(lang string) whatsapp.Template {
	return whatsapp.Template{Name: "appointment_reminder", Language: lang, Category: whatsapp.CategoryUtility,
		Components: []whatsapp.TemplateComponent{{Type: "BODY", Text: "Your appointment is on {{1}}."}}}
}

func TestTemplateCacheRefusesPausedTemplatesLocally(t *testing.T) {
	t.Parallel()
	cache := whatsapp.NewTemplateCache()
	srv, c, tp := tappedFake(t, whatsapptest.WithTemplate(waba, reminder("en")), whatsapptest.WithTemplate(waba, reminder("ar")))
	cached, err := srv.NewClient(whatsapp.WithTemplateCache(cache), whatsapp.WithoutPacing())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.Templates.Sync(ctx, waba, cache); err != nil {
		t.Fatal(err)
	}
	checkExchange(t, loadSpec(t), "/{Version}/{WABA-ID}/message_templates", tp.last())
	if cache.Len() != 2 || cache.Synced().IsZero() {
		t.Fatalf("cache holds %d templates", cache.Len())
	}
	send := func() error {
		_, err := cached.Messages.Send(ctx, fakeLine, whatsapp.TemplateMessage{Envelope: whatsapp.Envelope{To: "+16505551234"},
			Name: "appointment_reminder", Language: "ar", Body: []whatsapp.Param{{Text: "الاثنين"}}})
		return err
	}
	if err := send(); err != nil {
		t.Fatalf("approved template: %v", err)
	}

	// Meta pauses the Arabic template; the webhook reaches the cache.
	body, err := srv.TemplateStatusPayload(waba, "appointment_reminder", "ar", whatsapp.TemplatePaused, "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range n.TemplateChanges() {
		if !cache.Apply(ch) {
			t.Errorf("change %+v not applied", ch)
		}
	}
	before := len(srv.Requests())
	err = send()
	var se *whatsapp.TemplateStateError
	if !errors.Is(err, whatsapp.ErrTemplate) || !errors.As(err, &se) || se.Status != whatsapp.TemplatePaused {
		t.Fatalf("paused template: %v, want a TemplateStateError", err)
	}
	if !strings.Contains(err.Error(), `"appointment_reminder" (ar) is PAUSED`) {
		t.Errorf("error %q does not say which template and why", err)
	}
	if len(srv.Requests()) != before {
		t.Error("a paused template reached the API")
	}
	// The English one is still approved.
	if _, err := cached.Messages.Send(ctx, fakeLine, whatsapp.TemplateMessage{Envelope: whatsapp.Envelope{To: "+16505551234"},
		Name: "appointment_reminder", Language: "en", Body: []whatsapp.Param{{Text: "Monday"}}}); err != nil {
		t.Errorf("approved english template: %v", err)
	}

	// A later sync sees it approved again.
	srv.SetTemplateStatus("appointment_reminder", "ar", whatsapp.TemplateApproved)
	if err := c.Templates.Sync(ctx, waba, cache); err != nil {
		t.Fatal(err)
	}
	if err := send(); err != nil {
		t.Errorf("after sync: %v", err)
	}
}

func TestTemplateCacheApply(t *testing.T) {
	t.Parallel()
	cache := whatsapp.NewTemplateCache()
	en := reminder("en")
	en.ID, en.Status = "77", whatsapp.TemplateApproved
	cache.Replace([]whatsapp.Template{en})
	cases := []struct {
		change whatsapp.TemplateChange
		check  func(whatsapp.CachedTemplate) bool
	}{
		{whatsapp.TemplateChange{TemplateID: "77", Quality: "YELLOW"}, func(c whatsapp.CachedTemplate) bool {
			return c.Quality == "YELLOW" && c.Status == whatsapp.TemplateApproved
		}},
		{whatsapp.TemplateChange{TemplateID: "77", Category: whatsapp.CategoryMarketing}, func(c whatsapp.CachedTemplate) bool {
			return c.Category == whatsapp.CategoryMarketing && c.PreviousCategory == whatsapp.CategoryUtility
		}},
		{whatsapp.TemplateChange{Name: "appointment_reminder", Language: "en", Status: whatsapp.TemplateRejected, Reason: "INVALID_FORMAT"}, func(c whatsapp.CachedTemplate) bool {
			return c.Status == whatsapp.TemplateRejected && c.Reason == "INVALID_FORMAT" && c.Quality == "YELLOW"
		}},
	}
	for i, tc := range cases {
		if !cache.Apply(tc.change) {
			t.Fatalf("%d: not applied", i)
		}
		got, _ := cache.Lookup("appointment_reminder", "en")
		if !tc.check(got) {
			t.Errorf("%d: after %+v the cache holds %+v", i, tc.change, got)
		}
	}
	if err := cache.Check("appointment_reminder", "en"); !errors.Is(err, whatsapp.ErrTemplate) || !strings.Contains(err.Error(), "INVALID_FORMAT") {
		t.Errorf("rejected: %v", err)
	}
	if err := cache.Check("unknown", "en"); err != nil {
		t.Errorf("unknown template refused: %v", err)
	}
	if cache.Apply(whatsapp.TemplateChange{TemplateID: "999", Status: whatsapp.TemplatePaused}) {
		t.Error("a change naming nothing the cache knows was applied")
	}
	if !cache.Apply(whatsapp.TemplateChange{TemplateID: "5", Name: "new_one", Language: "ar", Status: whatsapp.TemplatePending}) || cache.Len() != 2 {
		t.Error("a change naming a new template did not add it")
	}
	// Replace keeps what webhooks said about quality.
	cache.Replace([]whatsapp.Template{en})
	if got, _ := cache.Lookup("appointment_reminder", "en"); got.Quality != "YELLOW" || got.Status != whatsapp.TemplateApproved {
		t.Errorf("after replace %+v", got)
	}
}

func TestTemplateEdit(t *testing.T) {
	t.Parallel()
	srv, c, tp := tappedFake(t, whatsapptest.WithTemplate(waba, reminder("en")))
	id := srv.Templates(waba)[0].ID
	runPlatformCalls(t, c, tp, []platformCall{{"edit", "/{Version}/{TEMPLATE_ID}", func(ctx context.Context, c *whatsapp.Client) error {
		return c.Templates.Edit(ctx, id, whatsapp.TemplateEdit{Components: []whatsapp.TemplateComponent{{Type: "BODY", Text: "Your appointment is on {{1}} at the office."}}})
	}}})
	got := srv.Templates(waba)[0]
	if got.Status != whatsapp.TemplatePending || !strings.Contains(got.Components[0].Text, "at the office") {
		t.Errorf("after edit %+v", got)
	}
	// A pending template cannot be edited again, as with Meta.
	err := c.Templates.Edit(t.Context(), id, whatsapp.TemplateEdit{Category: whatsapp.CategoryMarketing})
	if !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Errorf("editing a pending template: %v, want ErrInvalidRequest", err)
	}
	for name, e := range map[string]whatsapp.TemplateEdit{
		"nothing":  {},
		"category": {Category: "SPAM"},
		"type":     {Components: []whatsapp.TemplateComponent{{Text: "x"}}},
	} {
		if err := c.Templates.Edit(t.Context(), id, e); !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestKeepSynced(t *testing.T) {
	t.Parallel()
	srv := newFake(t, whatsapptest.WithTemplate(waba, reminder("en")))
	synctest.Test(t, func(t *testing.T) {
		c, err := srv.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		cache := whatsapp.NewTemplateCache()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- c.Templates.KeepSynced(ctx, waba, cache, 10*time.Minute) }()
		synctest.Wait()
		if got, _ := cache.Lookup("appointment_reminder", "en"); got.Status != whatsapp.TemplateApproved {
			t.Fatalf("first sync: %+v", got)
		}
		srv.SetTemplateStatus("appointment_reminder", "en", whatsapp.TemplateDisabled)
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if got, _ := cache.Lookup("appointment_reminder", "en"); got.Status != whatsapp.TemplateDisabled {
			t.Errorf("second sync: %+v", got)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("KeepSynced returned %v", err)
		}
		if err := c.Templates.KeepSynced(t.Context(), waba, cache, time.Second); !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("one-second interval: %v", err)
		}
	})
}

func ExampleTemplateCache() {
	cache := whatsapp.NewTemplateCache()
	cache.Replace([]whatsapp.Template{{ID: "77", Name: "clinic_hours", Language: "ar", Status: whatsapp.TemplateApproved}})
	// A message_template_status_update webhook, converted by
	// webhook.TemplateChangeOf, pauses it.
	cache.Apply(whatsapp.TemplateChange{TemplateID: "77", Status: whatsapp.TemplatePaused, Reason: "low quality"})
	fmt.Println(cache.Check("clinic_hours", "ar"))
	// Output: whatsapp: template "clinic_hours" (ar) is PAUSED; only APPROVED templates can be sent (low quality)
}

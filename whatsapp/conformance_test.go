package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
)

// normalizeFixture turns SDK quirks in recorded requests into the form
// Meta documents, so that a recording and our request can be compared.
// Each rule names the quirk it removes.
func normalizeFixture(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			p := path + "." + k
			switch {
			// The Ruby SDK sends "to" as a JSON number; Meta documents a string.
			case p == ".to":
				if n, ok := val.(float64); ok {
					val = strconv.FormatFloat(n, 'f', -1, 64)
				}
			// The Java SDK writes interactive types and the Ruby SDK parameter
			// types in upper case; Meta documents lower case.
			case k == "type" && (strings.HasPrefix(p, ".interactive.") || strings.Contains(p, ".parameters[].")):
				if s, ok := val.(string); ok {
					val = strings.ToLower(s)
				}
			// Template button indexes are sometimes numbers; Meta's examples
			// and description use strings.
			case k == "index":
				if n, ok := val.(float64); ok {
					val = strconv.Itoa(int(n))
				}
			// The Java SDK sends coordinates as strings; we send numbers, as
			// the Ruby recording shows Meta accepts.
			case p == ".location.latitude" || p == ".location.longitude":
				if s, ok := val.(string); ok {
					val, _ = strconv.ParseFloat(s, 64)
				}
			// Cloud API always shows date_time.fallback_value; the other
			// fields are from the retired On-Premises API.
			case strings.HasSuffix(path, ".date_time") && k != "fallback_value":
				continue
			// language.policy has a single value, "deterministic", the default.
			case p == ".template.language.policy":
				continue
			// preview_url false is the default.
			case p == ".text.preview_url" && val == false:
				continue
			}
			out[k] = normalizeFixture(val, p)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeFixture(e, path+"[]")
		}
		return out
	}
	return v
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// TestRequestsMatchRealRequests checks that each request the client builds
// is the request recorded from a real SDK or Meta's documentation, once
// SDK quirks are normalised.
func TestRequestsMatchRealRequests(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(conformanceDir(t), "send")
	for _, rc := range requestCases() {
		if rc.fixture == "" {
			continue
		}
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			want := normalizeFixture(decodeJSON(t, readFixture(t, dir, rc.fixture)), "")
			got := decodeJSON(t, rc.body(t))
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Fatalf("request differs from %s\n got: %s\nwant: %s", rc.fixture, g, w)
			}
		})
	}
}

// TestEveryRequestFixtureIsCovered makes sure no recorded send request is
// forgotten by the table above.
func TestEveryRequestFixtureIsCovered(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(conformanceDir(t), "send")
	covered := map[string]bool{}
	for _, rc := range requestCases() {
		covered[rc.fixture] = true
	}
	// Requests for endpoints the client does not model, or recordings of
	// calls that failed on purpose (their bodies equal a covered one).
	notModelled := map[string]string{
		"register__meta-docs.json":                    "registration is not modelled; use NewRequest/Do",
		"register_with_local_storage__meta-docs.json": "registration is not modelled; use NewRequest/Do",
		"mark_as_read_bad_id__ruby-sdk.json":          "same body as mark_as_read with another id",
		"mark_as_read_outgoing_id__ruby-sdk.json":     "same body as mark_as_read with another id",
		"typing_indicator__ruby-sdk.json":             "the Ruby SDK adds recipient_type to a read receipt; Meta's example has none",
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".json") || strings.HasPrefix(n, "response_") || covered[n] || notModelled[n] != "" {
			continue
		}
		t.Errorf("request fixture %s has no case in requestCases", n)
	}
}

// TestResponsesDecode serves every recorded response and error body to the
// client and checks what it makes of them.
func TestResponsesDecode(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(conformanceDir(t), "send")
	type check func(t *testing.T, c *whatsapp.Client)
	sendText := func(ctx context.Context, c *whatsapp.Client) (*whatsapp.SendResult, error) {
		return c.Messages.Send(ctx, phoneID, whatsapp.Text{Envelope: to(meta), Body: "hi"})
	}
	wantErr := func(status, code int, sentinels []error, retryable bool) check {
		return func(t *testing.T, c *whatsapp.Client) {
			_, err := sendText(t.Context(), c)
			var ae *whatsapp.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.HTTPStatus != status || ae.Code != code || ae.FBTraceID == "" || ae.Message == "" || ae.Type == "" {
				t.Fatalf("decoded %+v", ae)
			}
			for _, s := range sentinels {
				if !errors.Is(err, s) {
					t.Errorf("errors.Is(err, %v) = false", s)
				}
			}
			for _, s := range []error{whatsapp.ErrRateLimited, whatsapp.ErrPairRateLimited, whatsapp.ErrOutsideWindow, whatsapp.ErrUndeliverable,
				whatsapp.ErrTemplate, whatsapp.ErrAuth, whatsapp.ErrInvalidRequest, whatsapp.ErrUnavailable} {
				if errors.Is(err, s) && !contains(sentinels, s) {
					t.Errorf("errors.Is(err, %v) = true, want false", s)
				}
			}
			if whatsapp.Retryable(err) != retryable {
				t.Errorf("Retryable = %v, want %v", !retryable, retryable)
			}
			if strings.Contains(err.Error(), "test-token") {
				t.Errorf("error string leaks the token: %v", err)
			}
		}
	}
	cases := map[string]struct {
		status int
		check  check
	}{
		"response_send_success__meta-docs.json": {check: func(t *testing.T, c *whatsapp.Client) {
			r, err := sendText(t.Context(), c)
			if err != nil || r.MessageID != "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA" || r.WAID != "16505551234" || r.Input != "+16505551234" {
				t.Fatalf("Send = %+v, %v", r, err)
			}
		}},
		"response_send_success__java-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			r, err := sendText(t.Context(), c)
			if err != nil || r.MessageID != "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww" {
				t.Fatalf("Send = %+v, %v", r, err)
			}
		}},
		"response_send_success__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			r, err := sendText(t.Context(), c)
			if err != nil || r.MessageID != "wamid.HBgLMTM0Mzc3NzI5MTAVAgARGBIyQzU4M0Q4MDc2NDY4ODgwNjUA" {
				t.Fatalf("Send = %+v, %v", r, err)
			}
		}},
		"response_send_template_message_status_accepted__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			r, err := c.Messages.Send(t.Context(), phoneID, whatsapp.TemplateMessage{Envelope: to(ruby), Name: "hello_world", Language: "en_US"})
			if err != nil || r.MessageStatus != "accepted" || r.MessageID == "" {
				t.Fatalf("Send = %+v, %v", r, err)
			}
		}},
		"response_mark_as_read_success__meta-docs.json": {check: func(t *testing.T, c *whatsapp.Client) {
			if err := c.Messages.MarkRead(t.Context(), phoneID, whatsapp.ReadReceipt{MessageID: "wamid.X"}); err != nil {
				t.Fatal(err)
			}
		}},
		"response_typing_indicator_success__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			if err := c.Messages.MarkRead(t.Context(), phoneID, whatsapp.ReadReceipt{MessageID: "wamid.X", Typing: true}); err != nil {
				t.Fatal(err)
			}
		}},
		"response_media_delete_success__meta-docs.json": {check: func(t *testing.T, c *whatsapp.Client) {
			if err := c.Media.Delete(t.Context(), "1037543291543636"); err != nil {
				t.Fatal(err)
			}
		}},
		"response_media_delete_success__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			if err := c.Media.Delete(t.Context(), "1037543291543636"); err != nil {
				t.Fatal(err)
			}
		}},
		"response_media_retrieve_url__java-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			m, err := c.Media.URL(t.Context(), "1227829768162607")
			if err != nil || m.MIMEType != "image/png" || m.FileSize != 103632 || m.SHA256 == "" || !strings.HasPrefix(m.URL, "https://lookaside.fbsbx.com/") {
				t.Fatalf("URL = %+v, %v", m, err)
			}
		}},
		"response_media_retrieve_url__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			m, err := c.Media.URL(t.Context(), "1761991787669262")
			if err != nil || m.FileSize != 182859 || m.ID != "1761991787669262" || !strings.HasPrefix(m.URL, "https://lookaside.fbsbx.com/whatsapp_business/") {
				t.Fatalf("URL = %+v, %v", m, err)
			}
		}},
		"response_media_upload__java-sdk.json":  {check: uploadCheck("985569392615996")},
		"response_media_upload__meta-docs.json": {check: uploadCheck("1037543291543636")},
		"response_media_upload__ruby-sdk.json":  {check: uploadCheck("3281363908663165")},
		"response_messaging_limit__meta-docs.json": {check: func(t *testing.T, c *whatsapp.Client) {
			p, err := c.PhoneNumbers.Get(t.Context(), "106540352242922", "whatsapp_business_manager_messaging_limit")
			if err != nil || p.MessagingLimit != "TIER_250" {
				t.Fatalf("Get = %+v, %v", p, err)
			}
		}},
		"response_phone_number_get__meta-docs.json": {check: func(t *testing.T, c *whatsapp.Client) {
			p, err := c.PhoneNumbers.Get(t.Context(), "106540352242922")
			if err != nil || p.QualityRating != "GREEN" || p.Throughput == nil || p.Throughput.Level != "STANDARD" || p.VerifiedName != "Lucky Shrub" {
				t.Fatalf("Get = %+v, %v", p, err)
			}
		}},
		"response_phone_number_get__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			p, err := c.PhoneNumbers.Get(t.Context(), "107878721936019")
			if err != nil || p.MessagingLimitTier != "TIER_250" || !p.IsPinEnabled || p.AccountMode != "SANDBOX" {
				t.Fatalf("Get = %+v, %v", p, err)
			}
		}},
		"response_phone_numbers_list__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			n := 0
			for p, err := range c.PhoneNumbers.List(t.Context(), "114503234599312") {
				if err != nil || p.ID != "107878721936019" {
					t.Fatalf("List yielded %+v, %v", p, err)
				}
				n++
			}
			if n != 1 {
				t.Fatalf("List yielded %d numbers, want 1", n)
			}
		}},
		"response_register_success__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			req, err := c.NewRequest(t.Context(), http.MethodPost, phoneID+"/register", map[string]string{"messaging_product": "whatsapp", "pin": "212834"})
			if err != nil {
				t.Fatal(err)
			}
			var out struct{ Success bool }
			if _, err := c.Do(req, &out); err != nil || !out.Success {
				t.Fatalf("Do = %+v, %v", out, err)
			}
		}},
		"response_template_create__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			r, err := c.Templates.Create(t.Context(), "114503234599312", whatsapp.NewTemplate{Name: "seasonal_promotion", Language: "en", Category: "MARKETING",
				Components: []whatsapp.TemplateComponent{{Type: "BODY", Text: "Hello"}}})
			if err != nil || r.ID != "1299189242256801" || r.Status != whatsapp.TemplatePending || r.Category != "MARKETING" {
				t.Fatalf("Create = %+v, %v", r, err)
			}
		}},
		"response_templates_list__ruby-sdk.json": {check: func(t *testing.T, c *whatsapp.Client) {
			n := 0
			for tm, err := range c.Templates.List(t.Context(), "114503234599312", &whatsapp.ListTemplatesOptions{Limit: 100}) {
				if err != nil {
					t.Fatal(err)
				}
				if tm.Name == "" || tm.ID == "" || !tm.Status.Sendable() || len(tm.Components) == 0 {
					t.Fatalf("template %+v", tm)
				}
				n++
			}
			if n < 5 {
				t.Fatalf("List yielded %d templates", n)
			}
		}},
		"response_error_100_2593002_template_not_found__ruby-sdk.json": {status: 400, check: wantErr(400, 100, []error{whatsapp.ErrTemplate, whatsapp.ErrInvalidRequest}, false)},
		"response_error_100_33_unknown_phone_number_id__ruby-sdk.json": {status: 400, check: wantErr(400, 100, []error{whatsapp.ErrInvalidRequest}, false)},
		"response_error_100_mark_read_bad_id__ruby-sdk.json":           {status: 400, check: wantErr(400, 100, []error{whatsapp.ErrInvalidRequest}, false)},
		"response_error_100_mark_read_outgoing_message__ruby-sdk.json": {status: 400, check: wantErr(400, 100, []error{whatsapp.ErrInvalidRequest}, false)},
		"response_error_100_phone_number_not_found__java-sdk.json":     {status: 400, check: wantErr(400, 100, []error{whatsapp.ErrInvalidRequest}, false)},
		"response_error_100_template_required_mm_api__meta-docs.json":  {status: 400, check: wantErr(400, 100, []error{whatsapp.ErrInvalidRequest}, false)},
		"response_error_130429__meta-docs.json":                        {status: 400, check: wantErr(400, 130429, []error{whatsapp.ErrRateLimited}, true)},
		"response_error_136024_request_code__java-sdk.json":            {status: 400, check: wantErr(400, 136024, nil, false)},
		"response_error_190_invalid_token__netflie.json":               {status: 401, check: wantErr(401, 190, []error{whatsapp.ErrAuth}, false)},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "response_") {
			continue
		}
		tc, ok := cases[name]
		if !ok {
			t.Errorf("response fixture %s has no check", name)
			continue
		}
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			t.Parallel()
			c, cp := captureClient(t, string(readFixture(t, dir, name)))
			cp.status = tc.status
			tc.check(t, c)
		})
	}
}

func uploadCheck(id string) func(t *testing.T, c *whatsapp.Client) {
	return func(t *testing.T, c *whatsapp.Client) {
		u, err := c.Media.Upload(t.Context(), phoneID, whatsapp.Upload{Filename: "a.png", MIMEType: "image/png", Body: strings.NewReader("\x89PNG fake")})
		if err != nil || u.ID != id {
			t.Fatalf("Upload = %+v, %v", u, err)
		}
	}
}

func contains(errs []error, e error) bool {
	for _, x := range errs {
		if x == e {
			return true
		}
	}
	return false
}

package whatsapp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
)

const bookingJSON = `{"version":"7.1","data_api_version":"3.0","routing_model":{"APPOINTMENT":["CONFIRM"]},
"screens":[{"id":"APPOINTMENT","title":"Book","layout":{"type":"SingleColumnLayout","children":[]}},
{"id":"CONFIRM","title":"Confirm","terminal":true,"layout":{"type":"SingleColumnLayout","children":[]}}]}`

func TestFlowsAgainstFakeAndOpenAPI(t *testing.T) {
	t.Parallel()
	srv, c, tp := tappedFake(t)
	var id string
	key, _ := testFlowKeys(t)
	calls := []platformCall{
		{"create", "/{Version}/{WABA-ID}/flows", func(ctx context.Context, c *whatsapp.Client) error {
			var err error
			id, err = c.Flows.Create(ctx, waba, whatsapp.NewFlow{Name: "appointment", Categories: []string{"APPOINTMENT_BOOKING"}, EndpointURI: "https://line.example.org/flows"})
			return err
		}},
		{"upload invalid json", "/{Version}/{Flow-ID}/assets", func(ctx context.Context, c *whatsapp.Client) error {
			errs, err := c.Flows.UpdateJSON(ctx, id, []byte(`{"screens":[]}`))
			if err == nil && len(errs) == 0 {
				err = errors.New("no validation errors for a flow without version or screens")
			}
			return err
		}},
		{"publish refused", "/{Version}/{Flow-ID}/publish", func(ctx context.Context, c *whatsapp.Client) error {
			var ae *whatsapp.APIError
			if err := c.Flows.Publish(ctx, id); !errors.As(err, &ae) || ae.Code != 139001 {
				return fmt.Errorf("publishing an invalid flow: %v, want 139001", err)
			}
			return nil
		}},
		{"upload json", "/{Version}/{Flow-ID}/assets", func(ctx context.Context, c *whatsapp.Client) error {
			errs, err := c.Flows.UpdateJSON(ctx, id, []byte(bookingJSON))
			if err == nil && len(errs) > 0 {
				err = fmt.Errorf("validation errors %+v", errs)
			}
			return err
		}},
		{"update metadata", "/{Version}/{Flow-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			return c.Flows.UpdateMetadata(ctx, id, whatsapp.FlowMetadata{Name: "appointment booking", Categories: []string{"APPOINTMENT_BOOKING", "CUSTOMER_SUPPORT"}})
		}},
		{"get", "/{Version}/{Flow-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			f, err := c.Flows.Get(ctx, id)
			if err == nil && (f.Name != "appointment booking" || f.Status != whatsapp.FlowDraft || len(f.Categories) != 2 || f.EndpointURI == "") {
				err = fmt.Errorf("flow %+v", f)
			}
			return err
		}},
		{"preview", "/{Version}/{Flow-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			p, err := c.Flows.Preview(ctx, id, false)
			if err == nil && (!strings.HasPrefix(p.URL, "https://") || p.ExpiresAt.IsZero()) {
				err = fmt.Errorf("preview %+v", p)
			}
			return err
		}},
		{"assets", "/{Version}/{Flow-ID}/assets", func(ctx context.Context, c *whatsapp.Client) error {
			n := 0
			for a, err := range c.Flows.Assets(ctx, id) {
				if err != nil {
					return err
				}
				if a.AssetType != "FLOW_JSON" {
					return fmt.Errorf("asset %+v", a)
				}
				n++
			}
			if n != 1 {
				return fmt.Errorf("%d assets", n)
			}
			return nil
		}},
		{"metrics", "/{Version}/{Flow-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
			pts, err := c.Flows.Metrics(ctx, id, whatsapp.FlowMetricRequestCount, "DAY", whatsapp.TimeRange{Start: day, End: day.AddDate(0, 0, 1)})
			if err == nil && (len(pts) != 1 || pts[0].Time.IsZero() || len(pts[0].Values) != 1) {
				err = fmt.Errorf("metrics %+v", pts)
			}
			if q := tp.last().query; err == nil && !strings.Contains(q, "since%282026-11-20%29.until%282026-11-21%29") {
				err = fmt.Errorf("metrics query %s", q)
			}
			return err
		}},
		{"list", "/{Version}/{WABA-ID}/flows", func(ctx context.Context, c *whatsapp.Client) error {
			for f, err := range c.Flows.List(ctx, waba) {
				if err != nil {
					return err
				}
				if f.ID != id {
					return fmt.Errorf("listed %+v", f)
				}
			}
			return nil
		}},
		{"publish", "/{Version}/{Flow-ID}/publish", func(ctx context.Context, c *whatsapp.Client) error { return c.Flows.Publish(ctx, id) }},
		{"delete refused", "/{Version}/{Flow-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			var ae *whatsapp.APIError
			if err := c.Flows.Delete(ctx, id); !errors.As(err, &ae) || ae.Code != 139001 {
				return fmt.Errorf("deleting a published flow: %v, want 139001", err)
			}
			return nil
		}},
		{"deprecate", "/{Version}/{Flow-ID}/deprecate", func(ctx context.Context, c *whatsapp.Client) error { return c.Flows.Deprecate(ctx, id) }},
		{"set public key", "/{Version}/{Phone-Number-ID}/whatsapp_business_encryption", func(ctx context.Context, c *whatsapp.Client) error {
			return c.Flows.SetPublicKey(ctx, fakeLine, &key.PublicKey)
		}},
		{"get public key", "/{Version}/{Phone-Number-ID}/whatsapp_business_encryption", func(ctx context.Context, c *whatsapp.Client) error {
			k, err := c.Flows.PublicKey(ctx, fakeLine)
			if err == nil && (!strings.Contains(k.PEM, "BEGIN PUBLIC KEY") || k.SignatureStatus != "VALID") {
				err = fmt.Errorf("key %+v", k)
			}
			return err
		}},
	}
	runPlatformCalls(t, c, tp, calls)
	if _, status, _ := srv.FlowJSON(id); status != whatsapp.FlowDeprecated {
		t.Errorf("status %s, want DEPRECATED", status)
	}
	// A draft can be deleted.
	ctx := t.Context()
	draft, err := c.Flows.Create(ctx, waba, whatsapp.NewFlow{Name: "survey", Categories: []string{"SURVEY"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flows.Delete(ctx, draft); err != nil {
		t.Fatal(err)
	}
	checkExchange(t, loadSpec(t), "/{Version}/{Flow-ID}", tp.last())
	if _, err := c.Flows.Get(ctx, draft); !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Errorf("deleted flow: %v, want ErrInvalidRequest", err)
	}
	if _, err := c.Flows.Create(ctx, waba, whatsapp.NewFlow{Name: "appointment booking", Categories: []string{"OTHER"}}); !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Errorf("duplicate name: %v, want ErrInvalidRequest", err)
	}
}

func TestFlowsValidation(t *testing.T) {
	t.Parallel()
	c, cp := captureClient(t, okSend)
	ctx := t.Context()
	errs := map[string]error{}
	_, errs["no name"] = c.Flows.Create(ctx, waba, whatsapp.NewFlow{Categories: []string{"OTHER"}})
	_, errs["no category"] = c.Flows.Create(ctx, waba, whatsapp.NewFlow{Name: "a"})
	_, errs["bad category"] = c.Flows.Create(ctx, waba, whatsapp.NewFlow{Name: "a", Categories: []string{"FUN"}})
	_, errs["http endpoint"] = c.Flows.Create(ctx, waba, whatsapp.NewFlow{Name: "a", Categories: []string{"OTHER"}, EndpointURI: "http://x"})
	_, errs["not json"] = c.Flows.UpdateJSON(ctx, "1", []byte("{"))
	_, errs["empty json"] = c.Flows.UpdateJSON(ctx, "1", nil)
	errs["nothing to update"] = c.Flows.UpdateMetadata(ctx, "1", whatsapp.FlowMetadata{})
	errs["no key"] = c.Flows.SetPublicKey(ctx, fakeLine, nil)
	_, errs["metric name"] = c.Flows.Metrics(ctx, "1", "HAPPINESS", "DAY", whatsapp.TimeRange{Start: time.Now(), End: time.Now().Add(time.Hour)})
	_, errs["metric granularity"] = c.Flows.Metrics(ctx, "1", whatsapp.FlowMetricLatency, "WEEK", whatsapp.TimeRange{Start: time.Now(), End: time.Now().Add(time.Hour)})
	for name, err := range errs {
		if !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if len(cp.reqs) != 0 {
		t.Errorf("%d requests sent for invalid input", len(cp.reqs))
	}
}

package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// exchange is one request and answer seen on the wire.
type exchange struct {
	method, path string
	query        string
	reqBody      []byte
	status       int
	respBody     []byte
	ctype        string
}

// tap records every exchange between a client and the fake.
type tap struct {
	inner http.RoundTripper
	mu    sync.Mutex
	seen  []exchange
}

func (t *tap) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := t.inner.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	t.mu.Lock()
	t.seen = append(t.seen, exchange{r.Method, r.URL.Path, r.URL.RawQuery, body, resp.StatusCode, rb, r.Header.Get("Content-Type")})
	t.mu.Unlock()
	return resp, nil
}

func (t *tap) last() exchange {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen[len(t.seen)-1]
}

// tappedFake returns a fake Graph API and a client whose traffic is
// recorded.
func tappedFake(t *testing.T, opts ...whatsapptest.Option) (*whatsapptest.Server, *whatsapp.Client, *tap) {
	t.Helper()
	srv := whatsapptest.NewServer(opts...)
	t.Cleanup(srv.Close)
	tp := &tap{inner: srv.Client().Transport}
	c, err := srv.NewClient(whatsapp.WithHTTPClient(&http.Client{Transport: tp}), whatsapp.WithoutPacing(),
		whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, tp
}

// checkExchange validates a request against the operation of the OpenAPI
// description at specPath (e.g. "/{Version}/{group_id}/participants"): the
// path has the template's shape, the method exists, the query parameters
// are declared, a JSON body satisfies the request schema and a multipart
// body only has declared fields; a 200 answer satisfies the response
// schema.
func checkExchange(t *testing.T, doc *openapi3.T, specPath string, ex exchange) {
	t.Helper()
	item := doc.Paths.Value(specPath)
	if item == nil {
		t.Fatalf("%s is not in the OpenAPI description", specPath)
	}
	op := item.GetOperation(ex.method)
	if op == nil {
		t.Fatalf("%s %s is not in the OpenAPI description", ex.method, specPath)
	}
	tmpl := strings.Split(strings.Trim(specPath, "/"), "/")
	got := strings.Split(strings.Trim(ex.path, "/"), "/")
	if len(tmpl) != len(got) {
		t.Fatalf("path %s does not have the shape of %s", ex.path, specPath)
	}
	for i := range tmpl {
		if !strings.HasPrefix(tmpl[i], "{") && tmpl[i] != got[i] {
			t.Fatalf("path %s does not match %s", ex.path, specPath)
		}
	}
	if ex.query != "" {
		declared := map[string]bool{}
		for _, p := range op.Parameters {
			if p.Value != nil && p.Value.In == "query" {
				declared[p.Value.Name] = true
			}
		}
		for _, kv := range strings.Split(ex.query, "&") {
			name, _, _ := strings.Cut(kv, "=")
			if !declared[name] {
				t.Errorf("%s %s: query parameter %q is not declared", ex.method, specPath, name)
			}
		}
	}
	if len(ex.reqBody) > 0 {
		if op.RequestBody == nil || op.RequestBody.Value == nil {
			t.Fatalf("%s %s: a body was sent but the operation has none", ex.method, specPath)
		}
		mt, _, _ := strings.Cut(ex.ctype, ";")
		media := op.RequestBody.Value.Content.Get(mt)
		if media == nil || media.Schema == nil {
			t.Fatalf("%s %s: content type %s is not accepted", ex.method, specPath, mt)
		}
		switch mt {
		case "application/json":
			var v any
			if err := json.Unmarshal(ex.reqBody, &v); err != nil {
				t.Fatal(err)
			}
			if err := media.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s %s: request %s does not validate:\n%v", ex.method, specPath, ex.reqBody, err)
			}
		case "multipart/form-data":
			for _, name := range multipartNames(t, ex) {
				if media.Schema.Value.Properties[name] == nil {
					t.Errorf("%s %s: multipart field %q is not declared", ex.method, specPath, name)
				}
			}
		}
	}
	if ex.status == http.StatusOK {
		resp := op.Responses.Status(200)
		if resp == nil || resp.Value == nil {
			return
		}
		if media := resp.Value.Content.Get("application/json"); media != nil && media.Schema != nil {
			var v any
			if err := json.Unmarshal(ex.respBody, &v); err != nil {
				t.Fatalf("%s %s: answer is not JSON: %v", ex.method, specPath, err)
			}
			if err := media.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s %s: the fake's answer %s does not validate:\n%v", ex.method, specPath, ex.respBody, err)
			}
		}
	}
}

func multipartNames(t *testing.T, ex exchange) []string {
	t.Helper()
	req, _ := http.NewRequest(ex.method, "http://x/", bytes.NewReader(ex.reqBody))
	req.Header.Set("Content-Type", ex.ctype)
	if err := req.ParseMultipartForm(32 << 20); err != nil {
		t.Fatalf("multipart body: %v", err)
	}
	var names []string
	for k := range req.MultipartForm.Value {
		names = append(names, k)
	}
	for k := range req.MultipartForm.File {
		names = append(names, k)
	}
	return names
}

// platformCall is one call of a management service against the fake,
// with the OpenAPI path its request must match.
type platformCall struct {
	name     string
	specPath string
	call     func(ctx context.Context, c *whatsapp.Client) error
}

func runPlatformCalls(t *testing.T, c *whatsapp.Client, tp *tap, calls []platformCall) {
	t.Helper()
	doc := loadSpec(t)
	for _, pc := range calls {
		if err := pc.call(t.Context(), c); err != nil {
			t.Fatalf("%s: %v", pc.name, err)
		}
		checkExchange(t, doc, pc.specPath, tp.last())
	}
}

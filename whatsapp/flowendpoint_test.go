package whatsapp_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

const flowSecret = "flow-app-secret"

var (
	flowKeyOnce sync.Once
	flowKeys    [2]*rsa.PrivateKey
)

// testFlowKeys generates two 2048-bit key pairs once per test binary.
func testFlowKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	flowKeyOnce.Do(func() {
		for i := range flowKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			flowKeys[i] = k
		}
	})
	return flowKeys[0], flowKeys[1]
}

// bookingFlow is a small handler: INIT shows the first screen, a
// data_exchange with a date moves on, an unknown token is refused.
func bookingFlow(notices *[]whatsapp.FlowErrorNotice) whatsapp.FlowDataHandler {
	return whatsapp.FlowDataHandlerFunc(func(ctx context.Context, r *whatsapp.FlowRequest) (*whatsapp.FlowResponse, error) {
		if n, ok := r.ErrorNotice(); ok {
			if notices != nil {
				*notices = append(*notices, n)
			}
			return nil, nil
		}
		switch {
		case r.FlowToken == "expired":
			return nil, whatsapp.ErrFlowTokenInvalid
		case r.FlowToken == "boom":
			return nil, errors.New("database down")
		case r.Action == whatsapp.FlowActionInit:
			return &whatsapp.FlowResponse{Screen: "APPOINTMENT", Data: map[string]any{"dates": []string{"2026-12-01", "2026-12-02"}}}, nil
		}
		var in struct {
			Date string `json:"date"`
		}
		if err := json.Unmarshal(r.Data, &in); err != nil {
			return nil, err
		}
		return &whatsapp.FlowResponse{Screen: "CONFIRM", Data: map[string]any{"date": in.Date}}, nil
	})
}

func newFlowEndpoint(t *testing.T, opts ...whatsapp.FlowOption) *whatsapp.FlowEndpoint {
	t.Helper()
	k, _ := testFlowKeys(t)
	e, err := whatsapp.NewFlowEndpoint(k, flowSecret, bookingFlow(nil), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func callFlow(t *testing.T, h http.Handler, c *whatsapptest.FlowCall) *httptest.ResponseRecorder {
	t.Helper()
	req, err := c.NewRequest(t.Context(), "http://flows.test/endpoint")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestFlowEndpointRoundTrip(t *testing.T) {
	t.Parallel()
	k, _ := testFlowKeys(t)
	e := newFlowEndpoint(t)
	cases := []struct {
		name string
		req  whatsapp.FlowRequest
		want string
	}{
		{"health check", whatsapp.FlowRequest{Version: "3.0", Action: "ping"}, `{"data":{"status":"active"}}`},
		{"init", whatsapp.FlowRequest{Version: "3.0", Action: "INIT", FlowToken: "tok"}, `{"screen":"APPOINTMENT","data":{"dates":["2026-12-01","2026-12-02"]}}`},
		{"data exchange", whatsapp.FlowRequest{Version: "3.0", Action: "data_exchange", Screen: "APPOINTMENT", FlowToken: "tok", Data: json.RawMessage(`{"date":"2026-12-02"}`)}, `{"screen":"CONFIRM","data":{"date":"2026-12-02"}}`},
		{"error notification", whatsapp.FlowRequest{Version: "3.0", Action: "data_exchange", FlowToken: "tok", Data: json.RawMessage(`{"error":"INVALID_SCREEN","error_message":"screen not found"}`)}, `{"data":{"acknowledged":true}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			call, err := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, c.req)
			if err != nil {
				t.Fatal(err)
			}
			rec := callFlow(t, e, call)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d (%s), want 200", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/plain" {
				t.Errorf("Content-Type %q, want text/plain", ct)
			}
			plain, err := call.Decrypt(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if string(plain) != c.want {
				t.Errorf("answer %s, want %s", plain, c.want)
			}
		})
	}
}

func TestFlowEndpointRefusals(t *testing.T) {
	t.Parallel()
	k, other := testFlowKeys(t)
	e := newFlowEndpoint(t)
	ping := whatsapp.FlowRequest{Version: "3.0", Action: "ping"}
	good := func(t *testing.T) *whatsapptest.FlowCall {
		c, err := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, ping)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tamper := func(field string) func(t *testing.T) *whatsapptest.FlowCall {
		return func(t *testing.T) *whatsapptest.FlowCall {
			c := good(t)
			var env map[string]string
			_ = json.Unmarshal(c.Body, &env)
			b, _ := base64.StdEncoding.DecodeString(env[field])
			b[len(b)/2] ^= 0x01
			env[field] = base64.StdEncoding.EncodeToString(b)
			body, _ := json.Marshal(env)
			return signed(t, body)
		}
	}
	cases := []struct {
		name string
		call func(t *testing.T) *whatsapptest.FlowCall
		want int
	}{
		{"tampered ciphertext", tamper("encrypted_flow_data"), 421},
		{"tampered iv", tamper("initial_vector"), 421},
		{"tampered key", tamper("encrypted_aes_key"), 421},
		{"another business's key", func(t *testing.T) *whatsapptest.FlowCall {
			c, _ := whatsapptest.NewFlowCall(&other.PublicKey, flowSecret, ping)
			return c
		}, 421},
		{"not json inside", func(t *testing.T) *whatsapptest.FlowCall {
			c, _ := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, []byte("not json"))
			return c
		}, 421},
		{"wrong secret", func(t *testing.T) *whatsapptest.FlowCall {
			c, _ := whatsapptest.NewFlowCall(&k.PublicKey, "other secret", ping)
			return c
		}, 432},
		{"body changed after signing", func(t *testing.T) *whatsapptest.FlowCall {
			c := good(t)
			c.Body = append([]byte(" "), c.Body...)
			return c
		}, 432},
		{"no signature", func(t *testing.T) *whatsapptest.FlowCall {
			c := good(t)
			c.Signature = ""
			return c
		}, 432},
		{"not an envelope", func(t *testing.T) *whatsapptest.FlowCall { return signed(t, []byte(`{"hello":1}`)) }, 400},
		{"expired token", func(t *testing.T) *whatsapptest.FlowCall {
			c, _ := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, whatsapp.FlowRequest{Version: "3.0", Action: "INIT", FlowToken: "expired"})
			return c
		}, 427},
		{"handler fails", func(t *testing.T) *whatsapptest.FlowCall {
			c, _ := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, whatsapp.FlowRequest{Version: "3.0", Action: "INIT", FlowToken: "boom"})
			return c
		}, 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := callFlow(t, e, c.call(t))
			if rec.Code != c.want {
				t.Errorf("status %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), c.want)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("status %d, want 405", rec.Code)
		}
	})
	t.Run("too large", func(t *testing.T) {
		small := newFlowEndpoint(t, whatsapp.WithFlowMaxBody(1024))
		c, _ := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, whatsapp.FlowRequest{Version: "3.0", Action: "INIT", Data: json.RawMessage(`"` + strings.Repeat("x", 2000) + `"`)})
		if rec := callFlow(t, small, c); rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", rec.Code)
		}
	})
}

// signed signs an arbitrary body with the test secret.
func signed(t *testing.T, body []byte) *whatsapptest.FlowCall {
	t.Helper()
	k, _ := testFlowKeys(t)
	c, err := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, whatsapp.FlowRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c.Body = body
	m := hmac.New(sha256.New, []byte(flowSecret))
	m.Write(body)
	c.Signature = "sha256=" + hex.EncodeToString(m.Sum(nil))
	return c
}

func TestFlowEndpointRotation(t *testing.T) {
	t.Parallel()
	k, old := testFlowKeys(t)
	e, err := whatsapp.NewFlowEndpoint(k, flowSecret, bookingFlow(nil), whatsapp.WithFlowPreviousKey(old), whatsapp.WithFlowPreviousSecret("old secret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key    *rsa.PrivateKey
		secret string
	}{{k, flowSecret}, {old, flowSecret}, {k, "old secret"}} {
		call, _ := whatsapptest.NewFlowCall(&c.key.PublicKey, c.secret, whatsapp.FlowRequest{Version: "3.0", Action: "ping"})
		if rec := callFlow(t, e, call); rec.Code != http.StatusOK {
			t.Errorf("status %d, want 200", rec.Code)
		}
	}
}

func TestNewFlowEndpointFailsClosed(t *testing.T) {
	t.Parallel()
	k, _ := testFlowKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	h := bookingFlow(nil)
	for name, f := range map[string]func() (*whatsapp.FlowEndpoint, error){
		"no key":     func() (*whatsapp.FlowEndpoint, error) { return whatsapp.NewFlowEndpoint(nil, flowSecret, h) },
		"short key":  func() (*whatsapp.FlowEndpoint, error) { return whatsapp.NewFlowEndpoint(small, flowSecret, h) },
		"no secret":  func() (*whatsapp.FlowEndpoint, error) { return whatsapp.NewFlowEndpoint(k, "", h) },
		"no handler": func() (*whatsapp.FlowEndpoint, error) { return whatsapp.NewFlowEndpoint(k, flowSecret, nil) },
		"nil option": func() (*whatsapp.FlowEndpoint, error) { return whatsapp.NewFlowEndpoint(k, flowSecret, h, nil) },
		"tiny max body": func() (*whatsapp.FlowEndpoint, error) {
			return whatsapp.NewFlowEndpoint(k, flowSecret, h, whatsapp.WithFlowMaxBody(10))
		},
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseFlowPrivateKey(t *testing.T) {
	t.Parallel()
	k, _ := testFlowKeys(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, blk := range map[string]*pem.Block{
		"pkcs1.pem": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)},
		"pkcs8.pem": {Type: "PRIVATE KEY", Bytes: pkcs8},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := whatsapp.LoadFlowPrivateKey(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equal(k) {
			t.Errorf("%s: a different key", name)
		}
	}
	for name, b := range map[string][]byte{
		"not pem":   []byte("hello"),
		"encrypted": pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}),
		"public":    pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}),
		"garbage":   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2}}),
	} {
		if _, err := whatsapp.ParseFlowPrivateKey(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func ExampleNewFlowEndpoint() {
	// In production the key is the one whose public half was uploaded with
	// the phone number's whatsapp_business_encryption; here a fresh one.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	endpoint, err := whatsapp.NewFlowEndpoint(key, "app-secret", whatsapp.FlowDataHandlerFunc(
		func(ctx context.Context, r *whatsapp.FlowRequest) (*whatsapp.FlowResponse, error) {
			// Offer appointment slots on the first screen.
			return &whatsapp.FlowResponse{Screen: "SLOTS", Data: map[string]any{"slots": []string{"09:00", "11:30"}}}, nil
		}))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(endpoint)
	defer srv.Close()

	// What the WhatsApp client sends when the person opens the flow.
	call, err := whatsapptest.NewFlowCall(&key.PublicKey, "app-secret", whatsapp.FlowRequest{Version: "3.0", Action: "INIT", FlowToken: "case-42"})
	if err != nil {
		panic(err)
	}
	req, _ := call.NewRequest(context.Background(), srv.URL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		panic(err)
	}
	answer, err := call.Decrypt(body)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, string(answer))
	// Output: 200 {"screen":"SLOTS","data":{"slots":["09:00","11:30"]}}
}

func TestFlowEndpointPassesErrorNotices(t *testing.T) {
	t.Parallel()
	k, _ := testFlowKeys(t)
	var notices []whatsapp.FlowErrorNotice
	e, err := whatsapp.NewFlowEndpoint(k, flowSecret, bookingFlow(&notices))
	if err != nil {
		t.Fatal(err)
	}
	call, _ := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, whatsapp.FlowRequest{Version: "3.0", Action: "data_exchange",
		FlowToken: "tok", Data: json.RawMessage(`{"error":"INVALID_SCREEN_TRANSITION","error_message":"no such screen"}`)})
	if rec := callFlow(t, e, call); rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if len(notices) != 1 || notices[0].Error != "INVALID_SCREEN_TRANSITION" {
		t.Errorf("notices %+v", notices)
	}
}

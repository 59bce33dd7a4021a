package whatsapp

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
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
	"log/slog"
	"net/http"
	"os"
	"strings"
)

// Status codes of the Flows data-exchange endpoint that WhatsApp acts on.
const (
	// FlowStatusKeyMismatch (421) tells the WhatsApp client that the
	// request could not be decrypted: it fetches the business's public key
	// again and retries once, then shows a generic error.
	FlowStatusKeyMismatch = 421
	// FlowStatusTokenInvalid (427) tells the client that the flow token is
	// no longer valid: it shows an error and the flow cannot continue.
	FlowStatusTokenInvalid = 427
	// FlowStatusBadSignature (432) says the X-Hub-Signature-256 header did
	// not match the body.
	FlowStatusBadSignature = 432
)

// Flow data-exchange actions.
const (
	FlowActionPing         = "ping"
	FlowActionInit         = "INIT"
	FlowActionDataExchange = "data_exchange"
	FlowActionBack         = "BACK"
)

const defaultFlowMaxBody = 1 << 20

// ErrFlowTokenInvalid is returned by a FlowDataHandler when the request's
// flow token is unknown or expired; the endpoint answers 427.
var ErrFlowTokenInvalid = errors.New("whatsapp: flow token is not valid")

// FlowRequest is a decrypted request to a Flows data-exchange endpoint.
type FlowRequest struct {
	Version   string          `json:"version"`
	Action    string          `json:"action"` // ping, INIT, data_exchange or BACK
	Screen    string          `json:"screen,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	FlowToken string          `json:"flow_token,omitempty"`
}

// FlowErrorNotice is what the WhatsApp client reports when a previous
// answer of the endpoint could not be used.
type FlowErrorNotice struct {
	Error        string `json:"error"`
	ErrorMessage string `json:"error_message"`
}

// ErrorNotice returns the error a client reported in this request, when
// the request is an error notification rather than a data exchange.
func (r *FlowRequest) ErrorNotice() (FlowErrorNotice, bool) {
	var n FlowErrorNotice
	if len(r.Data) == 0 || json.Unmarshal(r.Data, &n) != nil || n.Error == "" {
		return FlowErrorNotice{}, false
	}
	return n, true
}

// LogValue implements slog.LogValuer: the action and screen, never the
// data (what the person typed) or the token.
func (r *FlowRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("action", r.Action), slog.String("screen", r.Screen), slog.String("version", r.Version))
}

// FlowResponse is the endpoint's answer: the next screen and its data, or
// for the final screen Screen "SUCCESS" with the extension_message_response
// in Data.
type FlowResponse struct {
	Screen string         `json:"screen,omitempty"`
	Data   map[string]any `json:"data"`
}

// FlowDataHandler answers decrypted data-exchange requests. A handler
// returning ErrFlowTokenInvalid makes the endpoint answer 427; any other
// error answers 500, which WhatsApp shows as a generic error.
type FlowDataHandler interface {
	HandleFlow(ctx context.Context, req *FlowRequest) (*FlowResponse, error)
}

// FlowDataHandlerFunc adapts a function to a FlowDataHandler.
type FlowDataHandlerFunc func(ctx context.Context, req *FlowRequest) (*FlowResponse, error)

// HandleFlow calls f.
func (f FlowDataHandlerFunc) HandleFlow(ctx context.Context, req *FlowRequest) (*FlowResponse, error) {
	return f(ctx, req)
}

// FlowEndpoint is the http.Handler of a WhatsApp Flows data-exchange
// endpoint. It implements Meta's scheme:
//
//  1. The X-Hub-Signature-256 header is checked against the raw body with
//     the app secret (HMAC-SHA256, constant time) before anything is
//     decoded; a missing or wrong signature answers 432.
//  2. The body {encrypted_flow_data, encrypted_aes_key, initial_vector} is
//     decoded; encrypted_aes_key is unwrapped with RSA-OAEP (SHA-256) and
//     the business's private key, and encrypted_flow_data is decrypted with
//     AES-GCM under that key and the given IV (Meta sends a 16-byte IV;
//     the tag is the last 16 bytes). Any failure answers 421, so the client
//     fetches the public key again.
//  3. A ping (the health check) is answered {"data":{"status":"active"}}
//     without calling the handler; an error notification is passed to the
//     handler and answered {"data":{"acknowledged":true}}; anything else
//     gets the handler's FlowResponse.
//  4. The answer is encrypted with the same AES key and the IV with every
//     bit flipped, and sent base64-encoded as text/plain with status 200.
//
// Malformed bodies answer 400, bodies over the limit 413, other methods
// 405. Nothing the person entered is logged.
type FlowEndpoint struct {
	keys    []*rsa.PrivateKey
	secrets [][]byte
	h       FlowDataHandler
	log     *slog.Logger
	maxBody int64
}

var _ http.Handler = (*FlowEndpoint)(nil)

type flowConfig struct {
	keys    []*rsa.PrivateKey
	secrets []string
	log     *slog.Logger
	maxBody int64
}

// FlowOption configures a FlowEndpoint.
type FlowOption func(*flowConfig) error

// WithFlowPreviousKey adds a private key that is tried after the current
// one, while a new public key propagates after a rotation.
func WithFlowPreviousKey(k *rsa.PrivateKey) FlowOption {
	return func(c *flowConfig) error {
		if k == nil {
			return errors.New("whatsapp: flow endpoint: previous key is nil")
		}
		c.keys = append(c.keys, k)
		return nil
	}
}

// WithFlowPreviousSecret adds an app secret accepted besides the current
// one, during a rotation.
func WithFlowPreviousSecret(secret string) FlowOption {
	return func(c *flowConfig) error {
		if secret == "" {
			return errors.New("whatsapp: flow endpoint: previous app secret is empty")
		}
		c.secrets = append(c.secrets, secret)
		return nil
	}
}

// WithFlowLogger sets the logger (the default discards). It sees actions,
// screens and status codes, never data or tokens.
func WithFlowLogger(l *slog.Logger) FlowOption {
	return func(c *flowConfig) error {
		if l == nil {
			return errors.New("whatsapp: flow endpoint: logger is nil")
		}
		c.log = l
		return nil
	}
}

// WithFlowMaxBody sets the largest request body accepted (default 1 MiB).
func WithFlowMaxBody(n int64) FlowOption {
	return func(c *flowConfig) error {
		if n < 1024 || n > 64<<20 {
			return fmt.Errorf("whatsapp: flow endpoint: max body %d is outside 1 KiB..64 MiB", n)
		}
		c.maxBody = n
		return nil
	}
}

// NewFlowEndpoint returns the data-exchange endpoint for flows whose public
// key belongs to key, verifying requests with the app secret. Both are
// required: an endpoint without a secret would accept forged requests.
func NewFlowEndpoint(key *rsa.PrivateKey, appSecret string, h FlowDataHandler, opts ...FlowOption) (*FlowEndpoint, error) {
	switch {
	case key == nil:
		return nil, errors.New("whatsapp: flow endpoint: private key is nil")
	case key.N.BitLen() < 2048:
		return nil, fmt.Errorf("whatsapp: flow endpoint: private key is %d bits; Meta requires 2048", key.N.BitLen())
	case appSecret == "":
		return nil, errors.New("whatsapp: flow endpoint: app secret is empty; requests cannot be verified")
	case h == nil:
		return nil, errors.New("whatsapp: flow endpoint: handler is nil")
	}
	cfg := flowConfig{keys: []*rsa.PrivateKey{key}, secrets: []string{appSecret}, log: slog.New(slog.DiscardHandler), maxBody: defaultFlowMaxBody}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("whatsapp: flow endpoint: nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	e := &FlowEndpoint{keys: cfg.keys, h: h, log: cfg.log, maxBody: cfg.maxBody}
	for _, s := range cfg.secrets {
		e.secrets = append(e.secrets, []byte(s))
	}
	return e, nil
}

// ParseFlowPrivateKey reads an unencrypted RSA private key in PEM form,
// PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY").
func ParseFlowPrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, errors.New("whatsapp: flow private key: no PEM block found")
	}
	if _, ok := blk.Headers["Proc-Type"]; ok {
		return nil, errors.New("whatsapp: flow private key: the PEM block is encrypted; decrypt it first")
	}
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("whatsapp: flow private key: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("whatsapp: flow private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("whatsapp: flow private key: a %T, not an RSA key", k)
		}
		return rk, nil
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("whatsapp: flow private key: the PEM block is encrypted; decrypt it first")
	}
	return nil, fmt.Errorf("whatsapp: flow private key: PEM block type %q is not RSA PRIVATE KEY or PRIVATE KEY", blk.Type)
}

// LoadFlowPrivateKey reads ParseFlowPrivateKey's input from a file.
func LoadFlowPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: flow private key: %w", err)
	}
	return ParseFlowPrivateKey(b)
}

// FlowEnvelope is the encrypted body WhatsApp posts to the endpoint.
type FlowEnvelope struct {
	EncryptedFlowData string `json:"encrypted_flow_data"`
	EncryptedAESKey   string `json:"encrypted_aes_key"`
	InitialVector     string `json:"initial_vector"`
}

// ServeHTTP implements http.Handler.
func (e *FlowEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		e.fail(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, e.maxBody+1))
	if err != nil {
		e.fail(w, r, http.StatusBadRequest, "body could not be read")
		return
	}
	if int64(len(body)) > e.maxBody {
		e.fail(w, r, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	if !e.verify(body, r.Header.Get("X-Hub-Signature-256")) {
		e.fail(w, r, FlowStatusBadSignature, "signature mismatch")
		return
	}
	var env FlowEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.EncryptedFlowData == "" || env.EncryptedAESKey == "" || env.InitialVector == "" {
		e.fail(w, r, http.StatusBadRequest, "body is not an encrypted flow request")
		return
	}
	req, aesKey, iv, err := e.decrypt(env)
	if err != nil {
		e.fail(w, r, FlowStatusKeyMismatch, "request could not be decrypted")
		return
	}
	var resp any
	switch {
	case req.Action == FlowActionPing:
		resp = map[string]any{"data": map[string]string{"status": "active"}}
	default:
		out, herr := e.h.HandleFlow(r.Context(), req)
		_, notice := req.ErrorNotice()
		switch {
		case errors.Is(herr, ErrFlowTokenInvalid):
			e.fail(w, r, FlowStatusTokenInvalid, "flow token not valid")
			return
		case herr != nil:
			e.log.LogAttrs(r.Context(), slog.LevelError, "whatsapp: flow handler failed", slog.Any("request", req), slog.String("error_type", fmt.Sprintf("%T", herr)))
			e.fail(w, r, http.StatusInternalServerError, "handler failed")
			return
		case notice:
			resp = map[string]any{"data": map[string]bool{"acknowledged": true}}
		case out == nil:
			e.log.LogAttrs(r.Context(), slog.LevelError, "whatsapp: flow handler returned no response", slog.Any("request", req))
			e.fail(w, r, http.StatusInternalServerError, "handler returned no response")
			return
		default:
			if out.Data == nil {
				out.Data = map[string]any{}
			}
			resp = out
		}
	}
	plain, err := json.Marshal(resp)
	if err != nil {
		e.fail(w, r, http.StatusInternalServerError, "response could not be encoded")
		return
	}
	sealed, err := sealFlowResponse(aesKey, iv, plain)
	if err != nil {
		e.fail(w, r, http.StatusInternalServerError, "response could not be encrypted")
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, sealed)
}

func (e *FlowEndpoint) fail(w http.ResponseWriter, r *http.Request, status int, why string) {
	e.log.LogAttrs(r.Context(), slog.LevelWarn, "whatsapp: flow request refused", slog.Int("status", status), slog.String("reason", why))
	http.Error(w, why, status)
}

// verify checks "sha256=<hex>" against every accepted secret, in constant
// time for each.
func (e *FlowEndpoint) verify(body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	match := false
	for _, s := range e.secrets {
		m := hmac.New(sha256.New, s)
		m.Write(body)
		if hmac.Equal(m.Sum(nil), got) {
			match = true
		}
	}
	return match
}

func (e *FlowEndpoint) decrypt(env FlowEnvelope) (*FlowRequest, []byte, []byte, error) {
	wrapped, err1 := base64.StdEncoding.DecodeString(env.EncryptedAESKey)
	data, err2 := base64.StdEncoding.DecodeString(env.EncryptedFlowData)
	iv, err3 := base64.StdEncoding.DecodeString(env.InitialVector)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, nil, nil, err
	}
	var aesKey []byte
	var err error
	for _, k := range e.keys {
		if aesKey, err = rsa.DecryptOAEP(sha256.New(), rand.Reader, k, wrapped, nil); err == nil {
			break
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	gcm, err := flowGCM(aesKey, len(iv))
	if err != nil {
		return nil, nil, nil, err
	}
	plain, err := gcm.Open(nil, iv, data, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	var req FlowRequest
	if err := json.Unmarshal(plain, &req); err != nil {
		return nil, nil, nil, err
	}
	return &req, aesKey, iv, nil
}

func flowGCM(key []byte, ivLen int) (cipher.AEAD, error) {
	if ivLen < 12 || ivLen > 32 {
		return nil, fmt.Errorf("initial vector is %d bytes", ivLen)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithNonceSize(block, ivLen)
}

// sealFlowResponse encrypts plain with key and the flipped iv, base64.
func sealFlowResponse(key, iv, plain []byte) (string, error) {
	gcm, err := flowGCM(key, len(iv))
	if err != nil {
		return "", err
	}
	flipped := make([]byte, len(iv))
	for i, b := range iv {
		flipped[i] = ^b
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nil, flipped, plain, nil)), nil
}

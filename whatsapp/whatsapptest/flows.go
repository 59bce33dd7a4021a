package whatsapptest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// FlowCall is one request to a Flows data-exchange endpoint, encrypted as
// the WhatsApp client encrypts it: a fresh AES-128 key wrapped with
// RSA-OAEP (SHA-256) under the business's public key, the payload sealed
// with AES-GCM and a random 16-byte IV, and the body signed with the app
// secret. Decrypt reads the endpoint's answer.
type FlowCall struct {
	Body      []byte // the JSON body to POST
	Signature string // the X-Hub-Signature-256 header value
	key, iv   []byte
}

// NewFlowCall encrypts payload (a value encoded as JSON, e.g.
// whatsapp.FlowRequest, or raw JSON bytes) for the endpoint whose public key
// is pub, and signs it with appSecret.
func NewFlowCall(pub *rsa.PublicKey, appSecret string, payload any) (*FlowCall, error) {
	plain, ok := payload.([]byte)
	if !ok {
		var err error
		if plain, err = json.Marshal(payload); err != nil {
			return nil, fmt.Errorf("whatsapptest: flow call: %w", err)
		}
	}
	c := &FlowCall{key: make([]byte, 16), iv: make([]byte, 16)}
	_, _ = rand.Read(c.key)
	_, _ = rand.Read(c.iv)
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, c.key, nil)
	if err != nil {
		return nil, fmt.Errorf("whatsapptest: flow call: %w", err)
	}
	gcm, err := flowGCM(c.key)
	if err != nil {
		return nil, err
	}
	c.Body, err = json.Marshal(map[string]string{
		"encrypted_flow_data": base64.StdEncoding.EncodeToString(gcm.Seal(nil, c.iv, plain, nil)),
		"encrypted_aes_key":   base64.StdEncoding.EncodeToString(wrapped),
		"initial_vector":      base64.StdEncoding.EncodeToString(c.iv),
	})
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(c.Body)
	c.Signature = "sha256=" + hex.EncodeToString(m.Sum(nil))
	return c, nil
}

// NewRequest returns the signed POST of the call to url.
func (c *FlowCall) NewRequest(ctx context.Context, url string) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Hub-Signature-256", c.Signature)
	return r, nil
}

// Decrypt reads an endpoint's base64 answer, sealed with the call's key
// and its IV with every bit flipped.
func (c *FlowCall) Decrypt(body []byte) ([]byte, error) {
	sealed, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(body)))
	if err != nil {
		return nil, fmt.Errorf("whatsapptest: flow answer is not base64: %w", err)
	}
	gcm, err := flowGCM(c.key)
	if err != nil {
		return nil, err
	}
	flipped := make([]byte, len(c.iv))
	for i, b := range c.iv {
		flipped[i] = ^b
	}
	plain, err := gcm.Open(nil, flipped, sealed, nil)
	if err != nil {
		return nil, errors.New("whatsapptest: flow answer does not decrypt with the call's key and flipped IV")
	}
	return plain, nil
}

func flowGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithNonceSize(block, 16)
}

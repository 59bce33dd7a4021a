package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// WithAppSecretProof adds appsecret_proof (the HMAC-SHA256 of the access
// token keyed with the app secret) to every Graph API call, for apps that
// turn on "Require App Secret" so that a leaked token alone is useless.
// The secret itself is never sent or logged.
func WithAppSecretProof(appSecret string) Option {
	return func(c *config) error {
		if appSecret == "" {
			return errors.New("whatsapp: app secret is empty")
		}
		c.appSecret = appSecret
		return nil
	}
}

func appSecretProof(token, appSecret string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

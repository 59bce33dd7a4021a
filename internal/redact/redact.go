package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Identifier masks a phone number or user id, keeping only its last two
// characters so that an operator can tell two log lines apart without
// learning the number. Short values are masked whole.
func Identifier(id string) string {
	if id == "" {
		return ""
	}
	r := []rune(id)
	if len(r) < 8 {
		return "***"
	}
	return "***" + string(r[len(r)-2:])
}

// Secret masks a token, password or key entirely.
func Secret(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Text masks free text (a message body, a name), keeping only its length in
// characters, which is useful when diagnosing limits.
func Text(s string) string {
	if s == "" {
		return ""
	}
	return "[text:" + itoa(len([]rune(s))) + " chars]"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// MessageID masks a channel's message id, or any key built from one, for
// logs and error strings. A WhatsApp id ("wamid.HBgL…") is base64 that
// spells out the contact's phone number, so it is as personal as the
// number. The fingerprint that replaces it ("msg#" and 12 hex digits of a
// SHA-256) still tells log lines about one message from those about
// another, and cannot be turned back into a number: the id also holds a
// random part.
func MessageID(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return "msg#" + hex.EncodeToString(sum[:6])
}

// Phone is a phone number or user id that masks itself in logs and when
// printed with %s or %v.
type Phone string

// String implements fmt.Stringer with the masked form.
func (p Phone) String() string { return Identifier(string(p)) }

// LogValue implements slog.LogValuer with the masked form.
func (p Phone) LogValue() slog.Value { return slog.StringValue(Identifier(string(p))) }

// SecretString is a token or secret that masks itself in logs and when
// printed with %s or %v.
type SecretString string

// String implements fmt.Stringer with the masked form.
func (s SecretString) String() string { return Secret(string(s)) }

// LogValue implements slog.LogValuer with the masked form.
func (s SecretString) LogValue() slog.Value { return slog.StringValue(Secret(string(s))) }

// sensitiveKeys are attribute keys whose values are always masked, whatever
// their type. They are compared case-insensitively.
var sensitiveKeys = map[string]func(string) string{
	"token":         Secret,
	"access_token":  Secret,
	"authorization": Secret,
	"secret":        Secret,
	"app_secret":    Secret,
	"verify_token":  Secret,
	"password":      Secret,
	"key":           Secret,
	"phone":         Identifier,
	"wa_id":         Identifier,
	"from":          Identifier,
	"to":            Identifier,
	"recipient":     Identifier,
	"contact":       Identifier,
	"user_id":       Identifier,
	"message_id":    MessageID,
	"wamid":         MessageID,
	"body":          Text,
	"text":          Text,
	"caption":       Text,
	"name":          Text,
	"profile_name":  Text,
}

// phoneLike matches runs that look like phone numbers: an optional plus and at
// least nine digits (a date such as 2026-11-22 has eight), possibly separated
// by spaces, dots or dashes.
var phoneLike = regexp.MustCompile(`\+?\d(?:[\s.\-]?\d){8,}`)

// wamidLike matches WhatsApp message ids, whose base64 spells a number.
var wamidLike = regexp.MustCompile(`wamid\.[A-Za-z0-9+/_=-]+`)

// Scrub replaces anything that looks like a phone number in s, and
// WhatsApp message ids (which spell one) by their MessageID fingerprint.
func Scrub(s string) string {
	if strings.Contains(s, "wamid.") {
		s = wamidLike.ReplaceAllStringFunc(s, MessageID)
	}
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		return Identifier(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, m))
	})
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr function that masks
// attributes with sensitive keys (token, secret, phone, body, text...) and
// scrubs phone-number-like digit runs from every other string value and
// from the printed form of errors and other values; a value it scrubs is
// logged as a string.
//
//	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: redact.ReplaceAttr}))
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if mask, ok := sensitiveKeys[strings.ToLower(a.Key)]; ok {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			return a
		}
		return slog.String(a.Key, mask(v.String()))
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); s != "" {
			if scrubbed := Scrub(s); scrubbed != s {
				return slog.String(a.Key, scrubbed)
			}
		}
	case slog.KindAny:
		// Errors and other values are printed by the handler; an error
		// that quotes a number would otherwise pass unscrubbed.
		s := fmt.Sprint(a.Value.Any())
		if scrubbed := Scrub(s); scrubbed != s {
			return slog.String(a.Key, scrubbed)
		}
	}
	return a
}

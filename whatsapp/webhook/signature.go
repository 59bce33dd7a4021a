package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
)

// SignatureHeader is the request header Meta signs webhook deliveries in.
const SignatureHeader = "X-Hub-Signature-256"

const signaturePrefix = "sha256="

// Errors returned by VerifySignature. Match them with errors.Is.
var (
	// ErrNoSecret means no app secret (or an empty one) was configured. It is
	// a configuration error: verification never silently passes.
	ErrNoSecret = errors.New("webhook: no app secret configured")
	// ErrMissingSignature means the request carried no X-Hub-Signature-256.
	ErrMissingSignature = errors.New("webhook: missing " + SignatureHeader + " header")
	// ErrMalformedSignature means the header is not "sha256=" followed by
	// 64 hexadecimal digits.
	ErrMalformedSignature = errors.New("webhook: malformed " + SignatureHeader + " header")
	// ErrInvalidSignature means the signature does not match the body under
	// any of the app secrets.
	ErrInvalidSignature = errors.New("webhook: signature does not match the body")
)

// VerifySignature checks the X-Hub-Signature-256 header value against body,
// the exact bytes received, under each of the app secrets in turn. Pass
// several secrets while rotating one (the old and the new), or when one
// endpoint serves several apps.
//
// The signature is computed by Meta over the raw bytes it sends, with
// non-ASCII characters escaped; a body that was decoded and encoded again no
// longer matches. Always verify before parsing.
//
// It returns nil when one secret matches, ErrNoSecret when secrets is empty
// or holds an empty string, and ErrMissingSignature, ErrMalformedSignature or
// ErrInvalidSignature otherwise. Comparison is constant-time.
func VerifySignature(body []byte, header string, secrets ...string) error {
	_, err := verify(body, header, secrets)
	return err
}

// verify is VerifySignature that also reports which secret matched.
func verify(body []byte, header string, secrets []string) (int, error) {
	if len(secrets) == 0 {
		return -1, ErrNoSecret
	}
	for _, s := range secrets {
		if s == "" {
			return -1, ErrNoSecret
		}
	}
	if header == "" {
		return -1, ErrMissingSignature
	}
	want, err := decodeSignature(header)
	if err != nil {
		return -1, err
	}
	var sum [sha256.Size]byte
	for i, s := range secrets {
		// Each comparison is constant-time; stopping at the first match
		// tells only which of the configured secrets signed, not a byte
		// of any of them.
		if hmac.Equal(mac(sha256.New, s, body, sum[:0]), want[:]) {
			return i, nil
		}
	}
	return -1, ErrInvalidSignature
}

func mac(h func() hash.Hash, secret string, body, dst []byte) []byte {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return m.Sum(dst)
}

// decodeSignature parses "sha256=<64 hex digits>". The prefix is matched
// case-insensitively and the digits may be in either case.
func decodeSignature(header string) ([sha256.Size]byte, error) {
	var sig [sha256.Size]byte
	header = strings.TrimSpace(header)
	if len(header) != len(signaturePrefix)+2*sha256.Size ||
		!strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return sig, ErrMalformedSignature
	}
	if _, err := hex.Decode(sig[:], []byte(header[len(signaturePrefix):])); err != nil {
		return sig, ErrMalformedSignature
	}
	return sig, nil
}

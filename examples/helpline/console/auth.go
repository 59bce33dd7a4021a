package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// session is what the signed session cookie carries. It holds ids only.
type session struct {
	Staff   string    // staff account id
	Version int64     // the account's version when signing in: a change (password, disabled) signs them out
	Nonce   string    // random per sign-in; the CSRF token is derived from it
	Expires time.Time //
}

const (
	sessionCookie = "helpline_session"
	loginCookie   = "helpline_login" // pre-sign-in CSRF token
	sessionTTL    = 12 * time.Hour
)

var errBadCookie = errors.New("console: bad session cookie")

// signer signs and checks cookies and CSRF tokens with one key.
type signer struct{ key []byte }

func (s signer) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func (s signer) encode(se session) string {
	payload := se.Staff + "|" + strconv.FormatInt(se.Version, 10) + "|" + se.Nonce + "|" + strconv.FormatInt(se.Expires.Unix(), 10)
	b := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return b + "." + base64.RawURLEncoding.EncodeToString(s.mac("session", payload))
}

func (s signer) decode(v string, now time.Time) (session, error) {
	b, sig, ok := strings.Cut(v, ".")
	if !ok {
		return session{}, errBadCookie
	}
	raw, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil {
		return session{}, errBadCookie
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session", string(raw))) {
		return session{}, errBadCookie
	}
	f := strings.Split(string(raw), "|")
	if len(f) != 4 {
		return session{}, errBadCookie
	}
	ver, err1 := strconv.ParseInt(f[1], 10, 64)
	exp, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil {
		return session{}, errBadCookie
	}
	se := session{Staff: f[0], Version: ver, Nonce: f[2], Expires: time.Unix(exp, 0)}
	if !now.Before(se.Expires) {
		return session{}, errBadCookie
	}
	return se, nil
}

// csrf is the token forms of a signed-in staff member carry.
func (s signer) csrf(se session) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", se.Staff, se.Nonce))
}

// checkCSRF compares a submitted token in constant time.
func (s signer) checkCSRF(se session, token string) bool {
	want := s.csrf(se)
	return hmac.Equal([]byte(want), []byte(token))
}

func randomToken() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// limiter slows down password guessing: at most max failed attempts per key
// (a login, or a client address) within window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string][]time.Time{}}
}

// take counts an attempt for key at now if key may still try, and reports
// whether it may: the check and the count are one step, so that attempts
// made at once cannot all pass the check before any of them is counted.
func (l *limiter) take(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.prune(key, now)
	if len(recent) >= l.max {
		return false
	}
	l.fails[key] = append(recent, now)
	if len(l.fails) > 10000 { // bound memory under a spray of addresses
		for k := range l.fails {
			if len(l.prune(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
	return true
}

// give takes back the attempt counted for key at t (one that succeeded).
func (l *limiter) give(key string, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.fails[key]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(t) {
			ts = append(ts[:i:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(l.fails, key)
		return
	}
	l.fails[key] = ts
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

func (l *limiter) prune(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}

func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

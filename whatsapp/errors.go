package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/internal/redact"
)

// Sentinel errors. An *APIError matches the sentinels for its code with
// errors.Is; the table is in the package documentation.
var (
	// ErrRateLimited: a rate limit was hit (130429 throughput, 131056 pair,
	// 4 app, 80007 WABA). Retry later.
	ErrRateLimited = errors.New("whatsapp: rate limited")
	// ErrPairRateLimited: 131056, too many messages to the same person in a
	// short time. It also matches ErrRateLimited.
	ErrPairRateLimited = errors.New("whatsapp: pair rate limited")
	// ErrOutsideWindow: 131047, or refused locally by Channel: more than 24
	// hours have passed since the person last wrote; send a template.
	ErrOutsideWindow = errors.New("whatsapp: outside the 24-hour customer service window")
	// ErrUndeliverable: 131026, the person cannot receive the message (not on
	// WhatsApp, old app, terms not accepted). Never retry in a loop.
	ErrUndeliverable = errors.New("whatsapp: message undeliverable")
	// ErrTemplate: 132xxx and template-not-found, a template problem (missing,
	// not approved, paused, wrong parameters).
	ErrTemplate = errors.New("whatsapp: template error")
	// ErrAuth: 0 or 190, the access token is invalid or expired.
	ErrAuth = errors.New("whatsapp: authentication failed")
	// ErrPermission: 3, 10, 200-299, 131005, a permission is missing.
	ErrPermission = errors.New("whatsapp: permission denied")
	// ErrInvalidRequest: 100, 131008, 131009, 131021, 135000, the request is
	// malformed or names an unknown object.
	ErrInvalidRequest = errors.New("whatsapp: invalid request")
	// ErrUnavailable: 1, 2, 131000, 131016, 131057, 133004, and an HTTP
	// 5xx whose body is not a Graph error: the service is temporarily
	// unavailable.
	ErrUnavailable = errors.New("whatsapp: service temporarily unavailable")
	// ErrMedia: 131052, 131053, 131014, a media file could not be fetched or
	// uploaded.
	ErrMedia = errors.New("whatsapp: media error")
	// ErrOptedOut: 131050, the person stopped marketing messages.
	ErrOptedOut = errors.New("whatsapp: recipient opted out of marketing messages")
	// ErrQuality: 131048, 131049, 130472, a message was held back to protect
	// the ecosystem (spam rate limit, per-user marketing limit, experiment).
	ErrQuality = errors.New("whatsapp: message held back by quality limits")
	// ErrAccount: 33, 368, 130403, 130497, 131031, 131037, 131042, 131045,
	// 131063, 131064, 133010, a problem with the business account or number
	// that needs a person to fix it.
	ErrAccount = errors.New("whatsapp: business account problem")
	// ErrAmbiguous: the request may have reached Meta before the connection
	// failed, so a retry might send the message twice. See RetryPolicy.
	ErrAmbiguous = errors.New("whatsapp: request outcome unknown")
	// ErrInvalid matches validation errors found before any HTTP call. It is
	// chat.ErrInvalid, so one errors.Is covers both packages.
	ErrInvalid = chat.ErrInvalid
)

// APIError is an error answered by the Graph API. Match it with errors.As,
// or match its condition with errors.Is and the sentinels above.
type APIError struct {
	HTTPStatus  int    // the HTTP status of the response
	Code        int    // Meta's error code, e.g. 131047
	Subcode     int    // error_subcode, when present (deprecated by Meta, still seen)
	Type        string // e.g. "OAuthException"
	Message     string // e.g. "(#131047) Re-engagement message"
	Details     string // error_data.details
	UserTitle   string // error_user_title
	UserMessage string // error_user_msg
	Transient   bool   // is_transient
	FBTraceID   string // fbtrace_id, to quote to Meta support
	// RetryAfter is the Retry-After header of the response, zero if absent.
	RetryAfter time.Duration
	// decoded is false when the body held no Graph error object (an HTML
	// page from a proxy, say); Code is then meaningless.
	decoded bool
}

// Error implements error. Anything that looks like a phone number in Meta's
// text is masked, and the token never appears.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("whatsapp: api error")
	if e.decoded {
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(e.Code))
		if e.Subcode != 0 {
			b.WriteString("/")
			b.WriteString(strconv.Itoa(e.Subcode))
		}
	}
	b.WriteString(" (http ")
	b.WriteString(strconv.Itoa(e.HTTPStatus))
	b.WriteString(")")
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(redact.Scrub(e.Message))
	}
	if e.Details != "" {
		b.WriteString(": ")
		b.WriteString(redact.Scrub(e.Details))
	}
	if e.FBTraceID != "" {
		b.WriteString(" [fbtrace_id ")
		b.WriteString(e.FBTraceID)
		b.WriteString("]")
	}
	return b.String()
}

// Is reports whether the error matches one of the package's sentinels.
func (e *APIError) Is(target error) bool {
	for _, s := range e.sentinels() {
		if s == target {
			return true
		}
	}
	return false
}

func (e *APIError) sentinels() []error {
	if !e.decoded {
		switch {
		case e.HTTPStatus == http.StatusTooManyRequests:
			return []error{ErrRateLimited}
		case e.HTTPStatus == http.StatusUnauthorized:
			return []error{ErrAuth}
		case e.HTTPStatus >= 500:
			return []error{ErrUnavailable}
		}
		return nil
	}
	c := e.Code
	switch c {
	case 130429, 4, 80007:
		return []error{ErrRateLimited}
	case 131056:
		return []error{ErrRateLimited, ErrPairRateLimited}
	case 131047:
		return []error{ErrOutsideWindow}
	case 131026:
		return []error{ErrUndeliverable}
	case 0, 190:
		return []error{ErrAuth}
	case 3, 10, 131005:
		return []error{ErrPermission}
	case 100:
		if e.Subcode == 2593002 {
			return []error{ErrTemplate, ErrInvalidRequest}
		}
		return []error{ErrInvalidRequest}
	case 131008, 131009, 131021, 135000:
		return []error{ErrInvalidRequest}
	case 1, 2, 131000, 131016, 131057, 133004:
		return []error{ErrUnavailable}
	case 131014, 131052, 131053:
		return []error{ErrMedia}
	case 131050:
		return []error{ErrOptedOut}
	case 131048, 131049, 130472:
		return []error{ErrQuality}
	case 33, 368, 130403, 130497, 131031, 131037, 131042, 131045, 131063, 131064, 133010:
		return []error{ErrAccount}
	}
	switch {
	case c >= 200 && c <= 299:
		return []error{ErrPermission}
	case c >= 132000 && c <= 132999:
		return []error{ErrTemplate}
	}
	return nil
}

// retryable reports whether Meta advises trying the same request again.
func (e *APIError) retryable() bool {
	if !e.decoded {
		return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
	}
	switch e.Code {
	case 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004, 133015:
		return true
	}
	return false
}

// Retryable reports whether err is worth retrying: a rate limit, a
// temporary outage, or a connection that failed before the request was
// sent. It is false for everything else, including ErrAmbiguous (the
// request may already have been delivered) and validation errors.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.retryable()
	}
	var te *transportError
	if errors.As(err, &te) {
		return !te.ambiguous
	}
	return false
}

// transportError is a failure to get any HTTP response.
type transportError struct {
	op        string
	ambiguous bool // the request may have been written
	err       error
}

func (e *transportError) Error() string {
	if e.ambiguous {
		return "whatsapp: " + e.op + ": outcome unknown: " + e.err.Error()
	}
	return "whatsapp: " + e.op + ": " + e.err.Error()
}

// Temporary reports whether the request can be made again without risking
// a second delivery: not when it may have been written. Code that retries
// what is Temporary (broadcast.DefaultClassifier) meets this answer before
// that of the network error inside, which knows nothing of delivery.
func (e *transportError) Temporary() bool { return !e.ambiguous }

func (e *transportError) Unwrap() []error {
	if e.ambiguous {
		return []error{e.err, ErrAmbiguous}
	}
	return []error{e.err}
}

// graphError is the wire shape of {"error": {...}}.
type graphError struct {
	Error *struct {
		Message     string `json:"message"`
		Type        string `json:"type"`
		Code        int    `json:"code"`
		Subcode     int    `json:"error_subcode"`
		IsTransient bool   `json:"is_transient"`
		UserTitle   string `json:"error_user_title"`
		UserMsg     string `json:"error_user_msg"`
		FBTraceID   string `json:"fbtrace_id"`
		ErrorData   *struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// decodeAPIError builds an *APIError from a non-2xx response's status,
// headers and (already bounded) body.
func decodeAPIError(status int, h http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{HTTPStatus: status, RetryAfter: parseRetryAfter(h.Get("Retry-After"), now)}
	var g graphError
	if json.Unmarshal(body, &g) == nil && g.Error != nil {
		e.decoded = true
		e.Code = g.Error.Code
		e.Subcode = g.Error.Subcode
		e.Type = g.Error.Type
		e.Message = g.Error.Message
		e.Transient = g.Error.IsTransient
		e.UserTitle = g.Error.UserTitle
		e.UserMessage = g.Error.UserMsg
		e.FBTraceID = g.Error.FBTraceID
		if g.Error.ErrorData != nil {
			e.Details = g.Error.ErrorData.Details
		}
	}
	if e.FBTraceID == "" {
		e.FBTraceID = h.Get("X-Fb-Trace-Id")
	}
	return e
}

// DecodeError decodes a Graph API error body (with its HTTP status) into
// an *APIError, as the client does for every failed call. It is exported
// for code that calls the API through its own transport.
func DecodeError(status int, body []byte) *APIError {
	return decodeAPIError(status, http.Header{}, body, time.Time{})
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && !now.IsZero() {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// fieldErr builds the validation error returned before any HTTP call.
func fieldErr(field, format string, args ...any) error {
	return &chat.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

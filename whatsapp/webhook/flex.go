package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Meta sends identifiers and timestamps as JSON strings, but some senders
// (and older payloads) use numbers for the same fields. The types below
// accept both and never fail: a value they cannot read is left at its zero
// value, and the original stays available in the Raw JSON of the enclosing
// message or change.

// FlexString is a string that may arrive as a JSON string or a JSON number
// (e.g. a template id). A number keeps its literal digits; true and false
// become "true" and "false"; null and other values give "".
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
	case b[0] == '"':
		if plain, ok := unquote(b); ok {
			*s = FlexString(plain)
		} else {
			var v string
			if json.Unmarshal(b, &v) == nil {
				*s = FlexString(v)
			}
		}
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'), bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*s = FlexString(b)
	}
	return nil
}

// String returns s as a plain string.
func (s FlexString) String() string { return string(s) }

// FlexInt is an integer that may arrive as a JSON number or a string of
// digits. Anything else decodes as 0.
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	if v, ok := number(b); ok && v >= math.MinInt64 && v <= math.MaxInt64 {
		*n = FlexInt(v)
	}
	return nil
}

// FlexFloat is a number that may arrive as a JSON number or a numeric
// string (a latitude, a price). Anything else decodes as 0.
type FlexFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexFloat) UnmarshalJSON(b []byte) error {
	if v, ok := number(b); ok {
		*f = FlexFloat(v)
	}
	return nil
}

// Timestamp is a Unix time in seconds, sent by Meta as a string
// ("1749416383") and by some senders as a number. Zero means absent or
// unreadable.
type Timestamp int64

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	// Seconds since 1970 up to the year 9999; anything else is not a time.
	if v, ok := number(b); ok && v >= 0 && v < 253402300800 {
		*t = Timestamp(v)
	}
	return nil
}

// Time returns t as a UTC time, or the zero time when t is zero.
func (t Timestamp) Time() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

// number reads a JSON number, or a JSON string holding one.
func number(b []byte) (float64, bool) {
	if len(b) >= 2 && b[0] == '"' {
		plain, ok := unquote(b)
		if !ok {
			return 0, false // escapes never occur in a number
		}
		b = plain
	}
	if len(b) == 0 || len(b) > 64 {
		return 0, false
	}
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return float64(n), true
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// unquote returns the inside of a JSON string that has no escapes, the
// common case, without decoding it; ok is false when it has escapes or
// non-ASCII bytes, which encoding/json must decode.
func unquote(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false
	}
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
	}
	return inner, true
}

// rawJSON holds a slice of the input without copying it: Parse works on
// its own copy of the body, which these slices share.
type rawJSON []byte

// UnmarshalJSON implements json.Unmarshaler.
func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// lenient decodes b into v as far as it can. A value of the wrong JSON type
// for a field leaves that field empty and is described in the returned
// problem; everything else is still decoded. Syntax errors cannot occur:
// the whole body was checked first.
func lenient(b []byte, v any) string {
	return describe(json.Unmarshal(b, v))
}

// describe says what went wrong in a decoding error without quoting any
// value from the payload.
func describe(err error) string {
	if err == nil {
		return ""
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		// Value is "string", "array"... or "number 123": keep only the
		// JSON type, never the value, which may be personal data.
		got, _, _ := strings.Cut(te.Value, " ")
		return field + ": got a JSON " + got + ", want " + jsonKind(te.Type)
	}
	return err.Error()
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.Kind().String()
}

package chat

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// The inbox keeps each accepted event as bytes until a worker handles it.
// They are written once and read once per attempt, on the path between
// Meta's delivery and the person's answer, so they are a compact binary
// form rather than JSON, which cost more to decode than the rest of the
// worker's own work. Events accepted by earlier versions, kept as JSON,
// still decode.
//
// The form: a format byte, a kind byte ('m' message, 's' status), then
// the fields in a fixed order. Strings and byte slices are a uvarint
// length and the bytes; times are a varint of Unix seconds and a uvarint
// of nanoseconds (in UTC); booleans are bits of one flags byte.
const (
	eventFormat1 = 0x01

	eventKindMessage = 'm'
	eventKindStatus  = 's'
)

// Flags of a message.
const (
	flagForwarded = 1 << iota
	flagFrequentlyForwarded
	flagAttachment
	flagLocation
	flagVoice
	flagAnimated
)

// flagStatusError marks a status with an error.
const flagStatusError = 1

// maxEventBytes bounds one encoded event; a WhatsApp webhook is at most a
// few megabytes, and an event is one part of one.
const maxEventBytes = 16 << 20

var errEventTooLarge = fmt.Errorf("the event is larger than %d bytes", maxEventBytes)

// encodeEvent appends e's binary form to dst. The event must be valid;
// its raw channel payload and data, when set, must be valid JSON, as they
// are handed to handlers as json.RawMessage.
func encodeEvent(dst []byte, e Event) ([]byte, error) {
	switch {
	case e.Message != nil:
		m := e.Message
		if len(m.Raw) > 0 && !json.Valid(m.Raw) {
			return nil, errRawNotJSON
		}
		if len(m.Data) > 0 && !json.Valid(m.Data) {
			return nil, errDataNotJSON
		}
		var flags byte
		if m.Forwarded {
			flags |= flagForwarded
		}
		if m.FrequentlyForwarded {
			flags |= flagFrequentlyForwarded
		}
		if m.Attachment != nil {
			flags |= flagAttachment
			if m.Attachment.Voice {
				flags |= flagVoice
			}
			if m.Attachment.Animated {
				flags |= flagAnimated
			}
		}
		if m.Location != nil {
			flags |= flagLocation
		}
		dst = append(dst, eventFormat1, eventKindMessage, flags)
		dst = appendString(dst, m.ID)
		dst = appendAddress(dst, m.From)
		dst = appendTime(dst, m.Time)
		dst = appendString(dst, string(m.Kind))
		dst = appendString(dst, m.Text)
		dst = appendString(dst, m.Choice)
		dst = appendBytes(dst, m.Data)
		dst = appendString(dst, m.Group)
		dst = appendString(dst, m.ReplyTo)
		dst = appendString(dst, m.ProfileName)
		if a := m.Attachment; a != nil {
			dst = appendString(dst, a.ID)
			dst = appendString(dst, a.URL)
			dst = appendString(dst, a.MIMEType)
			dst = appendString(dst, a.SHA256)
			dst = appendString(dst, a.Filename)
		}
		if l := m.Location; l != nil {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(l.Latitude))
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(l.Longitude))
			dst = appendString(dst, l.Name)
			dst = appendString(dst, l.Address)
			dst = appendString(dst, l.URL)
		}
		dst = appendBytes(dst, m.Raw)
	case e.Status != nil:
		s := e.Status
		if len(s.Raw) > 0 && !json.Valid(s.Raw) {
			return nil, errRawNotJSON
		}
		var flags byte
		if s.Error != nil {
			flags |= flagStatusError
		}
		dst = append(dst, eventFormat1, eventKindStatus, flags)
		dst = appendString(dst, s.MessageID)
		dst = appendAddress(dst, s.To)
		dst = appendString(dst, string(s.State))
		dst = appendTime(dst, s.Time)
		if er := s.Error; er != nil {
			dst = binary.AppendVarint(dst, int64(er.Code))
			dst = appendString(dst, er.Title)
			dst = appendString(dst, er.Message)
			dst = appendString(dst, er.Details)
		}
		dst = appendString(dst, s.Callback)
		dst = appendBytes(dst, s.Raw)
	default:
		return nil, errors.New("the event has neither a message nor a status")
	}
	if len(dst) > maxEventBytes {
		return nil, errEventTooLarge
	}
	return dst, nil
}

var (
	errRawNotJSON  = errors.New("the raw channel payload is not valid JSON")
	errDataNotJSON = errors.New("the message's data is not valid JSON")
)

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendAddress(dst []byte, a Address) []byte {
	dst = appendString(dst, a.Channel)
	dst = appendString(dst, a.Line)
	return appendString(dst, a.Contact)
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

// eventReader reads the binary form; the first problem sticks and every
// later read returns zero values.
type eventReader struct {
	p   []byte
	err error
}

var errTruncated = errors.New("payload is truncated")

func (r *eventReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.p = nil
}

func (r *eventReader) byte() byte {
	if len(r.p) < 1 {
		r.fail(errTruncated)
		return 0
	}
	b := r.p[0]
	r.p = r.p[1:]
	return b
}

func (r *eventReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.p)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *eventReader) varint() int64 {
	v, n := binary.Varint(r.p)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *eventReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.p)) {
		r.fail(errTruncated)
		return nil
	}
	b := r.p[:n:n]
	r.p = r.p[n:]
	return b
}

func (r *eventReader) string() string { return string(r.bytes()) }

// raw is a byte field handed on as JSON: nil when empty, as JSON decoding
// leaves an absent field, and a copy, so that the event does not keep the
// whole payload alive.
func (r *eventReader) raw() json.RawMessage {
	b := r.bytes()
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(append([]byte(nil), b...))
}

func (r *eventReader) address() Address {
	return Address{Channel: r.string(), Line: r.string(), Contact: r.string()}
}

func (r *eventReader) time() time.Time {
	sec := r.varint()
	nsec := r.uvarint()
	if r.err != nil {
		return time.Time{}
	}
	if nsec >= uint64(time.Second) {
		r.fail(errors.New("payload has a time with more than a second of nanoseconds"))
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (r *eventReader) float() float64 {
	if len(r.p) < 8 {
		r.fail(errTruncated)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.p))
	r.p = r.p[8:]
	return v
}

// decodeBinaryEvent decodes the binary form. It does not validate the
// event; decodeEvent does.
func decodeBinaryEvent(p []byte) (Event, error) {
	if len(p) > maxEventBytes {
		return Event{}, errEventTooLarge
	}
	r := &eventReader{p: p}
	if f := r.byte(); f != eventFormat1 {
		return Event{}, fmt.Errorf("payload has an unknown format %d", f)
	}
	var e Event
	switch kind := r.byte(); kind {
	case eventKindMessage:
		flags := r.byte()
		m := &Message{}
		m.ID = r.string()
		m.From = r.address()
		m.Time = r.time()
		m.Kind = Kind(r.string())
		m.Text = r.string()
		m.Choice = r.string()
		m.Data = r.raw()
		m.Group = r.string()
		m.ReplyTo = r.string()
		m.ProfileName = r.string()
		m.Forwarded = flags&flagForwarded != 0
		m.FrequentlyForwarded = flags&flagFrequentlyForwarded != 0
		if flags&flagAttachment != 0 {
			m.Attachment = &Attachment{
				ID: r.string(), URL: r.string(), MIMEType: r.string(), SHA256: r.string(), Filename: r.string(),
				Voice: flags&flagVoice != 0, Animated: flags&flagAnimated != 0,
			}
		}
		if flags&flagLocation != 0 {
			m.Location = &Location{Latitude: r.float(), Longitude: r.float(), Name: r.string(), Address: r.string(), URL: r.string()}
		}
		m.Raw = r.raw()
		e.Message = m
	case eventKindStatus:
		flags := r.byte()
		s := &Status{}
		s.MessageID = r.string()
		s.To = r.address()
		s.State = StatusState(r.string())
		s.Time = r.time()
		if flags&flagStatusError != 0 {
			code := r.varint()
			if code < math.MinInt32 || code > math.MaxInt32 {
				r.fail(errors.New("payload has a status error code out of range"))
			}
			s.Error = &StatusError{Code: int(code), Title: r.string(), Message: r.string(), Details: r.string()}
		}
		s.Callback = r.string()
		s.Raw = r.raw()
		e.Status = s
	default:
		if r.err == nil {
			return Event{}, fmt.Errorf("payload has an unknown kind %d", kind)
		}
	}
	if r.err != nil {
		return Event{}, r.err
	}
	if len(r.p) > 0 {
		return Event{}, fmt.Errorf("payload has %d bytes after the event", len(r.p))
	}
	return e, nil
}

package chat

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func codecEvents() []Event {
	at := time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC)
	from := Address{Channel: "whatsapp", Line: "106540352242922", Contact: "4915112345678"}
	return []Event{
		{Message: &Message{ID: "wamid.A", From: from, Time: at, Kind: KindText, Text: "Wo ist das Büro? مكتب 🙂"}},
		{Message: &Message{
			ID: "wamid.B", From: from, Time: at, Kind: KindImage, Text: "caption",
			Attachment: &Attachment{ID: "media-1", URL: "https://example.org/m", MIMEType: "image/jpeg", SHA256: "abc=", Filename: "x.jpg", Voice: true, Animated: true},
			ReplyTo:    "wamid.prev", Forwarded: true, FrequentlyForwarded: true, ProfileName: "Amina", Group: "group-1",
			Raw: json.RawMessage(`{"id":"wamid.B","type":"image"}`),
		}},
		{Message: &Message{
			ID: "wamid.C", From: from, Time: at, Kind: KindLocation,
			Location: &Location{Latitude: -1.2921, Longitude: 36.8219, Name: "Office", Address: "Nairobi", URL: "https://example.org"},
		}},
		{Message: &Message{ID: "wamid.D", From: from, Kind: KindFlowReply, Choice: "row-2", Data: json.RawMessage(`{"a":[1,2]}`)}},
		{Message: &Message{ID: "wamid.E", From: from, Time: time.Unix(-1, 5).UTC(), Kind: KindLocation, Location: &Location{Latitude: math.Inf(1), Longitude: math.NaN()}}},
		{Status: &Status{MessageID: "wamid.out", To: from, State: StatusDelivered, Time: at, Raw: json.RawMessage(`{"status":"delivered"}`)}},
		{Status: &Status{MessageID: "wamid.out", To: from, State: StatusFailed, Time: at, Callback: "cb",
			Error: &StatusError{Code: 131047, Title: "Re-engagement message", Message: "m", Details: "d"}}},
		{Status: &Status{MessageID: "wamid.out", To: from, State: StatusSent, Error: &StatusError{Code: -5}}},
	}
}

// sameEvent compares events, taking NaN as equal to itself.
func sameEvent(a, b Event) bool {
	if a.Message != nil && b.Message != nil && a.Message.Location != nil && b.Message.Location != nil {
		la, lb := *a.Message.Location, *b.Message.Location
		if math.Float64bits(la.Latitude) != math.Float64bits(lb.Latitude) || math.Float64bits(la.Longitude) != math.Float64bits(lb.Longitude) {
			return false
		}
		ma, mb := *a.Message, *b.Message
		la.Latitude, la.Longitude, lb.Latitude, lb.Longitude = 0, 0, 0, 0
		ma.Location, mb.Location = &la, &lb
		return reflect.DeepEqual(Event{Message: &ma}, Event{Message: &mb})
	}
	return reflect.DeepEqual(a, b)
}

func TestEventCodecRoundTrip(t *testing.T) {
	for i, e := range codecEvents() {
		p, err := encodeEvent(nil, e)
		if err != nil {
			t.Fatalf("event %d: encode: %v", i, err)
		}
		got, err := decodeEvent(p)
		if err != nil {
			t.Fatalf("event %d: decode: %v", i, err)
		}
		if !sameEvent(got, e) {
			t.Errorf("event %d: round trip\n got %#v\nwant %#v", i, got, e)
		}
		// Every shorter payload is refused, none panics.
		for n := range len(p) {
			if _, err := decodeEvent(p[:n]); err == nil {
				t.Fatalf("event %d: the first %d of %d bytes decoded", i, n, len(p))
			}
		}
		if _, err := decodeEvent(append(p[:len(p):len(p)], 0)); err == nil {
			t.Fatalf("event %d: a trailing byte was accepted", i)
		}
	}
}

// Items accepted before the binary form was introduced are JSON; they
// are still handled.
func TestEventCodecReadsJSON(t *testing.T) {
	for i, e := range codecEvents() {
		if e.Message != nil && e.Message.Location != nil && math.IsNaN(e.Message.Location.Longitude) {
			continue // JSON has no NaN
		}
		p, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEvent(p)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got.Key() != e.Key() || !got.Time().Equal(e.Time()) || got.Address() != e.Address() {
			t.Errorf("event %d: JSON decoded to %#v; want %#v", i, got, e)
		}
	}
}

func TestEventCodecRefuses(t *testing.T) {
	from := Address{Channel: "whatsapp", Line: "1", Contact: "2"}
	for _, c := range []struct {
		name string
		e    Event
		want error
	}{
		{"raw", Event{Message: &Message{ID: "x", From: from, Raw: json.RawMessage("{not json")}}, errRawNotJSON},
		{"data", Event{Message: &Message{ID: "x", From: from, Data: json.RawMessage("[1,")}}, errDataNotJSON},
		{"status raw", Event{Status: &Status{MessageID: "x", To: from, State: StatusSent, Raw: json.RawMessage("nope")}}, errRawNotJSON},
		{"large", Event{Message: &Message{ID: "x", From: from, Text: strings.Repeat("a", maxEventBytes)}}, errEventTooLarge},
	} {
		if _, err := encodeEvent(nil, c.e); !errors.Is(err, c.want) {
			t.Errorf("%s: encode = %v; want %v", c.name, err, c.want)
		}
	}
	for _, p := range [][]byte{
		{eventFormat1, 'x', 0},
		{eventFormat1 + 1},
		{eventFormat1, eventKindStatus, flagStatusError, 1, 'x', 8, 'w', 'h', 'a', 't', 's', 'a', 'p', 'p', 1, '1', 1, '2', 4, 's', 'e', 'n', 't', 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{eventFormat1, eventKindMessage, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		if _, err := decodeEvent(p); err == nil {
			t.Errorf("decodeEvent(%v) succeeded", p)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, e := range codecEvents() {
		p, err := encodeEvent(nil, e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
		j, _ := json.Marshal(e)
		f.Add(j)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		e, err := decodeEvent(p)
		if err != nil {
			return
		}
		// What decodes is a valid event, and encodes back to what decodes
		// to the same event.
		if err := e.Validate(); err != nil {
			t.Fatalf("decoded an invalid event: %v", err)
		}
		q, err := encodeEvent(nil, e)
		if err != nil {
			return // e.g. JSON input whose raw payload is not JSON
		}
		again, err := decodeEvent(q)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !sameEvent(again, e) {
			t.Fatalf("re-decoded %#v; want %#v", again, e)
		}
	})
}

// BenchmarkEventCodec compares the inbox payload's binary form with the
// JSON it replaced, for a typical text message with its raw webhook JSON.
func BenchmarkEventCodec(b *testing.B) {
	e := Event{Message: &Message{
		ID: "wamid.HBgLMTU1NTAwMDAwMDAVAgASGBQzQTdEMkU0RjA5QjQ1QjY1N0JCMQA=", Kind: KindText,
		From: Address{Channel: "whatsapp", Line: "106540352242922", Contact: "4915112345678"},
		Time: time.Date(2026, 3, 1, 9, 30, 15, 0, time.UTC), Text: "Hello, where can I find the nearest office?",
		ProfileName: "Amina",
		Raw: json.RawMessage(`{"from":"4915112345678","id":"wamid.HBgLMTU1NTAwMDAwMDAVAgASGBQzQTdEMkU0RjA5QjQ1QjY1N0JCMQA=",` +
			`"timestamp":"1772357415","text":{"body":"Hello, where can I find the nearest office?"},"type":"text"}`),
	}}
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := encodeEvent(nil, e)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := decodeEvent(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := json.Marshal(e)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := decodeEvent(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package webhook_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// seeds returns the conformance payloads when they are present, and a few
// hand-made bodies always.
func seeds(f *testing.F) [][]byte {
	out := [][]byte{
		[]byte(`{}`),
		[]byte(`{"object":"whatsapp_business_account","entry":[]}`),
		wrap(`{"metadata":{"phone_number_id":1},"messages":[{"from":1,"id":"a","timestamp":1,"type":"text","text":{"body":"\u00e9"}}],"statuses":[{"id":"b","status":"read","recipient_id":"2"}]}`),
		wrap(`{"messages":[null,"x",{"type":"edit","edit":{"message":{"type":"image","image":{"id":1}}}}],"statuses":{"a":1}}`),
		textBody("wamid.seed", "106540352242922"),
	}
	dir := os.Getenv("IMPACTCHAT_CONFORMANCE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "conformance")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "webhooks", "*.json"))
	if len(paths) == 0 && os.Getenv("IMPACTCHAT_REQUIRE_CONFORMANCE") == "1" {
		f.Fatalf("no conformance payloads in %s", dir)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func keys(evs []chat.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Key()
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := webhook.Parse(body)
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) {
				t.Fatalf("Parse error %v is not ErrMalformed", err)
			}
			if json.Valid(body) && len(body) > 0 {
				var v map[string]any
				if json.Unmarshal(body, &v) == nil && v != nil {
					t.Fatalf("a valid JSON object was refused: %v", err)
				}
			}
			return
		}
		evs := n.Events()
		seen := map[string]bool{}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event %s: %v", e.Key(), err)
			}
			if seen[e.Key()] {
				t.Fatalf("key %s twice", e.Key())
			}
			seen[e.Key()] = true
			if e.Message != nil && !json.Valid(e.Message.Raw) || e.Status != nil && !json.Valid(e.Status.Raw) {
				t.Fatalf("event %s keeps invalid raw JSON", e.Key())
			}
		}
		_ = n.Problems()
		// The quick and fast paths, when they apply, give what the slow
		// one gives, and Parse gives that.
		quick, quickOK, fast, fastOK, slow := webhook.ParsePaths(body)
		if fastOK && !reflect.DeepEqual(fast, slow) {
			fj, _ := json.Marshal(fast)
			sj, _ := json.Marshal(slow)
			t.Fatalf("fast and slow paths differ:\nfast %s\nslow %s", fj, sj)
		}
		if quickOK && !reflect.DeepEqual(quick, slow) {
			qj, _ := json.Marshal(quick)
			sj, _ := json.Marshal(slow)
			t.Fatalf("quick and slow paths differ:\nquick %s\nslow  %s", qj, sj)
		}
		if !reflect.DeepEqual(n, slow) {
			t.Fatal("Parse differs from the slow path")
		}
		// A notification encodes as it was received and decodes to the
		// same events.
		enc, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := webhook.Parse(enc)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, enc)
		}
		if !slices.Equal(keys(again.Events()), keys(evs)) {
			t.Fatalf("re-parsed events differ: %v vs %v", keys(again.Events()), keys(evs))
		}
	})
}

func FuzzHandler(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, "")
	}
	f.Add([]byte(`{}`), "sha256=00")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		sink := newMemSink()
		h := newHandler(t, webhook.Config{MaxBodyBytes: 64 << 10}, sink)
		r := webhooktest.NewRequest(body, secret)
		if header != "" {
			r.Header.Set(webhooktest.SignatureHeader, header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		signed := webhook.VerifySignature(body, r.Header.Get(webhooktest.SignatureHeader), secret) == nil
		n, perr := webhook.Parse(body)
		var want int
		switch {
		case len(body) > 64<<10:
			want = http.StatusRequestEntityTooLarge
		case !signed:
			want = http.StatusUnauthorized
		case perr != nil:
			want = http.StatusBadRequest
		default:
			want = http.StatusOK
		}
		if w.Code != want {
			t.Fatalf("status %d, want %d", w.Code, want)
		}
		if want != http.StatusOK {
			if len(sink.keys()) != 0 {
				t.Fatal("events accepted from a refused delivery")
			}
			return
		}
		if got, want := sink.keys(), keys(n.Events()); !slices.Equal(got, want) {
			t.Fatalf("sink got %v, want %v", got, want)
		}
	})
}

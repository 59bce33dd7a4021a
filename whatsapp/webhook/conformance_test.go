package webhook_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// conformanceDir returns the folder of real webhook payloads: the
// IMPACTCHAT_CONFORMANCE_DIR variable, or ../shared/conformance beside the
// module root. It skips the test when the folder is absent, and fails it
// when IMPACTCHAT_REQUIRE_CONFORMANCE=1.
func conformanceDir(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("IMPACTCHAT_CONFORMANCE_DIR")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				tb.Fatal("no go.mod above the package directory")
			}
			dir = parent
		}
		base = filepath.Join(dir, "..", "shared", "conformance")
	}
	dir := filepath.Join(base, "webhooks")
	if _, err := os.Stat(dir); err != nil {
		msg := fmt.Sprintf("conformance payloads not found in %s (set IMPACTCHAT_CONFORMANCE_DIR to the conformance folder)", dir)
		if os.Getenv("IMPACTCHAT_REQUIRE_CONFORMANCE") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return dir
}

// conformancePayloads reads every .json file of the webhooks folder.
func conformancePayloads(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := conformanceDir(tb)
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no payloads in %s", dir)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// The golden file records, for every payload, what Parse made of it and
// the events it converts to.
type goldenPayload struct {
	Object   string         `json:"object"`
	Changes  []goldenChange `json:"changes"`
	Events   []goldenEvent  `json:"events,omitempty"`
	Problems []string       `json:"problems,omitempty"`
}

type goldenChange struct {
	Entry string              `json:"entry"`
	Time  string              `json:"time,omitempty"`
	Field string              `json:"field"`
	Type  string              `json:"type"`
	Value webhook.ChangeValue `json:"value,omitempty"`
}

type goldenEvent struct {
	Key         string            `json:"key"`
	Line        string            `json:"line"`
	Contact     string            `json:"contact"`
	Time        string            `json:"time"`
	Kind        chat.Kind         `json:"kind,omitempty"`
	Text        string            `json:"text,omitempty"`
	Choice      string            `json:"choice,omitempty"`
	ReplyTo     string            `json:"reply_to,omitempty"`
	Forwarded   bool              `json:"forwarded,omitempty"`
	FreqFwd     bool              `json:"frequently_forwarded,omitempty"`
	ProfileName string            `json:"profile_name,omitempty"`
	Attachment  *chat.Attachment  `json:"attachment,omitempty"`
	Location    *chat.Location    `json:"location,omitempty"`
	State       chat.StatusState  `json:"state,omitempty"`
	Error       *chat.StatusError `json:"error,omitempty"`
	Callback    string            `json:"callback,omitempty"`
	RawBytes    int               `json:"raw_bytes"`
}

func summarize(t *testing.T, name string, body []byte) goldenPayload {
	t.Helper()
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatalf("%s: Parse: %v", name, err)
	}
	g := goldenPayload{Object: n.Object}
	for _, e := range n.Entries {
		for _, c := range e.Changes {
			gc := goldenChange{Entry: string(e.ID), Field: c.Field, Type: fmt.Sprintf("%T", c.Value), Value: c.Value}
			if e.Time != 0 {
				gc.Time = e.Time.Time().Format(time.RFC3339)
			}
			if !json.Valid(c.Raw) {
				t.Errorf("%s: change %q keeps no valid raw value", name, c.Field)
			}
			g.Changes = append(g.Changes, gc)
		}
	}
	for _, e := range n.Events() {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: event %s: %v", name, e.Key(), err)
		}
		ge := goldenEvent{Key: e.Key(), Time: e.Time().Format(time.RFC3339)}
		a := e.Address()
		ge.Line, ge.Contact = a.Line, a.Contact
		if m := e.Message; m != nil {
			ge.Kind, ge.Text, ge.Choice, ge.ReplyTo = m.Kind, m.Text, m.Choice, m.ReplyTo
			ge.Forwarded, ge.FreqFwd, ge.ProfileName = m.Forwarded, m.FrequentlyForwarded, m.ProfileName
			ge.Attachment, ge.Location, ge.RawBytes = m.Attachment, m.Location, len(m.Raw)
			if !json.Valid(m.Raw) {
				t.Errorf("%s: message %s: raw JSON not kept", name, m.ID)
			}
		}
		if s := e.Status; s != nil {
			ge.State, ge.Error, ge.Callback, ge.RawBytes = s.State, s.Error, s.Callback, len(s.Raw)
			if !json.Valid(s.Raw) {
				t.Errorf("%s: status %s: raw JSON not kept", name, s.MessageID)
			}
		}
		g.Events = append(g.Events, ge)
	}
	for _, p := range n.Problems() {
		g.Problems = append(g.Problems, p.String())
	}
	return g
}

// TestConformance parses every real payload and compares what it makes of
// them with testdata/conformance.golden.json (go test -run Conformance
// -update rewrites it).
func TestConformance(t *testing.T) {
	t.Parallel()
	payloads := conformancePayloads(t)
	names := make([]string, 0, len(payloads))
	for name := range payloads {
		names = append(names, name)
	}
	sort.Strings(names)
	got := make(map[string]goldenPayload, len(names))
	for _, name := range names {
		got[name] = summarize(t, name, payloads[name])
	}
	enc, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	enc = append(enc, '\n')
	golden := filepath.Join("testdata", "conformance.golden.json")
	if *update {
		if err := os.WriteFile(golden, enc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Conformance -update)", err)
	}
	if bytes.Equal(want, enc) {
		return
	}
	var wantMap map[string]json.RawMessage
	if err := json.Unmarshal(want, &wantMap); err != nil {
		t.Fatalf("golden file: %v", err)
	}
	for _, name := range names {
		g, _ := json.MarshalIndent(got[name], "  ", "  ")
		w, ok := wantMap[name]
		if !ok {
			t.Errorf("%s: not in the golden file (run with -update and review the diff)", name)
			continue
		}
		var wb bytes.Buffer
		_ = json.Indent(&wb, w, "  ", "  ")
		if !bytes.Equal(bytes.TrimSpace(wb.Bytes()), bytes.TrimSpace(g)) {
			t.Errorf("%s differs from the golden file\n--- got\n%s\n--- want\n%s", name, g, wb.Bytes())
		}
	}
	for name := range wantMap {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: in the golden file but no longer in the conformance folder", name)
		}
	}
	if !t.Failed() {
		t.Error("golden file differs in formatting; run with -update")
	}
}

// Every real payload takes the fast path of Parse, the usual messages and
// statuses the quick one, and each gives what the slow path gives.
func TestConformanceFastPath(t *testing.T) {
	t.Parallel()
	quickTaken := 0
	for name, body := range conformancePayloads(t) {
		quick, quickOK, fast, ok, slow := webhook.ParsePaths(body)
		if !ok {
			t.Errorf("%s: fast path not taken", name)
			continue
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: fast and slow paths differ", name)
		}
		if quickOK {
			quickTaken++
			if !reflect.DeepEqual(quick, slow) {
				qj, _ := json.Marshal(quick)
				sj, _ := json.Marshal(slow)
				t.Errorf("%s: quick and slow paths differ:\nquick %s\nslow  %s", name, qj, sj)
			}
		}
		for _, typical := range []string{"text__meta-docs.json", "status_sent_pmp_pricing__meta-docs.json", "image__java-sdk.json",
			"interactive_button_reply__meta-docs.json", "status_failed_131047__java-sdk.json", "reaction__pywa.json"} {
			if name == typical && !quickOK {
				t.Errorf("%s: quick path not taken", name)
			}
		}
		// A Notification also decodes with encoding/json alone.
		var direct webhook.Notification
		if err := json.Unmarshal(body, &direct); err != nil {
			t.Errorf("%s: json.Unmarshal: %v", name, err)
		} else if !reflect.DeepEqual(direct.Events(), slow.Events()) {
			t.Errorf("%s: json.Unmarshal gives other events than Parse", name)
		}
	}
	t.Logf("quick path taken for %d payloads", quickTaken)
}

// Every real payload, signed and delivered to the handler, is accepted with
// all its events, and nothing personal in it reaches the logs.
func TestConformanceThroughHandler(t *testing.T) {
	t.Parallel()
	for name, body := range conformancePayloads(t) {
		var logs bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
		sink := newMemSink()
		h := newHandler(t, webhook.Config{Logger: logger}, sink)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, webhooktest.NewRequest(body, secret))
		if w.Code != http.StatusOK {
			t.Errorf("%s: status %d", name, w.Code)
			continue
		}
		n, err := webhook.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sink.keys(), keys(n.Events()); !slices.Equal(got, want) {
			t.Errorf("%s: sink got %v, want %v", name, got, want)
		}
		mu.Lock()
		out := logs.String()
		mu.Unlock()
		for _, s := range personal(n) {
			if len(s) >= 6 && strings.Contains(out, s) {
				t.Errorf("%s: logs contain %q", name, s)
			}
		}
	}
}

// personal lists the phone numbers, user ids, names and texts of n.
func personal(n *webhook.Notification) []string {
	var out []string
	for c := range n.Changes() {
		v, ok := c.Value.(*webhook.MessagesValue)
		if !ok {
			continue
		}
		for _, ct := range v.Contacts {
			out = append(out, string(ct.WaID), string(ct.UserID), ct.Profile.Name)
		}
		for _, m := range append(append([]webhook.Message(nil), v.Messages...), v.MessageEchoes...) {
			out = append(out, string(m.From), string(m.FromUserID), string(m.To))
			if m.Text != nil {
				out = append(out, m.Text.Body)
			}
		}
		for _, s := range v.Statuses {
			out = append(out, string(s.RecipientID))
		}
	}
	return out
}

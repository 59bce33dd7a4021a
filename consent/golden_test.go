package consent_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata")

// words are what a person types, per language.
var words = map[string]map[string]string{
	"en": {"hello": "Hello", "question": "Where is the office?", "stop": "stop", "delete": "Delete", "receipt": "receipt", "data": "my data"},
	"ar": {"hello": "مرحبا", "question": "أين المكتب؟", "stop": "توقف", "delete": "احذف", "receipt": "إيصال", "data": "بياناتي"},
}

// scenarios are scripts of steps: "text <word>", "tap <choice>", "advance
// <duration>", "publish v2", "send <purpose>" (a proactive message through
// the guard), "safety", "ticket <priority>", "storage".
var scenarios = []struct {
	name  string
	steps []string
}{
	{"first_contact", []string{"text hello", "text question", "advance 25h", "text question"}},
	{"accept", []string{"text hello", "tap consent.accept", "text question", "text receipt", "send followup", "tap consent.grant.followup", "send followup", "storage"}},
	{"decline", []string{"text hello", "tap consent.decline", "text question", "send core", "safety", "storage", "advance 25h", "text question"}},
	{"withdraw", []string{"text hello", "tap consent.accept", "text question", "text stop", "send core", "text question", "storage"}},
	{"erase", []string{"text hello", "tap consent.accept", "text question", "text data", "text delete", "storage", "send core", "text question"}},
	{"erase_held", []string{"text hello", "tap consent.accept", "text question", "ticket 2", "text delete", "storage", "text question"}},
	{"reconsent", []string{"text hello", "tap consent.accept", "text question", "publish v2", "send core", "text question", "text question", "tap consent.accept", "text question"}},
	{"audio", []string{"text hello", "tap consent.audio", "tap consent.accept"}},
}

func TestGoldenTranscripts(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"en", "ar"} {
		for _, sc := range scenarios {
			name := sc.name + "_" + lang
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				got := runScript(t, lang, sc.steps)
				path := filepath.Join("testdata", "transcripts", name+".txt")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("transcript %s differs (go test -update rewrites it):\n%s", path, diffLines(string(want), got))
				}
			})
		}
	}
}

func runScript(t *testing.T, lang string, steps []string) string {
	e := newEnv(t)
	who := addr("15550001111")
	ctx := t.Context()
	var b strings.Builder
	for _, st := range steps {
		verb, arg, _ := strings.Cut(st, " ")
		before := len(e.handled)
		var err error
		switch verb {
		case "text":
			w := words[lang][arg]
			fmt.Fprintf(&b, "> text %q\n", w)
			err = e.text(who, w)
		case "tap":
			fmt.Fprintf(&b, "> tap %s\n", arg)
			err = e.tap(who, arg)
		case "advance":
			d, _ := time.ParseDuration(arg)
			e.clock.Advance(d)
			fmt.Fprintf(&b, "~ %s later\n", arg)
			continue
		case "publish":
			e.notices = loadNotices(t, "testdata/notices-v2")
			if err := e.svc.SetNotices(e.notices); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "~ notices v2 published (material)\n")
			rep, err := e.svc.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "~ sweep: %+v\n", rep)
		case "send":
			fmt.Fprintf(&b, "~ the line sends a %s message\n", arg)
			_, err = e.svc.Guard(e.channel).Send(chat.WithIntent(ctx, chat.Intent{Purpose: chat.Purpose(arg)}), who, chat.Text{Body: "news for " + arg})
		case "safety":
			fmt.Fprintf(&b, "~ staff send a safety acknowledgement\n")
			_, err = e.svc.Guard(e.channel).Send(chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptSafety, Staff: "s1"}), who, chat.Text{Body: "We have seen your message. If you are in danger call 112."})
		case "ticket":
			fmt.Fprintf(&b, "~ an urgent case is open for the person\n")
			_, _, err = e.store.Tickets().Open(ctx, storage.Ticket{Contact: refOf(who), Queue: "protection", Priority: 2, Category: "violence", State: storage.TicketOpen}, e.clock.Now())
		case "storage":
			fmt.Fprintf(&b, "~ storage: %s\n", e.storageLine(who))
			continue
		default:
			t.Fatalf("unknown step %q", st)
		}
		for _, s := range e.channel.take() {
			b.WriteString(render(s))
		}
		for _, h := range e.handled[before:] {
			fmt.Fprintf(&b, "→ flows handle %q\n", h)
		}
		if err != nil {
			var r interface{ Error() string }
			if errors.As(err, &r) {
				fmt.Fprintf(&b, "x %v\n", err)
			}
		}
		fmt.Fprintln(&b, e.stateLine(who))
	}
	if err := e.svc.Verify(ctx, refOf(who)); err != nil {
		t.Fatalf("ledger: %v", err)
	}
	fmt.Fprintln(&b, "~ ledger:")
	h, err := e.svc.History(ctx, refOf(who))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range h {
		fmt.Fprintf(&b, "  %s %s purposes=%v notice=%s/%s method=%s actor=%s basis=%s evidence=%s",
			ev.RecordedAt.Format(time.RFC3339), ev.Type, ev.Purposes, ev.Language, ev.Notice, ev.Method, ev.Actor, ev.Basis, ev.Evidence)
		if ev.Reason != "" {
			fmt.Fprintf(&b, " reason=%q", ev.Reason)
		}
		if !ev.ReviewAt.IsZero() {
			fmt.Fprintf(&b, " review=%s", ev.ReviewAt.Format(time.DateOnly))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// storageLine says what storage holds about the person besides the ledger.
func (e *env) storageLine(who chat.Address) string {
	ctx := context.Background()
	ref := refOf(who)
	contact := "absent"
	if _, err := e.store.Contacts().Get(ctx, ref); err == nil {
		contact = "present"
	}
	msgs, err := e.store.Messages().History(ctx, ref, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	session := "absent"
	if _, err := e.store.Sessions().Get(ctx, ref, e.clock.Now()); err == nil {
		session = "present"
	}
	return fmt.Sprintf("contact=%s messages=%d session=%s", contact, len(msgs), session)
}

// diffLines shows the first differing lines.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, a, b)
		}
	}
	return ""
}

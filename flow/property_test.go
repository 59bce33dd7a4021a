package flow_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

// TestRandomConversations walks every example line with random input
// (options, numbers, titles, stale taps, menu and back, media, noise) and
// checks what must always hold: no engine error, every message valid and
// within WhatsApp's limits, a waiting session always at a question, and a
// stored session always small.
func TestRandomConversations(t *testing.T) {
	t.Parallel()
	lines := [][]string{
		{"refugee-info.yaml", "feedback-survey.yaml"},
		{"refugee-info-canada.yaml", "feedback-survey.yaml"},
		{"newcomer-settlement.yaml"},
		{"feedback-survey.yaml"},
	}
	for _, files := range lines {
		t.Run(files[0], func(t *testing.T) {
			t.Parallel()
			lib, err := flow.LoadLibrary(os.DirFS("../examples/playbooks"), files...)
			if err != nil {
				t.Fatal(err)
			}
			e := flow.NewEngine(lib, flow.Limits{})
			rng := rand.New(rand.NewPCG(1, uint64(len(files[0]))))
			noise := []string{"", "hello", "menu", "back", "MENÚ", "رجوع", "0", "11", "١", "??", "I need help", "quito", "Sí", "No", "asylum", "مرحبا"}
			langs := []string{"", "en", "es", "ar", "fr", "es-EC"}
			fields := map[string]string{}
			var s flow.Session
			var offered []chat.Option
			now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
			for i := range 3000 {
				now = now.Add(time.Duration(rng.IntN(180)) * time.Minute)
				env := flow.Env{Now: now, Language: langs[rng.IntN(len(langs))], Fields: fields}
				in := flow.Input{ID: fmt.Sprintf("m%d", i), Kind: chat.KindText}
				switch k := rng.IntN(10); {
				case k < 4 && len(offered) > 0:
					o := offered[rng.IntN(len(offered))]
					in.Kind, in.Choice, in.Text = chat.KindChoice, o.ID, o.Title
				case k < 6 && len(offered) > 0:
					in.Text = fmt.Sprint(rng.IntN(len(offered)) + 1)
				case k == 6:
					in.Kind = chat.KindAudio
				case k == 7:
					in.ID = fmt.Sprintf("m%d", i-1) // a redelivery
				default:
					in.Text = noise[rng.IntN(len(noise))]
				}
				r, err := e.Step(s, env, in)
				if err != nil {
					t.Fatalf("step %d (%+v at %q): %v", i, in, s.Node, err)
				}
				s = r.Session
				for _, ev := range r.Events {
					switch ev := ev.(type) {
					case flow.MessageEvent:
						if err := ev.Message.Validate(); err != nil {
							t.Fatalf("step %d: invalid message at %q: %v", i, ev.Node, err)
						}
						if c, ok := ev.Message.(chat.Choices); ok {
							checkLimits(t, c)
							offered = c.Options
						}
					case flow.FieldEvent:
						fields[ev.Field] = ev.Value
					}
				}
				if !s.Ended {
					pb := lib.Version(s.Playbook, s.Version)
					if n := pb.Node(s.Node); n == nil || n.Kind != flow.KindAsk {
						t.Fatalf("step %d: waiting at %q, which is not a question", i, s.Node)
					}
				}
				data, err := s.MarshalBinary()
				if err != nil || len(data) > 1024 {
					t.Fatalf("step %d: session of %d bytes (%v)", i, len(data), err)
				}
			}
		})
	}
}

func checkLimits(t *testing.T, c chat.Choices) {
	t.Helper()
	if n := utf8.RuneCountInString(c.Body); n > flow.MaxInteractiveBody {
		t.Fatalf("body of %d characters", n)
	}
	list := len(c.Options) > flow.MaxButtons
	for _, o := range c.Options {
		if o.Description != "" {
			list = true
		}
	}
	if len(c.Options) > flow.MaxListRows {
		t.Fatalf("%d options", len(c.Options))
	}
	for _, o := range c.Options {
		n := utf8.RuneCountInString(o.Title)
		if !list && n > flow.MaxButtonTitle || list && n > flow.MaxListTitle {
			t.Fatalf("title %q is %d characters", o.Title, n)
		}
		if utf8.RuneCountInString(o.Description) > flow.MaxListDescription {
			t.Fatalf("description %q too long", o.Description)
		}
	}
}

package flow_test

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

func kindsLibrary(t testing.TB) *flow.Library {
	t.Helper()
	lib, err := flow.LoadLibrary(os.DirFS("testdata"), "kinds.yaml", "other.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func text(s string) flow.Input { return flow.Input{Kind: chat.KindText, Text: s} }

func TestStepIsPureAndDeterministic(t *testing.T) {
	t.Parallel()
	e := flow.NewEngine(kindsLibrary(t), flow.Limits{})
	env := flow.Env{Now: start, Fields: map[string]string{"name": "Amal"}}
	first, err := e.Step(flow.Session{}, env, text("hi"))
	if err != nil {
		t.Fatal(err)
	}
	s := first.Session
	s.Back = []string{"menu"}
	before := fmt.Sprintf("%#v", s)
	a, errA := e.Step(s, env, text("1"))
	b, errB := e.Step(s, env, text("1"))
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two steps with the same arguments differ:\n%#v\n%#v", a, b)
	}
	if after := fmt.Sprintf("%#v", s); after != before {
		t.Fatalf("Step modified its session argument:\n%s\n%s", before, after)
	}
}

func TestStepLimit(t *testing.T) {
	t.Parallel()
	e := flow.NewEngine(kindsLibrary(t), flow.Limits{Steps: 1})
	_, err := e.Step(flow.Session{}, flow.Env{Now: start}, text("hi"))
	if !errors.Is(err, flow.ErrTooManySteps) {
		t.Fatalf("got %v, want ErrTooManySteps", err)
	}
}

func TestRedeliveryAsksAgain(t *testing.T) {
	t.Parallel()
	e := flow.NewEngine(kindsLibrary(t), flow.Limits{})
	env := flow.Env{Now: start}
	r1, _ := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "hi"})
	r2, _ := e.Step(r1.Session, env, flow.Input{ID: "m2", Kind: chat.KindText, Text: "1"})
	if r2.Session.Node != "ask-name" {
		t.Fatalf("node = %q", r2.Session.Node)
	}
	// The same message again: the question is asked again, nothing moves.
	r3, _ := e.Step(r2.Session, env, flow.Input{ID: "m2", Kind: chat.KindText, Text: "1"})
	if r3.Session.Node != "ask-name" || len(r3.Events) != 1 {
		t.Fatalf("redelivery moved the session: %+v %+v", r3.Session, r3.Events)
	}
	if m, ok := r3.Events[0].(flow.MessageEvent); !ok || m.Message.(chat.Text).Body != "What should we call you?" {
		t.Fatalf("event = %#v", r3.Events[0])
	}
}

const v1 = `playbook: p
version: 1
languages: [en]
nodes:
  - id: q1
    ask: First question?
    choices: [{id: a, title: A}]
    next: q2
  - id: q2
    ask: Second question?
    choices: [{id: b, title: B}]
    next: done
  - id: done
    end: Done v1.
`

func mustParse(t testing.TB, name, src string) *flow.Playbook {
	t.Helper()
	pb, err := flow.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

func TestSessionsSurvivePlaybookUpdates(t *testing.T) {
	t.Parallel()
	old := mustParse(t, "v1.yaml", v1)
	// Version 2 renames the end and drops nothing the session is at.
	newer := mustParse(t, "v2.yaml", strings.ReplaceAll(strings.ReplaceAll(v1, "version: 1", "version: 2"), "Done v1.", "Done v2."))
	// Version 3 removes q2.
	v3src := strings.ReplaceAll(v1, "version: 1", "version: 3")
	v3src = strings.Replace(v3src, "    next: q2\n", "    next: done\n", 1)
	v3src = strings.Replace(v3src, "  - id: q2\n    ask: Second question?\n    choices: [{id: b, title: B}]\n    next: done\n", "", 1)
	third := mustParse(t, "v3.yaml", v3src)

	env := flow.Env{Now: start}
	libOld, err := flow.NewLibrary(old)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := flow.NewEngine(libOld, flow.Limits{}).Step(flow.Session{}, env, text("hi"))
	r, _ = flow.NewEngine(libOld, flow.Limits{}).Step(r.Session, env, text("A"))
	atQ2 := r.Session
	if atQ2.Node != "q2" || atQ2.Version != 1 {
		t.Fatalf("session = %+v", atQ2)
	}
	// Stored as bytes, read back by a newer build.
	data, err := atQ2.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var stored flow.Session
	if err := stored.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		lib     []*flow.Playbook
		version int
		say     string
	}{
		{"old version still loaded: continue on it", []*flow.Playbook{newer, old}, 1, "Done v1."},
		{"old version gone: same node in the new one", []*flow.Playbook{newer}, 2, "Done v2."},
		{"node gone: start again", []*flow.Playbook{third}, 3, "First question?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := flow.NewLibrary(tt.lib...)
			if err != nil {
				t.Fatal(err)
			}
			r, err := flow.NewEngine(lib, flow.Limits{}).Step(stored, env, text("B"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Session.Version != tt.version {
				t.Errorf("version = %d, want %d", r.Session.Version, tt.version)
			}
			var said []string
			for _, ev := range r.Events {
				if m, ok := ev.(flow.MessageEvent); ok {
					switch b := m.Message.(type) {
					case chat.Text:
						said = append(said, b.Body)
					case chat.Choices:
						said = append(said, b.Body)
					}
				}
			}
			if len(said) == 0 || said[len(said)-1] != tt.say {
				t.Errorf("said %q, want last %q", said, tt.say)
			}
		})
	}
}

func TestSessionEncoding(t *testing.T) {
	t.Parallel()
	s := flow.Session{
		Playbook: "refugee-info", Version: 3, Node: "city", Lang: "ar",
		Back: []string{"menu", "offices"}, Answer: "offices", Retries: 1,
		LastID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGCA5QjM0RkQ4QzI2NDA0N0Q2QUE0QjQ2MTk5OUQ4MzEA",
	}
	data, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 200 {
		t.Errorf("a typical session is %d bytes; want it small", len(data))
	}
	var got flow.Session
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
	}
	bad := [][]byte{
		nil,
		[]byte("{}"),
		{'F', 9},                                // a format from the future
		data[:len(data)-3],                      // truncated
		append(append([]byte(nil), data...), 0), // trailing bytes
	}
	for i, b := range bad {
		if err := got.UnmarshalBinary(b); !errors.Is(err, flow.ErrBadSession) {
			t.Errorf("bad[%d]: got %v, want ErrBadSession", i, err)
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	lib := kindsLibrary(t)
	e := flow.NewEngine(lib, flow.Limits{})
	for _, tt := range []struct{ contact, want string }{
		{"es", "es"}, {"es-EC", "es"}, {"es_EC", "es"}, {"ar", "en"}, {"", "en"},
	} {
		r, err := e.Step(flow.Session{}, flow.Env{Now: start, Language: tt.contact}, text("hi"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Session.Lang != tt.want {
			t.Errorf("contact language %q: conversation in %q, want %q", tt.contact, r.Session.Lang, tt.want)
		}
	}
}

func TestArabicDigitsChooseOptions(t *testing.T) {
	t.Parallel()
	e := flow.NewEngine(kindsLibrary(t), flow.Limits{})
	env := flow.Env{Now: start}
	r, _ := e.Step(flow.Session{}, env, text("مرحبا"))
	r, _ = e.Step(r.Session, env, text("١"))
	if r.Session.Node != "ask-name" {
		t.Fatalf("\"١\" did not choose the first option: at %q", r.Session.Node)
	}
}

func TestTemplateValuesAreClipped(t *testing.T) {
	t.Parallel()
	e := flow.NewEngine(kindsLibrary(t), flow.Limits{})
	r, err := e.Step(flow.Session{}, flow.Env{Now: start, Fields: map[string]string{"name": strings.Repeat("x", 10000)}}, text("hi"))
	if err != nil {
		t.Fatal(err)
	}
	body := r.Events[1].(flow.MessageEvent).Message.(chat.Text).Body
	if len(body) > 300 {
		t.Fatalf("a 10,000-character field made a %d-byte message", len(body))
	}
}

func TestRedeliveryOfTheLastMessageIsIgnored(t *testing.T) {
	t.Parallel()
	e := flow.NewEngine(kindsLibrary(t), flow.Limits{})
	env := flow.Env{Now: start}
	r, _ := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "hi"})
	r, _ = e.Step(r.Session, env, flow.Input{ID: "m2", Kind: chat.KindChoice, Choice: "menu:staff"})
	if !r.Session.Ended {
		t.Fatalf("session = %+v", r.Session)
	}
	again, err := e.Step(r.Session, env, flow.Input{ID: "m2", Kind: chat.KindChoice, Choice: "menu:staff"})
	if err != nil || len(again.Events) != 0 || !reflect.DeepEqual(again.Session, r.Session) {
		t.Fatalf("redelivery after the end: %+v %v", again, err)
	}
}

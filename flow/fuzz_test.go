package flow_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

// FuzzParse feeds the loader arbitrary files, seeded with every playbook
// in the repository. Whatever it reads must not panic the validator, and a
// playbook that validates must run without an engine error.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "../examples/playbooks/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Add([]byte("playbook: x\nversion: 1\nlanguages: [en]\nnodes:\n  - id: a\n    end: true\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("- - - -\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		pb, err := flow.Parse("fuzz.yaml", src)
		if err != nil {
			return
		}
		_ = flow.Missing(pb)
		if flow.Validate(pb, nil) != nil || pb.Extends != "" {
			return
		}
		lib, err := flow.NewLibrary(pb)
		if err != nil {
			return // start nodes naming other playbooks
		}
		e := flow.NewEngine(lib, flow.Limits{})
		s := flow.Session{}
		for _, in := range []flow.Input{
			{Kind: chat.KindText, Text: "hi"}, {Kind: chat.KindText, Text: "1"},
			{Kind: chat.KindText, Text: "back"}, {Kind: chat.KindImage},
			{Kind: chat.KindChoice, Choice: "a:b"}, {Kind: chat.KindText, Text: "menu"},
		} {
			r, err := e.Step(s, flow.Env{Now: start}, in)
			if err != nil {
				t.Fatalf("valid playbook, engine error: %v", err)
			}
			s = r.Session
		}
	})
}

// FuzzSession decodes arbitrary bytes as a session: bad data is an error,
// never a panic, and what decodes encodes back to the same session.
func FuzzSession(f *testing.F) {
	good, _ := flow.Session{Playbook: "p", Version: 2, Node: "n", Lang: "ar", Back: []string{"a"}, LastID: "wamid.1"}.MarshalBinary()
	f.Add(good)
	redo, _ := flow.Session{Playbook: "p", Node: "m", LastID: "wamid.2", Redo: &flow.Session{Playbook: "p", Node: "n", LastID: "wamid.1"}}.MarshalBinary()
	f.Add(redo)
	f.Add([]byte{'F', 1})
	f.Add([]byte{'F', 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s flow.Session
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var s2 flow.Session
		if err := s2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip changed the session:\n%+v\n%+v", s, s2)
		}
	})
}

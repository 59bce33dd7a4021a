package flow_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/impactchat/impactchat/flow"
)

// head is a valid playbook header; cases append nodes to it.
const head = `playbook: t
version: 1
languages: [en, es]
nodes:
`

// node is a valid two-language say node ending the playbook, for padding.
const endNode = `  - id: bye
    end: {en: Bye, es: Adiós}
`

func TestValidateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string // a fragment of the problem
		line int    // where it must be reported
		fix  string // a fragment of the advice
	}{
		{
			name: "dangling link",
			src: head + `  - id: hi
    say: {en: Hi, es: Hola}
    next: byee
` + endNode,
			want: `"hi" links to "byee", which is not a node`, line: 7, fix: `did you mean "bye"?`,
		},
		{
			name: "unknown node kind",
			src: head + `  - id: hi
    text: {en: Hi, es: Hola}
`,
			want: `unknown key "text" in a node`, line: 6, fix: "did you mean",
		},
		{
			name: "node does nothing",
			src: head + `  - id: hi
    next: bye
` + endNode,
			want: `node "hi" does nothing`, line: 5, fix: "give it one of say, ask",
		},
		{
			name: "two kinds in one node",
			src: head + `  - id: hi
    say: {en: Hi, es: Hola}
    end: true
`,
			want: `does more than one thing: say and end`, line: 6, fix: "split it",
		},
		{
			name: "unreachable node",
			src: head + endNode + `  - id: lost
    say: {en: Lost, es: Perdido}
    next: bye
`,
			want: `node "lost" is never reached`, line: 7, fix: "link to it",
		},
		{
			name: "loop without a wait",
			src: head + `  - id: a
    say: {en: A, es: A}
    next: b
  - id: b
    say: {en: B, es: B}
    next: a
`,
			want: `loop without a question: a → b → a`, line: 5, fix: "put a question",
		},
		{
			name: "missing translation",
			src: head + `  - id: hi
    say:
      en: Hi
    next: bye
` + endNode,
			want: `say has no es translation`, line: 7, fix: `add a line "es: ..."`,
		},
		{
			name: "undeclared language",
			src: head + `  - id: hi
    say: {en: Hi, es: Hola, fr: Salut}
    next: bye
` + endNode,
			want: `say in "fr", which is not one of the playbook's languages`, line: 6, fix: "add fr to languages",
		},
		{
			name: "button title too long",
			src: head + `  - id: q
    ask: {en: "Help?", es: "¿Ayuda?"}
    choices:
      - id: staff
        title: {en: "Talk to a person, now", es: Persona}
    next: bye
` + endNode,
			want: `button title "Talk to a person, now" is 21 characters; WhatsApp allows 20`, line: 9, fix: "shorten it to 20",
		},
		{
			name: "list title too long",
			src: head + `  - id: q
    ask: {en: "Help?", es: "¿Ayuda?"}
    choices:
      - {id: a, title: {en: A, es: A}}
      - {id: b, title: {en: B, es: B}}
      - {id: c, title: {en: C, es: C}}
      - {id: d, title: {en: Twenty-five characters ok, es: D}}
    next: bye
` + endNode,
			want: `list row title "Twenty-five characters ok" is 25 characters; WhatsApp allows 24`, line: 11,
		},
		{
			name: "list description too long",
			src: head + `  - id: q
    ask: {en: "Help?", es: "¿Ayuda?"}
    choices:
      - id: a
        title: {en: A, es: A}
        description: {en: "` + strings.Repeat("x", 73) + `", es: d}
    next: bye
` + endNode,
			want: `choice description in en is 73 characters; WhatsApp allows 72`, line: 10,
		},
		{
			name: "too many options",
			src: head + `  - id: q
    ask: {en: "Help?", es: "¿Ayuda?"}
    choices:
` + strings.Repeat("      - {id: x, title: {en: X, es: X}}\n", 11) + `    next: bye
` + endNode,
			want: `question "q" has 11 choices; WhatsApp shows at most 10`, line: 6,
		},
		{
			name: "interactive body too long",
			src: head + `  - id: q
    ask: {en: "` + strings.Repeat("a", 1025) + `", es: b}
    choices:
      - {id: a, title: {en: A, es: A}}
    next: bye
` + endNode,
			want: `question in en is 1025 characters; WhatsApp allows 1024`, line: 6,
		},
		{
			name: "missing media file",
			src: head + `  - id: hi
    say: {en: Hi, es: Hola}
    media:
      en: {audio: media/hi-en.ogg}
      es: {audio: media/missing.ogg}
    next: bye
` + endNode,
			want: `media file "media/missing.ogg" is missing`, line: 9, fix: "relative to this playbook file",
		},
		{
			name: "unsupported media type",
			src: head + `  - id: hi
    say: {en: Hi, es: Hola}
    media:
      audio: media/hi-en.wav
    next: bye
` + endNode,
			want: `audio "media/hi-en.wav" has an unsupported file type`, line: 8,
		},
		{
			name: "unknown template field",
			src: head + `  - id: hi
    say: {en: "Hi {{nmae}}", es: "Hola {{name}}"}
    next: bye
` + endNode,
			want: `{{nmae}}: no node saves "nmae"`, line: 6, fix: `did you mean "name"?`,
		},
		{
			name: "bad template",
			src: head + `  - id: hi
    say: {en: "Hi {{name", es: "Hola"}
    next: bye
` + endNode,
			want: `template: "{{" is not closed`, line: 6,
		},
		{
			name: "branch without default",
			src: head + `  - id: b
    branch:
      - field: city
        equals: quito
        next: bye
` + endNode,
			want: `branch "b" has no default case`, line: 7, fix: "else",
		},
		{
			name: "hours without timezone",
			src: head + `  - id: b
    branch:
      - hours: mon-fri 09:00-17:00
        next: bye
      - else: bye
` + endNode,
			want: `hours need the playbook's timezone`, line: 7,
		},
		{
			name: "bad hours",
			src: head + `  - id: b
    branch:
      - hours: monday 9-5
        next: bye
      - else: bye
` + endNode,
			want: `hours "monday 9-5"`, line: 7, fix: "mon-fri 09:00-17:00",
		},
		{
			name: "bad priority",
			src: head + `  - id: h
    handoff: {priority: asap}
`,
			want: `handoff priority "asap" is not known`, line: 6, fix: "routine, elevated, urgent or critical",
		},
		{
			name: "duplicate node id",
			src: head + `  - id: bye
    say: {en: Hi, es: Hola}
    next: bye
` + endNode,
			want: `node id "bye" is used twice`, line: 8,
		},
		{
			name: "free text without next",
			src: head + `  - id: q
    ask: {en: "Name?", es: "¿Nombre?"}
    save: name
`,
			want: `free-text question "q" has no next`, line: 6,
		},
		{
			name: "no version",
			src:  "playbook: t\nlanguages: [en]\nnodes:\n  - id: a\n    end: true\n",
			want: "the playbook has no version", line: 1, fix: "version: 1",
		},
		{
			name: "yaml syntax",
			src:  "playbook: t\nnodes: [\n",
			want: "YAML:", line: 2,
		},
		{
			name: "aliases refused",
			src: head + `  - id: hi
    say: &greeting {en: Hi, es: Hola}
    next: again
  - id: again
    say: *greeting
`,
			want: "anchors and aliases", line: 9,
		},
	}
	media := fstest.MapFS{"media/hi-en.ogg": {Data: []byte("OggS")}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{"t.yaml": {Data: []byte(tt.src)}}
			for k, v := range media {
				fsys[k] = v
			}
			pb, err := flow.Load(fsys, "t.yaml")
			if err == nil {
				err = flow.Validate(pb, fsys)
			}
			var ps flow.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("got %v, want Problems", err)
			}
			if !errors.Is(err, flow.ErrInvalid) {
				t.Error("Problems do not match ErrInvalid")
			}
			for _, p := range ps {
				if strings.Contains(p.What, tt.want) {
					if p.Pos.File != "t.yaml" || p.Pos.Line != tt.line {
						t.Errorf("reported at %s, want t.yaml:%d", p.Pos, tt.line)
					}
					if !strings.Contains(p.Fix, tt.fix) {
						t.Errorf("fix %q does not say %q", p.Fix, tt.fix)
					}
					if !strings.HasPrefix(p.String(), "t.yaml:") {
						t.Errorf("String() = %q does not start with the position", p.String())
					}
					return
				}
			}
			t.Fatalf("no problem says %q; got:\n%v", tt.want, err)
		})
	}
}

func TestValidateExtendCycle(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"a.yaml": {Data: []byte("extend: b.yaml\nplaybook: a\nversion: 1\n")},
		"b.yaml": {Data: []byte("extend: a.yaml\nplaybook: b\nversion: 1\n")},
	}
	_, err := flow.Load(fsys, "a.yaml")
	if !errors.Is(err, flow.ErrInvalid) || !strings.Contains(err.Error(), "extend makes a cycle: a.yaml → b.yaml → a.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestValidStartLinksAcrossLibrary(t *testing.T) {
	t.Parallel()
	pb, err := flow.Parse("a.yaml", []byte("playbook: a\nversion: 1\nlanguages: [en]\nnodes:\n  - id: go\n    start: survey\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = flow.NewLibrary(pb)
	if err == nil || !strings.Contains(err.Error(), `a.yaml:6:5: start "survey": no such playbook is loaded`) {
		t.Fatalf("got %v", err)
	}
}

// The example playbooks and the test playbooks are all valid.
func TestValidPlaybooks(t *testing.T) {
	t.Parallel()
	if _, err := flow.LoadLibrary(os.DirFS("testdata"), "kinds.yaml", "other.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestValidateUnresolvedExtend(t *testing.T) {
	t.Parallel()
	pb, err := flow.Parse("remix.yaml", []byte("extend: base.yaml\nplaybook: remix\nversion: 1\nlanguages: [en]\nnodes:\n  - id: a\n    end: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.Validate(pb, nil); err == nil || !strings.Contains(err.Error(), `extends "base.yaml", which was not loaded`) {
		t.Fatalf("got %v", err)
	}
}

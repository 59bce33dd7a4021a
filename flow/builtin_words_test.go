package flow_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

const menuBackSrc = `playbook: words
version: 1
languages: [ar, en, es, fr]
menu: menu
nodes:
  - id: menu
    ask:
      ar: "ماذا تريد؟"
      en: "What?"
      es: "¿Qué?"
      fr: "Quoi ?"
    choices:
      - id: a
        title: {ar: "أ", en: "A", es: "A", fr: "A"}
    next: q2
  - id: q2
    ask:
      ar: "سؤال؟"
      en: "Question?"
      es: "¿Pregunta?"
      fr: "Question ?"
    choices:
      - id: b
        title: {ar: "ب", en: "B", es: "B", fr: "B"}
    next: done
  - id: done
    end:
      ar: "شكرا"
      en: "Bye"
      es: "Adiós"
      fr: "Au revoir"
`

func atQ2(t *testing.T, lang string) (*flow.Engine, flow.Session, flow.Env) {
	t.Helper()
	pb, err := flow.Parse("words.yaml", []byte(menuBackSrc))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flow.NewLibrary(pb)
	if err != nil {
		t.Fatal(err)
	}
	e := flow.NewEngine(lib, flow.Limits{})
	env := flow.Env{Now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), Language: lang}
	r1, err := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.Step(r1.Session, env, flow.Input{ID: "m2", Kind: chat.KindText, Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Session.Node != "q2" {
		t.Fatalf("setup: node = %q, want q2", r2.Session.Node)
	}
	return e, r2.Session, env
}

// The built-in words for "menu" and "back" (flow/builtin.go) are compared
// with the normalised key of what the person typed, so they are normalised
// too: every built-in word that normalisation changes (Arabic ة→ه and ئ→ي,
// Latin accents) never matched. "القائمة" is the very word the built-in
// hint and the example playbooks tell Arabic speakers to type. At q2, whose
// previous question is the menu, both kinds of word lead to the menu.
func TestBuiltinWordsInEveryLanguage(t *testing.T) {
	for _, c := range []struct{ lang, word string }{
		{"ar", "القائمة"}, {"ar", "قائمة"}, {"ar", "القائمة الرئيسية"}, {"es", "menú principal"}, // menu
		{"ar", "عودة"}, {"fr", "précédent"}, // back
	} {
		t.Run(c.word, func(t *testing.T) {
			e, s, env := atQ2(t, c.lang)
			r, err := e.Step(s, env, flow.Input{ID: "m3", Kind: chat.KindText, Text: c.word})
			if err != nil {
				t.Fatal(err)
			}
			if r.Session.Node != "menu" {
				t.Errorf("typing the built-in word %q at q2: node = %q, want %q (a re-prompt instead)", c.word, r.Session.Node, "menu")
			}
		})
	}
}

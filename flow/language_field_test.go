package flow_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

// Validate treats "language" as a field every playbook has, so a branch on
// it must see the language the conversation is in. The contact's language
// never reached the engine as a field (the Runner passes it as
// Env.Language, apart from the fields), and the case below never held.
func TestBranchOnLanguageFieldSeesTheContactsLanguage(t *testing.T) {
	pb, err := flow.Parse("lang.yaml", []byte(`playbook: lang
version: 1
languages: [en, ar]
nodes:
  - id: q
    ask: {en: "Ready?", ar: "جاهز؟"}
    choices:
      - id: yes
        title: {en: "Yes", ar: "نعم"}
    next: by-language
  - id: by-language
    branch:
      - field: language
        equals: ar
        next: arabic
      - else: other
  - id: arabic
    end: {en: "Arabic path", ar: "Arabic path"}
  - id: other
    end: {en: "Other path", ar: "Other path"}
`))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flow.NewLibrary(pb)
	if err != nil {
		t.Fatalf("the playbook does not validate: %v", err)
	}
	e := flow.NewEngine(lib, flow.Limits{})
	// As the Runner builds it for a contact whose language is Arabic.
	env := flow.Env{Now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), Language: "ar", Fields: map[string]string{}}
	r1, err := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Session.Lang != "ar" {
		t.Fatalf("conversation language = %q", r1.Session.Lang)
	}
	r2, err := e.Step(r1.Session, env, flow.Input{ID: "m2", Kind: chat.KindText, Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	var said string
	for _, ev := range r2.Events {
		if m, ok := ev.(flow.MessageEvent); ok {
			if tx, ok := m.Message.(chat.Text); ok {
				said = tx.Body
			}
		}
	}
	if said != "Arabic path" {
		t.Errorf("conversation in Arabic, branch on field language equals ar: said %q, want %q", said, "Arabic path")
	}
}

// "save: language changes the conversation's language" (flow/doc.go): a
// question that saves language with option ids that are not language codes
// never changed it (and saved "spanish" as the contact's language).
// Validate refuses it.
func TestSaveLanguageWithIdsThatAreNotLanguagesIsRefused(t *testing.T) {
	pb, err := flow.Parse("lang.yaml", []byte(`playbook: lang
version: 1
languages: [en, es]
nodes:
  - id: language
    ask: {en: "Which language?", es: "¿Qué idioma?"}
    save: language
    choices:
      - id: english
        title: {en: "English", es: "English"}
      - id: spanish
        title: {en: "Español", es: "Español"}
    next: done
  - id: done
    end: {en: "Bye", es: "Adiós"}
`))
	if err != nil {
		t.Fatal(err)
	}
	verr := flow.Validate(pb, nil)
	lib, err := flow.NewLibrary(pb)
	if err != nil {
		t.Skip("refused, as it should be")
	}
	e := flow.NewEngine(lib, flow.Limits{})
	env := flow.Env{Now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}
	r1, _ := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "hi"})
	r2, err := e.Step(r1.Session, env, flow.Input{ID: "m2", Kind: chat.KindText, Text: "2"})
	if err != nil {
		t.Fatal(err)
	}
	t.Errorf("Validate = %v; choosing \"Español\" on a save: language question leaves the conversation in %q and saves language=%v",
		verr, r2.Session.Lang, r2.Events[0])
}

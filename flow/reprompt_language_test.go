package flow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

// The built-in re-prompts exist in en, es, ar and fr only. A playbook in
// Ukrainian (or Dari, Pashto, Tigrinya...) without its own "messages:
// retry" validated, and every wrong answer was answered in English:
// Validate now asks for the re-prompt in each declared language.
func TestRepromptNeededInALanguageWithoutBuiltin(t *testing.T) {
	const head = "playbook: uk\nversion: 1\nlanguages: [uk]\n"
	pb, err := flow.Parse("uk.yaml", []byte(head+ukNodes))
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.Validate(pb, nil); err == nil || !strings.Contains(err.Error(), `no re-prompt in "uk"`) {
		t.Fatalf("Validate = %v; want the missing Ukrainian re-prompt", err)
	}
	pb, err = flow.Parse("uk.yaml", []byte(head+"messages:\n  retry: \"Вибачте, я не зрозумів. Торкніться одного з варіантів.\"\n"+ukNodes))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flow.NewLibrary(pb)
	if err != nil {
		t.Fatalf("with its own re-prompt: %v", err)
	}
	e := flow.NewEngine(lib, flow.Limits{})
	env := flow.Env{Now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), Language: "uk"}
	r1, _ := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "привіт"})
	r2, err := e.Step(r1.Session, env, flow.Input{ID: "m2", Kind: chat.KindText, Text: "щось"})
	if err != nil {
		t.Fatal(err)
	}
	if body := r2.Events[len(r2.Events)-1].(flow.MessageEvent).Message.(chat.Choices).Body; !strings.HasPrefix(body, "Вибачте") {
		t.Fatalf("re-prompted with %q", body)
	}
}

const ukNodes = `nodes:
  - id: q
    ask: "Що вам потрібно?"
    choices:
      - id: home
        title: "Житло"
      - id: work
        title: "Робота"
    next: done
  - id: done
    end: "Дякуємо"
`

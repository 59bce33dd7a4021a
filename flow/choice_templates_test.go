package flow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

// Templates in a choice's description and in a list's button are filled
// in, within their limits (72 and 20 characters), as in titles and bodies:
// the person read the literal {{city|your city}}.
func TestChoiceDescriptionAndButtonTemplatesAreFilled(t *testing.T) {
	pb, err := flow.Parse("d.yaml", []byte(`playbook: d
version: 1
languages: [en]
fields: [city]
nodes:
  - id: menu
    ask: What do you need?
    button: "{{city|Places}}"
    choices:
      - id: office
        title: Office
        description: "The office in {{city|your city}}"
      - id: clinic
        title: Clinic
        description: "A clinic near {{city|you}}"
    next: done
  - id: done
    end: Bye
`))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flow.NewLibrary(pb)
	if err != nil {
		t.Fatalf("the playbook does not validate: %v", err)
	}
	e := flow.NewEngine(lib, flow.Limits{})
	env := flow.Env{Now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), Fields: map[string]string{"city": "Quito"}}
	r, err := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	var ch chat.Choices
	for _, ev := range r.Events {
		if m, ok := ev.(flow.MessageEvent); ok {
			if c, ok := m.Message.(chat.Choices); ok {
				ch = c
			}
		}
	}
	if strings.Contains(ch.Button, "{{") {
		t.Errorf("list button sent as %q; want %q", ch.Button, "Quito")
	}
	for _, o := range ch.Options {
		if strings.Contains(o.Description, "{{") {
			t.Errorf("option %s description sent as %q, with the template unfilled", o.ID, o.Description)
		}
	}
}

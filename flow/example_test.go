package flow_test

import (
	"context"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/storage/memory"
)

const examplePlaybook = `playbook: hello
version: 1
languages: [en, es]
nodes:
  - id: menu
    ask:
      en: Hello {{name|friend}}. How can we help?
      es: Hola {{name|amigo}}. ¿En qué podemos ayudar?
    choices:
      - id: offices
        title: {en: Office locations, es: Oficinas}
        next: offices
      - id: staff
        title: {en: Talk to staff, es: Hablar con alguien}
        next: staff
  - id: offices
    end:
      en: Our office is open Monday to Friday.
      es: Nuestra oficina abre de lunes a viernes.
  - id: staff
    handoff: {priority: routine, reason: asked-for-staff}
`

// The engine is a pure function: a session, what it may know of the world
// and the person's input in; the next session and events out.
func ExampleEngine_Step() {
	pb, err := flow.Parse("hello.yaml", []byte(examplePlaybook))
	if err != nil {
		fmt.Println(err)
		return
	}
	lib, err := flow.NewLibrary(pb)
	if err != nil {
		fmt.Println(err)
		return
	}
	engine := flow.NewEngine(lib, flow.Limits{})
	env := flow.Env{Now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Language: "es", Fields: map[string]string{"name": "Amal"}}

	r, _ := engine.Step(flow.Session{}, env, flow.Input{Kind: chat.KindText, Text: "hola"})
	q := r.Events[1].(flow.MessageEvent).Message.(chat.Choices)
	fmt.Println(q.Body)
	for _, o := range q.Options {
		fmt.Println("-", o.ID, o.Title)
	}
	r, _ = engine.Step(r.Session, env, flow.Input{Kind: chat.KindText, Text: "1"})
	fmt.Println(r.Events[0].(flow.MessageEvent).Message.(chat.Text).Body)
	fmt.Println("ended:", r.Session.Ended)
	// Output:
	// Hola Amal. ¿En qué podemos ayudar?
	// - menu:offices Oficinas
	// - menu:staff Hablar con alguien
	// Nuestra oficina abre de lunes a viernes.
	// ended: true
}

// Validation says where a problem is, what it is and how to fix it.
func ExampleValidate() {
	pb, _ := flow.Parse("hello.yaml", []byte(`playbook: hello
version: 1
languages: [en, ar]
nodes:
  - id: menu
    ask:
      en: How can we help?
    choices:
      - id: staff
        title: {en: "Talk to a person, now", ar: التحدث إلى موظف}
        next: staf
`))
	fmt.Println(flow.Validate(pb, nil))
	// Output:
	// hello.yaml:7:11: question has no ar translation (add a line "ar: ..." with the translation)
	// hello.yaml:10:21: button title "Talk to a person, now" is 21 characters; WhatsApp allows 20 (shorten it to 20; a question with more than 3 choices shows as a list, where titles may have 24)
	// hello.yaml:11:15: "menu" links to "staf", which is not a node (name an existing node id, or add the node)
}

// A Runner is the chat.Handler that runs playbooks for a line.
func ExampleNewRunner() {
	pb, _ := flow.Parse("hello.yaml", []byte(examplePlaybook))
	lib, _ := flow.NewLibrary(pb)
	store := memory.New()
	queue := flow.HandoffFunc(func(ctx context.Context, to chat.Address, priority int, reason string) error {
		fmt.Println("handed off:", priority, reason)
		return nil
	})
	runner, err := flow.NewRunner(lib, store.Sessions(), store.Contacts(), flow.WithHandoff(queue))
	if err != nil {
		fmt.Println(err)
		return
	}
	from := chat.Address{Channel: chat.ChannelWhatsApp, Line: "106540352242922", Contact: "16505551234"}
	phone := chat.ReplierFunc(from, func(_ context.Context, m chat.Outgoing) (chat.SendResult, error) {
		if c, ok := m.(chat.Choices); ok {
			fmt.Println(c.Body, len(c.Options), "options")
		}
		return chat.SendResult{}, nil
	})
	ctx := context.Background()
	_ = runner.Handle(ctx, phone, &chat.Message{ID: "wamid.1", From: from, Kind: chat.KindText, Text: "hi"})
	_ = runner.Handle(ctx, phone, &chat.Message{ID: "wamid.2", From: from, Kind: chat.KindChoice, Choice: "menu:staff"})
	// Output:
	// Hello friend. How can we help? 2 options
	// handed off: 0 asked-for-staff
}

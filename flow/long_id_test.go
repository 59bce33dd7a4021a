package flow_test

import (
	"strings"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

// The engine stores LastID clipped to 128 bytes (maxIDBytes) and compares
// the incoming id clipped alike: a longer message id is recognised as a
// redelivery, not taken again as the answer to the next question. Nothing
// in chat bounds message ids.
func TestRedeliveryOfALongMessageIDIsRecognised(t *testing.T) {
	e, _, env := atQ2(t, "en")
	// Replay the setup with a long id for the message that answers menu.
	long := "wamid." + strings.Repeat("A", 150)
	r1, err := e.Step(flow.Session{}, env, flow.Input{ID: "m1", Kind: chat.KindText, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.Step(r1.Session, env, flow.Input{ID: long, Kind: chat.KindText, Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Session.Node != "q2" {
		t.Fatalf("setup: node = %q", r2.Session.Node)
	}
	// The channel delivers the same message again.
	r3, err := e.Step(r2.Session, env, flow.Input{ID: long, Kind: chat.KindText, Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if r3.Session.Node != "q2" || r3.Session.Ended {
		t.Errorf("a redelivery of message %q… was taken as a new answer: node=%q ended=%v (want q2 asked again)", long[:12], r3.Session.Node, r3.Session.Ended)
	}
}

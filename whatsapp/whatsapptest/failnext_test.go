package whatsapptest_test

import (
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// FailNext makes the next send fail. A read receipt (status "read",
// optionally with a typing indicator) is not a send, though it is a POST to
// /messages too: it ate the fault, failing with an error Meta never gives a
// read receipt, and the send the test meant to fail went through. A line
// marks the person's message read right before replying.
func TestFailNextHitsTheNextSendNotAReadReceipt(t *testing.T) {
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	defer srv.Close()
	c := client(t, srv)
	srv.FailNext(131026)
	readErr := c.Messages.MarkRead(t.Context(), line, whatsapp.ReadReceipt{MessageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", Typing: true})
	_, sendErr := c.Messages.Send(t.Context(), line, text("+"+person, "reply"))
	if readErr != nil || sendErr == nil {
		t.Errorf("FailNext(131026): read receipt err = %v; next send err = %v (want the read receipt to succeed and the send to fail with 131026)", readErr, sendErr)
	}
}

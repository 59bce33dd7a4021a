package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// WithLogger promises "fingerprints of message ids (a WhatsApp id spells the
// person's number)": the "does not encode" warning of Accept logs the event
// key, which holds the wamid, as a fingerprint too.
func TestAcceptLogsNoRawKey(t *testing.T) {
	const wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
	var out bytes.Buffer
	srv, err := chat.NewServer(memory.New(), chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil }),
		chat.WithLogger(slog.New(slog.NewTextHandler(&out, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ev := chat.Event{Message: &chat.Message{ID: wamid, From: addr("16503879439"), Time: time.Unix(1, 0), Kind: chat.KindText,
		Raw: json.RawMessage(`{not json`)}}
	if err := srv.Accept(t.Context(), []chat.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "HBgLMTY1MDM4Nzk0Mzk") {
		t.Errorf("Accept logged the raw wamid (base64 of the phone number): %s", out.String())
	}
}

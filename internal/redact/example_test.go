package redact_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/impactchat/impactchat/internal/redact"
)

func Example() {
	fmt.Println(redact.Identifier("447700900123"))
	fmt.Println(redact.Secret("EAAGtoken"))
	fmt.Println(redact.Text("I need a doctor"))
	fmt.Println(redact.Scrub("call +44 7700 900123 back"))
	// A WhatsApp message id spells the sender's number in base64.
	fmt.Println(redact.MessageID("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="))

	// As the last line of defence, ReplaceAttr masks a logger's attributes.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return redact.ReplaceAttr(groups, a)
		},
	}))
	log.Info("send failed", "to", "447700900123", "text", "I need a doctor",
		"error", errors.New("no account for 447700900123"))
	// Output:
	// ***23
	// [redacted]
	// [text:15 chars]
	// call ***23 back
	// msg#cd3f8a33a571
	// level=INFO msg="send failed" to=***23 text="[text:15 chars]" error="no account for ***23"
}

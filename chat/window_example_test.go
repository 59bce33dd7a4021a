package chat_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// whatsapp.Channel refuses free-form messages to a person who has not
// written in the last 24 hours; ContactWindow tells it when they last did,
// from the time the Server records on every inbound message.
func ExampleContactWindow() {
	ctx := context.Background()
	store := memory.New()
	defer store.Close()
	fake := whatsapptest.NewServer(whatsapptest.WithoutWindow()) // the channel's own check is shown here
	defer fake.Close()
	client, err := fake.NewClient()
	if err != nil {
		fmt.Println(err)
		return
	}
	line, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: store.Contacts()})
	if err != nil {
		fmt.Println(err)
		return
	}
	to := chat.Address{Channel: chat.ChannelWhatsApp, Line: whatsapptest.DefaultPhoneNumberID, Contact: "16505551234"}

	_, err = line.Send(ctx, to, chat.Text{Body: "Your appointment is confirmed."})
	fmt.Println("never wrote, outside the window:", errors.Is(err, whatsapp.ErrOutsideWindow))

	// What the Server does when the person's message is handled.
	ref := storage.ContactRef{Channel: to.Channel, Identifier: to.Contact}
	if _, err := store.Contacts().Touch(ctx, ref, time.Now().Add(-time.Hour)); err != nil {
		fmt.Println(err)
		return
	}
	_, err = line.Send(ctx, to, chat.Text{Body: "Your appointment is confirmed."})
	fmt.Println("wrote an hour ago, sent:", err == nil)
	// Output:
	// never wrote, outside the window: true
	// wrote an hour ago, sent: true
}

package whatsapp_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func Example_sendText() {
	srv := whatsapptest.NewServer()
	defer srv.Close()
	// The person wrote an hour ago, so the 24-hour window is open.
	srv.OpenWindow(whatsapptest.DefaultPhoneNumberID, "+16505551234", time.Now().Add(-time.Hour))

	client, err := whatsapp.New(whatsapptest.DefaultToken, whatsapp.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	res, err := client.Messages.Send(context.Background(), whatsapptest.DefaultPhoneNumberID, whatsapp.Text{
		Envelope: whatsapp.Envelope{To: "+16505551234"},
		Body:     "Our office in Quito opens at 9:00.",
	})
	if err != nil {
		panic(err)
	}
	sent := srv.Sent()[0]
	fmt.Println(res.MessageID == sent.MessageID, sent.Type, sent.Text)
	// Output: true text Our office in Quito opens at 9:00.
}

func Example_sendTemplate() {
	srv := whatsapptest.NewServer()
	defer srv.Close()
	client, err := srv.NewClient()
	if err != nil {
		panic(err)
	}
	// Templates may be sent outside the 24-hour window.
	_, err = client.Messages.Send(context.Background(), whatsapptest.DefaultPhoneNumberID, whatsapp.TemplateMessage{
		Envelope: whatsapp.Envelope{To: "+16505551234", CallbackData: "alert-42"},
		Name:     "appointment_reminder",
		Language: "ar",
		Body:     []whatsapp.Param{{Text: "الثلاثاء"}, {Text: "10:00"}},
	})
	if err != nil {
		panic(err)
	}
	sent := srv.Sent()[0]
	fmt.Println(sent.Type, sent.Template, sent.Language, sent.Params)
	// Output: template appointment_reminder ar [الثلاثاء 10:00]
}

func Example_sendButtons() {
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	defer srv.Close()
	client, err := srv.NewClient()
	if err != nil {
		panic(err)
	}
	_, err = client.Messages.Send(context.Background(), whatsapptest.DefaultPhoneNumberID, whatsapp.Buttons{
		Envelope: whatsapp.Envelope{To: "+16505551234"},
		Body:     "How can we help?",
		Buttons: []whatsapp.Button{
			{ID: "offices", Title: "Office locations"},
			{ID: "asylum", Title: "Asylum procedure"},
			{ID: "staff", Title: "Talk to a person"},
		},
	})
	if err != nil {
		panic(err)
	}
	for _, o := range srv.Sent()[0].Options {
		fmt.Println(o.ID, "=", o.Title)
	}
	// Output:
	// offices = Office locations
	// asylum = Asylum procedure
	// staff = Talk to a person
}

func Example_validation() {
	client, err := whatsapp.New("token")
	if err != nil {
		panic(err)
	}
	_, err = client.Messages.Send(context.Background(), "106540352242922", whatsapp.Buttons{
		Envelope: whatsapp.Envelope{To: "+16505551234"},
		Body:     "How can we help?",
		Buttons:  []whatsapp.Button{{ID: "staff", Title: "Talk to a person today"}},
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, whatsapp.ErrInvalid))
	// Output:
	// whatsapp: send interactive: interactive.action.buttons[0].reply.title is 22 characters; WhatsApp allows 20
	// true
}

func ExampleChannel() {
	srv := whatsapptest.NewServer()
	defer srv.Close()
	client, err := srv.NewClient()
	if err != nil {
		panic(err)
	}
	// The window comes from the line's own store of inbound messages.
	lastInbound := whatsapp.WindowFunc(func(ctx context.Context, a chat.Address) (time.Time, error) {
		return time.Now().Add(-25 * time.Hour), nil
	})
	ch, err := whatsapp.NewChannel(client, lastInbound)
	if err != nil {
		panic(err)
	}
	to := chat.Address{Channel: chat.ChannelWhatsApp, Line: whatsapptest.DefaultPhoneNumberID, Contact: "16505551234"}

	_, err = ch.Send(context.Background(), to, chat.Text{Body: "Are you still there?"})
	fmt.Println(errors.Is(err, whatsapp.ErrOutsideWindow), len(srv.Requests()))

	_, err = ch.Send(context.Background(), to, chat.Template{Name: "check_in", Language: "en"})
	fmt.Println(err, len(srv.Sent()))
	// Output:
	// true 0
	// <nil> 1
}

package broadcast_test

import (
	"context"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// A campaign reaches the people who agreed to follow-up alerts, and nobody
// else. A line would pass a whatsapp.Channel as the sender and the WhatsApp
// error classifier (see examples/broadcast).
func Example() {
	ctx := context.Background()
	store := memory.New()
	now := time.Now()
	for i, agreed := range []bool{true, true, false} {
		ref := storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: fmt.Sprintf("1555000000%d", i)}
		if _, err := store.Contacts().Touch(ctx, ref, now); err != nil {
			panic(err)
		}
		state := "granted"
		if !agreed {
			state = "declined"
		}
		if err := store.Consent().SaveState(ctx, "", storage.ConsentState{Contact: ref, Purposes: map[string]storage.PurposeState{
			"core":     {State: "granted"},
			"followup": {State: state},
		}}); err != nil {
			panic(err)
		}
	}

	sender := chat.SenderFunc(func(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
		t := m.(chat.Template)
		fmt.Printf("send %s(%s) for %s\n", t.Name, t.Body[0].Value, chat.IntentFrom(ctx).Purpose)
		return chat.SendResult{MessageID: "wamid." + to.Contact}, nil
	})
	runner, err := broadcast.New(store, sender, broadcast.WithWorkers(1), broadcast.WithThroughput(1000))
	if err != nil {
		panic(err)
	}
	c, err := runner.Start(ctx, broadcast.Spec{
		Name:     "bus cancellations",
		Purpose:  chat.PurposeFollowUp,
		Line:     "106540352242922",
		Template: &chat.Template{Name: "school_bus_update", Language: "en", Body: []chat.Param{{Value: "Monday"}}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("recipients:", c.Recipients, "left out:", c.Excluded)

	p, err := runner.Run(ctx, c.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.State, "reached:", p.Reached())

	// The line's status handler passes delivery statuses on.
	if err := runner.HandleStatus(ctx, &chat.Status{MessageID: "wamid.15550000000", State: chat.StatusRead}); err != nil {
		panic(err)
	}
	p, _ = runner.Progress(ctx, c.ID)
	fmt.Println("sent:", p.Sent, "read:", p.Read)
	// Output:
	// recipients: 2 left out: map[declined:1]
	// send school_bus_update(Monday) for followup
	// send school_bus_update(Monday) for followup
	// done reached: 2
	// sent: 1 read: 1
}

// A line that tracks broadcasts chains the runner after the status handler
// that keeps the conversation log, and gives the result to its chat.Server
// with chat.WithStatusHandler.
func ExampleRunner_HandleStatus() {
	store := memory.New()
	runner, err := broadcast.New(store, chat.SenderFunc(func(context.Context, chat.Address, chat.Outgoing) (chat.SendResult, error) {
		return chat.SendResult{}, nil
	}))
	if err != nil {
		panic(err)
	}
	record := chat.RecordStatus(store.Messages())
	statuses := chat.StatusHandlerFunc(func(ctx context.Context, s *chat.Status) error {
		if err := record.HandleStatus(ctx, s); err != nil {
			return err
		}
		return runner.HandleStatus(ctx, s)
	})
	err = statuses.HandleStatus(context.Background(), &chat.Status{MessageID: "wamid.unknown", State: chat.StatusDelivered})
	fmt.Println("a status of a message no campaign sent:", err)
	// Output:
	// a status of a message no campaign sent: <nil>
}

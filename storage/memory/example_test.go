package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// A worker drains the inbox: events of one contact come out one at a time
// and in order, and a duplicate delivery is stored only once.
func Example() {
	ctx := context.Background()
	st := memory.New()
	defer st.Close()

	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "15550000001"}
	part := storage.PartitionOf(ref)
	res, err := st.Inbox().Put(ctx, []storage.InboxItem{
		{Key: "wamid.1", Partition: part, Payload: []byte("first")},
		{Key: "wamid.2", Partition: part, Payload: []byte("second")},
		{Key: "wamid.1", Partition: part, Payload: []byte("first again")},
	}, now)
	if err != nil {
		panic(err)
	}
	fmt.Println("fresh:", res.Fresh)

	for {
		batch, err := st.Inbox().Claim(ctx, "worker-1", 10, time.Minute, now)
		if err != nil {
			panic(err)
		}
		if len(batch) == 0 {
			break
		}
		for _, c := range batch {
			fmt.Printf("%s (attempt %d)\n", c.Payload, c.Attempts)
			if err := st.Inbox().Ack(ctx, "worker-1", c.Seq); err != nil {
				panic(err)
			}
		}
	}

	c, err := st.Contacts().Touch(ctx, ref, now)
	if err != nil {
		panic(err)
	}
	fmt.Println("contact", c.ID, "version", c.Version)
	// Output:
	// fresh: [true true false]
	// first (attempt 1)
	// second (attempt 1)
	// contact 1 version 1
}

package whatsapptest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// A simulator that runs for days keeps a bounded history: the newest
// requests and messages, while WaitSent still counts every one.
func TestHistoryIsBounded(t *testing.T) {
	for _, limit := range []int{0, 1, 5} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			srv := whatsapptest.NewServer(whatsapptest.WithoutWindow(), whatsapptest.WithHistory(limit))
			defer srv.Close()
			c, err := srv.NewClient(whatsapp.WithoutPacing())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			const n = 23
			for i := range n {
				if _, err := c.Messages.Send(ctx, whatsapptest.DefaultPhoneNumberID, text("+447700900123", fmt.Sprint("m", i))); err != nil {
					t.Fatal(err)
				}
			}
			sent, err := srv.WaitSent(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(sent) > limit || len(srv.Requests()) > limit {
				t.Fatalf("kept %d messages and %d requests; want at most %d", len(sent), len(srv.Requests()), limit)
			}
			if limit > 0 {
				if len(sent) == 0 || sent[len(sent)-1].Text != fmt.Sprint("m", n-1) {
					t.Fatalf("the newest message was not kept: %+v", sent)
				}
				if reqs := srv.Requests(); len(reqs) == 0 || len(reqs[len(reqs)-1].Body) == 0 {
					t.Fatalf("the newest request was not kept: %+v", reqs)
				}
			}
			srv.Reset()
			if _, err := c.Messages.Send(ctx, whatsapptest.DefaultPhoneNumberID, text("+447700900123", "after")); err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 0)
			defer cancel()
			if _, err := srv.WaitSent(wctx, 2); err == nil {
				t.Fatal("WaitSent(2) after Reset and one send returned; want it to wait")
			}
		})
	}
}

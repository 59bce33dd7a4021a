package whatsapp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func TestGroupsAgainstFakeAndOpenAPI(t *testing.T) {
	t.Parallel()
	srv, c, tp := tappedFake(t)
	ctx := t.Context()
	var group, joinID string
	calls := []platformCall{
		{"create", "/{Version}/{Phone-Number-ID}/groups", func(ctx context.Context, c *whatsapp.Client) error {
			req, err := c.Groups.Create(ctx, whatsapptest.DefaultPhoneNumberID, whatsapp.NewGroup{
				Subject: "Newcomers — questions", Description: "Ask the settlement team", JoinApprovalMode: whatsapp.GroupApprovalRequired})
			if err != nil {
				return err
			}
			id, ok := srv.GroupByRequest(req)
			if !ok {
				return fmt.Errorf("no group for request %s", req)
			}
			group = id
			joinID, _ = srv.JoinGroup(group, "+16505551234")
			srv.JoinGroup(group, "+16505550000")
			return nil
		}},
		{"list groups", "/{Version}/{Phone-Number-ID}/groups", func(ctx context.Context, c *whatsapp.Client) error {
			n := 0
			for g, err := range c.Groups.List(ctx, whatsapptest.DefaultPhoneNumberID) {
				if err != nil {
					return err
				}
				if g.ID != group || g.Subject != "Newcomers — questions" {
					return fmt.Errorf("listed %+v", g)
				}
				n++
			}
			if n != 1 {
				return fmt.Errorf("listed %d groups", n)
			}
			return nil
		}},
		{"join requests", "/{Version}/{group_id}/join_requests", func(ctx context.Context, c *whatsapp.Client) error {
			var ids []string
			for jr, err := range c.Groups.JoinRequests(ctx, group) {
				if err != nil {
					return err
				}
				ids = append(ids, jr.ID)
			}
			if len(ids) != 2 || ids[0] != joinID {
				return fmt.Errorf("join requests %v", ids)
			}
			return nil
		}},
		{"approve", "/{Version}/{group_id}/join_requests", func(ctx context.Context, c *whatsapp.Client) error {
			r, err := c.Groups.ApproveJoinRequests(ctx, group, joinID, "unknown")
			if err != nil {
				return err
			}
			if len(r.Done) != 1 || r.Failed["unknown"] == nil || r.Failed["unknown"].Code != 131009 {
				return fmt.Errorf("result %+v", r)
			}
			return nil
		}},
		{"reject", "/{Version}/{group_id}/join_requests", func(ctx context.Context, c *whatsapp.Client) error {
			var last string
			for jr, err := range c.Groups.JoinRequests(ctx, group) {
				if err != nil {
					return err
				}
				last = jr.ID
			}
			_, err := c.Groups.RejectJoinRequests(ctx, group, last)
			return err
		}},
		{"participants", "/{Version}/{group_id}", func(ctx context.Context, c *whatsapp.Client) error {
			ps, err := c.Groups.Participants(ctx, group)
			if err != nil {
				return err
			}
			if len(ps) != 1 || ps[0].WAID != "16505551234" {
				return fmt.Errorf("participants %+v", ps)
			}
			return nil
		}},
		{"get", "/{Version}/{group_id}", func(ctx context.Context, c *whatsapp.Client) error {
			g, err := c.Groups.Get(ctx, group)
			if err != nil {
				return err
			}
			if g.Subject != "Newcomers — questions" || g.JoinApprovalMode != whatsapp.GroupApprovalRequired || g.TotalParticipantCount != 1 {
				return fmt.Errorf("group %+v", g)
			}
			return nil
		}},
		{"invite link", "/{Version}/{group_id}/invite_link", func(ctx context.Context, c *whatsapp.Client) error {
			link, err := c.Groups.InviteLink(ctx, group)
			if err != nil || !strings.HasPrefix(link, "https://chat.whatsapp.com/") {
				return fmt.Errorf("link %q, %v", link, err)
			}
			return nil
		}},
		{"reset invite link", "/{Version}/{group_id}/invite_link", func(ctx context.Context, c *whatsapp.Client) error {
			before, _ := c.Groups.InviteLink(ctx, group)
			after, err := c.Groups.ResetInviteLink(ctx, group)
			if err != nil || after == before {
				return fmt.Errorf("reset gave %q (was %q), %v", after, before, err)
			}
			return nil
		}},
		{"update", "/{Version}/{group_id}", func(ctx context.Context, c *whatsapp.Client) error {
			return c.Groups.Update(ctx, group, whatsapp.GroupSettings{Description: "Ask the settlement team; answers within a day"})
		}},
		{"send text to group", "/{Version}/{Phone-Number-ID}/messages", func(ctx context.Context, c *whatsapp.Client) error {
			r, err := c.Messages.Send(ctx, whatsapptest.DefaultPhoneNumberID, whatsapp.Text{Envelope: whatsapp.Envelope{Group: group}, Body: "Office closed tomorrow"})
			if err != nil {
				return err
			}
			if r.GroupID != group {
				return fmt.Errorf("group id %q", r.GroupID)
			}
			return nil
		}},
		{"remove participant", "/{Version}/{group_id}/participants", func(ctx context.Context, c *whatsapp.Client) error {
			return c.Groups.RemoveParticipants(ctx, group, "+16505551234")
		}},
	}
	runPlatformCalls(t, c, tp, calls)
	if ps, _ := c.Groups.Participants(ctx, group); len(ps) != 0 {
		t.Errorf("after removal participants %+v", ps)
	}
	sent := srv.Sent()
	if len(sent) != 1 || !sent[0].Group || sent[0].To != group {
		t.Errorf("sent %+v", sent)
	}
	if err := c.Groups.Delete(ctx, group); err != nil {
		t.Fatal(err)
	}
	checkExchange(t, loadSpec(t), "/{Version}/{group_id}", tp.last())

	// The fake answers as Meta does when the group is gone.
	_, err := c.Groups.Get(ctx, group)
	if !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Errorf("get deleted group: %v, want ErrInvalidRequest", err)
	}
	_, err = c.Messages.Send(ctx, whatsapptest.DefaultPhoneNumberID, whatsapp.Text{Envelope: whatsapp.Envelope{Group: group}, Body: "x"})
	var ae *whatsapp.APIError
	if !errors.As(err, &ae) || ae.Code != 131009 {
		t.Errorf("send to deleted group: %v, want 131009", err)
	}
}

func TestGroupValidation(t *testing.T) {
	t.Parallel()
	c, cp := captureClient(t, okSend)
	ctx := t.Context()
	cases := map[string]error{}
	_, cases["no subject"] = c.Groups.Create(ctx, phoneID, whatsapp.NewGroup{})
	_, cases["long subject"] = c.Groups.Create(ctx, phoneID, whatsapp.NewGroup{Subject: strings.Repeat("ش", 129)})
	_, cases["bad mode"] = c.Groups.Create(ctx, phoneID, whatsapp.NewGroup{Subject: "a", JoinApprovalMode: "maybe"})
	cases["nine participants"] = c.Groups.RemoveParticipants(ctx, "g1", "1", "2", "3", "4", "5", "6", "7", "8", "9")
	cases["no participants"] = c.Groups.RemoveParticipants(ctx, "g1")
	cases["nothing to update"] = c.Groups.Update(ctx, "g1", whatsapp.GroupSettings{})
	_, cases["no join ids"] = c.Groups.ApproveJoinRequests(ctx, "g1")
	_, cases["bad group id"] = c.Groups.Get(ctx, "../me")
	_, cases["group and to"] = c.Messages.Send(ctx, phoneID, whatsapp.Text{Envelope: whatsapp.Envelope{Group: "g1", To: "+1"}, Body: "x"})
	for name, err := range cases {
		if !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if len(cp.reqs) != 0 {
		t.Errorf("%d requests sent for invalid input", len(cp.reqs))
	}
	if _, err := c.Groups.Create(ctx, phoneID, whatsapp.NewGroup{Subject: strings.Repeat("ش", 129)}); err == nil || !strings.Contains(err.Error(), "129 characters; WhatsApp allows 128") {
		t.Errorf("error %v does not name the length and the limit", err)
	}
}

func TestGroupFakeRefusesInteractive(t *testing.T) {
	t.Parallel()
	srv, c, _ := tappedFake(t)
	req, err := c.Groups.Create(t.Context(), whatsapptest.DefaultPhoneNumberID, whatsapp.NewGroup{Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := srv.GroupByRequest(req)
	_, err = c.Messages.Send(t.Context(), whatsapptest.DefaultPhoneNumberID, whatsapp.Buttons{Envelope: whatsapp.Envelope{Group: g}, Body: "b",
		Buttons: []whatsapp.Button{{ID: "1", Title: "one"}}})
	var ae *whatsapp.APIError
	if !errors.As(err, &ae) || ae.Code != 131009 || ae.HTTPStatus != http.StatusBadRequest {
		t.Errorf("interactive to a group: %v, want 131009", err)
	}
}

// moderatedLine builds a fake, a group with two members, a moderator and
// a webhook handler whose chain routes the group's messages to questions.
func Example_groupModerator() {
	ctx := context.Background()
	srv := whatsapptest.NewServer()
	defer srv.Close()
	client, _ := srv.NewClient()
	line := whatsapptest.DefaultPhoneNumberID

	req, _ := client.Groups.Create(ctx, line, whatsapp.NewGroup{Subject: "Newcomers Q&A"})
	group, _ := srv.GroupByRequest(req)
	srv.JoinGroup(group, "+16505551234")

	// A moderator (staff number 15550001111) answers in the group; members'
	// questions go to the staff queue, here a slice.
	mod, _ := whatsapp.NewGroupModerator(client, line, group, "+15550001111")
	var queue []*chat.Message
	questions := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		queue = append(queue, m)
		// An automatic acknowledgement reaches the group, quoting the question.
		_, err := r.Reply(ctx, chat.Text{Body: "Thanks, a caseworker will answer here soon."})
		return err
	})
	h := chat.Chain(nil, mod.Middleware(questions))

	// A member asks in the group; the webhook turns it into a chat message.
	body, id, _ := srv.MessagePayload(whatsapptest.Inbound{From: "16505551234", Group: group, Text: "Where do I renew my permit?"})
	n, _ := webhook.Parse(body)
	for _, ev := range n.Events() {
		_ = h.Handle(ctx, nil, ev.Message)
	}
	// The moderator answers it, and posts an alert for everyone.
	_, _ = mod.Answer(ctx, id, chat.Text{Body: "At the Service Canada office, Monday to Friday."})
	_, _ = mod.Alert(ctx, chat.Text{Body: "Storm warning: the office is closed today."})

	fmt.Println("queued:", len(queue), "from the group:", whatsapp.GroupOf(queue[0]) == group)
	for _, s := range srv.Sent() {
		fmt.Println(s.Group, s.ReplyTo == id, s.Text)
	}
	// Output:
	// queued: 1 from the group: true
	// true true Thanks, a caseworker will answer here soon.
	// true true At the Service Canada office, Monday to Friday.
	// true false Storm warning: the office is closed today.
}

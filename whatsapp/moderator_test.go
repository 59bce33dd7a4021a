package whatsapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
)

func TestGroupModeratorRouting(t *testing.T) {
	t.Parallel()
	srv, c, _ := tappedFake(t)
	ctx := t.Context()
	req, err := c.Groups.Create(ctx, fakeLine, whatsapp.NewGroup{Subject: "Q&A"})
	if err != nil {
		t.Fatal(err)
	}
	group, _ := srv.GroupByRequest(req)
	mod, err := whatsapp.NewGroupModerator(c, fakeLine, group, "+15550001111", "US.99.mod")
	if err != nil {
		t.Fatal(err)
	}
	var questions, others []string
	h := chat.Chain(chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		others = append(others, m.ID)
		return nil
	}), mod.Middleware(chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		questions = append(questions, m.ID)
		if r.Address() != m.From {
			t.Errorf("replier address %v, want the asker", r.Address())
		}
		return nil
	})))
	msg := func(id, from, grp string) *chat.Message {
		raw, _ := json.Marshal(map[string]string{"id": id, "from": from, "group_id": grp})
		if grp == "" {
			raw, _ = json.Marshal(map[string]string{"id": id, "from": from})
		}
		return &chat.Message{ID: id, From: chat.Address{Channel: chat.ChannelWhatsApp, Line: fakeLine, Contact: from}, Kind: chat.KindText, Raw: raw}
	}
	for _, m := range []*chat.Message{
		msg("q1", "16505551234", group),   // a member's question
		msg("m1", "15550001111", group),   // the moderator, in the group
		msg("m2", "US.99.mod", group),     // the moderator by BSUID
		msg("d1", "16505551234", ""),      // a one-to-one message
		msg("o1", "16505551234", "other"), // another group
	} {
		if err := h.Handle(ctx, nil, m); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(questions, ",") != "q1" || strings.Join(others, ",") != "d1,o1" {
		t.Errorf("questions %v, others %v", questions, others)
	}

	// A long answer is split; only the first part quotes the question.
	long := strings.Repeat("Bring your ID and the letter. ", 200)
	if _, err := mod.Answer(ctx, "q1", chat.Text{Body: long}); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	if len(sent) < 2 {
		t.Fatalf("%d parts sent", len(sent))
	}
	for i, s := range sent {
		if !s.Group || s.To != group || (s.ReplyTo == "q1") != (i == 0) {
			t.Errorf("part %d: %+v", i, s)
		}
	}
	if _, err := mod.Answer(ctx, "", chat.Text{Body: "x"}); err == nil {
		t.Error("an answer to no question was posted")
	}
	if _, err := mod.Alert(ctx, chat.Template{Name: "storm_warning", Language: "ar"}); err != nil {
		t.Errorf("template alert: %v", err)
	}
	if _, err := whatsapp.NewGroupModerator(c, fakeLine, ""); err == nil {
		t.Error("a moderator without a group was made")
	}
}

package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
)

// GroupModerator runs a moderated group: members ask, a moderator answers.
// Members' messages in the group are routed to a questions handler (for
// example the human triage queue) with a Replier whose replies go back to
// the group, quoting the question; the moderator's answers and alerts are
// posted to the group with Answer and Alert. Messages from the moderators'
// own numbers in the group are not treated as questions.
//
// It speaks the chat vocabulary on both sides, so the handler it routes to
// needs to know nothing about WhatsApp groups.
type GroupModerator struct {
	c          *Client
	render     *Channel
	line       string
	group      string
	moderators map[string]bool
}

// NewGroupModerator moderates groupID on the business number
// phoneNumberID. moderators are the numbers or business-scoped user ids of
// staff who may also write in the group.
func NewGroupModerator(c *Client, phoneNumberID, groupID string, moderators ...string) (*GroupModerator, error) {
	if c == nil {
		return nil, errors.New("whatsapp: group moderator: client is nil")
	}
	if err := firstErr(pathID("phone_number_id", phoneNumberID), pathID("group_id", groupID)); err != nil {
		return nil, fmt.Errorf("whatsapp: group moderator: %w", err)
	}
	// The channel is used only to render chat messages; groups have no
	// customer service window, so the window source is never asked.
	ch, err := NewChannel(c, WindowFunc(func(context.Context, chat.Address) (time.Time, error) {
		return time.Time{}, errors.New("no window for groups")
	}))
	if err != nil {
		return nil, err
	}
	m := &GroupModerator{c: c, render: ch, line: phoneNumberID, group: groupID, moderators: map[string]bool{}}
	for _, id := range moderators {
		m.moderators[contactKey(id)] = true
	}
	return m, nil
}

func contactKey(id string) string {
	if IsBSUID(id) {
		return id
	}
	return digits(id)
}

// GroupOf returns the id of the group a chat message was written in, or ""
// for a one-to-one message: Message.Group, or the group_id in its Raw JSON
// for messages built without it.
func GroupOf(m *chat.Message) string {
	if m == nil || m.From.Channel != chat.ChannelWhatsApp {
		return ""
	}
	if m.Group != "" {
		return m.Group
	}
	if len(m.Raw) == 0 {
		return ""
	}
	var g struct {
		GroupID json.RawMessage `json:"group_id"`
	}
	if json.Unmarshal(m.Raw, &g) != nil || len(g.GroupID) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(g.GroupID, &s) == nil {
		return s
	}
	return string(g.GroupID) // a number
}

// Middleware routes the group's messages: a member's to questions, with a
// Replier that answers in the group; a moderator's are dropped (they are
// already in the group). Everything else, including other groups, goes on
// to the next handler.
func (g *GroupModerator) Middleware(questions chat.Handler) chat.Middleware {
	return func(next chat.Handler) chat.Handler {
		return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			if m == nil || m.From.Line != g.line || GroupOf(m) != g.group {
				return next.Handle(ctx, r, m)
			}
			if g.moderators[contactKey(m.From.Contact)] {
				return nil
			}
			return questions.Handle(ctx, &groupReplier{g: g, question: m.ID, asker: m.From}, m)
		})
	}
}

// groupReplier answers a question in the group, quoting it.
type groupReplier struct {
	g        *GroupModerator
	question string
	asker    chat.Address
}

func (r *groupReplier) Reply(ctx context.Context, m chat.Outgoing) (chat.SendResult, error) {
	return r.g.post(ctx, m, r.question)
}

// Address is the member who asked; replies still go to the group.
func (r *groupReplier) Address() chat.Address { return r.asker }

// Answer posts m to the group as an answer to the member's message
// questionID (quoted, so everyone sees what it answers).
func (g *GroupModerator) Answer(ctx context.Context, questionID string, m chat.Outgoing) (chat.SendResult, error) {
	if err := required("question_id", questionID); err != nil {
		return chat.SendResult{}, fmt.Errorf("whatsapp: group answer: %w", err)
	}
	return g.post(ctx, m, questionID)
}

// Alert posts m to the whole group, quoting nothing: an emergency notice,
// a change of opening hours. A template (chat.Template) is sent as one.
func (g *GroupModerator) Alert(ctx context.Context, m chat.Outgoing) (chat.SendResult, error) {
	return g.post(ctx, m, "")
}

func (g *GroupModerator) post(ctx context.Context, m chat.Outgoing, replyTo string) (chat.SendResult, error) {
	// Render for a placeholder person, then readdress each part to the group.
	msgs, err := g.render.Render(chat.Address{Channel: chat.ChannelWhatsApp, Line: g.line, Contact: "0"}, m)
	if err != nil {
		return chat.SendResult{}, fmt.Errorf("whatsapp: group post: %w", err)
	}
	var first chat.SendResult
	for i, msg := range msgs {
		e := msg.envelope()
		e.To, e.Recipient, e.Group = "", "", g.group
		if i == 0 {
			e.ReplyTo = replyTo
		}
		res, err := g.c.Messages.Send(ctx, g.line, msg.withEnvelope(e))
		if err != nil {
			return chat.SendResult{}, fmt.Errorf("whatsapp: group post part %d of %d: %w", i+1, len(msgs), err)
		}
		if i == 0 {
			first = chat.SendResult{MessageID: res.MessageID, Time: res.Time}
		}
	}
	return first, nil
}

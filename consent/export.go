package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// maxExportMessages bounds the conversation log read into one export.
const maxExportMessages = 10000

// Export is a copy of everything the line holds about one person (GDPR
// Art. 15 and 20): machine-readable, with a plain-language summary in the
// person's language. It is for the caller (a staff tool) to deliver after
// checking who asks; it is never sent into the chat by this package.
// Items that may hold data about other people are listed in Review.
type Export struct {
	Subject     string            `json:"subject"` // the store's keyed hash
	Channel     string            `json:"channel"`
	Identifier  string            `json:"identifier"`
	GeneratedAt time.Time         `json:"generated_at"`
	Language    string            `json:"language"`
	Summary     string            `json:"summary"`
	Consent     ExportConsent     `json:"consent"`
	Profile     *ExportProfile    `json:"profile,omitempty"`
	Messages    []ExportMessage   `json:"messages"`
	Tickets     []ExportTicket    `json:"tickets"`
	Session     *ExportSession    `json:"session,omitempty"`
	Review      []string          `json:"review"` // what staff must check before release
	Extra       map[string]string `json:"extra,omitempty"`
}

// ExportConsent is the ledger part of an export.
type ExportConsent struct {
	Purposes map[string]storage.PurposeState `json:"purposes"`
	Notice   string                          `json:"notice"`
	Events   []ExportEvent                   `json:"events"`
}

// ExportEvent is one ledger event, without the contact.
type ExportEvent struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Purposes   []string  `json:"purposes"`
	Notice     string    `json:"notice,omitempty"`
	NoticeHash string    `json:"notice_hash,omitempty"`
	Language   string    `json:"language,omitempty"`
	Method     string    `json:"method,omitempty"`
	Actor      string    `json:"actor"`
	Basis      string    `json:"basis,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ExportProfile is the contact record.
type ExportProfile struct {
	Name          string            `json:"name,omitempty"`
	Language      string            `json:"language,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	LastInboundAt time.Time         `json:"last_inbound_at"`
}

// ExportMessage is one message of the conversation.
type ExportMessage struct {
	ID        string    `json:"id"`
	Direction string    `json:"direction"`
	Kind      string    `json:"kind"`
	Body      string    `json:"body,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	Status    string    `json:"status,omitempty"`
	At        time.Time `json:"at"`
}

// ExportTicket is a conversation with staff.
type ExportTicket struct {
	ID       string       `json:"id"`
	Queue    string       `json:"queue"`
	Priority int          `json:"priority"`
	State    string       `json:"state"`
	OpenedAt time.Time    `json:"opened_at"`
	ClosedAt time.Time    `json:"closed_at,omitzero"`
	Notes    []ExportNote `json:"notes,omitempty"`
}

// ExportNote is a staff note; it needs review before release.
type ExportNote struct {
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// ExportSession is the person's open flow session.
type ExportSession struct {
	UpdatedAt time.Time `json:"updated_at"`
	Data      []byte    `json:"data"`
}

// LogValue keeps exports out of logs: only the subject is shown.
func (e *Export) LogValue() slog.Value {
	return slog.GroupValue(slog.String("subject", e.Subject), slog.Int("messages", len(e.Messages)))
}

func (s *Service) requestExport(ctx context.Context, ref storage.ContactRef, req Request) error {
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("consent: export: %w", err)
	}
	_, err := s.appendEvent(ctx, ref, entry{
		typ: EventExportRequested, lang: req.Language, method: req.method(),
		evidence: req.Evidence, actor: req.actor(), occurred: req.OccurredAt,
	})
	return err
}

// Export gathers everything held about the person and records that it was
// exported. The caller decides how to deliver it. For a person who has not
// agreed since their data was erased, or never agreed, Export then drops
// what is kept of them, as a decline does: the copy names their number for
// the delivery, the store no longer does.
func (s *Service) Export(ctx context.Context, ref storage.ContactRef, req Request) (*Export, error) {
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("consent: export: %w", err)
	}
	now := s.now().UTC()
	st, _, err := s.State(ctx, ref)
	if err != nil {
		return nil, err
	}
	hist, err := s.History(ctx, ref)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	lang := req.Language
	if lang == "" {
		lang = st.Language
	}
	n := s.notices.Load().Get(lang)
	e := &Export{
		Subject: st.Subject, Channel: ref.Channel, Identifier: ref.Identifier, GeneratedAt: now, Language: n.Language,
		Consent:  ExportConsent{Purposes: st.Purposes, Notice: st.Notice, Events: []ExportEvent{}},
		Messages: []ExportMessage{}, Tickets: []ExportTicket{}, Review: []string{},
	}
	for _, ev := range hist {
		e.Consent.Events = append(e.Consent.Events, ExportEvent{
			ID: ev.ID, Type: ev.Type, Purposes: ev.Purposes, Notice: ev.Notice, NoticeHash: ev.Hash,
			Language: ev.Language, Method: ev.Method, Actor: ev.Actor, Basis: ev.Basis, Reason: ev.Reason,
			OccurredAt: ev.OccurredAt,
		})
	}
	c, err := s.store.Contacts().Get(ctx, ref)
	switch {
	case err == nil:
		e.Profile = &ExportProfile{Name: c.Name, Language: c.Language, Fields: c.Fields, CreatedAt: c.CreatedAt, LastInboundAt: c.LastInboundAt}
	case !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrErased):
		return nil, fmt.Errorf("consent: export: contact: %w", err)
	}
	msgs, err := s.store.Messages().History(ctx, ref, maxExportMessages)
	if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrErased) {
		return nil, fmt.Errorf("consent: export: messages: %w", err)
	}
	for _, m := range msgs {
		e.Messages = append(e.Messages, ExportMessage{ID: m.ID, Direction: string(m.Direction), Kind: m.Kind, Body: m.Body, Purpose: m.Purpose, Status: string(m.Status), At: m.At})
	}
	if len(msgs) == maxExportMessages {
		e.Review = append(e.Review, "messages: only the last "+strconv.Itoa(maxExportMessages)+" are included")
	}
	tickets, err := s.store.Tickets().List(ctx, storage.TicketFilter{Contact: &ref})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("consent: export: tickets: %w", err)
	}
	for i, t := range tickets {
		et := ExportTicket{ID: t.ID, Queue: t.Queue, Priority: t.Priority, State: string(t.State), OpenedAt: t.OpenedAt, ClosedAt: t.ClosedAt}
		for _, nt := range t.Notes {
			et.Notes = append(et.Notes, ExportNote{At: nt.At, Author: nt.Author, Text: nt.Text})
		}
		if len(t.Notes) > 0 {
			e.Review = append(e.Review, "tickets["+strconv.Itoa(i)+"].notes: staff notes may name other people (Art. 15(4))")
		}
		e.Tickets = append(e.Tickets, et)
	}
	sess, err := s.store.Sessions().Get(ctx, ref, now)
	switch {
	case err == nil:
		e.Session = &ExportSession{UpdatedAt: sess.UpdatedAt, Data: sess.Data}
	case !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrErased):
		return nil, fmt.Errorf("consent: export: session: %w", err)
	}
	e.Summary = s.render(n.Texts.Summary, n, map[string]string{
		"date":     dateOf(now),
		"messages": strconv.Itoa(len(e.Messages)),
		"tickets":  strconv.Itoa(len(e.Tickets)),
		"purposes": s.purposeList(st, n, now),
	})
	if _, err := s.appendEvent(ctx, ref, entry{typ: EventExported, actor: req.actor(), method: req.method(), lang: n.Language}); err != nil {
		return nil, err
	}
	// A person who has not agreed since their data was erased (or who
	// never agreed) was named again only so that this request could be
	// answered: with the copy made, the ledger names nobody again, and
	// what the runtime kept of them goes (see dropResidue).
	if h, err := s.History(ctx, ref); err != nil {
		return nil, err
	} else if !grantedSinceErasure(h) {
		if err := s.dropResidue(ctx, ref); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// purposeList names the purposes the person has granted, in the notice's
// words.
func (s *Service) purposeList(st storage.ConsentState, n *Notice, now time.Time) string {
	var out []string
	for _, p := range allPurposes(st, n) {
		if ok, _ := s.Allowed(st, true, p, now); !ok {
			continue
		}
		desc := string(p)
		if t, ok := n.Terms(p); ok && t.Description != "" {
			desc = t.Description
		}
		out = append(out, desc)
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, "; ")
}

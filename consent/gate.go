package consent

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Gate is the inbound middleware (a chat.Middleware: chat.Chain(h, screen,
// svc.Gate, router)). For every message it:
//
//   - honours the control words and buttons at any time, in any configured
//     language: withdraw (STOP), erase (DELETE), export (MY DATA);
//   - passes the message to next only when the person's core purpose is
//     granted, unexpired and covered by the current notice;
//   - otherwise sends the notice (at most once per prompt window for one
//     notice version), records Accept and Decline, plays the audio version,
//     and switches language on request. Nothing of the message is stored or
//     passed on: the ledger keeps only the keyed hash, states, notice
//     version, times and the channel message id of an answer.
//
// Urgent screening and requests for a person run before the Gate (in
// triage), so that they work without consent.
func (s *Service) Gate(next chat.Handler) chat.Handler {
	if next == nil {
		next = chat.Chain(nil)
	}
	return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		return s.gate(ctx, r, m, next)
	})
}

func (s *Service) gate(ctx context.Context, r chat.Replier, m *chat.Message, next chat.Handler) error {
	if m == nil {
		return nil
	}
	ref := refOf(m.From)
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("consent: gate: %w", err)
	}
	st, found, err := s.memoState(ctx, ref)
	if err != nil {
		return err
	}
	now := s.now()
	ctx = withStateMemo(ctx, ref, st, found, now)
	kw, isKW := s.control(m)
	if found && !st.Erased && State(st.Purposes[string(chat.PurposeCore)].State) == StateWithdrawn && !(isKW && kw.Action == ActionErase) {
		// A message that waited behind the person's erasure request has
		// been screened (the screen runs first); now that it is handled,
		// the erasure finishes, or waits for the next one.
		h, err := s.History(ctx, ref)
		if err != nil {
			return err
		}
		if erasureWaiting(h) {
			_, err := s.holdOrErase(ctx, ref, ActorSystem)
			return err
		}
	}
	lang := s.language(st, found, kw, isKW, m)
	if isKW {
		switch kw.Action {
		case ActionWithdraw:
			return s.chatWithdraw(ctx, r, m, ref, lang, kw)
		case ActionErase:
			return s.chatErase(ctx, r, m, ref, lang, kw)
		case ActionExport:
			return s.chatExport(ctx, r, m, ref, lang, kw)
		}
	}
	if ok, _ := s.Allowed(st, found, chat.PurposeCore, now); ok {
		return s.consented(ctx, r, m, next, ref, st, lang, kw, isKW)
	}
	if m.Kind == chat.KindReaction || m.Kind == chat.KindSystem {
		return nil // not something the person said to us: no notice, nothing kept
	}
	n := s.notices.Load().Get(lang)
	// An answer counts only for the notice shown since the person's last
	// answer (or a change of mind right after declining it): after a
	// withdrawal, "yes" brings the notice back first.
	shown := found && !st.PromptAt.IsZero() && st.Hash == n.Hash &&
		(st.Prompts > 0 || State(st.Purposes[string(chat.PurposeCore)].State) == StateDeclined)
	if isKW {
		switch kw.Action {
		case ActionAccept:
			if shown {
				return s.accept(ctx, r, m, next, ref, st, n, kw)
			}
		case ActionDecline:
			if shown {
				return s.decline(ctx, r, m, ref, n, kw)
			}
		case ActionAudio:
			if shown && n.Audio != nil {
				return s.playAudio(ctx, r, m, ref, n)
			}
		case ActionLanguage:
			return s.present(ctx, r, m, ref, st, found, n, true)
		}
	}
	return s.present(ctx, r, m, ref, st, found, n, false)
}

// consented handles a message from a person whose core purpose is granted.
func (s *Service) consented(ctx context.Context, r chat.Replier, m *chat.Message, next chat.Handler,
	ref storage.ContactRef, st storage.ConsentState, lang string, kw Keyword, isKW bool) error {
	if m.Kind == chat.KindChoice {
		switch {
		case m.Choice == ChoiceAccept || m.Choice == ChoiceAudio:
			return nil // a tap on a notice already answered
		case m.Choice == ChoiceDecline:
			// "no" on an earlier notice, after agreeing: take it as a withdrawal
			return s.chatWithdraw(ctx, r, m, ref, lang, kw)
		case strings.HasPrefix(m.Choice, ChoiceGrantPrefix), strings.HasPrefix(m.Choice, ChoiceRefusePrefix):
			if err := s.optionalAnswer(ctx, m, ref, st); err != nil {
				return err
			}
		}
	}
	if isKW && kw.Action == ActionReceipt {
		return s.sendReceipt(ctx, r, ref, lang)
	}
	return next.Handle(ctx, r, m)
}

// optionalAnswer records an answer to a menu asking for an optional purpose.
func (s *Service) optionalAnswer(ctx context.Context, m *chat.Message, ref storage.ContactRef, st storage.ConsentState) error {
	typ, p := EventGranted, strings.TrimPrefix(m.Choice, ChoiceGrantPrefix)
	if p == m.Choice {
		typ, p = EventDeclined, strings.TrimPrefix(m.Choice, ChoiceRefusePrefix)
	}
	n := s.notices.Load().Get(st.Language)
	t, ok := n.Terms(chat.Purpose(p))
	if !ok || p == string(chat.PurposeCore) {
		return nil // not a purpose of the notice: leave it to the next handler
	}
	_, err := s.appendEvent(ctx, ref, entry{
		typ: typ, purposes: []chat.Purpose{t.Purpose}, notice: n, lang: n.Language,
		method: m.From.Channel + ":button:" + m.Choice, evidence: messageEvidence(m.ID), actor: ActorUser,
		basis: t.Basis, occurred: m.Time,
	})
	return err
}

// RecordGranted is chat.RecordInbound(msgs) for the messages of people whose
// core purpose is granted, to put before the urgent screen: what the screen
// keeps from the bot (an urgent message, and what follows it while staff
// have the case) is kept for the staff who take it, while a person who has
// not agreed leaves nothing in the log. The Gate, further on, uses the state
// it read for the same message instead of reading it again.
func (s *Service) RecordGranted(msgs storage.Messages) chat.Middleware {
	record := chat.RecordInbound(msgs)
	return func(next chat.Handler) chat.Handler {
		recorded := record(next)
		return chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
			if m == nil {
				return next.Handle(ctx, r, m)
			}
			ref := refOf(m.From)
			if ref.Validate() != nil {
				return next.Handle(ctx, r, m) // the gate says what is wrong
			}
			st, found, err := s.State(ctx, ref)
			if err != nil {
				return err
			}
			now := s.now()
			ctx = withStateMemo(ctx, ref, st, found, now)
			if ok, _ := s.Allowed(st, found, chat.PurposeCore, now); ok {
				return recorded.Handle(ctx, r, m)
			}
			return next.Handle(ctx, r, m)
		})
	}
}

// AsksForRights reports whether m is a keyword or button of this service
// asking to withdraw, erase or export: a request the person must be able to
// make however the conversation stands. A screen that holds back the
// messages of an urgent conversation lets these through
// (triage.ScreenConfig.Control).
func (s *Service) AsksForRights(m *chat.Message) bool {
	kw, ok := s.control(m)
	if !ok {
		return false
	}
	switch kw.Action {
	case ActionWithdraw, ActionErase, ActionExport:
		return true
	}
	return false
}

// control maps the message to a control word or consent button.
func (s *Service) control(m *chat.Message) (Keyword, bool) {
	switch m.Kind {
	case chat.KindChoice:
		switch m.Choice {
		case ChoiceAccept:
			return Keyword{Action: ActionAccept, Word: m.Choice}, true
		case ChoiceDecline:
			return Keyword{Action: ActionDecline, Word: m.Choice}, true
		case ChoiceAudio:
			return Keyword{Action: ActionAudio, Word: m.Choice}, true
		case ChoiceWithdraw:
			return Keyword{Action: ActionWithdraw, Word: m.Choice}, true
		case ChoiceErase:
			return Keyword{Action: ActionErase, Word: m.Choice}, true
		case ChoiceExport:
			return Keyword{Action: ActionExport, Word: m.Choice}, true
		case ChoiceReceipt:
			return Keyword{Action: ActionReceipt, Word: m.Choice}, true
		}
		// Buttons act by their ids only: a flow's button titled "Delete"
		// must not erase anyone.
		return Keyword{}, false
	case chat.KindText:
		return s.keywords.Match(m.Text)
	}
	return Keyword{}, false
}

// language picks the language to answer in.
func (s *Service) language(st storage.ConsentState, found bool, kw Keyword, isKW bool, m *chat.Message) string {
	known := found && st.Language != ""
	if isKW {
		switch {
		case kw.Action == ActionLanguage:
			return kw.Languages[0]
		case known && (len(kw.Languages) == 0 || slices.Contains(kw.Languages, st.Language)):
			return st.Language
		case kw.Action == ActionAccept || kw.Action == ActionDecline || kw.Action == ActionAudio:
			if known {
				return st.Language // the answer is about the notice shown
			}
		}
		for _, l := range kw.Languages {
			if s.notices.Load().Has(l) {
				return l
			}
		}
	}
	if known {
		return st.Language
	}
	if h := s.hint(m); h != "" && s.notices.Load().Has(h) {
		return h
	}
	return s.notices.Load().Default().Language
}

// scriptHint guesses a language from the script of a text message.
func (s *Service) scriptHint(m *chat.Message) string {
	if m.Kind != chat.KindText {
		return ""
	}
	arabic, persian, cyrillic := false, false, false
	for _, r := range m.Text {
		switch {
		case r == 'پ' || r == 'چ' || r == 'ژ' || r == 'گ' || r == 'ی' || r == 'ک':
			persian = true
		case r >= 0x0600 && r <= 0x06FF, r >= 0x0750 && r <= 0x077F, r >= 0xFB50 && r <= 0xFDFF, r >= 0xFE70 && r <= 0xFEFF:
			arabic = true
		case r >= 0x0400 && r <= 0x04FF:
			cyrillic = true
		}
	}
	pick := func(langs ...string) string {
		for _, l := range langs {
			if s.notices.Load().Has(l) {
				return l
			}
		}
		return ""
	}
	switch {
	case persian:
		return pick("fa", "prs", "ar")
	case arabic:
		return pick("ar", "fa", "prs")
	case cyrillic:
		return pick("uk", "ru")
	}
	return ""
}

func method(m *chat.Message, kw Keyword) string {
	if m.Kind == chat.KindChoice {
		return m.From.Channel + ":button:" + m.Choice
	}
	return m.From.Channel + ":keyword:" + kw.Word
}

// present shows the notice n unless the same notice was shown within the
// prompt window (force: the person asked for it).
func (s *Service) present(ctx context.Context, r chat.Replier, m *chat.Message, ref storage.ContactRef,
	st storage.ConsentState, found bool, n *Notice, force bool) error {
	now := s.now()
	if found {
		core := st.Purposes[string(chat.PurposeCore)]
		switch {
		case State(core.State) == StateGranted && !core.ExpiresAt.IsZero() && !now.Before(core.ExpiresAt):
			if _, err := s.appendEvent(ctx, ref, entry{typ: EventExpired, purposes: grantedPurposes(st), actor: ActorSystem, reason: "consent time limit reached"}); err != nil {
				return err
			}
		case State(core.State) == StateGranted:
			// granted but no longer covered: a material notice change
			if _, err := s.appendEvent(ctx, ref, entry{typ: EventReconsentRequired, purposes: grantedPurposes(st), actor: ActorSystem, reason: "material notice change"}); err != nil {
				return err
			}
		}
		if !force && s.quiet(st, n, now) {
			// Asked or answered in this window: stay silent, store
			// nothing, and after a decline drop again what the runtime
			// kept of this message (the contact it recorded).
			if State(core.State) == StateDeclined {
				return s.dropResidue(ctx, ref)
			}
			return nil
		}
	}
	res, err := r.Reply(chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptNotice}), n.Message())
	if err != nil {
		return fmt.Errorf("consent: send notice: %w", err)
	}
	_, err = s.appendEvent(ctx, ref, entry{
		typ: EventPresented, purposes: []chat.Purpose{chat.PurposeCore}, notice: n, lang: n.Language,
		method: m.From.Channel + ":notice", evidence: messageEvidence(res.MessageID), actor: ActorSystem, prompt: true,
	})
	return err
}

// quiet reports whether the notice must not be shown again yet: the same
// notice is waiting for an answer and was sent within the prompt window, or
// the person declined within the window. After a withdrawal, an erasure or an
// expiry, the person's next message gets the notice once: they may be coming
// back.
func (s *Service) quiet(st storage.ConsentState, n *Notice, now time.Time) bool {
	core := st.Purposes[string(chat.PurposeCore)]
	switch {
	case st.Prompts > 0 && st.Hash == n.Hash && !st.PromptAt.IsZero() && now.Sub(st.PromptAt) < s.window:
		return true
	case State(core.State) == StateDeclined && now.Sub(core.Since) < s.window:
		return true
	}
	return false
}

func grantedPurposes(st storage.ConsentState) []chat.Purpose {
	var out []chat.Purpose
	for p, ps := range st.Purposes {
		if State(ps.State) == StateGranted {
			out = append(out, chat.Purpose(p))
		}
	}
	slices.Sort(out)
	return out
}

func (s *Service) playAudio(ctx context.Context, r chat.Replier, m *chat.Message, ref storage.ContactRef, n *Notice) error {
	ctx = chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptNotice})
	res, err := r.Reply(ctx, *n.Audio)
	if err != nil {
		return fmt.Errorf("consent: send notice audio: %w", err)
	}
	// the choices again, so that the answer is one tap away after listening
	if _, err := r.Reply(ctx, n.Message()); err != nil {
		return fmt.Errorf("consent: send notice: %w", err)
	}
	_, err = s.appendEvent(ctx, ref, entry{
		typ: EventPresented, purposes: []chat.Purpose{chat.PurposeCore}, notice: n, lang: n.Language,
		method: m.From.Channel + ":notice:audio", evidence: messageEvidence(res.MessageID), actor: ActorSystem, prompt: true,
	})
	return err
}

func (s *Service) accept(ctx context.Context, r chat.Replier, m *chat.Message, next chat.Handler,
	ref storage.ContactRef, st storage.ConsentState, n *Notice, kw Keyword) error {
	typ := EventGranted
	if State(st.Purposes[string(chat.PurposeCore)].State) == StateReconsent {
		typ = EventReconfirmed
	}
	t, _ := n.Terms(chat.PurposeCore)
	if _, err := s.appendEvent(ctx, ref, entry{
		typ: typ, purposes: []chat.Purpose{chat.PurposeCore}, notice: n, lang: n.Language,
		method: method(m, kw), evidence: messageEvidence(m.ID), actor: ActorUser, basis: t.Basis, occurred: m.Time,
	}); err != nil {
		return err
	}
	if n.Texts.Accepted != "" {
		text := s.render(n.Texts.Accepted, n, map[string]string{"date": dateOf(s.now())})
		if _, err := r.Reply(chat.WithIntent(ctx, chat.Intent{Purpose: chat.PurposeCore}), chat.Text{Body: text}); err != nil {
			return fmt.Errorf("consent: send acceptance: %w", err)
		}
	}
	return next.Handle(ctx, r, m)
}

func (s *Service) decline(ctx context.Context, r chat.Replier, m *chat.Message, ref storage.ContactRef, n *Notice, kw Keyword) error {
	t, _ := n.Terms(chat.PurposeCore)
	// the minimum: no evidence beyond the method, no content
	if _, err := s.appendEvent(ctx, ref, entry{
		typ: EventDeclined, purposes: []chat.Purpose{chat.PurposeCore}, notice: n, lang: n.Language,
		method: method(m, kw), actor: ActorUser, basis: t.Basis, occurred: m.Time,
	}); err != nil {
		return err
	}
	text := s.render(n.Texts.Declined, n, nil)
	if _, err := r.Reply(chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptDecline}), chat.Text{Body: text}); err != nil {
		return fmt.Errorf("consent: send decline answer: %w", err)
	}
	return s.dropResidue(ctx, ref)
}

// dropResidue erases what the runtime kept about a person who never agreed
// (the time of their last message, the record of the notice sent to them),
// so that only the ledger's minimum is left. Nothing is erased for a person
// who agreed before, since their last erasure if any (declining a changed
// notice is not a request to erase)
// or whose data is held (an urgent case opened before they answered), nor
// while messages of theirs wait to be handled: the erasure would drop them
// before they were screened, an urgent one too. Their handling drops the
// residue once the last of them is done (see present).
func (s *Service) dropResidue(ctx context.Context, ref storage.ContactRef) error {
	h, err := s.History(ctx, ref)
	if err != nil {
		return err
	}
	if grantedSinceErasure(h) {
		return nil
	}
	if export, _ := openRights(h); export != nil {
		return nil // staff must reach them to answer it
	}
	hold, err := s.holdFor(ctx, ref)
	if err != nil || hold != nil {
		return err
	}
	allow := 0
	if _, handling := chat.ContactFrom(ctx, ref); handling {
		allow = 1 // the message being handled, which the runtime acks next
	}
	forgetState(ctx)
	if e, ok := s.store.(storage.IdleEraser); ok {
		if _, err := e.EraseIfIdle(ctx, ref, allow); err != nil {
			return fmt.Errorf("consent: drop what a declining person left: %w", err)
		}
		return nil
	}
	// A store without the atomic form: a message stored between the count
	// and the erasure would still be dropped.
	waiting, err := s.store.Inbox().Pending(ctx, storage.PartitionOf(ref))
	if err != nil {
		return fmt.Errorf("consent: drop what a declining person left: %w", err)
	}
	if waiting > allow {
		return nil
	}
	if err := s.store.Erase(ctx, ref); err != nil {
		return fmt.Errorf("consent: drop what a declining person left: %w", err)
	}
	return nil
}

func (s *Service) confirm(ctx context.Context, r chat.Replier, text string) error {
	ctx = chat.WithIntent(ctx, chat.Intent{Exemption: chat.ExemptConfirmation})
	if _, err := r.Reply(ctx, chat.Text{Body: text}); err != nil {
		return fmt.Errorf("consent: send confirmation: %w", err)
	}
	return nil
}

func (s *Service) chatWithdraw(ctx context.Context, r chat.Replier, m *chat.Message, ref storage.ContactRef, lang string, kw Keyword) error {
	if err := s.Withdraw(ctx, ref, Request{Method: method(m, kw), Evidence: messageEvidence(m.ID), Language: lang, OccurredAt: m.Time}); err != nil {
		return err
	}
	n := s.notices.Load().Get(lang)
	return s.confirm(ctx, r, s.render(n.Texts.Withdrawn, n, nil))
}

func (s *Service) chatErase(ctx context.Context, r chat.Replier, m *chat.Message, ref storage.ContactRef, lang string, kw Keyword) error {
	n := s.notices.Load().Get(lang)
	req := Request{Method: method(m, kw), Evidence: messageEvidence(m.ID), Language: lang, OccurredAt: m.Time}
	hold, err := s.holdFor(ctx, ref)
	if err != nil {
		return err
	}
	if hold == nil {
		// Confirm first, then erase: the erasure then also removes the
		// record of the confirmation, and nothing about the person is
		// written after it.
		if err := s.confirm(ctx, r, s.render(n.Texts.Erased, n, nil)); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "consent: erasure confirmation not sent; erasing anyway")
		}
		res, err := s.Erase(ctx, ref, req)
		if err != nil || res.Erased || res.Waiting {
			return err
		}
		hold = res.Hold // a hold appeared in between: say so
	} else if _, err := s.Erase(ctx, ref, req); err != nil {
		return err
	}
	return s.confirm(ctx, r, s.render(n.Texts.ErasureHeld, n, map[string]string{"review_date": dateOf(hold.ReviewAt)}))
}

func (s *Service) chatExport(ctx context.Context, r chat.Replier, m *chat.Message, ref storage.ContactRef, lang string, kw Keyword) error {
	req := Request{Method: method(m, kw), Evidence: messageEvidence(m.ID), Language: lang, OccurredAt: m.Time}
	if err := s.requestExport(ctx, ref, req); err != nil {
		return err
	}
	if s.exportSink != nil {
		e, err := s.Export(ctx, ref, req)
		if err != nil {
			return err
		}
		if err := s.exportSink(ctx, e); err != nil {
			return fmt.Errorf("consent: deliver export: %w", err)
		}
	}
	n := s.notices.Load().Get(lang)
	return s.confirm(ctx, r, s.render(n.Texts.ExportRequested, n, nil))
}

// render fills the placeholders of a text.
func (s *Service) render(tmpl string, n *Notice, vars map[string]string) string {
	first := func(a Action) string {
		if w := s.keywords.Words(n.Language, a); len(w) > 0 {
			return w[0]
		}
		if w := s.keywords.Words("en", a); len(w) > 0 {
			return w[0]
		}
		return ""
	}
	return placeholderRE.ReplaceAllStringFunc(tmpl, func(p string) string {
		name := p[1 : len(p)-1]
		if v, ok := vars[name]; ok {
			return v
		}
		switch name {
		case "stop":
			return first(ActionWithdraw)
		case "erase":
			return first(ActionErase)
		case "export":
			return first(ActionExport)
		case "version":
			return n.Version
		case "policy_url":
			return n.PolicyURL
		}
		return p
	})
}

func dateOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

package consent

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Guard is a chat.Sender decorator that refuses any send the person has not
// consented to. It reads the purpose from chat.IntentFrom(ctx) and checks
// the ledger on every send, so a withdrawal takes effect before the next
// message. Refused sends return a *Refusal (matching ErrNotPermitted) and
// are recorded in the audit log without content.
//
// Four kinds of message pass without consent: the notice
// (chat.ExemptNotice), the one confirmation of a withdrawal, erasure or
// rights request (chat.ExemptConfirmation), the answer to a decline saying
// how else to get help (chat.ExemptDecline), and a safety acknowledgement
// for an urgent case (chat.ExemptSafety), which is recorded in the ledger
// under the vital-interest basis.
type Guard struct {
	s    *Service
	next chat.Sender
}

var _ chat.Sender = (*Guard)(nil)

// Guard wraps next.
func (s *Service) Guard(next chat.Sender) *Guard {
	return &Guard{s: s, next: next}
}

// Send sends m to the person if the intent in ctx allows it.
func (g *Guard) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	in := chat.IntentFrom(ctx)
	ref := refOf(to)
	switch in.Exemption {
	case chat.ExemptNotice, chat.ExemptConfirmation, chat.ExemptDecline:
		return g.next.Send(ctx, to, m)
	case chat.ExemptSafety:
		actor := ActorSystem
		if in.Staff != "" {
			actor = StaffActor(in.Staff)
		}
		// Record first; a failure to record never stops a safety message.
		if _, err := g.s.appendEvent(ctx, ref, entry{
			typ: EventVitalInterest, purposes: []chat.Purpose{chat.PurposeCore}, actor: actor,
			basis: BasisVitalInterest, method: to.Channel + ":safety:" + m.Type(), reason: "safety acknowledgement for an urgent case",
		}); err != nil {
			g.s.log.LogAttrs(ctx, slog.LevelError, "consent: vital-interest send not recorded")
		}
		return g.next.Send(ctx, to, m)
	}
	st, found, err := g.s.memoState(ctx, ref)
	if err != nil {
		return chat.SendResult{}, fmt.Errorf("consent: guard: %w", err)
	}
	ok, why := g.s.Allowed(st, found, in.Purpose, g.s.now())
	if in.Exemption != chat.ExemptNone {
		ok = false // an exemption this guard does not know: fail closed
	}
	if ok {
		return g.next.Send(ctx, to, m)
	}
	refusal := &Refusal{Purpose: in.Purpose, State: why, Type: m.Type()}
	actor := ActorSystem
	if in.Staff != "" {
		actor = StaffActor(in.Staff)
	}
	if err := g.s.store.Audit().Append(ctx, storage.AuditEntry{
		At: g.s.now().UTC(), Actor: actor, Action: "consent.send_refused", Target: st.Subject,
		Detail: map[string]string{"purpose": string(in.Purpose), "state": string(why), "type": m.Type(), "exemption": string(in.Exemption)},
	}); err != nil {
		g.s.log.LogAttrs(ctx, slog.LevelError, "consent: refusal not recorded")
	}
	g.s.log.LogAttrs(ctx, slog.LevelInfo, "consent: send refused",
		slog.String("purpose", string(in.Purpose)), slog.String("state", string(why)), slog.String("subject", st.Subject))
	return chat.SendResult{}, refusal
}

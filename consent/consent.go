package consent

import (
	"errors"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/chat"
)

// ErrNotPermitted is matched (with errors.Is) by every refusal of [Guard]:
// the person has not given, or has withdrawn, the consent the message's
// purpose needs.
var ErrNotPermitted = errors.New("consent: not permitted")

// ErrNoNotice means no notice is configured for the language asked for, nor
// for the default language.
var ErrNoNotice = errors.New("consent: no notice")

// ErrNoGrant means the person has no consent to show a receipt for.
var ErrNoGrant = errors.New("consent: nothing granted")

// State is the state of one purpose for one person.
type State string

// States of a purpose. The zero State means the person is unknown.
const (
	StateUnknown    State = ""
	StatePresented  State = "notice_presented"   // notice sent, no answer yet
	StateGranted    State = "granted"            // agreed (or acknowledged under another basis)
	StateDeclined   State = "declined"           // said no
	StateWithdrawn  State = "withdrawn"          // agreed, then took it back
	StateReconsent  State = "reconsent_required" // a material notice change needs a new answer
	StateExpired    State = "expired"            // the consent's time limit passed
	StateErased     State = "erased"             // content erased; tombstone only
	StateObjected   State = "objected"           // the person objected (GDPR Art. 21)
	StateRestricted State = "restricted"         // processing restricted (GDPR Art. 18)
)

// EventType names what happened in one ledger entry.
type EventType string

// Event types of the ledger.
const (
	EventPresented         EventType = "notice_presented"
	EventGranted           EventType = "granted"
	EventDeclined          EventType = "declined"
	EventWithdrawn         EventType = "withdrawn"
	EventReconsentRequired EventType = "reconsent_requested"
	EventReconfirmed       EventType = "reconfirmed"
	EventExpired           EventType = "expired"
	EventErasureRequested  EventType = "erasure_requested"
	EventErased            EventType = "erased"
	EventHoldPlaced        EventType = "hold_placed"
	EventHoldReleased      EventType = "hold_released"
	EventExportRequested   EventType = "export_requested"
	EventExported          EventType = "exported"
	EventRequestExtended   EventType = "request_extended" // a rights request's deadline extended (Art. 12(3))
	EventObjected          EventType = "objected"         // GDPR Art. 21
	EventRestricted        EventType = "restricted"       // GDPR Art. 18
	// EventVitalInterest records a message sent without consent because a
	// person's life or safety was at stake (a safety acknowledgement).
	EventVitalInterest EventType = "vital_interest"
)

// Basis is the legal basis relied on for a purpose or an event.
type Basis string

// Legal bases. Consent is not the only one: in humanitarian settings the core
// service often rests on public or legitimate interest, and a safety message
// on vital interest.
const (
	BasisConsent            Basis = "consent"
	BasisExplicitConsent    Basis = "explicit_consent"
	BasisVitalInterest      Basis = "vital_interest"
	BasisPublicInterest     Basis = "public_interest"
	BasisLegitimateInterest Basis = "legitimate_interest"
	BasisLegalObligation    Basis = "legal_obligation"
	BasisContract           Basis = "contract"
)

func (b Basis) known() bool {
	switch b {
	case BasisConsent, BasisExplicitConsent, BasisVitalInterest, BasisPublicInterest,
		BasisLegitimateInterest, BasisLegalObligation, BasisContract:
		return true
	}
	return false
}

// Actors written in events.
const (
	ActorUser   = "user"
	ActorSystem = "system"
)

// StaffActor returns the actor string for a staff member.
func StaffActor(id string) string { return "staff:" + id }

// Refusal is the error Guard returns when it refuses a send. It matches
// ErrNotPermitted. It holds no content and no identifier.
type Refusal struct {
	Purpose chat.Purpose // what the message was for
	State   State        // the purpose's state for the person (StateUnknown if never seen)
	Type    string       // the kind of message refused ("text", "template"...)
}

// Error says why the send was refused.
func (r *Refusal) Error() string {
	st := r.State
	if st == StateUnknown {
		st = "not given"
	}
	return fmt.Sprintf("consent: %s message for purpose %q refused: consent is %s", r.Type, r.Purpose, st)
}

// Is makes a Refusal match ErrNotPermitted.
func (r *Refusal) Is(target error) bool { return target == ErrNotPermitted }

// Hold keeps a person's data from being erased for a documented reason, such
// as an open safeguarding case.
type Hold struct {
	Reason   string    // why; no personal data
	Actor    string    // who placed it: "system", "staff:<id>"
	ReviewAt time.Time // when it must be looked at again
}

// Request describes who asked for a rights action and how.
type Request struct {
	// Actor is ActorUser, ActorSystem or StaffActor(id). Empty means user.
	Actor string
	// Method is how it was asked, e.g. "whatsapp:keyword:STOP" or
	// "staff:phone". Empty means "api".
	Method string
	// Evidence is what shows the request was made: for a message, the
	// fingerprint of its channel message id (the Gate records
	// "sha256:" and the hex of its SHA-256, since a WhatsApp id spells
	// the person's number), or a button payload; never free text.
	Evidence string
	// Language is the language the request was made in, if known.
	Language string
	// Purposes limits a withdrawal to these purposes; empty means all.
	Purposes []chat.Purpose
	// OccurredAt is when the person acted; zero means now.
	OccurredAt time.Time
}

func (q Request) actor() string {
	if q.Actor == "" {
		return ActorUser
	}
	return q.Actor
}

func (q Request) method() string {
	if q.Method == "" {
		return "api"
	}
	return q.Method
}

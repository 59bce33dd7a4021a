package chat

import "context"

// Purpose is what processing or a message serves. The core service is what
// the person came for; the others are optional and each needs its own
// consent.
type Purpose string

// Purposes every line knows. Lines may define more.
const (
	PurposeCore     Purpose = "core"     // answering the person: information, referral, help
	PurposeFollowUp Purpose = "followup" // messages the line starts later: reminders, alerts
	PurposeFeedback Purpose = "feedback" // surveys about the service
	PurposeResearch Purpose = "research" // anonymised statistics and research
	PurposeReferral Purpose = "referral" // sharing with partner organisations
)

// Exemption names the few messages a line may send to a person who has not
// consented (or has withdrawn): they are needed to respect the person's
// choice or to protect them.
type Exemption string

// The exemptions. The zero Exemption means none applies.
const (
	ExemptNone         Exemption = ""
	ExemptNotice       Exemption = "notice"                  // the privacy notice and its choices
	ExemptConfirmation Exemption = "withdrawal_confirmation" // the one confirmation of a withdrawal or erasure
	ExemptSafety       Exemption = "safety"                  // a safety acknowledgement for an urgent case (vital interest)
	ExemptDecline      Exemption = "decline_referral"        // after a decline: how else to get help
)

// Intent is what a send is for. It travels in the context of a send so
// that decorators such as a consent guard can decide without knowing who
// produced the message.
type Intent struct {
	Purpose   Purpose   // the zero value means PurposeCore
	Exemption Exemption // set only for the exempt messages above
	// Staff is the id of the staff member sending, for staff replies.
	Staff string
}

type intentKey struct{}

// WithIntent returns a context carrying the intent of the sends made with it.
func WithIntent(ctx context.Context, in Intent) context.Context {
	return context.WithValue(ctx, intentKey{}, in)
}

// IntentFrom returns the intent carried by ctx. With none, it is the core
// purpose without exemption.
func IntentFrom(ctx context.Context) Intent {
	in, _ := ctx.Value(intentKey{}).(Intent)
	if in.Purpose == "" {
		in.Purpose = PurposeCore
	}
	return in
}

package webhook

import (
	"encoding/json"
	"log/slog"

	"github.com/impactchat/impactchat/internal/redact"
)

// Webhook fields of the Groups API.
const (
	FieldGroupLifecycle    = "group_lifecycle_update"    // a group was created or deleted
	FieldGroupParticipants = "group_participants_update" // joins, join requests, removals, leaves
	FieldGroupSettings     = "group_settings_update"     // subject, description or picture changed
	FieldGroupStatus       = "group_status_update"       // suspended or reinstated
)

// IsGroupField reports whether a change field is one of the Groups API's.
func IsGroupField(field string) bool {
	switch field {
	case FieldGroupLifecycle, FieldGroupParticipants, FieldGroupSettings, FieldGroupStatus:
		return true
	}
	return false
}

// GroupUpdate is one item of a group webhook (value.groups[]). Which
// members are set depends on Type: group_create carries RequestID,
// Subject, InviteLink and JoinApprovalMode (the answer to
// whatsapp.GroupsService.Create); group_join_request_created and
// group_join_request_revoked carry JoinRequestID and WAID; participant
// changes carry AddedParticipants, RemovedParticipants and InitiatedBy;
// a failed request carries Errors. Members this type does not know stay
// in Raw.
type GroupUpdate struct {
	Field         string     `json:"-"` // the change's field
	PhoneNumberID string     `json:"-"` // the line, from the value's metadata
	Type          string     `json:"type,omitzero"`
	GroupID       FlexString `json:"group_id,omitzero"`
	RequestID     FlexString `json:"request_id,omitzero"`
	Timestamp     Timestamp  `json:"timestamp,omitzero"`

	Subject          string `json:"subject,omitzero"`
	Description      string `json:"description,omitzero"`
	InviteLink       string `json:"invite_link,omitzero"`
	JoinApprovalMode string `json:"join_approval_mode,omitzero"`

	JoinRequestID       FlexString    `json:"join_request_id,omitzero"`
	WAID                FlexString    `json:"wa_id,omitzero"`
	InitiatedBy         FlexString    `json:"initiated_by,omitzero"`
	AddedParticipants   []GroupMember `json:"added_participants,omitzero"`
	RemovedParticipants []GroupMember `json:"removed_participants,omitzero"`

	Errors []Error         `json:"errors,omitzero"`
	Raw    json.RawMessage `json:"-"`
}

// GroupMember is a person added to or removed from a group.
type GroupMember struct {
	Input  FlexString `json:"input,omitzero"`
	WAID   FlexString `json:"wa_id,omitzero"`
	UserID FlexString `json:"user_id,omitzero"`
	Errors []Error    `json:"errors,omitzero"`
}

// LogValue implements slog.LogValuer without phone numbers or invite links.
func (g *GroupUpdate) LogValue() slog.Value {
	return slog.GroupValue(slog.String("field", g.Field), slog.String("type", g.Type), slog.String("group_id", string(g.GroupID)),
		slog.String("wa_id", redact.Identifier(string(g.WAID))), slog.Int("errors", len(g.Errors)))
}

// GroupUpdates returns the group updates of a change, and false when the
// change is not a group field. An item of the wrong shape is returned with
// only Raw set.
func GroupUpdates(c *Change) ([]GroupUpdate, bool) {
	if c == nil || !IsGroupField(c.Field) {
		return nil, false
	}
	var v struct {
		Metadata Metadata          `json:"metadata"`
		Groups   []json.RawMessage `json:"groups"`
	}
	_ = lenient(c.Raw, &v)
	out := make([]GroupUpdate, 0, len(v.Groups))
	for _, raw := range v.Groups {
		var g GroupUpdate
		if lenient(raw, &g) != "" {
			g = GroupUpdate{}
		}
		g.Field, g.PhoneNumberID, g.Raw = c.Field, string(v.Metadata.PhoneNumberID), raw
		out = append(out, g)
	}
	return out, true
}

// GroupUpdates returns every group update in the notification, in order.
func (n *Notification) GroupUpdates() []GroupUpdate {
	var out []GroupUpdate
	for c := range n.Changes() {
		if gs, ok := GroupUpdates(c); ok {
			out = append(out, gs...)
		}
	}
	return out
}

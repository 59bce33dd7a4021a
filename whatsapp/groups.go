package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits of the Groups API.
const (
	MaxGroupSubject        = 128
	MaxGroupDescription    = 2048
	MaxParticipantsPerCall = 8 // participants added or removed in one call
)

// Join approval modes of a group.
const (
	GroupAutoApprove      = "auto_approve"
	GroupApprovalRequired = "approval_required"
)

// GroupsService manages WhatsApp groups that a business phone number
// creates and moderates: invite links, participants and join requests.
// Messages reach a group through Messages.Send with Envelope.Group set.
type GroupsService struct{ c *Client }

// NewGroup describes a group to create.
type NewGroup struct {
	Subject     string // required, at most 128 characters
	Description string // at most 2048 characters
	// JoinApprovalMode is GroupAutoApprove (the default) or
	// GroupApprovalRequired, which makes people who open the invite link
	// wait for JoinRequests approval.
	JoinApprovalMode string
}

// Validate checks the group against Meta's limits.
func (g NewGroup) Validate() error {
	return firstErr(required("subject", g.Subject), checkLen("subject", g.Subject, MaxGroupSubject),
		checkLen("description", g.Description, MaxGroupDescription), checkApproval(g.JoinApprovalMode))
}

func checkApproval(mode string) error {
	switch mode {
	case "", GroupAutoApprove, GroupApprovalRequired:
		return nil
	}
	return fieldErr("join_approval_mode", "%q is not auto_approve or approval_required", mode)
}

type wireNewGroup struct {
	MessagingProduct string `json:"messaging_product"`
	Subject          string `json:"subject"`
	Description      string `json:"description,omitempty"`
	JoinApprovalMode string `json:"join_approval_mode,omitempty"`
}

// Create asks Meta to create a group on the business number. Creation is
// asynchronous: the answer is a request id, and the group id and invite
// link arrive in a group_lifecycle_update webhook carrying that request id.
func (s *GroupsService) Create(ctx context.Context, phoneNumberID string, g NewGroup) (requestID string, err error) {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), g.Validate()); err != nil {
		return "", fmt.Errorf("whatsapp: create group: %w", err)
	}
	var out struct {
		RequestID string `json:"request_id"`
	}
	w := wireNewGroup{MessagingProduct: "whatsapp", Subject: strings.TrimSpace(g.Subject), Description: g.Description, JoinApprovalMode: g.JoinApprovalMode}
	if err := s.call(ctx, http.MethodPost, url.PathEscape(phoneNumberID)+"/groups", w, &out); err != nil {
		return "", fmt.Errorf("whatsapp: create group: %w", err)
	}
	if out.RequestID == "" {
		return "", errors.New("whatsapp: create group: response has no request id")
	}
	return out.RequestID, nil
}

// Group is a group as Meta describes it.
type Group struct {
	ID                    string             `json:"id"`
	Subject               string             `json:"subject"`
	Description           string             `json:"description,omitempty"`
	JoinApprovalMode      string             `json:"join_approval_mode,omitempty"`
	Suspended             bool               `json:"suspended,omitempty"`
	CreationTimestamp     int64              `json:"creation_timestamp,omitempty"`
	Participants          []GroupParticipant `json:"participants,omitempty"`
	TotalParticipantCount int                `json:"total_participant_count,omitempty"`
}

// Created returns the creation time.
func (g *Group) Created() time.Time { return time.Unix(g.CreationTimestamp, 0).UTC() }

// GroupParticipant is a member of a group (the business excluded).
type GroupParticipant struct {
	WAID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"` // business-scoped user id, when Meta gives one
}

// GroupFields are the fields Get asks for by default.
var GroupFields = []string{"subject", "description", "participants", "join_approval_mode", "suspended", "creation_timestamp", "total_participant_count"}

// Get reads a group, with its participants. With no fields, GroupFields.
func (s *GroupsService) Get(ctx context.Context, groupID string, fields ...string) (*Group, error) {
	if err := pathID("group_id", groupID); err != nil {
		return nil, fmt.Errorf("whatsapp: get group: %w", err)
	}
	if len(fields) == 0 {
		fields = GroupFields
	}
	var out Group
	q := url.Values{"fields": {strings.Join(fields, ",")}}
	if err := s.call(ctx, http.MethodGet, url.PathEscape(groupID)+"?"+q.Encode(), nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: get group: %w", err)
	}
	return &out, nil
}

// Participants returns the participants of a group.
func (s *GroupsService) Participants(ctx context.Context, groupID string) ([]GroupParticipant, error) {
	g, err := s.Get(ctx, groupID, "participants")
	if err != nil {
		return nil, err
	}
	return g.Participants, nil
}

// GroupSummary is one active group in a listing.
type GroupSummary struct {
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	CreatedAt string `json:"created_at"`
}

// List iterates over the active groups of a business number.
func (s *GroupsService) List(ctx context.Context, phoneNumberID string) iter.Seq2[GroupSummary, error] {
	return func(yield func(GroupSummary, error) bool) {
		if err := pathID("phone_number_id", phoneNumberID); err != nil {
			yield(GroupSummary{}, fmt.Errorf("whatsapp: list groups: %w", err))
			return
		}
		after := ""
		var cur cursors
		for {
			q := url.Values{}
			if after != "" {
				q.Set("after", after)
			}
			var p struct {
				Data struct {
					Groups []GroupSummary `json:"groups"`
				} `json:"data"`
				Paging struct {
					Cursors struct {
						After string `json:"after"`
					} `json:"cursors"`
					Next string `json:"next"`
				} `json:"paging"`
			}
			path := url.PathEscape(phoneNumberID) + "/groups"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			if err := s.call(ctx, http.MethodGet, path, nil, &p); err != nil {
				yield(GroupSummary{}, fmt.Errorf("whatsapp: list groups: %w", err))
				return
			}
			for _, g := range p.Data.Groups {
				if !yield(g, nil) {
					return
				}
			}
			next := p.Paging.Cursors.After
			if p.Paging.Next == "" || next == "" || next == after || len(p.Data.Groups) == 0 {
				return
			}
			if err := cur.next(next); err != nil {
				yield(GroupSummary{}, fmt.Errorf("whatsapp: list groups: %w", err))
				return
			}
			after = next
		}
	}
}

// GroupSettings changes a group's subject or description; empty fields are
// left as they are.
type GroupSettings struct {
	Subject     string
	Description string
}

// Update changes a group's subject or description.
func (s *GroupsService) Update(ctx context.Context, groupID string, g GroupSettings) error {
	if err := firstErr(pathID("group_id", groupID), checkLen("subject", g.Subject, MaxGroupSubject), checkLen("description", g.Description, MaxGroupDescription)); err != nil {
		return fmt.Errorf("whatsapp: update group: %w", err)
	}
	if g.Subject == "" && g.Description == "" {
		return fmt.Errorf("whatsapp: update group: %w", fieldErr("subject", "and description are both empty; nothing to change"))
	}
	w := wireNewGroup{MessagingProduct: "whatsapp", Subject: g.Subject, Description: g.Description}
	if err := s.call(ctx, http.MethodPost, url.PathEscape(groupID), w, nil); err != nil {
		return fmt.Errorf("whatsapp: update group: %w", err)
	}
	return nil
}

// Delete deletes a group and removes every participant, the business too.
func (s *GroupsService) Delete(ctx context.Context, groupID string) error {
	if err := pathID("group_id", groupID); err != nil {
		return fmt.Errorf("whatsapp: delete group: %w", err)
	}
	if err := s.call(ctx, http.MethodDelete, url.PathEscape(groupID), nil, nil); err != nil {
		return fmt.Errorf("whatsapp: delete group: %w", err)
	}
	return nil
}

type wireProduct struct {
	MessagingProduct string `json:"messaging_product"`
}

type wireInvite struct {
	InviteLink string `json:"invite_link"`
}

// InviteLink returns the group's current invite link.
func (s *GroupsService) InviteLink(ctx context.Context, groupID string) (string, error) {
	if err := pathID("group_id", groupID); err != nil {
		return "", fmt.Errorf("whatsapp: get invite link: %w", err)
	}
	var out wireInvite
	if err := s.call(ctx, http.MethodGet, url.PathEscape(groupID)+"/invite_link", nil, &out); err != nil {
		return "", fmt.Errorf("whatsapp: get invite link: %w", err)
	}
	return out.InviteLink, nil
}

// ResetInviteLink replaces the group's invite link with a new one (the old
// one stops working) and returns it. Use it when a link leaked.
func (s *GroupsService) ResetInviteLink(ctx context.Context, groupID string) (string, error) {
	if err := pathID("group_id", groupID); err != nil {
		return "", fmt.Errorf("whatsapp: reset invite link: %w", err)
	}
	var out wireInvite
	if err := s.call(ctx, http.MethodPost, url.PathEscape(groupID)+"/invite_link", wireProduct{"whatsapp"}, &out); err != nil {
		return "", fmt.Errorf("whatsapp: reset invite link: %w", err)
	}
	if out.InviteLink == "" {
		return "", errors.New("whatsapp: reset invite link: response has no link")
	}
	return out.InviteLink, nil
}

type wireParticipants struct {
	MessagingProduct string            `json:"messaging_product"`
	Participants     []wireParticipant `json:"participants"`
}

type wireParticipant struct {
	User string `json:"user"`
}

// RemoveParticipants removes up to 8 people (phone numbers or WhatsApp
// ids) from a group.
func (s *GroupsService) RemoveParticipants(ctx context.Context, groupID string, users ...string) error {
	if err := pathID("group_id", groupID); err != nil {
		return fmt.Errorf("whatsapp: remove participants: %w", err)
	}
	if len(users) == 0 || len(users) > MaxParticipantsPerCall {
		return fmt.Errorf("whatsapp: remove participants: %w", fieldErr("participants", "has %d entries; WhatsApp allows 1 to %d per call", len(users), MaxParticipantsPerCall))
	}
	w := wireParticipants{MessagingProduct: "whatsapp"}
	for i, u := range users {
		if err := required("participants["+strconv.Itoa(i)+"].user", u); err != nil {
			return fmt.Errorf("whatsapp: remove participants: %w", err)
		}
		w.Participants = append(w.Participants, wireParticipant{User: u})
	}
	if err := s.call(ctx, http.MethodDelete, url.PathEscape(groupID)+"/participants", w, nil); err != nil {
		return fmt.Errorf("whatsapp: remove participants: %w", err)
	}
	return nil
}

// JoinRequest is a person waiting to join a group with approval_required.
type JoinRequest struct {
	ID                string `json:"join_request_id"`
	WAID              string `json:"wa_id"`
	CreationTimestamp int64  `json:"creation_timestamp"`
}

// JoinRequests iterates over a group's open join requests.
func (s *GroupsService) JoinRequests(ctx context.Context, groupID string) iter.Seq2[JoinRequest, error] {
	return pages[JoinRequest](ctx, s.c, "list join requests", "group_id", groupID, "/join_requests", nil)
}

// JoinRequestResult says which join requests were handled and which failed.
type JoinRequestResult struct {
	Done   []string             // ids approved or rejected
	Failed map[string]*APIError // id -> why
}

type wireJoin struct {
	MessagingProduct string   `json:"messaging_product"`
	JoinRequests     []string `json:"join_requests"`
}

type wireJoinResult struct {
	Approved []string `json:"approved_join_requests"`
	Rejected []string `json:"rejected_join_requests"`
	Failed   []struct {
		ID     string `json:"join_request_id"`
		Errors []struct {
			Code    int    `json:"code"`
			Title   string `json:"title"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"failed_join_requests"`
}

// ApproveJoinRequests lets the people behind the given join requests in.
func (s *GroupsService) ApproveJoinRequests(ctx context.Context, groupID string, ids ...string) (*JoinRequestResult, error) {
	return s.join(ctx, http.MethodPost, "approve join requests", groupID, ids)
}

// RejectJoinRequests turns the given join requests down.
func (s *GroupsService) RejectJoinRequests(ctx context.Context, groupID string, ids ...string) (*JoinRequestResult, error) {
	return s.join(ctx, http.MethodDelete, "reject join requests", groupID, ids)
}

func (s *GroupsService) join(ctx context.Context, method, op, groupID string, ids []string) (*JoinRequestResult, error) {
	if err := pathID("group_id", groupID); err != nil {
		return nil, fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("whatsapp: %s: %w", op, fieldErr("join_requests", "is empty"))
	}
	for i, id := range ids {
		if err := required("join_requests["+strconv.Itoa(i)+"]", id); err != nil {
			return nil, fmt.Errorf("whatsapp: %s: %w", op, err)
		}
	}
	var out wireJoinResult
	if err := s.call(ctx, method, url.PathEscape(groupID)+"/join_requests", wireJoin{"whatsapp", ids}, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	r := &JoinRequestResult{Done: append(out.Approved, out.Rejected...)}
	for _, f := range out.Failed {
		if r.Failed == nil {
			r.Failed = map[string]*APIError{}
		}
		ae := &APIError{HTTPStatus: http.StatusOK}
		if len(f.Errors) > 0 {
			ae.decoded, ae.Code, ae.Message = true, f.Errors[0].Code, f.Errors[0].Message
			if ae.Message == "" {
				ae.Message = f.Errors[0].Title
			}
		}
		r.Failed[f.ID] = ae
	}
	return r, nil
}

// call sends one management request and decodes the answer into out
// (which may be nil).
func (s *GroupsService) call(ctx context.Context, method, path string, body, out any) error {
	return call(ctx, s.c, method, path, body, out)
}

func call(ctx context.Context, c *Client, method, path string, body, out any) error {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	_, err = c.do(req, out, nil)
	return err
}

package whatsapptest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
)

// fakeGroup is a group the fake holds.
type fakeGroup struct {
	phone        string
	requestID    string
	subject      string
	description  string
	mode         string
	created      time.Time
	participants []string
	invite       string
	joins        []whatsapp.JoinRequest
}

// GroupInfo is what the fake knows of a group, for tests.
type GroupInfo struct {
	ID, PhoneNumberID, RequestID string
	Subject, Description         string
	JoinApprovalMode             string
	InviteLink                   string
	Participants                 []string
	JoinRequests                 []whatsapp.JoinRequest
}

func (s *Server) routeGroups() {
	s.mux.HandleFunc("POST /{version}/{id}/groups", s.handleCreateGroup)
	s.mux.HandleFunc("GET /{version}/{id}/groups", s.handleListGroups)
	s.mux.HandleFunc("GET /{version}/{id}/invite_link", s.handleInviteLink)
	s.mux.HandleFunc("POST /{version}/{id}/invite_link", s.handleInviteLink)
	s.mux.HandleFunc("DELETE /{version}/{id}/participants", s.handleRemoveParticipants)
	s.mux.HandleFunc("GET /{version}/{id}/join_requests", s.handleJoinRequests)
	s.mux.HandleFunc("POST /{version}/{id}/join_requests", s.handleJoinRequests)
	s.mux.HandleFunc("DELETE /{version}/{id}/join_requests", s.handleJoinRequests)
}

// Groups returns the groups the fake holds, in no particular order.
func (s *Server) Groups() []GroupInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GroupInfo, 0, len(s.groups))
	for id, g := range s.groups {
		out = append(out, GroupInfo{ID: id, PhoneNumberID: g.phone, RequestID: g.requestID, Subject: g.subject, Description: g.description,
			JoinApprovalMode: g.mode, InviteLink: g.invite, Participants: slices.Clone(g.participants), JoinRequests: slices.Clone(g.joins)})
	}
	return out
}

// GroupByRequest returns the id of the group created by the request that
// Groups.Create answered with, as Meta's group_lifecycle_update webhook
// would tell.
func (s *Server) GroupByRequest(requestID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, g := range s.groups {
		if g.requestID == requestID {
			return id, true
		}
	}
	return "", false
}

// JoinGroup makes a person join a group through its invite link: a
// participant at once, or a pending join request (whose id it returns) when
// the group requires approval.
func (s *Server) JoinGroup(groupID, waID string) (joinRequestID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[groupID]
	if g == nil {
		return "", false
	}
	if g.mode == whatsapp.GroupApprovalRequired {
		id := s.newID("")
		g.joins = append(g.joins, whatsapp.JoinRequest{ID: id, WAID: normContact(waID), CreationTimestamp: s.now().Unix()})
		return id, true
	}
	if waID = normContact(waID); !slices.Contains(g.participants, waID) {
		g.participants = append(g.participants, waID)
	}
	return "", true
}

type inGroup struct {
	MessagingProduct string   `json:"messaging_product"`
	Subject          *string  `json:"subject"`
	Description      *string  `json:"description"`
	JoinApprovalMode string   `json:"join_approval_mode"`
	JoinRequests     []string `json:"join_requests"`
	Participants     []struct {
		User string `json:"user"`
	} `json:"participants"`
}

func decodeGroupBody(w http.ResponseWriter, r *http.Request) (*inGroup, bool) {
	body, _ := readBody(r)
	var in inGroup
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, Fault{Code: 100, Details: "The request body is not valid JSON."})
		return nil, false
	}
	if in.MessagingProduct != "whatsapp" {
		writeError(w, *invalid("Param messaging_product must be whatsapp."))
		return nil, false
	}
	if in.Subject != nil {
		if f := tooLong("subject", *in.Subject, whatsapp.MaxGroupSubject); f != nil {
			writeError(w, *f)
			return nil, false
		}
	}
	if in.Description != nil {
		if f := tooLong("description", *in.Description, whatsapp.MaxGroupDescription); f != nil {
			writeError(w, *f)
			return nil, false
		}
	}
	return &in, true
}

func noObject(w http.ResponseWriter, method, id string) {
	writeError(w, Fault{Code: 100, Subcode: 33, Message: "Unsupported " + method + " request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation."})
}

func (s *Server) handleCreateGroup(w http.ResponseWriter, r *http.Request) {
	phone := r.PathValue("id")
	in, ok := decodeGroupBody(w, r)
	if !ok {
		return
	}
	if !s.knownPhone(phone) {
		noObject(w, "post", phone)
		return
	}
	if in.Subject == nil || strings.TrimSpace(*in.Subject) == "" {
		writeError(w, *missing("subject"))
		return
	}
	mode := in.JoinApprovalMode
	switch mode {
	case "":
		mode = whatsapp.GroupAutoApprove
	case whatsapp.GroupAutoApprove, whatsapp.GroupApprovalRequired:
	default:
		writeError(w, *invalid("Param join_approval_mode must be one of {approval_required, auto_approve}."))
		return
	}
	g := &fakeGroup{phone: phone, requestID: s.newNumericID(), subject: strings.TrimSpace(*in.Subject), mode: mode, created: s.now()}
	if in.Description != nil {
		g.description = *in.Description
	}
	g.invite = "https://chat.whatsapp.com/" + s.newID("")
	id := s.newID("Y2FwaV9ncm91cD")
	s.mu.Lock()
	s.groups[id] = g
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"messaging_product", "whatsapp"}, {"request_id", g.requestID}})
}

func (s *Server) handleListGroups(w http.ResponseWriter, r *http.Request) {
	phone := r.PathValue("id")
	if !s.knownPhone(phone) {
		noObject(w, "get", phone)
		return
	}
	type summary struct {
		ID        string `json:"id"`
		Subject   string `json:"subject"`
		CreatedAt string `json:"created_at"`
	}
	var out []summary
	s.mu.Lock()
	for id, g := range s.groups {
		if g.phone == phone {
			out = append(out, summary{id, g.subject, g.created.UTC().Format(time.RFC3339)})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b summary) int { return strings.Compare(a.ID, b.ID) })
	if out == nil {
		out = []summary{}
	}
	writeJSON(w, http.StatusOK, obj{{"data", obj{{"groups", out}}}, {"paging", obj{{"cursors", obj{{"before", ""}, {"after", ""}}}}}})
}

// getGroup answers GET /{group_id}; it reports whether id is a group.
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, id string) bool {
	s.mu.Lock()
	g := s.groups[id]
	var out obj
	if g != nil {
		parts := make([]obj, len(g.participants))
		for i, p := range g.participants {
			parts[i] = obj{{"wa_id", p}}
		}
		all := obj{{"id", id}, {"messaging_product", "whatsapp"}, {"subject", g.subject}, {"description", g.description},
			{"join_approval_mode", g.mode}, {"suspended", false}, {"creation_timestamp", g.created.Unix()},
			{"participants", parts}, {"total_participant_count", len(parts)}}
		fields := r.URL.Query().Get("fields")
		for _, kv := range all {
			if kv.k == "id" || fields == "" || slices.Contains(strings.Split(fields, ","), kv.k) {
				out = append(out, kv)
			}
		}
	}
	s.mu.Unlock()
	if g == nil {
		return false
	}
	writeJSON(w, http.StatusOK, out)
	return true
}

// deleteGroup answers DELETE /{group_id}; it reports whether id was a group.
func (s *Server) deleteGroup(w http.ResponseWriter, id string) bool {
	s.mu.Lock()
	_, ok := s.groups[id]
	delete(s.groups, id)
	s.mu.Unlock()
	if ok {
		writeJSON(w, http.StatusOK, obj{{"success", true}})
	}
	return ok
}

// updateGroup answers POST /{group_id}; it reports whether id is a group.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request, id string) bool {
	s.mu.Lock()
	_, ok := s.groups[id]
	s.mu.Unlock()
	if !ok {
		return false
	}
	in, ok := decodeGroupBody(w, r)
	if !ok {
		return true
	}
	s.mu.Lock()
	if g := s.groups[id]; g != nil {
		if in.Subject != nil && *in.Subject != "" {
			g.subject = *in.Subject
		}
		if in.Description != nil && *in.Description != "" {
			g.description = *in.Description
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"success", true}})
	return true
}

func (s *Server) group(w http.ResponseWriter, r *http.Request) (string, *fakeGroup) {
	id := r.PathValue("id")
	s.mu.Lock()
	g := s.groups[id]
	s.mu.Unlock()
	if g == nil {
		noObject(w, strings.ToLower(r.Method), id)
	}
	return id, g
}

func (s *Server) handleInviteLink(w http.ResponseWriter, r *http.Request) {
	_, g := s.group(w, r)
	if g == nil {
		return
	}
	if r.Method == http.MethodPost {
		if _, ok := decodeGroupBody(w, r); !ok {
			return
		}
		link := "https://chat.whatsapp.com/" + s.newID("")
		s.mu.Lock()
		g.invite = link
		s.mu.Unlock()
	}
	s.mu.Lock()
	link := g.invite
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"messaging_product", "whatsapp"}, {"invite_link", link}})
}

func (s *Server) handleRemoveParticipants(w http.ResponseWriter, r *http.Request) {
	_, g := s.group(w, r)
	if g == nil {
		return
	}
	in, ok := decodeGroupBody(w, r)
	if !ok {
		return
	}
	if n := len(in.Participants); n == 0 || n > whatsapp.MaxParticipantsPerCall {
		writeError(w, *invalid("Param participants must have between 1 and %d items (got %d).", whatsapp.MaxParticipantsPerCall, n))
		return
	}
	s.mu.Lock()
	for _, p := range in.Participants {
		u := normContact(p.User)
		g.participants = slices.DeleteFunc(g.participants, func(x string) bool { return x == u })
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"success", true}})
}

func (s *Server) handleJoinRequests(w http.ResponseWriter, r *http.Request) {
	_, g := s.group(w, r)
	if g == nil {
		return
	}
	if r.Method == http.MethodGet {
		s.mu.Lock()
		data := slices.Clone(g.joins)
		s.mu.Unlock()
		if data == nil {
			data = []whatsapp.JoinRequest{}
		}
		writeJSON(w, http.StatusOK, obj{{"data", data}, {"paging", obj{{"cursors", obj{{"before", ""}, {"after", ""}}}}}})
		return
	}
	in, ok := decodeGroupBody(w, r)
	if !ok {
		return
	}
	if len(in.JoinRequests) == 0 {
		writeError(w, *missing("join_requests"))
		return
	}
	var done []string
	var failed []obj
	s.mu.Lock()
	for _, id := range in.JoinRequests {
		i := slices.IndexFunc(g.joins, func(j whatsapp.JoinRequest) bool { return j.ID == id })
		if i < 0 {
			failed = append(failed, obj{{"join_request_id", id}, {"errors", []obj{{{"code", 131009}, {"title", "Parameter value is not valid"}, {"message", "Join request not found."}}}}})
			continue
		}
		if r.Method == http.MethodPost && !slices.Contains(g.participants, g.joins[i].WAID) {
			g.participants = append(g.participants, g.joins[i].WAID)
		}
		g.joins = slices.Delete(g.joins, i, i+1)
		done = append(done, id)
	}
	s.mu.Unlock()
	key := "approved_join_requests"
	if r.Method == http.MethodDelete {
		key = "rejected_join_requests"
	}
	out := obj{{"messaging_product", "whatsapp"}, {key, done}}
	if len(failed) > 0 {
		out = append(out, kv{"failed_join_requests", failed})
	}
	writeJSON(w, http.StatusOK, out)
}

// handlePostObject answers POST /{id}: group settings, a number's PIN or
// display name, the data of an upload session, a template edit or a
// flow's metadata.
func (s *Server) handlePostObject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.updateGroup(w, r, id) || s.updatePhone(w, r, id) || s.finishUpload(w, r, id) || s.editTemplate(w, r, id) || s.updateFlow(w, r, id) {
		return
	}
	noObject(w, "post", id)
}

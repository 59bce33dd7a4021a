package whatsapptest

import (
	"encoding/json"
	"net/http"

	"github.com/impactchat/impactchat/whatsapp"
)

// editTemplate answers POST /{template_id}; it reports whether id is a
// template. As Meta does, only approved, rejected or paused templates can
// be edited, and an edit sends the template back to review (PENDING).
func (s *Server) editTemplate(w http.ResponseWriter, r *http.Request, id string) bool {
	s.mu.Lock()
	i := -1
	for j := range s.templates {
		if s.templates[j].ID == id {
			i = j
		}
	}
	s.mu.Unlock()
	if i < 0 {
		return false
	}
	var in whatsapp.TemplateEdit
	body, _ := readBody(r)
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, Fault{Code: 100, Details: "The request body is not valid JSON."})
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.templates[i]
	switch t.Status {
	case whatsapp.TemplateApproved, whatsapp.TemplateRejected, whatsapp.TemplatePaused:
	default:
		writeError(w, *invalid("Only approved, rejected or paused templates can be edited; this one is %s.", t.Status))
		return true
	}
	if in.Category != "" && in.Category != t.Category {
		t.PreviousCategory, t.Category = t.Category, in.Category
	}
	if len(in.Components) > 0 {
		t.Components = in.Components
	}
	t.Status = whatsapp.TemplatePending
	writeJSON(w, http.StatusOK, obj{{"success", true}})
	return true
}

// TemplateStatusPayload returns the body of a message_template_status_update
// webhook for a template of wabaID, as Meta sends when review or quality
// changes a template's status, and applies the status to the fake's copy.
// Deliver it with Deliver.
func (s *Server) TemplateStatusPayload(wabaID, name, language string, status whatsapp.TemplateStatus, reason string) ([]byte, error) {
	s.SetTemplateStatus(name, language, status)
	id := ""
	s.mu.Lock()
	for _, t := range s.templates {
		if t.waba == wabaID && t.Name == name && t.Language == language {
			id = t.ID
		}
	}
	s.mu.Unlock()
	if reason == "" {
		reason = "NONE"
	}
	value := obj{{"event", string(status)}, {"message_template_id", json.Number(id)}, {"message_template_name", name},
		{"message_template_language", language}, {"reason", reason}}
	body := obj{{"entry", []obj{{{"id", wabaID}, {"time", s.now().Unix()}, {"changes", []obj{{{"value", value}, {"field", "message_template_status_update"}}}}}}},
		{"object", "whatsapp_business_account"}}
	return metaJSON(body)
}

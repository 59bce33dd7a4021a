package whatsapptest

import (
	"net/http"
	"strings"

	"github.com/impactchat/impactchat/whatsapp"
)

// handleCreatePhone answers POST /{waba}/phone_numbers: the number is
// added unverified and unregistered, as with Meta.
func (s *Server) handleCreatePhone(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CC           string `json:"cc"`
		PhoneNumber  string `json:"phone_number"`
		VerifiedName string `json:"verified_name"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	switch {
	case in.CC == "":
		writeError(w, *missing("cc"))
		return
	case in.PhoneNumber == "":
		writeError(w, *missing("phone_number"))
		return
	case in.VerifiedName == "":
		writeError(w, *missing("verified_name"))
		return
	}
	display := "+" + in.CC + " " + in.PhoneNumber
	s.mu.Lock()
	for _, p := range s.phones {
		if strings.ReplaceAll(strings.TrimPrefix(p.DisplayPhoneNumber, "+"), " ", "") == in.CC+in.PhoneNumber {
			s.mu.Unlock()
			writeError(w, *invalid("The phone number is already in use."))
			return
		}
	}
	s.mu.Unlock()
	id := s.newNumericID()
	s.mu.Lock()
	s.phones[id] = whatsapp.PhoneNumber{ID: id, DisplayPhoneNumber: display, VerifiedName: in.VerifiedName, QualityRating: "NA",
		CodeVerificationStatus: "UNVERIFIED", PlatformType: "NOT_APPLICABLE", Status: "PENDING", NameStatus: "PENDING_REVIEW", MessagingLimit: "TIER_250"}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"id", id}})
}

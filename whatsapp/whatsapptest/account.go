package whatsapptest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/impactchat/impactchat/whatsapp"
)

// accountState is what the fake keeps about numbers' profiles, QR codes,
// registration and uploads.
type accountState struct {
	profiles   map[string]whatsapp.BusinessProfile
	qrs        map[string][]whatsapp.QRCode // per phone number, in creation order
	registered map[string]bool
	pins       map[string]string
	regCalls   map[string]int
	codes      map[string]string // phone -> verification code sent
	newNames   map[string]string
	uploads    map[string]int64 // session -> announced length
	handles    map[string][]byte
}

// VerificationCode is the code the fake "sends" on RequestCode.
const VerificationCode = "123456"

// maxRegistrations is Meta's limit of register (and deregister) calls per
// number in 72 hours.
const maxRegistrations = 10

func (s *Server) routeAccount() {
	s.acct = accountState{profiles: map[string]whatsapp.BusinessProfile{}, qrs: map[string][]whatsapp.QRCode{},
		registered: map[string]bool{}, pins: map[string]string{}, regCalls: map[string]int{}, codes: map[string]string{},
		newNames: map[string]string{}, uploads: map[string]int64{}, handles: map[string][]byte{}}
	s.mux.HandleFunc("GET /{version}/{id}/whatsapp_business_profile", s.handleGetProfile)
	s.mux.HandleFunc("POST /{version}/{id}/whatsapp_business_profile", s.handleUpdateProfile)
	s.mux.HandleFunc("GET /{version}/{id}/message_qrdls", s.handleListQR)
	s.mux.HandleFunc("POST /{version}/{id}/message_qrdls", s.handleSaveQR)
	s.mux.HandleFunc("GET /{version}/{id}/message_qrdls/{code}", s.handleQR)
	s.mux.HandleFunc("DELETE /{version}/{id}/message_qrdls/{code}", s.handleQR)
	s.mux.HandleFunc("POST /{version}/{id}/register", s.handleRegister)
	s.mux.HandleFunc("POST /{version}/{id}/deregister", s.handleRegister)
	s.mux.HandleFunc("POST /{version}/{id}/request_code", s.handleRequestCode)
	s.mux.HandleFunc("POST /{version}/{id}/verify_code", s.handleVerifyCode)
	s.mux.HandleFunc("POST /{version}/{id}/uploads", s.handleStartUpload)
	s.mux.HandleFunc("POST /{version}/{id}/phone_numbers", s.handleCreatePhone)
}

// Profile returns the business profile the fake holds for a number.
func (s *Server) Profile(phoneNumberID string) whatsapp.BusinessProfile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acct.profiles[phoneNumberID]
}

// Registered reports whether a number is registered, and its two-step PIN.
func (s *Server) Registered(phoneNumberID string) (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acct.registered[phoneNumberID], s.acct.pins[phoneNumberID]
}

// Uploaded returns the bytes uploaded under a resumable-upload handle.
func (s *Server) Uploaded(handle string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.acct.handles[handle]
	return b, ok
}

// phone answers 100/33 and returns false when the path's id is not a
// number the fake knows.
func (s *Server) phone(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !s.knownPhone(id) {
		noObject(w, strings.ToLower(r.Method), id)
		return "", false
	}
	return id, true
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, _ := readBody(r)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, Fault{Code: 100, Details: "The request body is not valid JSON."})
		return false
	}
	return true
}

func (s *Server) handleGetProfile(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	p := s.acct.profiles[id]
	s.mu.Unlock()
	out := obj{{"messaging_product", "whatsapp"}}
	add := func(k, v string) {
		if v != "" {
			out = append(out, kv{k, v})
		}
	}
	add("about", p.About)
	add("address", p.Address)
	add("description", p.Description)
	add("email", p.Email)
	add("profile_picture_url", p.ProfilePictureURL)
	if len(p.Websites) > 0 {
		out = append(out, kv{"websites", p.Websites})
	}
	add("vertical", p.Vertical)
	// As Meta's reference page shows it: the profile itself is data[0].
	writeJSON(w, http.StatusOK, obj{{"data", []obj{out}}})
}

func (s *Server) handleUpdateProfile(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	var in struct {
		MessagingProduct     string   `json:"messaging_product"`
		About                string   `json:"about"`
		Address              string   `json:"address"`
		Description          string   `json:"description"`
		Email                string   `json:"email"`
		Websites             []string `json:"websites"`
		Vertical             string   `json:"vertical"`
		ProfilePictureHandle string   `json:"profile_picture_handle"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.MessagingProduct != "whatsapp" {
		writeError(w, *invalid("Param messaging_product must be whatsapp."))
		return
	}
	if f := first(tooLong("about", in.About, whatsapp.MaxProfileAbout), tooLong("address", in.Address, whatsapp.MaxProfileAddress),
		tooLong("description", in.Description, whatsapp.MaxProfileDescription), tooLong("email", in.Email, whatsapp.MaxProfileEmail)); f != nil {
		writeError(w, *f)
		return
	}
	if len(in.Websites) > whatsapp.MaxProfileWebsites {
		writeError(w, *invalid("Param websites must have at most %d items.", whatsapp.MaxProfileWebsites))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ProfilePictureHandle != "" {
		if _, ok := s.acct.handles[in.ProfilePictureHandle]; !ok {
			writeError(w, *invalid("Param profile_picture_handle is not a valid upload handle."))
			return
		}
	}
	p := s.acct.profiles[id]
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.About, in.About)
	set(&p.Address, in.Address)
	set(&p.Description, in.Description)
	set(&p.Email, in.Email)
	set(&p.Vertical, in.Vertical)
	if in.Websites != nil {
		p.Websites = in.Websites
	}
	if in.ProfilePictureHandle != "" {
		p.ProfilePictureURL = s.URL + "/media-files/profile-" + id
	}
	s.acct.profiles[id] = p
	writeJSON(w, http.StatusOK, obj{{"success", true}})
}

func (s *Server) handleListQR(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	data := slices.Clone(s.acct.qrs[id])
	s.mu.Unlock()
	if data == nil {
		data = []whatsapp.QRCode{}
	}
	writeJSON(w, http.StatusOK, obj{{"data", data}, {"paging", obj{{"cursors", obj{{"before", ""}, {"after", ""}}}}}})
}

// qrAlphabet is the code alphabet Meta uses (base32 letters and digits).
const qrAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func (s *Server) newQRCode() string {
	n := s.newNumericID()
	b := make([]byte, 14)
	for i := range b {
		v, _ := strconv.Atoi(string(n[(i*3)%len(n)]))
		b[i] = qrAlphabet[(v+i*7+len(n))%len(qrAlphabet)]
	}
	// Make it unique with the sequence in the last characters.
	seq := n[len(n)-4:]
	for i := range 4 {
		b[10+i] = qrAlphabet[int(seq[i]-'0')+10]
	}
	return string(b)
}

func (s *Server) handleSaveQR(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	var in struct {
		Code             string `json:"code"`
		PrefilledMessage string `json:"prefilled_message"`
		GenerateQRImage  string `json:"generate_qr_image"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.PrefilledMessage == "" {
		writeError(w, *missing("prefilled_message"))
		return
	}
	if f := tooLong("prefilled_message", in.PrefilledMessage, whatsapp.MaxQRMessage); f != nil {
		writeError(w, *f)
		return
	}
	if in.GenerateQRImage != "" && in.GenerateQRImage != whatsapp.QRImagePNG && in.GenerateQRImage != whatsapp.QRImageSVG {
		writeError(w, *invalid("Param generate_qr_image must be one of {PNG, SVG}."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.acct.qrs[id]
	if in.Code != "" {
		i := slices.IndexFunc(list, func(q whatsapp.QRCode) bool { return q.Code == in.Code })
		if i < 0 {
			writeError(w, Fault{Code: 100, Subcode: 33, Message: "Unsupported post request. Object with ID '" + in.Code + "' does not exist."})
			return
		}
		list[i].PrefilledMessage = in.PrefilledMessage
		writeJSON(w, http.StatusOK, list[i])
		return
	}
	code := s.newQRCode()
	q := whatsapp.QRCode{Code: code, PrefilledMessage: in.PrefilledMessage, DeepLinkURL: "https://wa.me/message/" + code}
	s.acct.qrs[id] = append(list, q)
	if in.GenerateQRImage != "" {
		q.QRImageURL = s.URL + "/media-files/qr-" + code + "." + strings.ToLower(in.GenerateQRImage)
	}
	writeJSON(w, http.StatusOK, q)
}

func (s *Server) handleQR(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	code := r.PathValue("code")
	s.mu.Lock()
	list := s.acct.qrs[id]
	i := slices.IndexFunc(list, func(q whatsapp.QRCode) bool { return q.Code == code })
	var q whatsapp.QRCode
	if i >= 0 {
		q = list[i]
		if r.Method == http.MethodDelete {
			s.acct.qrs[id] = slices.Delete(list, i, i+1)
		}
	}
	s.mu.Unlock()
	switch {
	case i < 0:
		noObject(w, strings.ToLower(r.Method), code)
	case r.Method == http.MethodDelete:
		writeJSON(w, http.StatusOK, obj{{"success", true}})
	default:
		writeJSON(w, http.StatusOK, obj{{"data", []whatsapp.QRCode{q}}})
	}
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	deregister := strings.HasSuffix(r.URL.Path, "/deregister")
	var in struct {
		MessagingProduct string `json:"messaging_product"`
		PIN              string `json:"pin"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := id + map[bool]string{true: "/deregister", false: "/register"}[deregister]
	if s.acct.regCalls[key] >= maxRegistrations {
		writeError(w, Fault{Code: 133016, Message: "(#133016) Account register deregister rate limit exceeded"})
		return
	}
	s.acct.regCalls[key]++
	if deregister {
		s.acct.registered[id] = false
		writeJSON(w, http.StatusOK, obj{{"success", true}})
		return
	}
	switch {
	case in.MessagingProduct != "whatsapp":
		writeError(w, *invalid("Param messaging_product must be whatsapp."))
		return
	case len(in.PIN) != 6 || strings.Trim(in.PIN, "0123456789") != "":
		writeError(w, *invalid("Param pin must be 6 digits."))
		return
	case s.acct.pins[id] != "" && s.acct.pins[id] != in.PIN:
		writeError(w, Fault{Code: 133005, Message: "(#133005) Two step verification PIN Mismatch"})
		return
	}
	s.acct.pins[id] = in.PIN
	s.acct.registered[id] = true
	writeJSON(w, http.StatusOK, obj{{"success", true}})
}

func (s *Server) handleRequestCode(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	var in struct {
		CodeMethod string `json:"code_method"`
		Language   string `json:"language"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.CodeMethod != whatsapp.CodeBySMS && in.CodeMethod != whatsapp.CodeByVoice {
		writeError(w, *invalid("Param code_method must be one of {SMS, VOICE}."))
		return
	}
	if in.Language == "" {
		writeError(w, *missing("language"))
		return
	}
	s.mu.Lock()
	s.acct.codes[id] = VerificationCode
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"success", true}})
}

func (s *Server) handleVerifyCode(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	var in struct {
		Code string `json:"code"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	s.mu.Lock()
	want := s.acct.codes[id]
	if want != "" && in.Code == want {
		delete(s.acct.codes, id)
		p := s.phones[id]
		p.CodeVerificationStatus = "VERIFIED"
		s.phones[id] = p
	}
	s.mu.Unlock()
	if want == "" || in.Code != want {
		writeError(w, Fault{Code: 136025, Message: "(#136025) Verify code error"})
		return
	}
	writeJSON(w, http.StatusOK, obj{{"success", true}, {"id", id}})
}

// updatePhone answers POST /{phone}: two-step PIN or a new display name.
func (s *Server) updatePhone(w http.ResponseWriter, r *http.Request, id string) bool {
	if !s.knownPhone(id) {
		return false
	}
	var in struct {
		PIN            *string `json:"pin"`
		NewDisplayName *string `json:"new_display_name"`
	}
	if !decodeJSON(w, r, &in) {
		return true
	}
	switch {
	case in.PIN != nil:
		if len(*in.PIN) != 6 || strings.Trim(*in.PIN, "0123456789") != "" {
			writeError(w, *invalid("Param pin must be 6 digits."))
			return true
		}
		s.mu.Lock()
		s.acct.pins[id] = *in.PIN
		s.mu.Unlock()
	case in.NewDisplayName != nil:
		if n := len([]rune(*in.NewDisplayName)); n < whatsapp.MinDisplayName || n > whatsapp.MaxDisplayName {
			writeError(w, *invalid("Param new_display_name must be between %d and %d characters.", whatsapp.MinDisplayName, whatsapp.MaxDisplayName))
			return true
		}
		s.mu.Lock()
		s.acct.newNames[id] = *in.NewDisplayName
		s.mu.Unlock()
	default:
		writeError(w, *invalid("No field to update."))
		return true
	}
	writeJSON(w, http.StatusOK, obj{{"success", true}})
	return true
}

func (s *Server) handleStartUpload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := strconv.ParseInt(q.Get("file_length"), 10, 64)
	if err != nil || n <= 0 || q.Get("file_type") == "" {
		writeError(w, *invalid("Params file_length and file_type are required."))
		return
	}
	id := "upload:" + s.newID("")
	s.mu.Lock()
	s.acct.uploads[id] = n
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"id", id}})
}

// finishUpload answers POST /{upload session}; it reports whether id is a
// session.
func (s *Server) finishUpload(w http.ResponseWriter, r *http.Request, id string) bool {
	s.mu.Lock()
	n, ok := s.acct.uploads[id]
	s.mu.Unlock()
	if !ok {
		return false
	}
	body, _ := readBody(r)
	if int64(len(body)) != n || r.Header.Get("File_offset") != "0" {
		writeError(w, *invalid("The upload does not match the session's file_length."))
		return true
	}
	h := "4:" + s.newID("")
	s.mu.Lock()
	delete(s.acct.uploads, id)
	s.acct.handles[h] = body
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"h", h}})
	return true
}

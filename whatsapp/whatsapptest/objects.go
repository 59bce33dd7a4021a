package whatsapptest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/impactchat/impactchat/whatsapp"
)

func readBody(r *http.Request) ([]byte, error) { return io.ReadAll(r.Body) }

type mediaFile struct {
	id       string
	phoneID  string
	mimeType string
	data     []byte
	sha      string
}

type storedTemplate struct {
	waba string
	whatsapp.Template
}

// AddMedia stores a file as if a person had sent it (or the line had
// uploaded it) and returns its media id, for tests of downloads.
func (s *Server) AddMedia(mimeType string, data []byte) string {
	id := s.newNumericID()
	sum := sha256.Sum256(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = &mediaFile{id: id, mimeType: mimeType, data: append([]byte(nil), data...), sha: hex.EncodeToString(sum[:])}
	return id
}

// Media returns an uploaded file's MIME type and content.
func (s *Server) Media(id string) (mimeType string, data []byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.media[id]
	if !ok {
		return "", nil, false
	}
	return f.mimeType, append([]byte(nil), f.data...), true
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if !s.knownPhone(r.PathValue("id")) {
		writeError(w, Fault{Code: 100, Subcode: 33, Message: "Unsupported post request. Object with ID '" + r.PathValue("id") + "' does not exist."})
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		writeError(w, Fault{Code: 100, Details: "Upload must be multipart/form-data."})
		return
	}
	body, _ := readBody(r)
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var product, fileType string
	var data []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, Fault{Code: 100, Details: "Malformed multipart body."})
			return
		}
		b, _ := io.ReadAll(p)
		switch p.FormName() {
		case "messaging_product":
			product = string(b)
		case "type":
			fileType = string(b)
		case "file":
			data = b
			if fileType == "" {
				fileType = p.Header.Get("Content-Type")
			}
		}
	}
	if product != "whatsapp" {
		writeError(w, *missing("messaging_product"))
		return
	}
	if data == nil {
		writeError(w, *missing("file"))
		return
	}
	_, max, ok := whatsapp.MediaLimit(fileType)
	if !ok {
		writeError(w, Fault{Code: 131053, Details: "Param file must be a file with one of the following types: audio/aac, audio/mp4, audio/mpeg, audio/amr, audio/ogg, text/plain, application/pdf, application/vnd.ms-powerpoint, application/msword, application/vnd.ms-excel, application/vnd.openxmlformats-officedocument.wordprocessingml.document, application/vnd.openxmlformats-officedocument.presentationml.presentation, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, image/jpeg, image/png, image/webp, video/mp4, video/3gpp. Received file of type '" + fileType + "'."})
		return
	}
	if int64(len(data)) > max {
		writeError(w, Fault{Code: 131053, Details: "File is larger than " + strconv.FormatInt(max, 10) + " bytes."})
		return
	}
	id := s.AddMedia(fileType, data)
	s.mu.Lock()
	s.media[id].phoneID = r.PathValue("id")
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

func (s *Server) handleGetObject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	f := s.media[id]
	var tmpl *whatsapp.Template
	for i := range s.templates {
		if s.templates[i].ID == id {
			t := s.templates[i].Template
			tmpl = &t
		}
	}
	phone, isPhone := s.phones[id]
	s.mu.Unlock()
	switch {
	case f != nil:
		writeJSON(w, http.StatusOK, obj{
			{"url", s.URL + "/media-files/" + id + "?ext=" + strconv.FormatInt(s.now().Unix(), 10)},
			{"mime_type", f.mimeType},
			{"sha256", f.sha},
			{"file_size", len(f.data)},
			{"id", id},
			{"messaging_product", "whatsapp"},
		})
	case tmpl != nil:
		writeJSON(w, http.StatusOK, tmpl)
	case isPhone:
		out := selectFields(phone, r.URL.Query().Get("fields"))
		s.mu.Lock()
		if name, ok := s.acct.newNames[id]; ok && strings.Contains(r.URL.Query().Get("fields"), "new_display_name") {
			out["new_display_name"], out["new_name_status"] = name, "PENDING_REVIEW"
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case s.getGroup(w, r, id), s.getFlow(w, r, id), s.getAnalytics(w, r, id):
	default:
		writeError(w, Fault{Code: 100, Subcode: 33, Message: "Unsupported get request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation."})
	}
}

// selectFields answers only the requested fields, as the Graph API does.
func selectFields(p whatsapp.PhoneNumber, fields string) map[string]any {
	b, _ := jsonMarshal(p)
	var all map[string]any
	_ = jsonUnmarshal(b, &all)
	if fields == "" {
		fields = "id,display_phone_number,verified_name,quality_rating"
	}
	out := map[string]any{"id": p.ID}
	for _, f := range strings.Split(fields, ",") {
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	return out
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.media[r.PathValue("id")]
	s.mu.Unlock()
	if f == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", f.mimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

func (s *Server) handleDeleteMedia(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.media[id]
	delete(s.media, id)
	s.mu.Unlock()
	if !ok && (s.deleteGroup(w, id) || s.deleteFlow(w, id)) {
		return
	}
	if !ok {
		writeError(w, Fault{Code: 100, Subcode: 33, Message: "Unsupported delete request. Object with ID '" + id + "' does not exist."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// Templates returns the templates registered or created for wabaID.
func (s *Server) Templates(wabaID string) []whatsapp.Template {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []whatsapp.Template
	for _, t := range s.templates {
		if t.waba == wabaID {
			out = append(out, t.Template)
		}
	}
	return out
}

// SetTemplateStatus changes a template's status (e.g. to APPROVED after
// creation, or PAUSED), as Meta's review would.
func (s *Server) SetTemplateStatus(name, language string, status whatsapp.TemplateStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.templates {
		if s.templates[i].Name == name && (language == "" || s.templates[i].Language == language) {
			s.templates[i].Status = status
		}
	}
}

func (s *Server) handleListTemplates(w http.ResponseWriter, r *http.Request) {
	waba := r.PathValue("id")
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 25
	}
	after, _ := strconv.Atoi(q.Get("after"))
	all := s.Templates(waba)
	var matched []whatsapp.Template
	for _, t := range all {
		if name := q.Get("name"); name != "" && !strings.Contains(t.Name, name) {
			continue
		}
		if st := q.Get("status"); st != "" && string(t.Status) != st {
			continue
		}
		matched = append(matched, t)
	}
	sort.SliceStable(matched, func(i, j int) bool { return matched[i].Name < matched[j].Name })
	end := min(after+limit, len(matched))
	if after > len(matched) {
		after = end
	}
	page := map[string]any{"data": matched[after:end]}
	paging := map[string]any{"cursors": map[string]string{"before": strconv.Itoa(after), "after": strconv.Itoa(end)}}
	if end < len(matched) {
		next := url.Values{"limit": {strconv.Itoa(limit)}, "after": {strconv.Itoa(end)}}
		paging["next"] = s.URL + r.URL.Path + "?" + next.Encode()
	}
	page["paging"] = paging
	if matched == nil {
		page["data"] = []whatsapp.Template{}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleCreateTemplate(w http.ResponseWriter, r *http.Request) {
	var t whatsapp.NewTemplate
	body, _ := readBody(r)
	if err := jsonUnmarshal(body, &t); err != nil {
		writeError(w, Fault{Code: 100, Details: "The request body is not valid JSON."})
		return
	}
	if err := t.Validate(); err != nil {
		writeError(w, Fault{Code: 100, Subcode: 2388040, Details: err.Error()})
		return
	}
	waba := r.PathValue("id")
	cat := strings.ToUpper(t.Category)
	s.mu.Lock()
	for _, x := range s.templates {
		if x.waba == waba && x.Name == t.Name && x.Language == t.Language {
			s.mu.Unlock()
			writeError(w, Fault{Code: 100, Subcode: 2388024, Details: "Content in this language already exists."})
			return
		}
	}
	id := strconv.Itoa(1299189242256801 + len(s.templates))
	s.templates = append(s.templates, storedTemplate{waba: waba, Template: whatsapp.Template{
		ID: id, Name: t.Name, Language: t.Language, Status: whatsapp.TemplatePending, Category: cat,
		ParameterFormat: t.ParameterFormat, Components: t.Components,
	}})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "status": "PENDING", "category": cat})
}

func (s *Server) handleDeleteTemplate(w http.ResponseWriter, r *http.Request) {
	waba := r.PathValue("id")
	name, hsm := r.URL.Query().Get("name"), r.URL.Query().Get("hsm_id")
	s.mu.Lock()
	kept := s.templates[:0:0]
	n := 0
	for _, t := range s.templates {
		if t.waba == waba && t.Name == name && (hsm == "" || t.ID == hsm) {
			n++
			continue
		}
		kept = append(kept, t)
	}
	s.templates = kept
	s.mu.Unlock()
	if n == 0 {
		writeError(w, Fault{Code: 100, Subcode: 2593002, Message: "Invalid parameter", Details: "Message Template Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) handleListPhones(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var out []map[string]any
	ids := make([]string, 0, len(s.phones))
	for id := range s.phones {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = append(out, selectFields(s.phones[id], r.URL.Query().Get("fields")))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "paging": map[string]any{"cursors": map[string]string{"before": "MAZDZD", "after": "MAZDZD"}}})
}

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// sha256B64 is the form of a media hash in webhooks (the media URL
// lookup answers hex).
func sha256B64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

package whatsapptest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
)

// fakeFlow is a flow the fake holds.
type fakeFlow struct {
	waba       string
	name       string
	status     string
	categories []string
	endpoint   string
	json       []byte
	errs       []whatsapp.FlowValidationError
}

func (s *Server) routeFlows() {
	s.flows = map[string]*fakeFlow{}
	s.keys = map[string]string{}
	s.mux.HandleFunc("GET /{version}/{id}/flows", s.handleListFlows)
	s.mux.HandleFunc("POST /{version}/{id}/flows", s.handleCreateFlow)
	s.mux.HandleFunc("GET /{version}/{id}/assets", s.handleFlowAssets)
	s.mux.HandleFunc("POST /{version}/{id}/assets", s.handleFlowAssets)
	s.mux.HandleFunc("POST /{version}/{id}/publish", s.handleFlowState)
	s.mux.HandleFunc("POST /{version}/{id}/deprecate", s.handleFlowState)
	s.mux.HandleFunc("GET /{version}/{id}/whatsapp_business_encryption", s.handleEncryptionKey)
	s.mux.HandleFunc("GET /{version}/{id}/template_analytics", s.handleTemplateAnalytics)
	s.mux.HandleFunc("POST /{version}/{id}/whatsapp_business_encryption", s.handleEncryptionKey)
}

// FlowJSON returns the JSON last uploaded for a flow, and its status.
func (s *Server) FlowJSON(flowID string) (json []byte, status string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flows[flowID]
	if f == nil {
		return nil, "", false
	}
	return slices.Clone(f.json), f.status, true
}

func flowNotFound(w http.ResponseWriter, id string) {
	writeError(w, Fault{Code: 100, Subcode: 33, Message: "Unsupported request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation."})
}

func validCategories(cs []string) bool {
	if len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		if !slices.Contains(whatsapp.FlowCategories, c) {
			return false
		}
	}
	return true
}

func (s *Server) handleListFlows(w http.ResponseWriter, r *http.Request) {
	waba := r.PathValue("id")
	var data []whatsapp.FlowInfo
	s.mu.Lock()
	for id, f := range s.flows {
		if f.waba == waba {
			data = append(data, whatsapp.FlowInfo{ID: id, Name: f.name, Status: f.status, Categories: f.categories, ValidationErrors: f.errs})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(data, func(a, b whatsapp.FlowInfo) int { return strings.Compare(a.ID, b.ID) })
	if data == nil {
		data = []whatsapp.FlowInfo{}
	}
	for i := range data {
		if data[i].ValidationErrors == nil {
			data[i].ValidationErrors = []whatsapp.FlowValidationError{}
		}
	}
	writeJSON(w, http.StatusOK, obj{{"data", data}, {"paging", obj{{"cursors", obj{{"before", ""}, {"after", ""}}}}}})
}

func (s *Server) handleCreateFlow(w http.ResponseWriter, r *http.Request) {
	waba := r.PathValue("id")
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		writeError(w, *invalid("The request must be multipart/form-data."))
		return
	}
	name := r.FormValue("name")
	var cats []string
	_ = json.Unmarshal([]byte(r.FormValue("categories")), &cats)
	switch {
	case name == "":
		writeError(w, *missing("name"))
		return
	case !validCategories(cats):
		writeError(w, *invalid("Param categories must be a JSON array of valid flow categories."))
		return
	}
	s.mu.Lock()
	for _, f := range s.flows {
		if f.waba == waba && f.name == name {
			s.mu.Unlock()
			writeError(w, *invalid("Flow name is not unique."))
			return
		}
	}
	f := &fakeFlow{waba: waba, name: name, status: whatsapp.FlowDraft, categories: cats, endpoint: r.FormValue("endpoint_uri")}
	if src := s.flows[r.FormValue("clone_flow_id")]; src != nil {
		f.json, f.errs = slices.Clone(src.json), slices.Clone(src.errs)
	}
	s.mu.Unlock()
	id := s.newNumericID()
	s.mu.Lock()
	s.flows[id] = f
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"id", id}})
}

// flowJSONErrors is the fake's review of a flow JSON: it needs a version
// and at least one screen with an id.
func flowJSONErrors(b []byte) []whatsapp.FlowValidationError {
	var doc struct {
		Version string `json:"version"`
		Screens []struct {
			ID string `json:"id"`
		} `json:"screens"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return []whatsapp.FlowValidationError{{Error: "INVALID_JSON", ErrorType: "JSON_SCHEMA_ERROR", Message: "The Flow JSON is not valid JSON."}}
	}
	var errs []whatsapp.FlowValidationError
	if doc.Version == "" {
		errs = append(errs, whatsapp.FlowValidationError{Error: "MISSING_REQUIRED_PROPERTY", ErrorType: "JSON_SCHEMA_ERROR", Message: "The property version is required.", LineStart: 1, LineEnd: 1, ColumnStart: 1, ColumnEnd: 1})
	}
	if len(doc.Screens) == 0 {
		errs = append(errs, whatsapp.FlowValidationError{Error: "MISSING_REQUIRED_PROPERTY", ErrorType: "JSON_SCHEMA_ERROR", Message: "The property screens is required.", LineStart: 1, LineEnd: 1, ColumnStart: 1, ColumnEnd: 1})
	}
	for _, sc := range doc.Screens {
		if sc.ID == "" {
			errs = append(errs, whatsapp.FlowValidationError{Error: "MISSING_REQUIRED_PROPERTY", ErrorType: "JSON_SCHEMA_ERROR", Message: "Every screen needs an id.", LineStart: 1, LineEnd: 1, ColumnStart: 1, ColumnEnd: 1})
		}
	}
	return errs
}

func (s *Server) handleFlowAssets(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	f := s.flows[id]
	s.mu.Unlock()
	if f == nil {
		flowNotFound(w, id)
		return
	}
	if r.Method == http.MethodGet {
		data := []whatsapp.FlowAsset{}
		s.mu.Lock()
		if f.json != nil {
			data = append(data, whatsapp.FlowAsset{Name: "flow.json", AssetType: "FLOW_JSON", DownloadURL: s.URL + "/media-files/flow-" + id})
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, obj{{"data", data}, {"paging", obj{{"cursors", obj{{"before", ""}, {"after", ""}}}}}})
		return
	}
	if err := r.ParseMultipartForm(11 << 20); err != nil {
		writeError(w, *invalid("The request must be multipart/form-data."))
		return
	}
	if r.FormValue("asset_type") != "FLOW_JSON" {
		writeError(w, *invalid("Param asset_type must be FLOW_JSON."))
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		writeError(w, *missing("file"))
		return
	}
	defer file.Close()
	b := make([]byte, 0, 1024)
	buf := make([]byte, 32<<10)
	for {
		n, err := file.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.status != whatsapp.FlowDraft {
		writeError(w, Fault{Code: 139001, Message: "(#139001) Error while processing Flow JSON", Details: "Only draft flows can be changed."})
		return
	}
	f.json, f.errs = b, flowJSONErrors(b)
	errs := f.errs
	if errs == nil {
		errs = []whatsapp.FlowValidationError{}
	}
	writeJSON(w, http.StatusOK, obj{{"success", true}, {"validation_errors", errs}})
}

func (s *Server) handleFlowState(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flows[id]
	if f == nil {
		flowNotFound(w, id)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/publish") {
		if f.status != whatsapp.FlowDraft || f.json == nil || len(f.errs) > 0 {
			writeError(w, Fault{Code: 139001, Message: "(#139001) Publishing Flow in invalid state", Details: "Only a draft flow whose JSON has no validation errors can be published."})
			return
		}
		f.status = whatsapp.FlowPublished
	} else {
		if f.status != whatsapp.FlowPublished {
			writeError(w, Fault{Code: 139001, Message: "(#139001) Deprecating Flow in invalid state", Details: "Only a published flow can be deprecated."})
			return
		}
		f.status = whatsapp.FlowDeprecated
	}
	writeJSON(w, http.StatusOK, obj{{"success", true}})
}

// getFlow answers GET /{flow_id}; it reports whether id is a flow.
func (s *Server) getFlow(w http.ResponseWriter, r *http.Request, id string) bool {
	s.mu.Lock()
	f := s.flows[id]
	var out obj
	if f != nil {
		fields := r.URL.Query().Get("fields")
		if strings.HasPrefix(fields, "metric.") {
			// The fake's endpoint is never called by WhatsApp: one empty day.
			_, args := fieldArgs(fields)
			out = obj{{"id", id}, {"metric", obj{{"granularity", args["granularity"]}, {"name", args["name"]},
				{"data_points", []obj{{{"timestamp", args["since"] + "T08:00:00+0000"}, {"data", []obj{{{"key", "value"}, {"value", 0}}}}}}}}}}
		} else if strings.HasPrefix(fields, "preview") {
			out = obj{{"preview", obj{{"preview_url", "https://business.facebook.com/wa/manage/flows/" + id + "/preview/?token=fake"},
				{"expires_at", s.now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05-0700")}}}, {"id", id}}
		} else {
			errs := f.errs
			if errs == nil {
				errs = []whatsapp.FlowValidationError{}
			}
			out = obj{{"id", id}, {"name", f.name}, {"status", f.status}, {"categories", f.categories}, {"validation_errors", errs},
				{"json_version", "7.1"}, {"data_api_version", "3.0"}}
			if f.endpoint != "" {
				out = append(out, kv{"endpoint_uri", f.endpoint})
			}
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	writeJSON(w, http.StatusOK, out)
	return true
}

// updateFlow answers POST /{flow_id} (metadata); it reports whether id is
// a flow.
func (s *Server) updateFlow(w http.ResponseWriter, r *http.Request, id string) bool {
	s.mu.Lock()
	f := s.flows[id]
	s.mu.Unlock()
	if f == nil {
		return false
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		writeError(w, *invalid("The request must be multipart/form-data."))
		return true
	}
	var cats []string
	if c := r.FormValue("categories"); c != "" {
		if json.Unmarshal([]byte(c), &cats) != nil || !validCategories(cats) {
			writeError(w, *invalid("Param categories must be a JSON array of valid flow categories."))
			return true
		}
	}
	s.mu.Lock()
	if n := r.FormValue("name"); n != "" {
		f.name = n
	}
	if cats != nil {
		f.categories = cats
	}
	if e := r.FormValue("endpoint_uri"); e != "" {
		f.endpoint = e
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"success", true}})
	return true
}

// deleteFlow answers DELETE /{flow_id}; it reports whether id is a flow.
// Only drafts can be deleted.
func (s *Server) deleteFlow(w http.ResponseWriter, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flows[id]
	if f == nil {
		return false
	}
	if f.status != whatsapp.FlowDraft {
		writeError(w, Fault{Code: 139001, Message: "(#139001) Deleting Flow in invalid state", Details: "Only draft flows can be deleted."})
		return true
	}
	delete(s.flows, id)
	writeJSON(w, http.StatusOK, obj{{"success", true}})
	return true
}

func (s *Server) handleEncryptionKey(w http.ResponseWriter, r *http.Request) {
	id, ok := s.phone(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodGet {
		s.mu.Lock()
		k, ok := s.keys[id]
		s.mu.Unlock()
		data := []obj{}
		if ok {
			data = append(data, obj{{"business_public_key", k}, {"business_public_key_signature_status", "VALID"}})
		}
		writeJSON(w, http.StatusOK, obj{{"data", data}})
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		writeError(w, *invalid("The request must be multipart/form-data."))
		return
	}
	k := r.FormValue("business_public_key")
	if !strings.Contains(k, "-----BEGIN PUBLIC KEY-----") {
		writeError(w, *invalid("Param business_public_key must be a PEM public key."))
		return
	}
	s.mu.Lock()
	s.keys[id] = k
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"success", true}})
}

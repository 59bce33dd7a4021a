package whatsapp

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"iter"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Flow states.
const (
	FlowDraft      = "DRAFT"
	FlowPublished  = "PUBLISHED"
	FlowDeprecated = "DEPRECATED"
	FlowBlocked    = "BLOCKED"
	FlowThrottled  = "THROTTLED"
)

// FlowsService manages WhatsApp Flows (the forms and multi-screen
// journeys sent with the Flow message) and the public key their
// data-exchange endpoint uses.
type FlowsService struct{ c *Client }

// FlowInfo is a flow as Meta lists and describes it.
type FlowInfo struct {
	ID               string                `json:"id"`
	Name             string                `json:"name"`
	Status           string                `json:"status"`
	Categories       []string              `json:"categories"`
	ValidationErrors []FlowValidationError `json:"validation_errors,omitempty"`
	JSONVersion      string                `json:"json_version,omitempty"`
	DataAPIVersion   string                `json:"data_api_version,omitempty"`
	EndpointURI      string                `json:"endpoint_uri,omitempty"`
	Preview          *FlowPreview          `json:"preview,omitempty"`
}

// FlowValidationError is a problem Meta found in a flow's JSON.
type FlowValidationError struct {
	Error       string  `json:"error"`
	ErrorType   string  `json:"error_type"`
	Message     string  `json:"message"`
	LineStart   float64 `json:"line_start,omitempty"`
	LineEnd     float64 `json:"line_end,omitempty"`
	ColumnStart float64 `json:"column_start,omitempty"`
	ColumnEnd   float64 `json:"column_end,omitempty"`
}

// FlowPreview is a web link that shows a flow as a person would see it.
type FlowPreview struct {
	URL       string    `json:"preview_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Flow categories Meta accepts.
var FlowCategories = []string{"SIGN_UP", "SIGN_IN", "APPOINTMENT_BOOKING", "LEAD_GENERATION", "CONTACT_US", "CUSTOMER_SUPPORT", "SURVEY", "OTHER"}

func checkCategories(cs []string) error {
	if len(cs) == 0 {
		return fieldErr("categories", "is empty; give at least one of %s", strings.Join(FlowCategories, ", "))
	}
	for i, c := range cs {
		ok := false
		for _, k := range FlowCategories {
			ok = ok || c == k
		}
		if !ok {
			return fieldErr(fmt.Sprintf("categories[%d]", i), "%q is not one of %s", c, strings.Join(FlowCategories, ", "))
		}
	}
	return nil
}

// NewFlow is a flow to create as a draft.
type NewFlow struct {
	Name        string   // unique within the WABA
	Categories  []string // FlowCategories
	CloneFlowID string   // start from a copy of this flow
	EndpointURI string   // the data-exchange endpoint, for flows that use one
}

// List iterates over the flows of a WABA.
func (s *FlowsService) List(ctx context.Context, wabaID string) iter.Seq2[FlowInfo, error] {
	return pages[FlowInfo](ctx, s.c, "list flows", "waba_id", wabaID, "/flows", nil)
}

// Create makes a draft flow and returns its id.
func (s *FlowsService) Create(ctx context.Context, wabaID string, f NewFlow) (string, error) {
	if err := firstErr(pathID("waba_id", wabaID), required("name", f.Name), checkCategories(f.Categories), checkEndpoint(f.EndpointURI)); err != nil {
		return "", fmt.Errorf("whatsapp: create flow: %w", err)
	}
	cats, _ := json.Marshal(f.Categories)
	fields := [][2]string{{"name", f.Name}, {"categories", string(cats)}}
	if f.CloneFlowID != "" {
		fields = append(fields, [2]string{"clone_flow_id", f.CloneFlowID})
	}
	if f.EndpointURI != "" {
		fields = append(fields, [2]string{"endpoint_uri", f.EndpointURI})
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := s.multipart(ctx, url.PathEscape(wabaID)+"/flows", fields, nil, &out); err != nil {
		return "", fmt.Errorf("whatsapp: create flow: %w", err)
	}
	if out.ID == "" {
		return "", errors.New("whatsapp: create flow: response has no id")
	}
	return out.ID, nil
}

func checkEndpoint(u string) error {
	if u != "" && !strings.HasPrefix(u, "https://") {
		return fieldErr("endpoint_uri", "is not an https URL; Meta calls endpoints over TLS only")
	}
	return nil
}

// FlowMetadata changes a flow's name, categories or endpoint; empty fields
// are left as they are.
type FlowMetadata struct {
	Name        string
	Categories  []string
	EndpointURI string
}

// UpdateMetadata changes a flow's name, categories or endpoint.
func (s *FlowsService) UpdateMetadata(ctx context.Context, flowID string, m FlowMetadata) error {
	if err := firstErr(pathID("flow_id", flowID), checkEndpoint(m.EndpointURI)); err != nil {
		return fmt.Errorf("whatsapp: update flow: %w", err)
	}
	var fields [][2]string
	if m.Name != "" {
		fields = append(fields, [2]string{"name", m.Name})
	}
	if len(m.Categories) > 0 {
		if err := checkCategories(m.Categories); err != nil {
			return fmt.Errorf("whatsapp: update flow: %w", err)
		}
		cats, _ := json.Marshal(m.Categories)
		fields = append(fields, [2]string{"categories", string(cats)})
	}
	if m.EndpointURI != "" {
		fields = append(fields, [2]string{"endpoint_uri", m.EndpointURI})
	}
	if len(fields) == 0 {
		return fmt.Errorf("whatsapp: update flow: %w", fieldErr("name", "categories and endpoint_uri are all empty; nothing to change"))
	}
	var out successResponse
	if err := s.multipart(ctx, url.PathEscape(flowID), fields, nil, &out); err != nil {
		return fmt.Errorf("whatsapp: update flow: %w", err)
	}
	return nil
}

// MaxFlowJSON is the largest flow JSON Meta accepts.
const MaxFlowJSON = 10 << 20

// UpdateJSON uploads a flow's JSON (its screens and layout). Meta checks
// it: the problems it finds come back as validation errors, and a flow
// with any cannot be published. The JSON must be valid JSON.
func (s *FlowsService) UpdateJSON(ctx context.Context, flowID string, flowJSON []byte) ([]FlowValidationError, error) {
	if err := pathID("flow_id", flowID); err != nil {
		return nil, fmt.Errorf("whatsapp: update flow json: %w", err)
	}
	switch {
	case len(flowJSON) == 0:
		return nil, fmt.Errorf("whatsapp: update flow json: %w", fieldErr("file", "is empty"))
	case len(flowJSON) > MaxFlowJSON:
		return nil, fmt.Errorf("whatsapp: update flow json: %w", fieldErr("file", "is %d bytes; WhatsApp allows %d", len(flowJSON), MaxFlowJSON))
	case !json.Valid(flowJSON):
		return nil, fmt.Errorf("whatsapp: update flow json: %w", fieldErr("file", "is not valid JSON"))
	}
	var out struct {
		Success          bool                  `json:"success"`
		ValidationErrors []FlowValidationError `json:"validation_errors"`
	}
	fields := [][2]string{{"name", "flow.json"}, {"asset_type", "FLOW_JSON"}}
	if err := s.multipart(ctx, url.PathEscape(flowID)+"/assets", fields, flowJSON, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: update flow json: %w", err)
	}
	return out.ValidationErrors, nil
}

// FlowAsset is a file of a flow, such as its JSON.
type FlowAsset struct {
	Name        string `json:"name"`
	AssetType   string `json:"asset_type"`
	DownloadURL string `json:"download_url"`
}

// Assets iterates over a flow's files; the FLOW_JSON one links to its JSON.
func (s *FlowsService) Assets(ctx context.Context, flowID string) iter.Seq2[FlowAsset, error] {
	return pages[FlowAsset](ctx, s.c, "list flow assets", "flow_id", flowID, "/assets", nil)
}

// FlowFields are the fields Get asks for.
var FlowFields = []string{"id", "name", "status", "categories", "validation_errors", "json_version", "data_api_version", "endpoint_uri"}

// Get describes a flow.
func (s *FlowsService) Get(ctx context.Context, flowID string) (*FlowInfo, error) {
	if err := pathID("flow_id", flowID); err != nil {
		return nil, fmt.Errorf("whatsapp: get flow: %w", err)
	}
	var out FlowInfo
	q := url.Values{"fields": {strings.Join(FlowFields, ",")}}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(flowID)+"?"+q.Encode(), nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: get flow: %w", err)
	}
	return &out, nil
}

// Preview returns a link that shows the flow as a person would see it;
// invalidate makes Meta issue a new link (the old one stops working).
func (s *FlowsService) Preview(ctx context.Context, flowID string, invalidate bool) (*FlowPreview, error) {
	if err := pathID("flow_id", flowID); err != nil {
		return nil, fmt.Errorf("whatsapp: flow preview: %w", err)
	}
	q := url.Values{"fields": {fmt.Sprintf("preview.invalidate(%t)", invalidate)}}
	var out struct {
		Preview *struct {
			URL       string `json:"preview_url"`
			ExpiresAt string `json:"expires_at"`
		} `json:"preview"`
	}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(flowID)+"?"+q.Encode(), nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: flow preview: %w", err)
	}
	if out.Preview == nil || out.Preview.URL == "" {
		return nil, errors.New("whatsapp: flow preview: response has no preview url")
	}
	p := &FlowPreview{URL: out.Preview.URL}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, out.Preview.ExpiresAt); err == nil {
			p.ExpiresAt = t
			break
		}
	}
	return p, nil
}

// Publish publishes a draft flow; it can then be sent, and no longer
// changed. Meta refuses flows with validation errors.
func (s *FlowsService) Publish(ctx context.Context, flowID string) error {
	return s.action(ctx, "publish flow", flowID, "/publish")
}

// Deprecate stops a published flow from being sent.
func (s *FlowsService) Deprecate(ctx context.Context, flowID string) error {
	return s.action(ctx, "deprecate flow", flowID, "/deprecate")
}

// Delete deletes a draft flow.
func (s *FlowsService) Delete(ctx context.Context, flowID string) error {
	if err := pathID("flow_id", flowID); err != nil {
		return fmt.Errorf("whatsapp: delete flow: %w", err)
	}
	var out successResponse
	if err := call(ctx, s.c, http.MethodDelete, url.PathEscape(flowID), nil, &out); err != nil {
		return fmt.Errorf("whatsapp: delete flow: %w", err)
	}
	return nil
}

func (s *FlowsService) action(ctx context.Context, op, flowID, edge string) error {
	if err := pathID("flow_id", flowID); err != nil {
		return fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	var out successResponse
	if err := call(ctx, s.c, http.MethodPost, url.PathEscape(flowID)+edge, nil, &out); err != nil {
		return fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	if !out.Success {
		return fmt.Errorf("whatsapp: %s: response says success is false", op)
	}
	return nil
}

// SetPublicKey uploads the public half of the data-exchange endpoint's key
// for a business number (PEM, "PUBLIC KEY"); Meta signs it, and WhatsApp
// clients encrypt flow requests with it. Accepts an *rsa.PublicKey.
func (s *FlowsService) SetPublicKey(ctx context.Context, phoneNumberID string, key *rsa.PublicKey) error {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return fmt.Errorf("whatsapp: set flow public key: %w", err)
	}
	if key == nil || key.N.BitLen() < 2048 {
		return fmt.Errorf("whatsapp: set flow public key: %w", fieldErr("business_public_key", "is not a 2048-bit RSA key"))
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return fmt.Errorf("whatsapp: set flow public key: %w", err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	var out successResponse
	if err := s.multipart(ctx, url.PathEscape(phoneNumberID)+"/whatsapp_business_encryption", [][2]string{{"business_public_key", string(p)}}, nil, &out); err != nil {
		return fmt.Errorf("whatsapp: set flow public key: %w", err)
	}
	if !out.Success {
		return errors.New("whatsapp: set flow public key: response says success is false")
	}
	return nil
}

// FlowPublicKey is the key Meta holds for a number's flows.
type FlowPublicKey struct {
	PEM             string `json:"business_public_key"`
	SignatureStatus string `json:"business_public_key_signature_status"` // VALID or MISMATCH
}

// PublicKey returns the public key Meta holds for a number's flows.
func (s *FlowsService) PublicKey(ctx context.Context, phoneNumberID string) (*FlowPublicKey, error) {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return nil, fmt.Errorf("whatsapp: get flow public key: %w", err)
	}
	var out struct {
		Data []FlowPublicKey `json:"data"`
	}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(phoneNumberID)+"/whatsapp_business_encryption", nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: get flow public key: %w", err)
	}
	if len(out.Data) == 0 {
		return nil, errors.New("whatsapp: get flow public key: no key is set")
	}
	return &out.Data[0], nil
}

// multipart posts form fields (and a flow.json file when file is not nil).
func (s *FlowsService) multipart(ctx context.Context, path string, fields [][2]string, file []byte, out any) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="flow.json"`)
		h.Set("Content-Type", "application/json")
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(file)
	}
	_ = mw.Close()
	req, err := s.c.NewRequest(ctx, http.MethodPost, path, buf.Bytes())
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	_, err = s.c.do(req, out, nil)
	return err
}

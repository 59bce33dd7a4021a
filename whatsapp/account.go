package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Limits of the business profile and QR codes.
const (
	MaxProfileAbout       = 139
	MaxProfileAddress     = 256
	MaxProfileDescription = 512
	MaxProfileEmail       = 128
	MaxProfileWebsites    = 2
	MaxProfileWebsite     = 256
	MaxQRMessage          = 140
	MinDisplayName        = 2
	MaxDisplayName        = 75
)

// BusinessProfile is what people see about the line in WhatsApp.
type BusinessProfile struct {
	About             string   `json:"about,omitempty"`
	Address           string   `json:"address,omitempty"`
	Description       string   `json:"description,omitempty"`
	Email             string   `json:"email,omitempty"`
	Websites          []string `json:"websites,omitempty"`
	Vertical          string   `json:"vertical,omitempty"` // e.g. NONPROFIT, GOVT, HEALTH, EDU, OTHER
	ProfilePictureURL string   `json:"profile_picture_url,omitempty"`
}

// ProfileUpdate changes the business profile; empty fields are left as
// they are. ProfilePictureHandle is the handle of an image uploaded with
// Uploads (a resumable upload session).
type ProfileUpdate struct {
	About                string
	Address              string
	Description          string
	Email                string
	Websites             []string
	Vertical             string
	ProfilePictureHandle string
}

// Validate checks the update against WhatsApp's limits.
func (p ProfileUpdate) Validate() error {
	if err := firstErr(checkLen("about", p.About, MaxProfileAbout), checkLen("address", p.Address, MaxProfileAddress),
		checkLen("description", p.Description, MaxProfileDescription), checkLen("email", p.Email, MaxProfileEmail)); err != nil {
		return err
	}
	if p.Email != "" && !strings.Contains(p.Email, "@") {
		return fieldErr("email", "is not an email address")
	}
	if len(p.Websites) > MaxProfileWebsites {
		return fieldErr("websites", "has %d entries; WhatsApp allows %d", len(p.Websites), MaxProfileWebsites)
	}
	for i, w := range p.Websites {
		field := "websites[" + strconv.Itoa(i) + "]"
		if err := checkLen(field, w, MaxProfileWebsite); err != nil {
			return err
		}
		if !strings.HasPrefix(w, "https://") && !strings.HasPrefix(w, "http://") {
			return fieldErr(field, "is not an http(s) URL")
		}
	}
	return nil
}

type wireProfile struct {
	MessagingProduct     string   `json:"messaging_product"`
	About                string   `json:"about,omitempty"`
	Address              string   `json:"address,omitempty"`
	Description          string   `json:"description,omitempty"`
	Email                string   `json:"email,omitempty"`
	Websites             []string `json:"websites,omitempty"`
	Vertical             string   `json:"vertical,omitempty"`
	ProfilePictureHandle string   `json:"profile_picture_handle,omitempty"`
}

// ProfileService reads and changes the business profile of a number.
type ProfileService struct{ c *Client }

// ProfileFields are the fields Get asks for.
var ProfileFields = []string{"about", "address", "description", "email", "profile_picture_url", "websites", "vertical"}

// Get reads the business profile of phoneNumberID.
func (s *ProfileService) Get(ctx context.Context, phoneNumberID string) (*BusinessProfile, error) {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return nil, fmt.Errorf("whatsapp: get business profile: %w", err)
	}
	// Meta's reference shows the profile as data[0]; its OpenAPI description
	// wraps it in data[0].business_profile. Both are read.
	var out struct {
		Data []struct {
			BusinessProfile
			Wrapped *BusinessProfile `json:"business_profile"`
		} `json:"data"`
	}
	q := url.Values{"fields": {strings.Join(ProfileFields, ",")}}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(phoneNumberID)+"/whatsapp_business_profile?"+q.Encode(), nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: get business profile: %w", err)
	}
	if len(out.Data) == 0 {
		return nil, errors.New("whatsapp: get business profile: response has no profile")
	}
	if w := out.Data[0].Wrapped; w != nil {
		return w, nil
	}
	return &out.Data[0].BusinessProfile, nil
}

// Update changes the business profile of phoneNumberID.
func (s *ProfileService) Update(ctx context.Context, phoneNumberID string, p ProfileUpdate) error {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), p.Validate()); err != nil {
		return fmt.Errorf("whatsapp: update business profile: %w", err)
	}
	w := wireProfile{MessagingProduct: "whatsapp", About: p.About, Address: p.Address, Description: p.Description, Email: p.Email,
		Websites: p.Websites, Vertical: p.Vertical, ProfilePictureHandle: p.ProfilePictureHandle}
	var out successResponse
	if err := call(ctx, s.c, http.MethodPost, url.PathEscape(phoneNumberID)+"/whatsapp_business_profile", w, &out); err != nil {
		return fmt.Errorf("whatsapp: update business profile: %w", err)
	}
	if !out.Success {
		return errors.New("whatsapp: update business profile: response says success is false")
	}
	return nil
}

// QRCode is a message QR code: a wa.me link that opens a chat with the
// line and a prefilled message. Posters in a reception centre carry them.
type QRCode struct {
	Code             string `json:"code"`
	PrefilledMessage string `json:"prefilled_message"`
	DeepLinkURL      string `json:"deep_link_url"`
	QRImageURL       string `json:"qr_image_url,omitempty"`
	CreationTime     int64  `json:"creation_time,omitempty"`
}

// QR image formats.
const (
	QRImagePNG = "PNG"
	QRImageSVG = "SVG"
)

var qrCodeRE = regexp.MustCompile(`^[A-Z2-7]{14}$`)

// QRCodesService manages the message QR codes of a number.
type QRCodesService struct{ c *Client }

type wireQR struct {
	Code             string `json:"code,omitempty"`
	PrefilledMessage string `json:"prefilled_message"`
	GenerateQRImage  string `json:"generate_qr_image,omitempty"`
}

func checkQRMessage(m string) error {
	return firstErr(required("prefilled_message", m), checkLen("prefilled_message", m, MaxQRMessage))
}

func checkQRCode(code string) error {
	if !qrCodeRE.MatchString(code) {
		return fieldErr("code", "is not a 14-character QR code id")
	}
	return nil
}

func checkImage(f string) error {
	switch f {
	case "", QRImagePNG, QRImageSVG:
		return nil
	}
	return fieldErr("generate_qr_image", "%q is not PNG or SVG", f)
}

// Create makes a QR code for prefilledMessage (at most 140 characters);
// with imageFormat PNG or SVG the answer links to an image of it.
func (s *QRCodesService) Create(ctx context.Context, phoneNumberID, prefilledMessage, imageFormat string) (*QRCode, error) {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), checkQRMessage(prefilledMessage), checkImage(imageFormat)); err != nil {
		return nil, fmt.Errorf("whatsapp: create qr code: %w", err)
	}
	var out QRCode
	if err := call(ctx, s.c, http.MethodPost, url.PathEscape(phoneNumberID)+"/message_qrdls", wireQR{PrefilledMessage: prefilledMessage, GenerateQRImage: imageFormat}, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: create qr code: %w", err)
	}
	return &out, nil
}

// Update changes the prefilled message of an existing QR code.
func (s *QRCodesService) Update(ctx context.Context, phoneNumberID, code, prefilledMessage string) (*QRCode, error) {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), checkQRCode(code), checkQRMessage(prefilledMessage)); err != nil {
		return nil, fmt.Errorf("whatsapp: update qr code: %w", err)
	}
	var out QRCode
	if err := call(ctx, s.c, http.MethodPost, url.PathEscape(phoneNumberID)+"/message_qrdls", wireQR{Code: code, PrefilledMessage: prefilledMessage}, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: update qr code: %w", err)
	}
	return &out, nil
}

// Get reads one QR code.
func (s *QRCodesService) Get(ctx context.Context, phoneNumberID, code string) (*QRCode, error) {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), checkQRCode(code)); err != nil {
		return nil, fmt.Errorf("whatsapp: get qr code: %w", err)
	}
	// Meta answers {"data":[{...}]} (its own examples); a bare object is
	// accepted too.
	var out struct {
		QRCode
		Data []QRCode `json:"data"`
	}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(phoneNumberID)+"/message_qrdls/"+code, nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: get qr code: %w", err)
	}
	if len(out.Data) > 0 {
		return &out.Data[0], nil
	}
	if out.Code == "" {
		return nil, errors.New("whatsapp: get qr code: response has no code")
	}
	return &out.QRCode, nil
}

// List iterates over the QR codes of a number.
func (s *QRCodesService) List(ctx context.Context, phoneNumberID string) iter.Seq2[QRCode, error] {
	return pages[QRCode](ctx, s.c, "list qr codes", "phone_number_id", phoneNumberID, "/message_qrdls", nil)
}

// Delete deletes a QR code; its link stops working.
func (s *QRCodesService) Delete(ctx context.Context, phoneNumberID, code string) error {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), checkQRCode(code)); err != nil {
		return fmt.Errorf("whatsapp: delete qr code: %w", err)
	}
	var out successResponse
	if err := call(ctx, s.c, http.MethodDelete, url.PathEscape(phoneNumberID)+"/message_qrdls/"+code, nil, &out); err != nil {
		return fmt.Errorf("whatsapp: delete qr code: %w", err)
	}
	if !out.Success {
		return errors.New("whatsapp: delete qr code: response says success is false")
	}
	return nil
}

var pinRE = regexp.MustCompile(`^[0-9]{6}$`)

func checkPIN(field, pin string) error {
	if !pinRE.MatchString(pin) {
		return fieldErr(field, "is not 6 digits")
	}
	return nil
}

// Registration options.
type Registration struct {
	// PIN is the two-step verification PIN: set on the first registration,
	// required to match afterwards. Six digits.
	PIN string
	// DataLocalizationRegion keeps messages at rest in one region (an ISO
	// country code such as "DE"); empty for none.
	DataLocalizationRegion string
}

type wireRegister struct {
	MessagingProduct       string `json:"messaging_product"`
	PIN                    string `json:"pin"`
	DataLocalizationRegion string `json:"data_localization_region,omitempty"`
}

func (s *PhoneNumbersService) success(ctx context.Context, op, method, path string, body any) error {
	var out successResponse
	if err := call(ctx, s.c, method, path, body, &out); err != nil {
		return fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	if !out.Success {
		return fmt.Errorf("whatsapp: %s: response says success is false", op)
	}
	return nil
}

// Register registers a verified number with the Cloud API, setting or
// checking its two-step PIN. Meta allows 10 registrations per number in
// 72 hours (error 133016).
func (s *PhoneNumbersService) Register(ctx context.Context, phoneNumberID string, r Registration) error {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), checkPIN("pin", r.PIN)); err != nil {
		return fmt.Errorf("whatsapp: register: %w", err)
	}
	return s.success(ctx, "register", http.MethodPost, url.PathEscape(phoneNumberID)+"/register",
		wireRegister{MessagingProduct: "whatsapp", PIN: r.PIN, DataLocalizationRegion: r.DataLocalizationRegion})
}

// Deregister removes a number from the Cloud API.
func (s *PhoneNumbersService) Deregister(ctx context.Context, phoneNumberID string) error {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return fmt.Errorf("whatsapp: deregister: %w", err)
	}
	return s.success(ctx, "deregister", http.MethodPost, url.PathEscape(phoneNumberID)+"/deregister", nil)
}

// Code delivery methods for RequestCode.
const (
	CodeBySMS   = "SMS"
	CodeByVoice = "VOICE"
)

var localeRE = regexp.MustCompile(`^[a-z]{2}_[A-Z]{2}$`)

// RequestCode asks Meta to send a verification code to the number by SMS
// or voice call, in language (a locale such as "en_US" or "ar_EG").
func (s *PhoneNumbersService) RequestCode(ctx context.Context, phoneNumberID, method, language string) error {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return fmt.Errorf("whatsapp: request code: %w", err)
	}
	if method != CodeBySMS && method != CodeByVoice {
		return fmt.Errorf("whatsapp: request code: %w", fieldErr("code_method", "%q is not SMS or VOICE", method))
	}
	if !localeRE.MatchString(language) {
		return fmt.Errorf("whatsapp: request code: %w", fieldErr("language", "%q is not a locale such as en_US", language))
	}
	return s.success(ctx, "request code", http.MethodPost, url.PathEscape(phoneNumberID)+"/request_code",
		map[string]string{"code_method": method, "language": language})
}

// VerifyCode confirms the number with the code RequestCode had sent.
func (s *PhoneNumbersService) VerifyCode(ctx context.Context, phoneNumberID, code string) error {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), checkPIN("code", code)); err != nil {
		return fmt.Errorf("whatsapp: verify code: %w", err)
	}
	return s.success(ctx, "verify code", http.MethodPost, url.PathEscape(phoneNumberID)+"/verify_code", map[string]string{"code": code})
}

// SetTwoStepPIN sets or changes the number's two-step verification PIN.
func (s *PhoneNumbersService) SetTwoStepPIN(ctx context.Context, phoneNumberID, pin string) error {
	if err := firstErr(pathID("phone_number_id", phoneNumberID), checkPIN("pin", pin)); err != nil {
		return fmt.Errorf("whatsapp: set two-step pin: %w", err)
	}
	return s.success(ctx, "set two-step pin", http.MethodPost, url.PathEscape(phoneNumberID), map[string]string{"pin": pin})
}

// DisplayName is the state of the number's display name review.
type DisplayName struct {
	VerifiedName  string `json:"verified_name"`
	NameStatus    string `json:"name_status"`               // APPROVED, DECLINED, PENDING_REVIEW, NONE...
	NewName       string `json:"new_display_name"`          // a requested change, if any
	NewNameStatus string `json:"new_name_status,omitempty"` // its review state
	DisplayNumber string `json:"display_phone_number"`
	PhoneNumberID string `json:"id"`
}

// DisplayNameStatus reads the display name and the state of its review.
func (s *PhoneNumbersService) DisplayNameStatus(ctx context.Context, phoneNumberID string) (*DisplayName, error) {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return nil, fmt.Errorf("whatsapp: display name status: %w", err)
	}
	var out DisplayName
	q := url.Values{"fields": {"id,display_phone_number,verified_name,name_status,new_display_name,new_name_status"}}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(phoneNumberID)+"?"+q.Encode(), nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: display name status: %w", err)
	}
	return &out, nil
}

// RequestDisplayName submits a new display name (2 to 75 characters) for
// Meta's review; DisplayNameStatus follows it.
func (s *PhoneNumbersService) RequestDisplayName(ctx context.Context, phoneNumberID, name string) error {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return fmt.Errorf("whatsapp: request display name: %w", err)
	}
	if n := len([]rune(strings.TrimSpace(name))); n < MinDisplayName || n > MaxDisplayName {
		return fmt.Errorf("whatsapp: request display name: %w", fieldErr("new_display_name", "is %d characters; WhatsApp allows %d to %d", n, MinDisplayName, MaxDisplayName))
	}
	return s.success(ctx, "request display name", http.MethodPost, url.PathEscape(phoneNumberID), map[string]string{"new_display_name": name})
}

// UploadsService runs resumable upload sessions, which give the handles
// a business profile picture (and template header examples) are set with.
type UploadsService struct{ c *Client }

// Upload sends size bytes of r, of MIME type mimeType, to a new upload
// session of the app appID and returns the file handle. fileName is what
// Meta records.
func (s *UploadsService) Upload(ctx context.Context, appID, fileName, mimeType string, size int64, r io.Reader) (string, error) {
	if err := firstErr(pathID("app_id", appID), required("file_name", fileName), required("file_type", mimeType)); err != nil {
		return "", fmt.Errorf("whatsapp: upload: %w", err)
	}
	if size <= 0 {
		return "", fmt.Errorf("whatsapp: upload: %w", fieldErr("file_length", "is %d; it must be positive", size))
	}
	if _, max, ok := MediaLimit(mimeType); ok && size > max {
		return "", fmt.Errorf("whatsapp: upload: %w", fieldErr("file_length", "is %d bytes; WhatsApp allows %d for %s", size, max, mimeType))
	}
	q := url.Values{"file_name": {fileName}, "file_length": {strconv.FormatInt(size, 10)}, "file_type": {mimeType}}
	var session struct {
		ID string `json:"id"`
	}
	if err := call(ctx, s.c, http.MethodPost, url.PathEscape(appID)+"/uploads?"+q.Encode(), nil, &session); err != nil {
		return "", fmt.Errorf("whatsapp: upload: start session: %w", err)
	}
	if !strings.HasPrefix(session.ID, "upload:") {
		return "", errors.New("whatsapp: upload: start session: response has no upload session id")
	}
	body, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return "", fmt.Errorf("whatsapp: upload: read file: %w", err)
	}
	if int64(len(body)) != size {
		return "", fmt.Errorf("whatsapp: upload: %w", fieldErr("file_length", "is %d but the file has %d bytes", size, len(body)))
	}
	req, err := s.c.NewRequest(ctx, http.MethodPost, session.ID, body)
	if err != nil {
		return "", err
	}
	// The upload endpoint takes the OAuth scheme and the offset to resume at.
	req.Header["Authorization"] = []string{"OAuth " + s.c.token}
	req.Header["File_offset"] = []string{"0"}
	req.Header["Content-Type"] = []string{"application/octet-stream"}
	var out struct {
		H string `json:"h"`
	}
	if _, err := s.c.do(req, &out, nil); err != nil {
		return "", fmt.Errorf("whatsapp: upload: %w", err)
	}
	if out.H == "" {
		return "", errors.New("whatsapp: upload: response has no handle")
	}
	return out.H, nil
}

// NewPhoneNumber is a number to add to a WABA.
type NewPhoneNumber struct {
	CountryCode  string // calling code without "+", e.g. "1" or "961"
	PhoneNumber  string // the national number, digits only
	VerifiedName string // the display name to review
}

// Create adds a phone number to a WABA and returns its id. It must then
// be verified (RequestCode, VerifyCode) and registered (Register).
func (s *PhoneNumbersService) Create(ctx context.Context, wabaID string, n NewPhoneNumber) (string, error) {
	if err := firstErr(pathID("waba_id", wabaID), required("cc", n.CountryCode), required("phone_number", n.PhoneNumber)); err != nil {
		return "", fmt.Errorf("whatsapp: create phone number: %w", err)
	}
	if digits(n.CountryCode) != n.CountryCode || len(n.CountryCode) > 3 {
		return "", fmt.Errorf("whatsapp: create phone number: %w", fieldErr("cc", "is not a calling code of 1 to 3 digits"))
	}
	if digits(n.PhoneNumber) != n.PhoneNumber {
		return "", fmt.Errorf("whatsapp: create phone number: %w", fieldErr("phone_number", "has characters other than digits"))
	}
	if l := len([]rune(n.VerifiedName)); l < MinDisplayName || l > MaxDisplayName {
		return "", fmt.Errorf("whatsapp: create phone number: %w", fieldErr("verified_name", "is %d characters; WhatsApp allows %d to %d", l, MinDisplayName, MaxDisplayName))
	}
	var out struct {
		ID string `json:"id"`
	}
	body := map[string]string{"cc": n.CountryCode, "phone_number": n.PhoneNumber, "verified_name": n.VerifiedName}
	if err := call(ctx, s.c, http.MethodPost, url.PathEscape(wabaID)+"/phone_numbers", body, &out); err != nil {
		return "", fmt.Errorf("whatsapp: create phone number: %w", err)
	}
	if out.ID == "" {
		return "", errors.New("whatsapp: create phone number: response has no id")
	}
	return out.ID, nil
}

package whatsapp

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// PhoneNumbersService reads business phone numbers.
type PhoneNumbersService struct{ c *Client }

// PhoneNumber is a business phone number and its standing with Meta.
type PhoneNumber struct {
	ID                     string `json:"id"`
	DisplayPhoneNumber     string `json:"display_phone_number"`
	VerifiedName           string `json:"verified_name"`
	QualityRating          string `json:"quality_rating"` // GREEN, YELLOW, RED, UNKNOWN
	CodeVerificationStatus string `json:"code_verification_status"`
	PlatformType           string `json:"platform_type"`
	Status                 string `json:"status"`
	AccountMode            string `json:"account_mode"`
	NameStatus             string `json:"name_status"`
	IsOfficialBusiness     bool   `json:"is_official_business_account"`
	IsPinEnabled           bool   `json:"is_pin_enabled"`
	// MessagingLimit is the portfolio's limit of people reached outside the
	// window per 24 h, e.g. "TIER_250", "TIER_2K", "TIER_UNLIMITED".
	MessagingLimit string `json:"whatsapp_business_manager_messaging_limit"`
	// MessagingLimitTier is the deprecated form of MessagingLimit.
	MessagingLimitTier string `json:"messaging_limit_tier"`
	Throughput         *struct {
		Level string `json:"level"` // STANDARD (80/s) or HIGH (1000/s)
	} `json:"throughput,omitempty"`
}

// LogValue implements slog.LogValuer; the display number is the line's own,
// not personal, but is still shortened.
func (p *PhoneNumber) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", p.ID), slog.String("quality", p.QualityRating))
}

// PhoneNumberFields are the fields Get and List ask for by default.
var PhoneNumberFields = []string{
	"id", "display_phone_number", "verified_name", "quality_rating", "code_verification_status",
	"platform_type", "status", "account_mode", "name_status", "is_official_business_account",
	"is_pin_enabled", "throughput", "whatsapp_business_manager_messaging_limit",
}

func fieldsQuery(fields []string) url.Values {
	if len(fields) == 0 {
		fields = PhoneNumberFields
	}
	return url.Values{"fields": {strings.Join(fields, ",")}}
}

// Get reads one phone number. With no fields, PhoneNumberFields are asked.
func (s *PhoneNumbersService) Get(ctx context.Context, phoneNumberID string, fields ...string) (*PhoneNumber, error) {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return nil, fmt.Errorf("whatsapp: get phone number: %w", err)
	}
	req, err := s.c.NewRequest(ctx, http.MethodGet, url.PathEscape(phoneNumberID)+"?"+fieldsQuery(fields).Encode(), nil)
	if err != nil {
		return nil, err
	}
	var out PhoneNumber
	if _, err := s.c.do(req, &out, nil); err != nil {
		return nil, fmt.Errorf("whatsapp: get phone number: %w", err)
	}
	return &out, nil
}

// List iterates over the phone numbers of a WhatsApp Business Account.
func (s *PhoneNumbersService) List(ctx context.Context, wabaID string, fields ...string) iter.Seq2[PhoneNumber, error] {
	return pages[PhoneNumber](ctx, s.c, "list phone numbers", "waba_id", wabaID, "/phone_numbers", fieldsQuery(fields))
}

package webhook

// TemplateStatusUpdate is the value of "message_template_status_update": a
// template was approved, rejected, paused, disabled...
type TemplateStatusUpdate struct {
	Event                   string         `json:"event,omitzero"` // "APPROVED", "REJECTED", "PAUSED"...
	MessageTemplateID       FlexString     `json:"message_template_id,omitzero"`
	MessageTemplateName     string         `json:"message_template_name,omitzero"`
	MessageTemplateLanguage string         `json:"message_template_language,omitzero"`
	MessageTemplateCategory string         `json:"message_template_category,omitzero"`
	Reason                  string         `json:"reason,omitzero"`
	RejectionInfo           *RejectionInfo `json:"rejection_info,omitzero"`
	DisableInfo             *DisableInfo   `json:"disable_info,omitzero"`
	OtherInfo               *OtherInfo     `json:"other_info,omitzero"`
}

func (*TemplateStatusUpdate) changeValue() {}

// RejectionInfo explains why a template was rejected.
type RejectionInfo struct {
	Reason         string `json:"reason,omitzero"`
	Recommendation string `json:"recommendation,omitzero"`
}

// DisableInfo says when a template was disabled.
type DisableInfo struct {
	DisableDate string `json:"disable_date,omitzero"`
}

// OtherInfo explains a template pause or other change.
type OtherInfo struct {
	Title       string `json:"title,omitzero"`
	Description string `json:"description,omitzero"`
}

// TemplateQualityUpdate is the value of "message_template_quality_update".
type TemplateQualityUpdate struct {
	PreviousQualityScore    string     `json:"previous_quality_score,omitzero"` // "GREEN", "YELLOW", "RED", "UNKNOWN"
	NewQualityScore         string     `json:"new_quality_score,omitzero"`
	MessageTemplateID       FlexString `json:"message_template_id,omitzero"`
	MessageTemplateName     string     `json:"message_template_name,omitzero"`
	MessageTemplateLanguage string     `json:"message_template_language,omitzero"`
}

func (*TemplateQualityUpdate) changeValue() {}

// TemplateCategoryUpdate is the value of "template_category_update".
type TemplateCategoryUpdate struct {
	MessageTemplateID       FlexString `json:"message_template_id,omitzero"`
	MessageTemplateName     string     `json:"message_template_name,omitzero"`
	MessageTemplateLanguage string     `json:"message_template_language,omitzero"`
	PreviousCategory        string     `json:"previous_category,omitzero"`
	NewCategory             string     `json:"new_category,omitzero"`
	CorrectCategory         string     `json:"correct_category,omitzero"`
}

func (*TemplateCategoryUpdate) changeValue() {}

// AccountUpdate is the value of "account_update": a ban, a violation, a
// restriction, a verification...
type AccountUpdate struct {
	Event           string            `json:"event,omitzero"` // "DISABLED_UPDATE", "ACCOUNT_VIOLATION"...
	PhoneNumber     FlexString        `json:"phone_number,omitzero"`
	BanInfo         *BanInfo          `json:"ban_info,omitzero"`
	ViolationInfo   *ViolationInfo    `json:"violation_info,omitzero"`
	RestrictionInfo []RestrictionInfo `json:"restriction_info,omitzero"`
}

func (*AccountUpdate) changeValue() {}

// BanInfo describes a ban of the business account.
type BanInfo struct {
	WABABanState string `json:"waba_ban_state,omitzero"`
	WABABanDate  string `json:"waba_ban_date,omitzero"`
}

// ViolationInfo names a policy violation.
type ViolationInfo struct {
	ViolationType string `json:"violation_type,omitzero"`
}

// RestrictionInfo is a restriction placed on the account.
type RestrictionInfo struct {
	RestrictionType string    `json:"restriction_type,omitzero"`
	Expiration      Timestamp `json:"expiration,omitzero"`
}

// PhoneNumberQualityUpdate is the value of "phone_number_quality_update": the
// line's quality rating or messaging limit changed.
type PhoneNumberQualityUpdate struct {
	DisplayPhoneNumber FlexString `json:"display_phone_number,omitzero"`
	Event              string     `json:"event,omitzero"` // "FLAGGED", "UNFLAGGED", "UPGRADE", "DOWNGRADE"...
	CurrentLimit       string     `json:"current_limit,omitzero"`
	OldLimit           string     `json:"old_limit,omitzero"`
}

func (*PhoneNumberQualityUpdate) changeValue() {}

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
	DisableInfo             *struct {
		DisableDate string `json:"disable_date,omitzero"`
	} `json:"disable_info,omitzero"`
	OtherInfo *struct {
		Title       string `json:"title,omitzero"`
		Description string `json:"description,omitzero"`
	} `json:"other_info,omitzero"`
}

func (*TemplateStatusUpdate) changeValue() {}

// RejectionInfo explains why a template was rejected.
type RejectionInfo struct {
	Reason         string `json:"reason,omitzero"`
	Recommendation string `json:"recommendation,omitzero"`
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
	Event       string     `json:"event,omitzero"` // "DISABLED_UPDATE", "ACCOUNT_VIOLATION"...
	PhoneNumber FlexString `json:"phone_number,omitzero"`
	BanInfo     *struct {
		WABABanState string `json:"waba_ban_state,omitzero"`
		WABABanDate  string `json:"waba_ban_date,omitzero"`
	} `json:"ban_info,omitzero"`
	ViolationInfo *struct {
		ViolationType string `json:"violation_type,omitzero"`
	} `json:"violation_info,omitzero"`
	RestrictionInfo []struct {
		RestrictionType string    `json:"restriction_type,omitzero"`
		Expiration      Timestamp `json:"expiration,omitzero"`
	} `json:"restriction_info,omitzero"`
}

func (*AccountUpdate) changeValue() {}

// PhoneNumberQualityUpdate is the value of "phone_number_quality_update": the
// line's quality rating or messaging limit changed.
type PhoneNumberQualityUpdate struct {
	DisplayPhoneNumber FlexString `json:"display_phone_number,omitzero"`
	Event              string     `json:"event,omitzero"` // "FLAGGED", "UNFLAGGED", "UPGRADE", "DOWNGRADE"...
	CurrentLimit       string     `json:"current_limit,omitzero"`
	OldLimit           string     `json:"old_limit,omitzero"`
}

func (*PhoneNumberQualityUpdate) changeValue() {}

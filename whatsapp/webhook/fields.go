package webhook

import "encoding/json"

// More webhook fields, read by Details. Their shapes follow Meta's webhook
// reference; no recorded payloads of them were available, so every value
// also keeps its raw JSON in Change.Raw, and members of an unexpected type
// are left empty rather than failing.
const (
	FieldPhoneNumberNameUpdate      = "phone_number_name_update"
	FieldAccountReviewUpdate        = "account_review_update"
	FieldAccountAlerts              = "account_alerts"
	FieldSecurity                   = "security"
	FieldFlows                      = "flows"
	FieldBusinessCapabilityUpdate   = "business_capability_update"
	FieldTemplateComponentsUpdate   = "message_template_components_update"
	FieldPaymentConfigurationUpdate = "payment_configuration_update"
	FieldAutomaticEvents            = "automatic_events"
	FieldPartnerSolutions           = "partner_solutions"
	FieldCalls                      = "calls"
	FieldHistory                    = "history"
	FieldAppStateSync               = "smb_app_state_sync"
)

// PhoneNumberNameUpdate is the decision on a requested display name.
type PhoneNumberNameUpdate struct {
	DisplayPhoneNumber    FlexString `json:"display_phone_number,omitzero"`
	Decision              string     `json:"decision,omitzero"` // APPROVED, DECLINED, DEFERRED
	RequestedVerifiedName string     `json:"requested_verified_name,omitzero"`
	RejectionReason       string     `json:"rejection_reason,omitzero"`
}

// AccountReviewUpdate is the outcome of the review of a WABA.
type AccountReviewUpdate struct {
	Decision string `json:"decision,omitzero"` // APPROVED, REJECTED, PENDING, DEFERRED
}

// AccountAlert warns about an account's standing or limits.
type AccountAlert struct {
	EntityType       string     `json:"entity_type,omitzero"` // WABA, PHONE_NUMBER, BUSINESS
	EntityID         FlexString `json:"entity_id,omitzero"`
	AlertSeverity    string     `json:"alert_severity,omitzero"` // CRITICAL, WARNING, INFORMATIONAL
	AlertStatus      string     `json:"alert_status,omitzero"`   // ACTIVE, NONE
	AlertType        string     `json:"alert_type,omitzero"`
	AlertDescription string     `json:"alert_description,omitzero"`
}

// SecurityEvent reports a change to a number's security settings, such as
// the two-step PIN.
type SecurityEvent struct {
	DisplayPhoneNumber FlexString `json:"display_phone_number,omitzero"`
	Event              string     `json:"event,omitzero"` // PIN_CHANGED, PIN_RESET_REQUEST...
	Requester          FlexString `json:"requester,omitzero"`
}

// FlowEvent reports a flow's status change or an alert about its
// endpoint's health.
type FlowEvent struct {
	Event        string     `json:"event,omitzero"` // FLOW_STATUS_CHANGE, ENDPOINT_ERROR_RATE, ENDPOINT_LATENCY, ENDPOINT_AVAILABILITY, CLIENT_ERROR_RATE
	Message      string     `json:"message,omitzero"`
	FlowID       FlexString `json:"flow_id,omitzero"`
	OldStatus    string     `json:"old_status,omitzero"`
	NewStatus    string     `json:"new_status,omitzero"`
	AlertState   string     `json:"alert_state,omitzero"` // ACTIVATED, DEACTIVATED
	Threshold    FlexFloat  `json:"threshold,omitzero"`
	ErrorRate    FlexFloat  `json:"error_rate,omitzero"`
	P50Latency   FlexFloat  `json:"p50_latency,omitzero"`
	P90Latency   FlexFloat  `json:"p90_latency,omitzero"`
	Availability FlexFloat  `json:"availability,omitzero"`
}

// BusinessCapabilityUpdate reports new messaging limits. Meta uses
// max_daily_conversations_per_business from v24.0 and
// max_daily_conversation_per_phone before.
type BusinessCapabilityUpdate struct {
	MaxDailyConversationsPerBusiness FlexInt `json:"max_daily_conversations_per_business,omitzero"`
	MaxDailyConversationPerPhone     FlexInt `json:"max_daily_conversation_per_phone,omitzero"`
	MaxPhoneNumbersPerBusiness       FlexInt `json:"max_phone_numbers_per_business,omitzero"`
	MaxPhoneNumbersPerWABA           FlexInt `json:"max_phone_numbers_per_waba,omitzero"`
}

// TemplateComponentsUpdate reports a change to a template's content.
type TemplateComponentsUpdate struct {
	MessageTemplateID       FlexString      `json:"message_template_id,omitzero"`
	MessageTemplateName     string          `json:"message_template_name,omitzero"`
	MessageTemplateLanguage string          `json:"message_template_language,omitzero"`
	MessageTemplateElement  string          `json:"message_template_element,omitzero"`
	MessageTemplateTitle    string          `json:"message_template_title,omitzero"`
	MessageTemplateFooter   string          `json:"message_template_footer,omitzero"`
	MessageTemplateButtons  json.RawMessage `json:"message_template_buttons,omitzero"`
}

// PaymentConfigurationUpdate reports a payment configuration's state.
type PaymentConfigurationUpdate struct {
	ConfigurationName string    `json:"configuration_name,omitzero"`
	ProviderName      string    `json:"provider_name,omitzero"`
	ProviderMID       string    `json:"provider_mid,omitzero"`
	Status            string    `json:"status,omitzero"`
	CreatedTimestamp  Timestamp `json:"created_timestamp,omitzero"`
	UpdatedTimestamp  Timestamp `json:"updated_timestamp,omitzero"`
}

// AutomaticEvents lists events Meta detected in conversations, such as a
// purchase or a lead from a click-to-WhatsApp ad.
type AutomaticEvents struct {
	Events []struct {
		ID        FlexString `json:"id,omitzero"`
		EventName string     `json:"event_name,omitzero"`
		Timestamp Timestamp  `json:"timestamp,omitzero"`
		CTWAClid  string     `json:"ctwa_clid,omitzero"`
	} `json:"automatic_events,omitzero"`
}

// PartnerSolutionEvent reports a change to a multi-partner solution.
type PartnerSolutionEvent struct {
	Event          string     `json:"event,omitzero"`
	SolutionID     FlexString `json:"solution_id,omitzero"`
	SolutionStatus string     `json:"solution_status,omitzero"`
}

// CallEvents lists WhatsApp Business Calling events (connect, terminate)
// and their statuses.
type CallEvents struct {
	Metadata Metadata `json:"metadata,omitzero"`
	Calls    []struct {
		ID        FlexString `json:"id,omitzero"`
		From      FlexString `json:"from,omitzero"`
		To        FlexString `json:"to,omitzero"`
		Event     string     `json:"event,omitzero"` // connect, terminate
		Direction string     `json:"direction,omitzero"`
		Status    string     `json:"status,omitzero"`
		Timestamp Timestamp  `json:"timestamp,omitzero"`
		Duration  FlexInt    `json:"duration,omitzero"`
	} `json:"calls,omitzero"`
	Statuses []json.RawMessage `json:"statuses,omitzero"`
}

// HistorySync carries a chunk of the chat history of a number onboarded
// from the WhatsApp Business app; the threads stay raw.
type HistorySync struct {
	Metadata Metadata `json:"metadata,omitzero"`
	History  []struct {
		Metadata struct {
			Phase      FlexInt `json:"phase,omitzero"`
			ChunkOrder FlexInt `json:"chunk_order,omitzero"`
			Progress   FlexInt `json:"progress,omitzero"`
		} `json:"metadata,omitzero"`
		Threads []json.RawMessage `json:"threads,omitzero"`
		Errors  []Error           `json:"errors,omitzero"`
	} `json:"history,omitzero"`
}

// AppStateSync carries contacts synchronised from the WhatsApp Business
// app; the entries stay raw.
type AppStateSync struct {
	Metadata  Metadata          `json:"metadata,omitzero"`
	StateSync []json.RawMessage `json:"state_sync,omitzero"`
}

var detailTypes = map[string]func() any{
	FieldPhoneNumberNameUpdate:      func() any { return new(PhoneNumberNameUpdate) },
	FieldAccountReviewUpdate:        func() any { return new(AccountReviewUpdate) },
	FieldAccountAlerts:              func() any { return new(AccountAlert) },
	FieldSecurity:                   func() any { return new(SecurityEvent) },
	FieldFlows:                      func() any { return new(FlowEvent) },
	FieldBusinessCapabilityUpdate:   func() any { return new(BusinessCapabilityUpdate) },
	FieldTemplateComponentsUpdate:   func() any { return new(TemplateComponentsUpdate) },
	FieldPaymentConfigurationUpdate: func() any { return new(PaymentConfigurationUpdate) },
	FieldAutomaticEvents:            func() any { return new(AutomaticEvents) },
	FieldPartnerSolutions:           func() any { return new(PartnerSolutionEvent) },
	FieldCalls:                      func() any { return new(CallEvents) },
	FieldHistory:                    func() any { return new(HistorySync) },
	FieldAppStateSync:               func() any { return new(AppStateSync) },
}

// Details returns the typed value of a change: Change.Value for the fields
// Parse types itself, a []GroupUpdate for the group fields, and for the
// fields above a pointer to their type (e.g. *FlowEvent for "flows"). It
// reports false for a field it does not know.
func Details(c *Change) (any, bool) {
	if c == nil {
		return nil, false
	}
	if c.Value != nil {
		return c.Value, true
	}
	if gs, ok := GroupUpdates(c); ok {
		return gs, true
	}
	mk, ok := detailTypes[c.Field]
	if !ok {
		return nil, false
	}
	v := mk()
	_ = lenient(c.Raw, v)
	return v, true
}

package whatsapp_test

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

var (
	specOnce sync.Once
	spec     *openapi3.T
	specErr  error
)

// loadSpec loads Meta's OpenAPI description (v23.0) once, with its known
// defects corrected by correctSpec.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	dir := conformanceDir(t)
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromFile(filepath.Join(dir, "openapi", "business-messaging-api_v23.0.yaml"))
		if specErr == nil {
			specErr = correctSpec(spec)
		}
	})
	if specErr != nil {
		t.Fatalf("load OpenAPI description: %v", specErr)
	}
	return spec
}

func schema(doc *openapi3.T, name string) *openapi3.Schema {
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		panic("OpenAPI schema " + name + " not found")
	}
	return ref.Value
}

func strSchema() *openapi3.Schema { return openapi3.NewStringSchema() }

// correctSpec fixes the defects of the published description that reject
// requests Meta accepts. Every correction is here, named with its reason;
// nothing else in the description is changed.
func correctSpec(doc *openapi3.T) error {
	messages := []string{"TextMessage", "AudioMessage", "VideoMessage", "DocumentMessage", "ImageMessage", "LocationMessage",
		"StickerMessage", "ReactionMessage", "InteractiveMessage", "TemplateMessage", "ContactsMessage"}

	// 1. Each message schema is allOf [BaseMessageProperties, {...}] where
	// the second branch forbids additional properties, so it rejects the
	// base's messaging_product, to, type... and no message can pass. Let
	// the branches accept one another's properties.
	for _, name := range messages {
		for _, branch := range schema(doc, name).AllOf {
			if branch.Value != nil && branch.Ref == "" {
				branch.Value.AdditionalProperties = openapi3.AdditionalProperties{}
			}
		}
	}

	// 2. recipient (a business-scoped user id, sent instead of to) is newer
	// than v23.0: add it, and require one of to and recipient.
	base := schema(doc, "BaseMessageProperties")
	base.Properties["recipient"] = openapi3.NewSchemaRef("", strSchema())
	base.Properties["biz_opaque_callback_data"] = openapi3.NewSchemaRef("", strSchema().WithMaxLength(512))
	req := base.Required[:0]
	for _, r := range base.Required {
		if r != "to" {
			req = append(req, r)
		}
	}
	base.Required = req
	base.OneOf = openapi3.SchemaRefs{
		openapi3.NewSchemaRef("", &openapi3.Schema{Required: []string{"to"}}),
		openapi3.NewSchemaRef("", &openapi3.Schema{Required: []string{"recipient"}}),
	}

	// 3. template.language.policy is marked required, but it is optional
	// (its one value, deterministic, is the default; Meta's own examples
	// omit it).
	schema(doc, "LanguageObject").Required = []string{"code"}
	schema(doc, "TemplateObject").Properties["language"].Value.Required = []string{"code"} // a $ref with siblings is loaded as a copy

	// 4. A template button index is typed string only, with a pattern
	// (^[2-6, 11-14]$) that rejects "0" and "1"; Meta documents 0-9 and
	// accepts numbers and strings.
	index := openapi3.NewSchemaRef("", &openapi3.Schema{OneOf: openapi3.SchemaRefs{
		openapi3.NewSchemaRef("", strSchema().WithPattern(`^[0-9]$`)),
		openapi3.NewSchemaRef("", openapi3.NewIntegerSchema().WithMin(0).WithMax(9)),
	}})
	schema(doc, "TemplateComponent").Properties["index"] = index
	for _, branch := range schema(doc, "ButtonComponent").AllOf {
		if branch.Ref == "" && branch.Value.Properties["index"] != nil {
			branch.Value.Properties["index"] = index
		}
	}

	// 5. Copy-code buttons (coupon codes) are documented by Meta but missing
	// from the sub_type and button parameter enums.
	schema(doc, "TemplateComponent").Properties["sub_type"].Value.Enum = append(schema(doc, "TemplateComponent").Properties["sub_type"].Value.Enum, "copy_code")
	for _, branch := range schema(doc, "ButtonComponent").AllOf {
		if branch.Ref == "" && branch.Value.Properties["sub_type"] != nil {
			branch.Value.Properties["sub_type"].Value.Enum = append(branch.Value.Properties["sub_type"].Value.Enum, "copy_code")
		}
	}
	bp := schema(doc, "ButtonParameterObject")
	bp.Properties["type"].Value.Enum = append(bp.Properties["type"].Value.Enum, "coupon_code")
	bp.Discriminator = nil // the mapping has no coupon_code entry
	bp.Properties["coupon_code"] = openapi3.NewSchemaRef("", strSchema().WithMaxLength(15))

	// 6. Location latitude and longitude are typed string only; Meta
	// documents numbers (and a real recording shows them accepted).
	for _, branch := range schema(doc, "LocationMessage").AllOf {
		if loc := branch.Value.Properties["location"]; branch.Ref == "" && loc != nil {
			for _, k := range []string{"latitude", "longitude"} {
				loc.Value.Properties[k] = openapi3.NewSchemaRef("", &openapi3.Schema{OneOf: openapi3.SchemaRefs{
					openapi3.NewSchemaRef("", strSchema()), openapi3.NewSchemaRef("", openapi3.NewFloat64Schema()),
				}})
			}
		}
	}

	// 7. The cta_url and location_request_message interactive types are
	// missing, and with them their actions ({name: cta_url, parameters} and
	// {name: send_location}), so the action is checked against the list's
	// required button and sections.
	io := schema(doc, "InteractiveObject")
	io.Properties["type"].Value.Enum = append(io.Properties["type"].Value.Enum, "cta_url", "location_request_message")
	action := schema(doc, "ActionObject")
	cta := &openapi3.Schema{Required: []string{"name", "parameters"}, Properties: openapi3.Schemas{
		"name": openapi3.NewSchemaRef("", strSchema().WithEnum("cta_url")),
		"parameters": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"object"}, Required: []string{"display_text", "url"},
			Properties: openapi3.Schemas{
				"display_text": openapi3.NewSchemaRef("", strSchema().WithMaxLength(20)),
				"url":          openapi3.NewSchemaRef("", strSchema()),
			}}),
	}}
	sendLocation := &openapi3.Schema{Required: []string{"name"}, Properties: openapi3.Schemas{
		"name": openapi3.NewSchemaRef("", strSchema().WithEnum("send_location")),
	}}
	action.OneOf = append(action.OneOf, openapi3.NewSchemaRef("", cta), openapi3.NewSchemaRef("", sendLocation))

	// 8. Contact address, email, phone and URL types are enumerated as
	// HOME and WORK only, but Meta documents phone types CELL, MAIN and
	// IPHONE, and a real recording shows "Home" and "Work" accepted.
	for _, name := range []string{"AddressObject", "EmailObject", "PhoneObject", "UrlObject"} {
		schema(doc, name).Properties["type"].Value.Enum = nil
	}

	// 9. GET /{group_id}/invite_link (Meta's "get group invite link") is
	// missing; only POST (a new link) and DELETE are described. It answers
	// as POST does.
	if il := doc.Paths.Value("/{Version}/{group_id}/invite_link"); il != nil && il.Post != nil && il.Get == nil {
		get := *il.Post
		get.RequestBody = nil
		get.OperationID = "getGroupInviteLink"
		il.Get = &get
	}

	// 10. POST /message_qrdls takes oneOf [CreateQrCodeRequest,
	// UpdateQrCodeRequest], but neither forbids the other's properties, so
	// an update ({code, prefilled_message}) matches both and oneOf rejects
	// it. Either must do: anyOf.
	if qr := doc.Paths.Value("/{Version}/{Phone-Number-ID}/message_qrdls"); qr != nil && qr.Post != nil {
		s := qr.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
		s.AnyOf, s.OneOf = s.OneOf, nil
	}

	// 11. GET /message_qrdls/{QR-Code-ID} is described as answering a bare
	// QrCodeResponse, but its own examples (and Meta's reference) answer
	// {"data": [QrCodeDetails]}, the shape of QrCodeList.
	if one := doc.Paths.Value("/{Version}/{Phone-Number-ID}/message_qrdls/{QR-Code-ID}"); one != nil && one.Get != nil {
		one.Get.Responses.Status(200).Value.Content.Get("application/json").Schema = doc.Components.Schemas["QrCodeList"]
	}

	// 12. GET /{WABA-ID}/message_templates declares only the name filter,
	// but like every Graph edge it pages with limit/after/before, and Meta
	// documents the status, category and language filters.
	if mt := doc.Paths.Value("/{Version}/{WABA-ID}/message_templates"); mt != nil && mt.Get != nil {
		for _, name := range []string{"limit", "after", "before", "status", "category", "language"} {
			mt.Get.Parameters = append(mt.Get.Parameters, &openapi3.ParameterRef{Value: openapi3.NewQueryParameter(name).WithSchema(strSchema())})
		}
	}

	// 13. Carousel and limited-time-offer components, which Meta documents
	// for marketing templates, are missing from the component type enum,
	// and with them the carousel's cards; the limited_time_offer parameter
	// type is missing too.
	tc := schema(doc, "TemplateComponent")
	tc.Properties["type"].Value.Enum = append(tc.Properties["type"].Value.Enum, "carousel", "limited_time_offer")
	tc.Properties["cards"] = openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithMaxItems(10).WithItems(&openapi3.Schema{
		Type: &openapi3.Types{"object"}, Required: []string{"card_index", "components"},
		Properties: openapi3.Schemas{
			"card_index": openapi3.NewSchemaRef("", openapi3.NewIntegerSchema().WithMin(0).WithMax(9)),
			"components": openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(tc)),
		}}))
	po := schema(doc, "ParameterObject")
	po.Properties["type"].Value.Enum = append(po.Properties["type"].Value.Enum, "limited_time_offer", "location")

	// 14. Audio voice messages ("voice": true) are newer than v23.0. The
	// media object does not forbid extra properties, so nothing to correct.
	return nil
}

// createTemplateSchema is the inline request schema of
// POST /{WABA-ID}/message_templates.
func createTemplateSchema(t *testing.T, doc *openapi3.T) *openapi3.Schema {
	t.Helper()
	p := doc.Paths.Find("/{Version}/{WABA-ID}/message_templates")
	if p == nil || p.Post == nil || p.Post.RequestBody == nil {
		t.Fatal("no POST /{WABA-ID}/message_templates in the description")
	}
	return p.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
}

// TestRequestsValidateAgainstOpenAPI checks every request body the client
// sends against Meta's OpenAPI description (corrected as above).
func TestRequestsValidateAgainstOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	for _, rc := range requestCases() {
		t.Run(rc.name, func(t *testing.T) {
			var s *openapi3.Schema
			switch rc.schema {
			case "", "Message":
				s = schema(doc, "Message")
			case "CreateTemplate":
				s = createTemplateSchema(t, doc)
			default:
				s = schema(doc, rc.schema)
			}
			var v any
			if err := json.Unmarshal(rc.body(t), &v); err != nil {
				t.Fatal(err)
			}
			if err := s.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				b, _ := json.Marshal(v)
				t.Fatalf("%s does not validate against %s:\n%v", b, rc.schema, err)
			}
		})
	}
}

// TestOpenAPICorrectionsStayNarrow checks that the corrected description
// still rejects what Meta rejects: the corrections only widen it where
// named.
func TestOpenAPICorrectionsStayNarrow(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	msg := schema(doc, "Message")
	bad := map[string]string{
		"no recipient":           `{"messaging_product":"whatsapp","recipient_type":"individual","type":"text","text":{"body":"hi"}}`,
		"four buttons":           `{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"interactive","interactive":{"type":"button","body":{"text":"b"},"action":{"buttons":[{"type":"reply","reply":{"id":"1","title":"a"}},{"type":"reply","reply":{"id":"2","title":"b"}},{"type":"reply","reply":{"id":"3","title":"c"}},{"type":"reply","reply":{"id":"4","title":"d"}}]}}}`,
		"long button title":      `{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"interactive","interactive":{"type":"button","body":{"text":"b"},"action":{"buttons":[{"type":"reply","reply":{"id":"1","title":"123456789012345678901"}}]}}}`,
		"unknown interactive":    `{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"interactive","interactive":{"type":"carousel_x","body":{"text":"b"},"action":{"name":"send_location"}}}`,
		"template without code":  `{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"template","template":{"name":"a","language":{}}}`,
		"button index 10":        `{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"template","template":{"name":"a","language":{"code":"en"},"components":[{"type":"button","sub_type":"url","index":10,"parameters":[{"type":"text","text":"x"}]}]}}`,
		"text body not a string": `{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"text","text":{"body":5}}`,
	}
	for name, body := range bad {
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		if err := msg.VisitJSON(v); err == nil {
			t.Errorf("%s: validates, want rejected", name)
		}
	}
}

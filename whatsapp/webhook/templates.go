package webhook

import "github.com/impactchat/impactchat/whatsapp"

// TemplateChangeOf converts a template status, quality or category
// webhook change into the whatsapp.TemplateChange that
// whatsapp.TemplateCache.Apply takes, and reports false for any other
// change.
func TemplateChangeOf(c *Change) (whatsapp.TemplateChange, bool) {
	if c == nil {
		return whatsapp.TemplateChange{}, false
	}
	switch v := c.Value.(type) {
	case *TemplateStatusUpdate:
		tc := whatsapp.TemplateChange{TemplateID: string(v.MessageTemplateID), Name: v.MessageTemplateName,
			Language: v.MessageTemplateLanguage, Status: whatsapp.TemplateStatus(v.Event), Reason: v.Reason}
		if tc.Reason == "NONE" {
			tc.Reason = ""
		}
		if v.OtherInfo != nil && v.OtherInfo.Title != "" {
			tc.Reason = v.OtherInfo.Title
		}
		return tc, true
	case *TemplateQualityUpdate:
		return whatsapp.TemplateChange{TemplateID: string(v.MessageTemplateID), Name: v.MessageTemplateName,
			Language: v.MessageTemplateLanguage, Quality: v.NewQualityScore}, true
	case *TemplateCategoryUpdate:
		cat := v.NewCategory
		if cat == "" {
			cat = v.CorrectCategory
		}
		return whatsapp.TemplateChange{TemplateID: string(v.MessageTemplateID), Name: v.MessageTemplateName,
			Language: v.MessageTemplateLanguage, Category: cat}, true
	}
	return whatsapp.TemplateChange{}, false
}

// TemplateChanges returns every template change in the notification, in
// order, ready for whatsapp.TemplateCache.Apply.
func (n *Notification) TemplateChanges() []whatsapp.TemplateChange {
	var out []whatsapp.TemplateChange
	for c := range n.Changes() {
		if tc, ok := TemplateChangeOf(c); ok {
			out = append(out, tc)
		}
	}
	return out
}

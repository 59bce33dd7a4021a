package webhook_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook"
)

func TestTemplateChangesFromFixtures(t *testing.T) {
	t.Parallel()
	dir := conformanceDir(t)
	cases := map[string]whatsapp.TemplateChange{
		"field_template_status_rejected__pywa.json": {TemplateID: "1689556908129835", Name: "abandoned_cart", Language: "en", Status: whatsapp.TemplateRejected, Reason: "INVALID_FORMAT"},
		"field_template_quality_update__pywa.json":  {TemplateID: "806312974732579", Name: "welcome_template", Language: "en_US", Quality: "YELLOW"},
		"field_template_category_update__pywa.json": {TemplateID: "12345678", Name: "my_message_template", Language: "he", Category: whatsapp.CategoryMarketing},
	}
	for file, want := range cases {
		body, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		n, err := webhook.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		got := n.TemplateChanges()
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: %+v, want %+v", file, got, want)
		}
		cache := whatsapp.NewTemplateCache()
		if !cache.Apply(got[0]) {
			t.Errorf("%s: the change names its template but was not applied", file)
		}
	}
	if _, ok := webhook.TemplateChangeOf(nil); ok {
		t.Error("nil change converted")
	}
}

package whatsapp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func TestTemplateCarouselOfferAndLocation(t *testing.T) {
	t.Parallel()
	_, c, tp := tappedFake(t, whatsapptest.WithoutWindow())
	doc := loadSpec(t)
	env := whatsapp.Envelope{To: "+96170000001"}
	expires := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	msgs := map[string]whatsapp.TemplateMessage{
		"limited_time_offer": {Envelope: env, Name: "winter_vouchers", Language: "ar", OfferExpires: expires,
			Body:    []whatsapp.Param{{Text: "50"}},
			Buttons: []whatsapp.TemplateButton{{SubType: whatsapp.ButtonCopyCode, Index: 0, CouponCode: "WARM50"}}},
		"carousel": {Envelope: env, Name: "services_carousel", Language: "en", Body: []whatsapp.Param{{Text: "Amal"}},
			Cards: []whatsapp.TemplateCard{
				{Header: whatsapp.Param{Image: &whatsapp.MediaRef{ID: "1234"}}, Body: []whatsapp.Param{{Text: "legal aid"}},
					Buttons: []whatsapp.TemplateButton{{SubType: whatsapp.ButtonQuickReply, Index: 0, Payload: "legal"}}},
				{Header: whatsapp.Param{Video: &whatsapp.MediaRef{Link: "https://example.org/clinic.mp4"}},
					Buttons: []whatsapp.TemplateButton{{SubType: whatsapp.ButtonURL, Index: 0, Text: "clinic"}}},
			}},
		"location header": {Envelope: env, Name: "office_location", Language: "en",
			Header: []whatsapp.Param{{Location: &whatsapp.LocationParam{Latitude: 33.89, Longitude: 35.50, Name: "Office", Address: "Hamra, Beirut"}}}},
	}
	for name, m := range msgs {
		if _, err := c.Messages.Send(t.Context(), fakeLine, m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ex := tp.last()
		checkExchange(t, doc, "/{Version}/{Phone-Number-ID}/messages", ex)
		want := map[string]string{
			"limited_time_offer": `{"type":"limited_time_offer","parameters":[{"type":"limited_time_offer","limited_time_offer":{"expiration_time_ms":` + itoa(expires.UnixMilli()) + `}}]}`,
			"carousel":           `{"type":"carousel","cards":[{"card_index":0,"components":[{"type":"header","parameters":[{"type":"image","image":{"id":"1234"}}]}`,
			"location header":    `{"type":"header","parameters":[{"type":"location","location":{"latitude":33.89,"longitude":35.5,"name":"Office","address":"Hamra, Beirut"}}]}`,
		}[name]
		if !strings.Contains(string(ex.reqBody), want) {
			t.Errorf("%s: body %s\nwant it to contain %s", name, ex.reqBody, want)
		}
	}
	bad := map[string]whatsapp.TemplateMessage{
		"text card header": {Envelope: env, Name: "c", Language: "en", Cards: []whatsapp.TemplateCard{{Header: whatsapp.Param{Text: "x"}}}},
		"eleven cards":     {Envelope: env, Name: "c", Language: "en", Cards: make([]whatsapp.TemplateCard, 11)},
		"body location":    {Envelope: env, Name: "c", Language: "en", Body: []whatsapp.Param{{Location: &whatsapp.LocationParam{}}}},
		"latitude":         {Envelope: env, Name: "c", Language: "en", Header: []whatsapp.Param{{Location: &whatsapp.LocationParam{Latitude: 91}}}},
		"card button":      {Envelope: env, Name: "c", Language: "en", Cards: []whatsapp.TemplateCard{{Header: whatsapp.Param{Image: &whatsapp.MediaRef{ID: "1"}}, Buttons: []whatsapp.TemplateButton{{SubType: "call"}}}}},
	}
	for name, m := range bad {
		if _, err := c.Messages.Send(t.Context(), fakeLine, m); !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

package whatsapp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func TestCatalogMessages(t *testing.T) {
	t.Parallel()
	srv, c, tp := tappedFake(t, whatsapptest.WithoutWindow())
	doc := loadSpec(t)
	env := whatsapp.Envelope{To: "+96170000001"}
	msgs := map[string]whatsapp.Message{
		"product": whatsapp.Product{Envelope: env, CatalogID: "367025965434465", ProductRetailerID: "winter-kit", Body: "A winter kit"},
		"product_list": whatsapp.ProductList{Envelope: env, CatalogID: "367025965434465", Header: "Kits", Body: "What do you need?",
			Sections: []whatsapp.ProductSection{{Title: "Winter", ProductRetailerIDs: []string{"blanket", "coat"}}, {Title: "Hygiene", ProductRetailerIDs: []string{"soap"}}}},
		"catalog_message": whatsapp.Catalog{Envelope: env, Body: "Browse what we offer", ThumbnailProductID: "blanket"},
	}
	for kind, m := range msgs {
		if _, err := c.Messages.Send(t.Context(), fakeLine, m); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		ex := tp.last()
		checkExchange(t, doc, "/{Version}/{Phone-Number-ID}/messages", ex)
		if !strings.Contains(string(ex.reqBody), `"type":"`+kind+`"`) {
			t.Errorf("%s: body %s", kind, ex.reqBody)
		}
	}
	if n := len(srv.Sent()); n != 3 {
		t.Errorf("%d sent", n)
	}
	many := make([]string, 31)
	for i := range many {
		many[i] = "p"
	}
	bad := map[string]whatsapp.Message{
		"no catalog":    whatsapp.Product{Envelope: env, ProductRetailerID: "x"},
		"no header":     whatsapp.ProductList{Envelope: env, CatalogID: "1", Body: "b", Sections: []whatsapp.ProductSection{{Title: "t", ProductRetailerIDs: []string{"a"}}}},
		"31 products":   whatsapp.ProductList{Envelope: env, CatalogID: "1", Header: "h", Body: "b", Sections: []whatsapp.ProductSection{{Title: "t", ProductRetailerIDs: many}}},
		"no thumbnail":  whatsapp.Catalog{Envelope: env, Body: "b"},
		"empty section": whatsapp.ProductList{Envelope: env, CatalogID: "1", Header: "h", Body: "b", Sections: []whatsapp.ProductSection{{Title: "t"}}},
	}
	for name, m := range bad {
		if _, err := c.Messages.Send(t.Context(), fakeLine, m); !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

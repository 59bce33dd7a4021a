package whatsapp

import (
	"encoding/json"
	"strconv"
)

// Limits of catalog messages.
const (
	MaxProductSections = 10
	MaxProductItems    = 30 // in all sections together
)

// Product shows one item of the business's catalog (a Facebook catalog
// linked to the WABA): for an NGO, a service, a kit or a voucher people
// can ask for. Body and Footer are optional.
type Product struct {
	Envelope
	CatalogID         string
	ProductRetailerID string
	Body              string
	Footer            string
}

// ProductList shows up to 30 catalog items in up to 10 sections. Header
// and Body are required.
type ProductList struct {
	Envelope
	CatalogID string
	Header    string
	Body      string
	Footer    string
	Sections  []ProductSection
}

// ProductSection is a titled group of catalog items.
type ProductSection struct {
	Title              string
	ProductRetailerIDs []string
}

// Catalog invites the person to browse the whole catalog, with one item's
// image as the thumbnail.
type Catalog struct {
	Envelope
	Body               string
	Footer             string
	ThumbnailProductID string // product_retailer_id of the thumbnail item
}

// Type implements Message.
func (Product) Type() string { return "interactive" }

// Type implements Message.
func (ProductList) Type() string { return "interactive" }

// Type implements Message.
func (Catalog) Type() string { return "interactive" }

func (m Product) withEnvelope(e Envelope) Message     { m.Envelope = e; return m }
func (m ProductList) withEnvelope(e Envelope) Message { m.Envelope = e; return m }
func (m Catalog) withEnvelope(e Envelope) Message     { m.Envelope = e; return m }

// Validate checks the message against WhatsApp's limits.
func (m Product) Validate() error {
	return firstErr(m.Envelope.validate(), required("interactive.action.catalog_id", m.CatalogID),
		required("interactive.action.product_retailer_id", m.ProductRetailerID),
		checkLen("interactive.body.text", m.Body, MaxInteractiveBody), checkLen("interactive.footer.text", m.Footer, MaxFooter))
}

// Validate checks the message against WhatsApp's limits.
func (m ProductList) Validate() error {
	if err := firstErr(m.Envelope.validate(), required("interactive.action.catalog_id", m.CatalogID),
		required("interactive.header.text", m.Header), checkLen("interactive.header.text", m.Header, MaxHeaderText),
		required("interactive.body.text", m.Body), checkLen("interactive.body.text", m.Body, MaxInteractiveBody),
		checkLen("interactive.footer.text", m.Footer, MaxFooter)); err != nil {
		return err
	}
	if n := len(m.Sections); n == 0 || n > MaxProductSections {
		return fieldErr("interactive.action.sections", "has %d sections; WhatsApp allows 1 to %d", n, MaxProductSections)
	}
	items := 0
	for i, s := range m.Sections {
		f := "interactive.action.sections[" + strconv.Itoa(i) + "]"
		if err := firstErr(required(f+".title", s.Title), checkLen(f+".title", s.Title, MaxSectionTitle)); err != nil {
			return err
		}
		if len(s.ProductRetailerIDs) == 0 {
			return fieldErr(f+".product_items", "is empty")
		}
		for j, id := range s.ProductRetailerIDs {
			if err := required(f+".product_items["+strconv.Itoa(j)+"].product_retailer_id", id); err != nil {
				return err
			}
		}
		items += len(s.ProductRetailerIDs)
	}
	if items > MaxProductItems {
		return fieldErr("interactive.action.sections", "hold %d products; WhatsApp allows %d", items, MaxProductItems)
	}
	return nil
}

// Validate checks the message against WhatsApp's limits.
func (m Catalog) Validate() error {
	return firstErr(m.Envelope.validate(), required("interactive.body.text", m.Body),
		checkLen("interactive.body.text", m.Body, MaxInteractiveBody), checkLen("interactive.footer.text", m.Footer, MaxFooter),
		required("interactive.action.parameters.thumbnail_product_retailer_id", m.ThumbnailProductID))
}

func (m Product) fill(w *wireMessage) {
	in := &wireInteractive{Type: "product", Body: body(m.Body), Footer: body(m.Footer)}
	in.Action.CatalogID, in.Action.ProductRetailerID = m.CatalogID, m.ProductRetailerID
	w.Interactive = in
}

func (m ProductList) fill(w *wireMessage) {
	in := &wireInteractive{Type: "product_list", Header: &wireHeader{Type: "text", Text: m.Header}, Body: body(m.Body), Footer: body(m.Footer)}
	in.Action.CatalogID = m.CatalogID
	for _, s := range m.Sections {
		ws := wireSection{Title: s.Title}
		for _, id := range s.ProductRetailerIDs {
			ws.ProductItems = append(ws.ProductItems, wireProductItem{ProductRetailerID: id})
		}
		in.Action.Sections = append(in.Action.Sections, ws)
	}
	w.Interactive = in
}

func (m Catalog) fill(w *wireMessage) {
	in := &wireInteractive{Type: "catalog_message", Body: body(m.Body), Footer: body(m.Footer)}
	in.Action.Name = "catalog_message"
	in.Action.Parameters, _ = json.Marshal(map[string]string{"thumbnail_product_retailer_id": m.ThumbnailProductID})
	w.Interactive = in
}

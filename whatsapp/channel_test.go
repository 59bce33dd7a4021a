package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

var line = chat.Address{Channel: chat.ChannelWhatsApp, Line: whatsapptest.DefaultPhoneNumberID, Contact: "16505551234"}

func openWindow(ago time.Duration) whatsapp.WindowFunc {
	return func(context.Context, chat.Address) (time.Time, error) { return time.Now().Add(-ago), nil }
}

func newChannel(t *testing.T, w whatsapp.WindowSource, opts ...whatsapp.ChannelOption) (*whatsapp.Channel, *whatsapptest.Server) {
	t.Helper()
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	t.Cleanup(srv.Close)
	c, err := srv.NewClient(whatsapp.WithoutPacing())
	if err != nil {
		t.Fatal(err)
	}
	ch, err := whatsapp.NewChannel(c, w, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ch, srv
}

func opts(titles ...string) []chat.Option {
	var out []chat.Option
	for i, tt := range titles {
		out = append(out, chat.Option{ID: "o" + string(rune('a'+i)), Title: tt})
	}
	return out
}

func TestChannelRendersChoices(t *testing.T) {
	t.Parallel()
	ch, srv := newChannel(t, openWindow(time.Hour))
	tests := []struct {
		name        string
		options     []chat.Option
		interactive string
		field       string // error field, if any
	}{
		{"three short become buttons", opts("Office locations", "Asylum procedure", "Talk to a person"), "button", ""},
		{"one becomes a button", opts("Yes"), "button", ""},
		{"a long title becomes a list", opts("Yes", "No", "Talk to a person today"), "list", ""},
		{"four become a list", opts("a", "b", "c", "d"), "list", ""},
		{"ten become a list", opts("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), "list", ""},
		{"eleven are refused", opts("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"), "", "choices.options"},
		{"a row title too long", opts("a", "b", "c", "Information about asylums"), "", "choices.options[3].title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reset()
			_, err := ch.Send(t.Context(), line, chat.Choices{Body: "How can we help?", Header: "Menu", Footer: "Reply any time", Options: tt.options})
			if tt.field != "" {
				var fe *chat.FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field || len(srv.Requests()) != 0 {
					t.Fatalf("err = %v, want field %s and no request", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sent := srv.Sent()
			if len(sent) != 1 || sent[0].Interactive != tt.interactive || len(sent[0].Options) != len(tt.options) {
				t.Fatalf("sent %+v, want one %s with %d options", sent, tt.interactive, len(tt.options))
			}
			if sent[0].Header != "Menu" || sent[0].Footer != "Reply any time" || sent[0].To != "+16505551234" {
				t.Fatalf("sent %+v", sent[0])
			}
			if tt.interactive == "list" && sent[0].Button != "Options" {
				t.Fatalf("list button %q, want the default", sent[0].Button)
			}
		})
	}
	t.Run("eleven error names the limit", func(t *testing.T) {
		_, err := ch.Send(t.Context(), line, chat.Choices{Body: "b", Options: opts("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k")})
		if err == nil || !strings.Contains(err.Error(), "11 options") || !strings.Contains(err.Error(), "at most 10") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestChannelWindow(t *testing.T) {
	t.Parallel()
	failing := whatsapp.WindowFunc(func(context.Context, chat.Address) (time.Time, error) {
		return time.Time{}, errors.New("store down")
	})
	never := whatsapp.WindowFunc(func(context.Context, chat.Address) (time.Time, error) { return time.Time{}, nil })
	template := chat.Template{Name: "check_in", Language: "en", Body: []chat.Param{{Value: "Ana"}}}
	tests := []struct {
		name   string
		window whatsapp.WindowSource
		m      chat.Outgoing
		want   error // nil: sent
	}{
		{"inside", openWindow(23*time.Hour + 59*time.Minute), chat.Text{Body: "hi"}, nil},
		{"closed", openWindow(24 * time.Hour), chat.Text{Body: "hi"}, whatsapp.ErrOutsideWindow},
		{"never wrote", never, chat.Text{Body: "hi"}, whatsapp.ErrOutsideWindow},
		{"reaction outside", openWindow(48 * time.Hour), chat.Reaction{MessageID: "wamid.1", Emoji: "👍"}, whatsapp.ErrOutsideWindow},
		{"choices outside", openWindow(48 * time.Hour), chat.Choices{Body: "b", Options: opts("a")}, whatsapp.ErrOutsideWindow},
		{"template outside", openWindow(48 * time.Hour), template, nil},
		{"template never wrote", never, template, nil},
		{"native template outside", never, chat.Native{Channel: "whatsapp", Value: whatsapp.TemplateMessage{Name: "check_in", Language: "en"}}, nil},
		{"native text outside", never, chat.Native{Channel: "whatsapp", Value: whatsapp.Text{Body: "x"}}, whatsapp.ErrOutsideWindow},
		{"store fails closed", failing, chat.Text{Body: "hi"}, errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ch, srv := newChannel(t, tt.window)
			res, err := ch.Send(t.Context(), line, tt.m)
			switch {
			case tt.want == nil:
				if err != nil || res.MessageID == "" || len(srv.Sent()) != 1 {
					t.Fatalf("Send = %+v, %v; want sent", res, err)
				}
			case errors.Is(tt.want, whatsapp.ErrOutsideWindow):
				if !errors.Is(err, whatsapp.ErrOutsideWindow) {
					t.Fatalf("err = %v, want ErrOutsideWindow", err)
				}
			default:
				if err == nil {
					t.Fatal("sent although the window store failed")
				}
			}
			if tt.want != nil && len(srv.Requests()) != 0 {
				t.Fatalf("%d HTTP requests made, want none", len(srv.Requests()))
			}
		})
	}
}

func TestChannelRendersEachKind(t *testing.T) {
	t.Parallel()
	ch, srv := newChannel(t, openWindow(time.Minute))
	bsuid := line
	bsuid.Contact = "US.13491208655302741918"
	tests := []struct {
		name  string
		to    chat.Address
		m     chat.Outgoing
		check func(t *testing.T, body map[string]any)
	}{
		{"text to a phone number", line, chat.Text{Body: "hi", PreviewURL: true}, func(t *testing.T, b map[string]any) {
			expect(t, b, "to", "+16505551234")
			expect(t, b, "text.preview_url", true)
		}},
		{"text to a bsuid", bsuid, chat.Text{Body: "hi"}, func(t *testing.T, b map[string]any) {
			expect(t, b, "recipient", "US.13491208655302741918")
			if _, ok := b["to"]; ok {
				t.Error("to is set for a BSUID")
			}
		}},
		{"voice note", line, chat.Media{Kind: chat.MediaAudio, ID: "42"}, func(t *testing.T, b map[string]any) { expect(t, b, "audio.id", "42") }},
		{"document link", line, chat.Media{Kind: chat.MediaDocument, URL: "https://example.org/rights.pdf", Filename: "rights.pdf", Caption: "Your rights"}, func(t *testing.T, b map[string]any) {
			expect(t, b, "document.link", "https://example.org/rights.pdf")
			expect(t, b, "document.filename", "rights.pdf")
		}},
		{"image", line, chat.Media{Kind: chat.MediaImage, ID: "7", Caption: "Map"}, func(t *testing.T, b map[string]any) { expect(t, b, "image.caption", "Map") }},
		{"location", line, chat.Location{Latitude: -0.18, Longitude: -78.47, Name: "Office"}, func(t *testing.T, b map[string]any) {
			expect(t, b, "location.latitude", -0.18)
			expect(t, b, "location.name", "Office")
		}},
		{"reaction removal", line, chat.Reaction{MessageID: "wamid.1"}, func(t *testing.T, b map[string]any) { expect(t, b, "reaction.emoji", "") }},
		{"template", line, chat.Template{Name: "alert", Language: "ar",
			Header:  &chat.TemplateHeader{Media: &chat.Media{Kind: chat.MediaImage, URL: "https://example.org/a.png"}},
			Body:    []chat.Param{{Name: "place", Value: "Quito"}},
			Buttons: []chat.TemplateButton{{Index: 0, SubType: "quick_reply", Payload: "STOP"}, {Index: 1, SubType: "url", Payload: "case/7"}}},
			func(t *testing.T, b map[string]any) {
				expect(t, b, "template.language.code", "ar")
				comps := b["template"].(map[string]any)["components"].([]any)
				if len(comps) != 4 {
					t.Fatalf("components %v", comps)
				}
				expect(t, comps[0].(map[string]any), "parameters", []any{map[string]any{"type": "image", "image": map[string]any{"link": "https://example.org/a.png"}}})
				expect(t, comps[1].(map[string]any), "parameters", []any{map[string]any{"type": "text", "parameter_name": "place", "text": "Quito"}})
				expect(t, comps[2].(map[string]any), "parameters", []any{map[string]any{"type": "payload", "payload": "STOP"}})
				expect(t, comps[3].(map[string]any), "parameters", []any{map[string]any{"type": "text", "text": "case/7"}})
			}},
		{"native flow", line, chat.Native{Channel: "whatsapp", Value: whatsapp.Flow{Envelope: whatsapp.Envelope{CallbackData: "intake"}, Body: "Register", FlowID: "1", CTA: "Start"}},
			func(t *testing.T, b map[string]any) {
				expect(t, b, "to", "+16505551234")
				expect(t, b, "biz_opaque_callback_data", "intake")
				expect(t, b, "interactive.type", "flow")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reset()
			if _, err := ch.Send(t.Context(), tt.to, tt.m); err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(srv.Sent()[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			tt.check(t, body)
		})
	}
}

func expect(t *testing.T, body map[string]any, path string, want any) {
	t.Helper()
	var v any = body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: no object at %s in %v", path, k, body)
		}
		v = m[k]
	}
	got, _ := json.Marshal(v)
	w, _ := json.Marshal(want)
	if string(got) != string(w) {
		t.Fatalf("%s = %s, want %s", path, got, w)
	}
}

func TestChannelRefusesBadInput(t *testing.T) {
	t.Parallel()
	ch, srv := newChannel(t, openWindow(time.Minute))
	sms := line
	sms.Channel = "sms"
	cases := map[string]struct {
		to chat.Address
		m  chat.Outgoing
	}{
		"other channel":        {sms, chat.Text{Body: "x"}},
		"no contact":           {chat.Address{Channel: "whatsapp", Line: "1"}, chat.Text{Body: "x"}},
		"nil message":          {line, nil},
		"invalid vocabulary":   {line, chat.Text{Body: " "}},
		"native other channel": {line, chat.Native{Channel: "telegram", Value: whatsapp.Text{Body: "x"}}},
		"native not a message": {line, chat.Native{Channel: "whatsapp", Value: "hello"}},
	}
	for name, c := range cases {
		if _, err := ch.Send(t.Context(), c.to, c.m); !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if len(srv.Requests()) != 0 {
		t.Fatalf("%d requests sent", len(srv.Requests()))
	}
	if _, err := whatsapp.NewChannel(nil, openWindow(0)); err == nil {
		t.Error("NewChannel accepted a nil client")
	}
	c, _ := whatsapp.New("tok")
	if _, err := whatsapp.NewChannel(c, nil); err == nil {
		t.Error("NewChannel accepted a nil window source")
	}
	if _, err := whatsapp.NewChannel(c, openWindow(0), whatsapp.WithListButton("Choose one of these options")); err == nil {
		t.Error("WithListButton accepted 27 characters")
	}
}

func TestChannelSplitsLongText(t *testing.T) {
	t.Parallel()
	ch, srv := newChannel(t, openWindow(time.Minute), whatsapp.WithMaxTextLength(100))
	sentence := "مرحبا بكم في خدمة المساعدة. " // Arabic, 28 characters, 51 bytes
	body := strings.Repeat(sentence, 10)
	res, err := ch.Send(t.Context(), line, chat.Text{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	if len(sent) < 3 || res.MessageID != sent[0].MessageID {
		t.Fatalf("%d parts, result %v", len(sent), res)
	}
	var rejoined []string
	for _, s := range sent {
		if n := utf8.RuneCountInString(s.Text); n > 100 {
			t.Fatalf("part of %d characters", n)
		}
		if !strings.HasSuffix(s.Text, ".") {
			t.Fatalf("part %q does not end a sentence", s.Text)
		}
		rejoined = append(rejoined, s.Text)
	}
	if strings.Join(rejoined, " ") != strings.TrimSpace(body) {
		t.Fatal("parts do not add up to the text")
	}
}

func TestSplitText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"short", "Hello.", 10, []string{"Hello."}},
		{"sentences", "One two. Three four. Five six.", 20, []string{"One two. Three four.", "Five six."}},
		{"words", "alpha beta gamma delta", 12, []string{"alpha beta", "gamma delta"}},
		{"hard cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"arabic question mark", "هل أنت بخير؟ نحن هنا للمساعدة", 16, []string{"هل أنت بخير؟", "نحن هنا للمساعدة"}},
		{"newline", "Line one\nLine two is longer", 12, []string{"Line one", "Line two is", "longer"}},
		{"cjk", "你好。我们在这里帮助你。", 8, []string{"你好。", "我们在这里帮助你", "。"}},
		{"combining marks stay", "بِسْمِ", 3, []string{"بِ", "سْ", "مِ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := whatsapp.SplitText(tt.in, tt.max)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("SplitText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("مرحبا بكم. كيف حالك؟ نحن هنا.", 7)
	f.Add("بِسْمِ اللَّهِ", 2)
	f.Add("👩‍👩‍👧 family. ok", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 64 || !utf8.ValidString(s) {
			return
		}
		parts := whatsapp.SplitText(s, max)
		var all strings.Builder
		for _, p := range parts {
			if p == "" || utf8.RuneCountInString(p) > max {
				t.Fatalf("part %q of %d characters (max %d)", p, utf8.RuneCountInString(p), max)
			}
			all.WriteString(p)
		}
		strip := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		if strip(all.String()) != strip(s) {
			t.Fatalf("parts %q lose content of %q", parts, s)
		}
	})
}

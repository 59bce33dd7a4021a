package whatsapp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

const fakeLine = whatsapptest.DefaultPhoneNumberID

func TestAccountAgainstFakeAndOpenAPI(t *testing.T) {
	t.Parallel()
	srv, c, tp := tappedFake(t)
	var qr *whatsapp.QRCode
	var handle, newPhone string
	picture := bytes.Repeat([]byte{0xff, 0xd8}, 300)
	calls := []platformCall{
		{"profile update", "/{Version}/{Phone-Number-ID}/whatsapp_business_profile", func(ctx context.Context, c *whatsapp.Client) error {
			var err error
			handle, err = c.Uploads.Upload(ctx, "1234567890", "logo.jpg", "image/jpeg", int64(len(picture)), bytes.NewReader(picture))
			if err != nil {
				return err
			}
			return c.Profile.Update(ctx, fakeLine, whatsapp.ProfileUpdate{About: "Settlement help in Arabic and English", Email: "help@example.org",
				Websites: []string{"https://example.org"}, Vertical: "NONPROFIT", ProfilePictureHandle: handle})
		}},
		{"profile get", "/{Version}/{Phone-Number-ID}/whatsapp_business_profile", func(ctx context.Context, c *whatsapp.Client) error {
			p, err := c.Profile.Get(ctx, fakeLine)
			if err != nil {
				return err
			}
			if p.About != "Settlement help in Arabic and English" || p.Vertical != "NONPROFIT" || p.ProfilePictureURL == "" {
				return fmt.Errorf("profile %+v", p)
			}
			return nil
		}},
		{"qr create", "/{Version}/{Phone-Number-ID}/message_qrdls", func(ctx context.Context, c *whatsapp.Client) error {
			var err error
			qr, err = c.QRCodes.Create(ctx, fakeLine, "مرحبا، أحتاج مساعدة", whatsapp.QRImageSVG)
			if err == nil && (qr.QRImageURL == "" || !strings.HasSuffix(qr.DeepLinkURL, qr.Code)) {
				err = fmt.Errorf("qr %+v", qr)
			}
			return err
		}},
		{"qr update", "/{Version}/{Phone-Number-ID}/message_qrdls", func(ctx context.Context, c *whatsapp.Client) error {
			_, err := c.QRCodes.Update(ctx, fakeLine, qr.Code, "Hello, I need help")
			return err
		}},
		{"qr get", "/{Version}/{Phone-Number-ID}/message_qrdls/{QR-Code-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			got, err := c.QRCodes.Get(ctx, fakeLine, qr.Code)
			if err == nil && got.PrefilledMessage != "Hello, I need help" {
				err = fmt.Errorf("qr %+v", got)
			}
			return err
		}},
		{"qr list", "/{Version}/{Phone-Number-ID}/message_qrdls", func(ctx context.Context, c *whatsapp.Client) error {
			n := 0
			for _, err := range c.QRCodes.List(ctx, fakeLine) {
				if err != nil {
					return err
				}
				n++
			}
			if n != 1 {
				return fmt.Errorf("%d codes", n)
			}
			return nil
		}},
		{"qr delete", "/{Version}/{Phone-Number-ID}/message_qrdls/{QR-Code-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			return c.QRCodes.Delete(ctx, fakeLine, qr.Code)
		}},
		{"request code", "/{Version}/{Phone-Number-ID}/request_code", func(ctx context.Context, c *whatsapp.Client) error {
			return c.PhoneNumbers.RequestCode(ctx, fakeLine, whatsapp.CodeBySMS, "ar_EG")
		}},
		{"verify code", "/{Version}/{Phone-Number-ID}/verify_code", func(ctx context.Context, c *whatsapp.Client) error {
			return c.PhoneNumbers.VerifyCode(ctx, fakeLine, whatsapptest.VerificationCode)
		}},
		{"register", "/{Version}/{Phone-Number-ID}/register", func(ctx context.Context, c *whatsapp.Client) error {
			return c.PhoneNumbers.Register(ctx, fakeLine, whatsapp.Registration{PIN: "246810", DataLocalizationRegion: "DE"})
		}},
		{"two-step pin", "/{Version}/{Phone-Number-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			return c.PhoneNumbers.SetTwoStepPIN(ctx, fakeLine, "135790")
		}},
		{"request display name", "/{Version}/{Phone-Number-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			return c.PhoneNumbers.RequestDisplayName(ctx, fakeLine, "Newcomer Help Line")
		}},
		{"display name status", "/{Version}/{Phone-Number-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			d, err := c.PhoneNumbers.DisplayNameStatus(ctx, fakeLine)
			if err == nil && (d.NewName != "Newcomer Help Line" || d.NewNameStatus != "PENDING_REVIEW" || d.VerifiedName == "") {
				err = fmt.Errorf("display name %+v", d)
			}
			return err
		}},
		{"create phone number", "/{Version}/{WABA-ID}/phone_numbers", func(ctx context.Context, c *whatsapp.Client) error {
			var err error
			newPhone, err = c.PhoneNumbers.Create(ctx, waba, whatsapp.NewPhoneNumber{CountryCode: "961", PhoneNumber: "70123456", VerifiedName: "Newcomer Help Line"})
			return err
		}},
		{"get new phone number", "/{Version}/{Phone-Number-ID}", func(ctx context.Context, c *whatsapp.Client) error {
			p, err := c.PhoneNumbers.Get(ctx, newPhone)
			if err == nil && (p.CodeVerificationStatus != "UNVERIFIED" || p.VerifiedName != "Newcomer Help Line") {
				err = fmt.Errorf("new number %+v", p)
			}
			return err
		}},
		{"deregister", "/{Version}/{Phone-Number-ID}/deregister", func(ctx context.Context, c *whatsapp.Client) error {
			return c.PhoneNumbers.Deregister(ctx, fakeLine)
		}},
	}
	runPlatformCalls(t, c, tp, calls)
	if got, ok := srv.Uploaded(handle); !ok || !bytes.Equal(got, picture) {
		t.Error("the profile picture was not uploaded whole")
	}
	if reg, pin := srv.Registered(fakeLine); reg || pin != "135790" {
		t.Errorf("registered %v with pin %q", reg, pin)
	}

	// Meta's errors, as the fake gives them.
	ctx := t.Context()
	var ae *whatsapp.APIError
	if err := c.PhoneNumbers.Register(ctx, fakeLine, whatsapp.Registration{PIN: "000000"}); !errors.As(err, &ae) || ae.Code != 133005 {
		t.Errorf("register with the wrong pin: %v, want 133005", err)
	}
	if err := c.PhoneNumbers.VerifyCode(ctx, fakeLine, "999999"); !errors.As(err, &ae) || ae.Code != 136025 {
		t.Errorf("wrong code: %v, want 136025", err)
	}
	for range 10 {
		_ = c.PhoneNumbers.Register(ctx, fakeLine, whatsapp.Registration{PIN: "135790"})
	}
	if err := c.PhoneNumbers.Register(ctx, fakeLine, whatsapp.Registration{PIN: "135790"}); !errors.As(err, &ae) || ae.Code != 133016 {
		t.Errorf("eleventh registration: %v, want 133016", err)
	}
	if _, err := c.QRCodes.Get(ctx, fakeLine, qr.Code); !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Errorf("deleted qr code: %v, want ErrInvalidRequest", err)
	}
}

func TestAccountValidation(t *testing.T) {
	t.Parallel()
	c, cp := captureClient(t, okSend)
	ctx := t.Context()
	errs := map[string]error{
		"long about":     c.Profile.Update(ctx, fakeLine, whatsapp.ProfileUpdate{About: strings.Repeat("a", 140)}),
		"three websites": c.Profile.Update(ctx, fakeLine, whatsapp.ProfileUpdate{Websites: []string{"https://a", "https://b", "https://c"}}),
		"website scheme": c.Profile.Update(ctx, fakeLine, whatsapp.ProfileUpdate{Websites: []string{"ftp://a"}}),
		"email":          c.Profile.Update(ctx, fakeLine, whatsapp.ProfileUpdate{Email: "nobody"}),
		"short pin":      c.PhoneNumbers.Register(ctx, fakeLine, whatsapp.Registration{PIN: "123"}),
		"code method":    c.PhoneNumbers.RequestCode(ctx, fakeLine, "EMAIL", "en_US"),
		"locale":         c.PhoneNumbers.RequestCode(ctx, fakeLine, "SMS", "english"),
		"code":           c.PhoneNumbers.VerifyCode(ctx, fakeLine, "12a456"),
		"display name":   c.PhoneNumbers.RequestDisplayName(ctx, fakeLine, "A"),
		"qr code id":     c.QRCodes.Delete(ctx, fakeLine, "short"),
		"phone cc": func() error {
			_, err := c.PhoneNumbers.Create(ctx, waba, whatsapp.NewPhoneNumber{CountryCode: "+1", PhoneNumber: "5550100", VerifiedName: "Line"})
			return err
		}(),
		"phone digits": func() error {
			_, err := c.PhoneNumbers.Create(ctx, waba, whatsapp.NewPhoneNumber{CountryCode: "1", PhoneNumber: "555-0100", VerifiedName: "Line"})
			return err
		}(),
	}
	_, errs["qr message"] = c.QRCodes.Create(ctx, fakeLine, strings.Repeat("م", 141), "")
	_, errs["qr format"] = c.QRCodes.Create(ctx, fakeLine, "hi", "GIF")
	_, errs["upload size"] = c.Uploads.Upload(ctx, "1", "a.jpg", "image/jpeg", 0, nil)
	for name, err := range errs {
		if !errors.Is(err, whatsapp.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if len(cp.reqs) != 0 {
		t.Errorf("%d requests sent for invalid input", len(cp.reqs))
	}
}

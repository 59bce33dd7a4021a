package whatsapp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func TestAppSecretProof(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer(whatsapptest.WithAppSecret("app-secret"), whatsapptest.WithoutWindow())
	defer srv.Close()
	ctx := t.Context()
	send := func(c *whatsapp.Client) error {
		_, err := c.Messages.Send(ctx, fakeLine, whatsapp.Text{Envelope: whatsapp.Envelope{Recipient: "US.13491208655302741918"}, Body: "hi"})
		return err
	}
	good, err := srv.NewClient(whatsapp.WithAppSecretProof("app-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := send(good); err != nil {
		t.Fatalf("with the proof: %v", err)
	}
	if _, err := good.PhoneNumbers.Get(ctx, fakeLine); err != nil {
		t.Fatalf("a read with fields and the proof: %v", err)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Query.Encode(), "app-secret") || len(r.Query.Get("appsecret_proof")) != 64 {
			t.Errorf("request %s %s: query %v", r.Method, r.Path, r.Query)
		}
	}
	for name, opts := range map[string][]whatsapp.Option{
		"no proof":     nil,
		"wrong secret": {whatsapp.WithAppSecretProof("other")},
	} {
		c, err := srv.NewClient(append(opts, whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))...)
		if err != nil {
			t.Fatal(err)
		}
		if err := send(c); !errors.Is(err, whatsapp.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest (100)", name, err)
		}
	}
	if _, err := whatsapp.New("t", whatsapp.WithAppSecretProof("")); err == nil {
		t.Error("an empty app secret was accepted")
	}
}

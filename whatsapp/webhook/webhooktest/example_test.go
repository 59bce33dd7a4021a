package webhooktest_test

import (
	"fmt"

	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// Sign makes the X-Hub-Signature-256 header Meta would send, so tests can
// post signed deliveries to a line's own handler.
func ExampleSign() {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	header := webhooktest.Sign(body, "app-secret")
	fmt.Println(header[:7])
	fmt.Println(webhook.VerifySignature(body, header, "app-secret"))
	fmt.Println(webhook.VerifySignature(body, header, "another-secret") != nil)
	// Output:
	// sha256=
	// <nil>
	// true
}

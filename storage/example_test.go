package storage_test

import (
	"errors"
	"fmt"

	"github.com/impactchat/impactchat/storage"
)

// Statuses arrive out of order; every backend applies Supersedes, so a late
// "sent" never overwrites "read", and a failure never hides a read receipt.
func ExampleDelivery_Supersedes() {
	fmt.Println(storage.DeliveryRead.Supersedes(storage.DeliverySent))
	fmt.Println(storage.DeliverySent.Supersedes(storage.DeliveryRead))
	fmt.Println(storage.DeliveryFailed.Supersedes(storage.DeliveryDelivered))
	fmt.Println(storage.DeliveryFailed.Supersedes(storage.DeliveryRead))
	// Output:
	// true
	// false
	// true
	// false
}

// A contact reference is personal data: printed, it is masked.
func ExampleContactRef_String() {
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "16505551234"}
	fmt.Println(ref)
	fmt.Println(storage.PartitionOf(ref) == "whatsapp:16505551234")
	// Output:
	// whatsapp:***34
	// true
}

// Bad input is a *FieldError naming the field, and matches ErrInvalid.
func ExampleContactRef_Validate() {
	err := storage.ContactRef{Channel: "whatsapp"}.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, storage.ErrInvalid))
	// Output:
	// storage: contact.identifier is empty
	// true
}

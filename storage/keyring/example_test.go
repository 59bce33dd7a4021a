package keyring_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/impactchat/impactchat/storage/keyring"
)

// A keyring wraps each contact's data key for that contact alone; the stores
// keep only the wrapped key, and erasing a contact destroys it.
func ExampleNew() {
	ctx := context.Background()
	ring, err := keyring.New(bytes.Repeat([]byte{42}, 32)) // in production: FromFile or FromEnv
	if err != nil {
		panic(err)
	}
	dataKey := bytes.Repeat([]byte{1}, 32)
	wrapped, err := ring.WrapKey(ctx, []byte("subject-a"), dataKey)
	if err != nil {
		panic(err)
	}
	back, err := ring.UnwrapKey(ctx, []byte("subject-a"), wrapped)
	fmt.Println(bytes.Equal(back, dataKey), err)
	_, err = ring.UnwrapKey(ctx, []byte("subject-b"), wrapped)
	fmt.Println(err != nil)
	// Output:
	// true <nil>
	// true
}

package webhook

import (
	"bytes"
	"encoding/json"
)

// ParseBoth parses body by the fast path, when it applies, and by the
// slow path, for tests that hold the two to the same result.
func ParseBoth(body []byte) (fast *Notification, fastOK bool, slow *Notification) {
	data := bytes.Clone(bytes.TrimLeft(body, " \t\r\n"))
	var f fastNotification
	if err := json.Unmarshal(data, &f); err == nil {
		fast, fastOK = f.build(data)
	}
	return fast, fastOK, parseSlow(bytes.Clone(data))
}

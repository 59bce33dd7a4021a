package webhook

import (
	"bytes"
	"encoding/json"
)

// ParsePaths parses body by each path of Parse: the quick decoder and the
// fast one when they apply, and the slow one always, for tests that hold
// them to the same result.
func ParsePaths(body []byte) (quick *Notification, quickOK bool, fast *Notification, fastOK bool, slow *Notification) {
	data := bytes.Clone(bytes.TrimLeft(body, " \t\r\n"))
	if json.Valid(data) && len(data) > 0 && data[0] == '{' {
		quick, quickOK = parseQuick(bytes.Clone(data))
	}
	var f fastNotification
	if err := json.Unmarshal(data, &f); err == nil {
		fast, fastOK = f.build(data)
	}
	return quick, quickOK, fast, fastOK, parseSlow(bytes.Clone(data))
}

package examples

import "embed"

// Content holds playbooks/ and notices/ as they were when the binary was
// built.
//
//go:embed playbooks/*.yaml playbooks/media notices/*.yaml
var Content embed.FS

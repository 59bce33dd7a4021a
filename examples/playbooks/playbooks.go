package playbooks

import (
	"embed"

	"github.com/impactchat/impactchat/flow"
)

// FS holds the playbook files and their media.
//
//go:embed *.yaml media
var FS embed.FS

// RefugeeInfo loads the refugee information line and the survey it starts,
// validated: the Library a helpline hands to flow.NewRunner.
func RefugeeInfo() (*flow.Library, error) {
	return flow.LoadLibrary(FS, "refugee-info.yaml", "feedback-survey.yaml")
}

// Load loads the named playbooks (the first is the entry) and the survey
// the information lines start.
func Load(names ...string) (*flow.Library, error) {
	for _, n := range names {
		if n == "feedback-survey.yaml" {
			return flow.LoadLibrary(FS, names...)
		}
	}
	return flow.LoadLibrary(FS, append(names, "feedback-survey.yaml")...)
}

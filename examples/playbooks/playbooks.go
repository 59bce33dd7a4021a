// Package playbooks holds the example playbooks as files (YAML and media)
// and embeds them, so that an example line can run them without knowing
// where the repository is:
//
//   - refugee-info.yaml: a refugee information line in English, Spanish and
//     Arabic (rights, the asylum procedure, offices by city, partner
//     services, talk to staff);
//   - refugee-info-canada.yaml: a remix of it for another country;
//   - newcomer-settlement.yaml: a newcomer settlement line in Arabic and
//     English;
//   - feedback-survey.yaml: a three-question feedback survey, which the
//     information line offers at the end.
//
// Check and try them with the playbook command (examples/playbook).
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

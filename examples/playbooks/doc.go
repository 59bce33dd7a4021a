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

package triage_test

import (
	"testing"

	"github.com/impactchat/impactchat/triage"
)

// The Persian fragment "کتک" (beating) is keyed "كتك" (keheh folds to kaf)
// and, as a fragment, matched inside any word: inside the Arabic
// second-person suffix of every noun in -ة ("مشاركتك" your participation,
// "شركتك" your company), and, because ZWNJ is dropped, inside the everyday
// Persian compound "شرکت‌کننده" (participant). These common benign messages
// must not be urgent: out of hours that pages on-call, sends the safety
// message and suspends the bot for the conversation.
func TestCommonBenignArabicPersianNotUrgent(t *testing.T) {
	t.Parallel()
	lex := seeds(t)
	for _, s := range []string{
		"شكرا على مشاركتك",                 // ar: thank you for your participation
		"ما اسم شركتك",                     // ar: what is the name of your company
		"از همه شرکت\u200cکنندگان متشکریم", // fa: we thank all participants
	} {
		p, ids := triage.Routine, []string{}
		for _, r := range lex.Match(s, nil) {
			p = max(p, r.Priority)
			ids = append(ids, r.ID)
		}
		if p >= triage.Urgent {
			t.Errorf("benign %q is screened %v by %v", s, p, ids)
		}
	}
}

package textnorm_test

import (
	"testing"

	"github.com/impactchat/impactchat/internal/textnorm"
)

// T1: Persian writes the ezafe on a final heh in two ways that keyboards
// both produce: the precomposed ۀ (U+06C0) and heh + hamza above (U+0647
// U+0654). Key strips the hamza from the second and gives ه, but the first
// decomposes to U+06D5 (ae, a Kurdish/Uyghur letter) + hamza and keys to
// ە, so the same Persian word gets two keys and a lexicon entry written
// with ه ("ربوده", "خانه") never matches text typed with ۀ.
func TestPersianHehWithYehFoldsToHeh(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ a, b string }{
		{"\u06c0", "\u0647\u0654"},
		{"خان\u06c0 ما", "خان\u0647\u0654 ما"},
		{"ربود\u06c0 قاچاقچی", "ربوده قاچاقچی"},
	} {
		if ka, kb := textnorm.Key(c.a), textnorm.Key(c.b); ka != kb {
			t.Errorf("Key(%+q) = %+q but Key(%+q) = %+q", c.a, ka, c.b, kb)
		}
	}
}

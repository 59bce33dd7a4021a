package webhook_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/impactchat/impactchat/whatsapp/webhook"
)

// Every real payload, with one of its values replaced by a value of
// another JSON type, decodes to the same result on every path of Parse.
// This walks the wrong-type cases the quick decoder must leave to the
// others far more systematically than random bytes do.
func TestPathsAgreeOnMutatedPayloads(t *testing.T) {
	t.Parallel()
	payloads := conformancePayloads(t)
	names := make([]string, 0, len(payloads))
	for name := range payloads {
		names = append(names, name)
	}
	sort.Strings(names)
	rng := rand.New(rand.NewPCG(4, 2))
	replacements := []any{nil, 0, 1749416383, 1.5, -3, "", "x", "1749416383", true, false,
		map[string]any{}, map[string]any{"a": 1}, []any{}, []any{nil}, []any{"x", 2}}
	tried, quick := 0, 0
	for _, name := range names {
		var doc any
		if err := json.Unmarshal(payloads[name], &doc); err != nil {
			t.Fatal(err)
		}
		paths := leafAndNodePaths(doc, nil)[1:] // the body stays an object
		for range 15 {
			p := paths[rng.IntN(len(paths))]
			mutated := replaceAt(deepCopy(doc), p, replacements[rng.IntN(len(replacements))])
			body, err := json.Marshal(mutated)
			if err != nil {
				t.Fatal(err)
			}
			q, qOK, f, fOK, slow := webhook.ParsePaths(body)
			tried++
			if qOK {
				quick++
				if !reflect.DeepEqual(q, slow) {
					t.Fatalf("%s: quick path differs from slow path on\n%s", name, body)
				}
			}
			if fOK && !reflect.DeepEqual(f, slow) {
				t.Fatalf("%s: fast path differs from slow path on\n%s", name, body)
			}
			n, err := webhook.Parse(body)
			if err != nil {
				t.Fatalf("%s: Parse: %v on\n%s", name, err, body)
			}
			if !reflect.DeepEqual(n, slow) {
				t.Fatalf("%s: Parse differs from the slow path on\n%s", name, body)
			}
		}
	}
	t.Logf("%d mutated payloads, %d taken by the quick path", tried, quick)
}

type step struct {
	key   string
	index int
}

// leafAndNodePaths lists the path to every value in v.
func leafAndNodePaths(v any, prefix []step) [][]step {
	out := [][]step{append([]step(nil), prefix...)}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, leafAndNodePaths(x[k], append(prefix, step{key: k}))...)
		}
	case []any:
		for i, e := range x {
			out = append(out, leafAndNodePaths(e, append(prefix, step{index: i, key: "\x00"}))...)
		}
	}
	return out
}

func replaceAt(v any, p []step, with any) any {
	if len(p) == 0 {
		return with
	}
	switch x := v.(type) {
	case map[string]any:
		x[p[0].key] = replaceAt(x[p[0].key], p[1:], with)
	case []any:
		x[p[0].index] = replaceAt(x[p[0].index], p[1:], with)
	}
	return v
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

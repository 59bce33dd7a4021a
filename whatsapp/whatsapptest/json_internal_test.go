package whatsapptest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// nestedJSON is how objects were written before appendJSON: each level
// through json.Marshal. appendJSON must write the same bytes.
func nestedJSON(v any) ([]byte, error) {
	o, ok := v.(obj)
	if !ok {
		if list, ok := v.([]any); ok {
			var b bytes.Buffer
			b.WriteByte('[')
			for i, e := range list {
				if i > 0 {
					b.WriteByte(',')
				}
				raw, err := nestedJSON(e)
				if err != nil {
					return nil, err
				}
				b.Write(raw)
			}
			b.WriteByte(']')
			return b.Bytes(), nil
		}
		return json.Marshal(v)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := nestedJSON(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func TestAppendJSONWritesWhatJSONMarshalWrites(t *testing.T) {
	value := obj{
		{"messaging_product", "whatsapp"},
		{"text", obj{{"body", "<b>Où</b> & \"ici\" / مرحبا 👋\n"}}},
		{"n", 3}, {"f", 2.5}, {"ok", true}, {"none", nil},
		{"list", []string{"a", "b"}},
		{"empty", []any{}},
		{"objs", []obj{{{"x", 1}}, {}}},
		{"map", map[string]int{"b": 2, "a": 1}},
	}
	v := obj{
		{"object", "whatsapp_business_account"},
		{"entry", []any{obj{
			{"id", "102290129340398"},
			{"changes", []any{obj{{"value", value}, {"field", "messages"}}}},
		}}},
	}
	got, err := appendJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	want, err := nestedJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	// []obj was written through MarshalJSON before; compare it that way.
	if !bytes.Equal(got, want) {
		t.Fatalf("appendJSON:\n%s\nwant:\n%s", got, want)
	}
	if !json.Valid(got) {
		t.Fatal("not valid JSON")
	}
	if viaMarshal, err := json.Marshal(v); err != nil || !bytes.Equal(viaMarshal, got) {
		t.Fatalf("json.Marshal through MarshalJSON: %s, %v", viaMarshal, err)
	}
}

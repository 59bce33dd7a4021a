package whatsapp

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Do copies at most maxCopiedBody bytes of a success body to a caller's
// io.Writer, and says so when there was more: an answer from outside is
// bounded whatever the caller hands in.
func TestDoBoundsACopiedBody(t *testing.T) {
	old := maxCopiedBody
	maxCopiedBody = 64
	t.Cleanup(func() { maxCopiedBody = old })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 64
		if r.URL.Path == "/big" {
			n = 65
		}
		w.Write(bytes.Repeat([]byte("x"), n))
	}))
	defer srv.Close()
	c, err := New("tok", WithBaseURL(srv.URL), WithoutPacing())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path    string
		wantErr bool
	}{{"/fits", false}, {"/big", true}} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err = c.Do(req, &out)
		if (err != nil) != tt.wantErr || out.Len() > 64 {
			t.Errorf("%s: err %v, %d bytes copied; want error %v and at most 64 bytes", tt.path, err, out.Len(), tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "larger than 64 bytes") {
			t.Errorf("%s: error %q does not name the limit", tt.path, err)
		}
	}
}

package console

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage/memory"
)

// countingReader serves n bytes of body (prefix, then filler, then suffix)
// without holding them, and counts how many the handler read.
type countingReader struct {
	r    io.Reader
	read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

type fill byte

func (f fill) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}

func newBareConsole(t *testing.T) *Console {
	t.Helper()
	st := memory.New()
	now := func() time.Time { return t0 }
	c, err := New(Config{Store: st, Queue: StoreQueue{Store: st, Now: now}, Sender: &recordingSender{},
		Line: "1065", Key: []byte(strings.Repeat("k", 32)), InsecureCookies: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bodyBound is generous: a sign-in form is well under a kilobyte, and the
// console's largest field (a reply) is 4096 characters.
const bodyBound = 1 << 20

// The sign-in form is open to anyone on the internet (it needs only a
// cookie and a form field the client makes up), so its body is bounded:
// before, an URL-encoded body was read up to net/http's 10 MiB default into
// memory on every request.
func TestLoginBodyIsBounded(t *testing.T) {
	t.Parallel()
	c := newBareConsole(t)
	form := url.Values{"csrf": {"tok"}, "login": {"x"}, "password": {"y"}}.Encode() + "&pad="
	body := &countingReader{r: io.MultiReader(strings.NewReader(form), io.LimitReader(fill('a'), 8<<20))}
	r := httptest.NewRequest(http.MethodPost, "/console/login", body)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: loginCookie, Value: "tok"})
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	if body.read > bodyBound {
		t.Fatalf("POST /console/login (no session needed) read %d bytes of body into the form (status %d)", body.read, w.Code)
	}
}

// A multipart body is refused unread: its file parts past 32 MiB of memory
// were spooled to temporary files, with no bound but the server's 30 s
// ReadTimeout.
func TestLoginMultipartBodyIsRefused(t *testing.T) {
	t.Parallel()
	c := newBareConsole(t)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("csrf", "tok")
		fw, err := mw.CreateFormFile("upload", "big.bin")
		if err != nil {
			return // the reader is closed: the body was refused unread
		}
		_, _ = io.Copy(fw, io.LimitReader(fill('a'), 40<<20))
		_ = mw.Close()
		_ = pw.Close()
	}()
	body := &countingReader{r: pr}
	r := httptest.NewRequest(http.MethodPost, "/console/login", body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.AddCookie(&http.Cookie{Name: loginCookie, Value: "tok"})
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	if r.MultipartForm != nil {
		_ = r.MultipartForm.RemoveAll()
	}
	_ = pr.CloseWithError(io.ErrClosedPipe)
	if body.read > bodyBound {
		t.Fatalf("POST /console/login (no session needed) read %d bytes of a multipart body (status %d)", body.read, w.Code)
	}
	if w.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("multipart body: status %d; want 415", w.Code)
	}
}

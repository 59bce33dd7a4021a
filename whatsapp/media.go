package whatsapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// MediaService uploads, looks up, downloads and deletes media.
type MediaService struct{ c *Client }

// MediaKind groups the MIME types WhatsApp accepts.
type MediaKind string

// Media kinds.
const (
	KindAudio    MediaKind = "audio"
	KindDocument MediaKind = "document"
	KindImage    MediaKind = "image"
	KindSticker  MediaKind = "sticker"
	KindVideo    MediaKind = "video"
)

// MaxMediaDownload bounds a download when Meta does not say the size:
// the largest file WhatsApp carries (documents, 100 MB).
const MaxMediaDownload = 100 << 20

type mediaLimit struct {
	kind MediaKind
	max  int64
}

// mediaTypes is Meta's table of supported types and sizes.
var mediaTypes = map[string]mediaLimit{
	"audio/aac":                {KindAudio, 16 << 20},
	"audio/amr":                {KindAudio, 16 << 20},
	"audio/mpeg":               {KindAudio, 16 << 20},
	"audio/mp4":                {KindAudio, 16 << 20},
	"audio/ogg":                {KindAudio, 16 << 20},
	"text/plain":               {KindDocument, 100 << 20},
	"application/pdf":          {KindDocument, 100 << 20},
	"application/vnd.ms-excel": {KindDocument, 100 << 20},
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {KindDocument, 100 << 20},
	"application/msword": {KindDocument, 100 << 20},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   {KindDocument, 100 << 20},
	"application/vnd.ms-powerpoint":                                             {KindDocument, 100 << 20},
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": {KindDocument, 100 << 20},
	"image/jpeg": {KindImage, 5 << 20},
	"image/png":  {KindImage, 5 << 20},
	"image/webp": {KindSticker, 500 << 10}, // animated; static stickers must stay under 100 KB
	"video/mp4":  {KindVideo, 16 << 20},
	"video/3gpp": {KindVideo, 16 << 20},
}

// MediaLimit returns the kind and the maximum size in bytes of a MIME type,
// and false when WhatsApp does not accept the type.
func MediaLimit(mimeType string) (MediaKind, int64, bool) {
	l, ok := mediaTypes[baseMIME(mimeType)]
	return l.kind, l.max, ok
}

func baseMIME(m string) string {
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	return strings.ToLower(strings.TrimSpace(m))
}

// Upload is a file to upload.
type Upload struct {
	Filename string    // shown for documents; defaults to "file"
	MIMEType string    // must be in Meta's table, e.g. "audio/ogg"
	Body     io.Reader // read to the end, at most the type's size limit
}

// Uploaded is the answer to an upload.
type Uploaded struct {
	ID string `json:"id"`
}

// Upload uploads a file for phoneNumberID and returns its media id, valid
// for 30 days. The MIME type is checked against Meta's table and the body
// against the type's size limit before anything is sent.
func (s *MediaService) Upload(ctx context.Context, phoneNumberID string, u Upload) (*Uploaded, error) {
	if err := pathID("phone_number_id", phoneNumberID); err != nil {
		return nil, fmt.Errorf("whatsapp: upload media: %w", err)
	}
	mt := baseMIME(u.MIMEType)
	lim, ok := mediaTypes[mt]
	if !ok {
		return nil, fmt.Errorf("whatsapp: upload media: %w", fieldErr("mime_type", "%q is not a type WhatsApp accepts", u.MIMEType))
	}
	if u.Body == nil {
		return nil, fmt.Errorf("whatsapp: upload media: %w", fieldErr("body", "is nil"))
	}
	data, err := io.ReadAll(io.LimitReader(u.Body, lim.max+1))
	if err != nil {
		return nil, fmt.Errorf("whatsapp: upload media: read: %w", err)
	}
	if int64(len(data)) > lim.max {
		return nil, fmt.Errorf("whatsapp: upload media: %w", fieldErr("file", "is larger than %d bytes; WhatsApp allows %d bytes for %s", lim.max, lim.max, mt))
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("whatsapp: upload media: %w", fieldErr("file", "is empty"))
	}
	name := u.Filename
	if name == "" {
		name = "file"
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", mt)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", mt)
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write(data)
	_ = mw.Close()
	req, err := s.c.NewRequest(ctx, http.MethodPost, url.PathEscape(phoneNumberID)+"/media", buf.Bytes())
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var out Uploaded
	if _, err := s.c.do(req, &out, nil); err != nil {
		return nil, fmt.Errorf("whatsapp: upload media: %w", err)
	}
	if out.ID == "" {
		return nil, errors.New("whatsapp: upload media: response has no id")
	}
	return &out, nil
}

// MediaInfo describes a media file and where to download it. The URL is
// valid for five minutes and needs the same token.
type MediaInfo struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	MIMEType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	FileSize int64  `json:"file_size"`
}

// URL looks up a media file's download URL.
func (s *MediaService) URL(ctx context.Context, mediaID string) (*MediaInfo, error) {
	if err := pathID("media_id", mediaID); err != nil {
		return nil, fmt.Errorf("whatsapp: media url: %w", err)
	}
	req, err := s.c.NewRequest(ctx, http.MethodGet, url.PathEscape(mediaID), nil)
	if err != nil {
		return nil, err
	}
	var out MediaInfo
	if _, err := s.c.do(req, &out, nil); err != nil {
		return nil, fmt.Errorf("whatsapp: media url: %w", err)
	}
	if out.URL == "" {
		return nil, errors.New("whatsapp: media url: response has no url")
	}
	return &out, nil
}

// Download writes a media file to w and returns its description. The read
// is bounded by the size Meta announces (or MaxMediaDownload), and the
// content is checked against Meta's SHA-256 when given. A URL that has gone
// stale (404) is looked up again once.
func (s *MediaService) Download(ctx context.Context, mediaID string, w io.Writer) (*MediaInfo, error) {
	info, err := s.URL(ctx, mediaID)
	if err != nil {
		return nil, err
	}
	err = s.fetch(ctx, info, w)
	var ae *APIError
	if errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound {
		if info, err = s.URL(ctx, mediaID); err != nil {
			return nil, err
		}
		err = s.fetch(ctx, info, w)
	}
	if err != nil {
		return nil, fmt.Errorf("whatsapp: download media: %w", err)
	}
	return info, nil
}

// boundedWriter fails once more than n bytes are written.
type boundedWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

var errTooLarge = errors.New("media is larger than announced")

func (b *boundedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > b.n {
		return 0, errTooLarge
	}
	b.n -= int64(len(p))
	b.h.Write(p)
	return b.w.Write(p)
}

func (s *MediaService) fetch(ctx context.Context, info *MediaInfo, w io.Writer) error {
	u, err := url.Parse(info.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("media url is not an http(s) URL")
	}
	req, err := s.c.NewRequest(ctx, http.MethodGet, info.URL, nil)
	if err != nil {
		return err
	}
	limit := int64(MaxMediaDownload)
	if info.FileSize > 0 && info.FileSize < limit {
		limit = info.FileSize
	}
	bw := &boundedWriter{w: w, h: sha256.New(), n: limit}
	if _, err := s.c.do(req, bw, nil); err != nil {
		return err
	}
	if info.SHA256 != "" && !strings.EqualFold(hex.EncodeToString(bw.h.Sum(nil)), info.SHA256) {
		return errors.New("media content does not match its sha256")
	}
	return nil
}

// Delete deletes an uploaded media file.
func (s *MediaService) Delete(ctx context.Context, mediaID string) error {
	if err := pathID("media_id", mediaID); err != nil {
		return fmt.Errorf("whatsapp: delete media: %w", err)
	}
	req, err := s.c.NewRequest(ctx, http.MethodDelete, url.PathEscape(mediaID), nil)
	if err != nil {
		return err
	}
	var out successResponse
	if _, err := s.c.do(req, &out, nil); err != nil {
		return fmt.Errorf("whatsapp: delete media: %w", err)
	}
	if !out.Success {
		return errors.New("whatsapp: delete media: response says success is false")
	}
	return nil
}

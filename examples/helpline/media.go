package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/whatsapp"
)

// mediaUploader sends a playbook's media files (audio for people who cannot
// read, maps, leaflets) by uploading each file once and reusing its media id
// until shortly before WhatsApp forgets it (30 days).
type mediaUploader struct {
	fsys   fs.FS // the playbooks folder
	client *whatsapp.Client
	line   string
	now    func() time.Time
	log    *slog.Logger

	mu  sync.Mutex
	ids map[string]uploaded
}

type uploaded struct {
	id string
	at time.Time
}

const mediaReuse = 29 * 24 * time.Hour

var mimeTypes = map[string]string{
	".ogg": "audio/ogg", ".opus": "audio/ogg", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".mp4": "video/mp4", ".pdf": "application/pdf", ".webp": "image/webp",
}

// skip logs a media file that can never be sent (a placeholder, a typo in a
// playbook) and lets the conversation go on without it: failing would make
// the runtime retry a message whose other replies were already sent.
func (u *mediaUploader) skip(ctx context.Context, name, why string) {
	if u.log != nil {
		u.log.WarnContext(ctx, "helpline: media file skipped", "file", name, "reason", why)
	}
}

// resolve implements flow.MediaResolver. An upload that fails for a reason
// that may pass (the network, Meta's limits) is an error, so the message is
// retried.
func (u *mediaUploader) resolve(ctx context.Context, ev flow.MediaEvent) (chat.Media, error) {
	m := chat.Media{Kind: ev.Kind}
	if ev.URL != "" {
		m.URL = ev.URL
		return m, nil
	}
	name := path.Clean(path.Join(path.Dir(ev.File), ev.Path))
	if ev.Kind == chat.MediaDocument {
		m.Filename = path.Base(name)
	}
	u.mu.Lock()
	if up, ok := u.ids[name]; ok && u.now().Sub(up.at) < mediaReuse {
		u.mu.Unlock()
		m.ID = up.id
		return m, nil
	}
	u.mu.Unlock()
	mime, ok := mimeTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		u.skip(ctx, name, "unknown file type; use .ogg .mp3 .png .jpg .mp4 or .pdf")
		return chat.Media{}, nil
	}
	f, err := u.fsys.Open(name)
	if err != nil {
		u.skip(ctx, name, "cannot be read")
		return chat.Media{}, nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() == 0 {
		u.skip(ctx, name, "is empty")
		return chat.Media{}, nil
	}
	res, err := u.client.Media.Upload(ctx, u.line, whatsapp.Upload{Filename: path.Base(name), MIMEType: mime, Body: f})
	if err != nil {
		return m, fmt.Errorf("media %s: upload: %w", name, err)
	}
	u.mu.Lock()
	u.ids[name] = uploaded{id: res.ID, at: u.now()}
	u.mu.Unlock()
	m.ID = res.ID
	return m, nil
}

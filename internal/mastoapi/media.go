package mastoapi

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/media"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// The media endpoints: an app uploads a photo, video, sound or file, polls it while it
// is processed, describes it, then names it in a status's media_ids. The file part is
// streamed into ruche.Media, which spools it to a temporary file bounded by the limit of
// the kind its bytes show: a 100 MB video never sits in memory, and the client API's
// 1 MB bound on forms does not apply to it. Uploads are the member's own until posted:
// another member's upload is not found.

// MediaAttachment is Mastodon's MediaAttachment. URLs are capability URLs, signed
// when the attachment is shown: only a viewer the gate let see the post is handed one.
type MediaAttachment struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	URL              *string   `json:"url"` // null while processing
	PreviewURL       *string   `json:"preview_url"`
	RemoteURL        *string   `json:"remote_url"`
	PreviewRemoteURL *string   `json:"preview_remote_url"`
	TextURL          *string   `json:"text_url"`
	Meta             MediaMeta `json:"meta"`
	Description      *string   `json:"description"`
	Blurhash         *string   `json:"blurhash"`
}

// MediaMeta is what apps lay an attachment out by before loading it.
type MediaMeta struct {
	Original *MediaSize  `json:"original,omitempty"`
	Small    *MediaSize  `json:"small,omitempty"`
	Focus    *MediaFocus `json:"focus,omitempty"`
}

// MediaSize describes one variant of an attachment.
type MediaSize struct {
	Width    int     `json:"width,omitempty"`
	Height   int     `json:"height,omitempty"`
	Size     string  `json:"size,omitempty"` // "640x480"
	Aspect   float64 `json:"aspect,omitempty"`
	Duration float64 `json:"duration,omitempty"` // seconds, for video and sound
}

// MediaFocus is the focal point apps crop previews around, -1..1 on each axis.
type MediaFocus struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// maxMediaField bounds a text field of an upload form (the description is at most
// ruche.MaxMediaDescription characters).
const maxMediaField = 16 << 10

// mediaType is the client API's name of a kind: documents are "unknown", which apps
// offer as a link to open.
func mediaType(k ruche.MediaKind) string {
	switch k {
	case ruche.MediaImage, ruche.MediaGIFV, ruche.MediaVideo, ruche.MediaAudio:
		return string(k)
	}
	return "unknown"
}

func sizeOf(w, h int, d time.Duration) *MediaSize {
	if w <= 0 || h <= 0 {
		if d <= 0 {
			return nil
		}
		return &MediaSize{Duration: d.Seconds()}
	}
	return &MediaSize{Width: w, Height: h, Size: fmt.Sprintf("%dx%d", w, h), Aspect: float64(w) / float64(h), Duration: d.Seconds()}
}

// mediaAttachment maps an attachment for a viewer the caller has let see it.
func (a *API) mediaAttachment(m ruche.Attachment) MediaAttachment {
	out := MediaAttachment{ID: idString(m.ID), Type: mediaType(m.Kind)}
	if m.Description != "" {
		d := m.Description
		out.Description = &d
	}
	if m.Blurhash != "" {
		b := m.Blurhash
		out.Blurhash = &b
	}
	if m.State == ruche.MediaReady && a.Media != nil {
		original := a.Media.URL(m, ruche.VariantOriginal)
		out.URL = &original
		switch {
		case m.ThumbWidth > 0:
			small := a.Media.URL(m, ruche.VariantSmall)
			out.PreviewURL = &small
		case m.Kind == ruche.MediaImage || m.Kind == ruche.MediaGIFV:
			out.PreviewURL = &original // small enough to need no thumbnail
		}
	}
	out.Meta.Original = sizeOf(m.Width, m.Height, m.Duration)
	out.Meta.Small = sizeOf(m.ThumbWidth, m.ThumbHeight, 0)
	if m.Kind == ruche.MediaImage || m.Kind == ruche.MediaGIFV || m.Kind == ruche.MediaVideo {
		out.Meta.Focus = &MediaFocus{X: m.FocusX, Y: m.FocusY}
	}
	return out
}

// mediaAttachments maps a post's attachments, in the author's order.
func (a *API) mediaAttachments(ms []ruche.Attachment) []MediaAttachment {
	return each(ms, a.mediaAttachment)
}

func (a *API) mediaRoutes() []Route {
	const one = "/api/v1/media/{id}"
	return []Route{
		{Method: "POST", Pattern: "/api/v2/media", Scope: "write:media", Handler: a.uploadHandler(false), Upload: true},
		{Method: "POST", Pattern: "/api/v1/media", Scope: "write:media", Handler: a.uploadHandler(true), Upload: true},
		{Method: "GET", Pattern: one, Scope: "write:media", Handler: a.h(a.getMedia)},
		{Method: "PUT", Pattern: one, Scope: "write:media", Handler: a.h(a.describeMedia)},
		{Method: "DELETE", Pattern: one, Scope: "write:media", Handler: a.h(a.deleteMedia)},
	}
}

// withStatus is an answer sent with another status than 200.
type withStatus struct {
	status int
	v      any
}

// mediaAnswer is how Mastodon answers with an upload: 200 once it is ready, 202 from
// an upload still processing, 206 when polled while processing.
func (a *API) mediaAnswer(m ruche.Attachment, processing int) any {
	if m.State == ruche.MediaReady {
		return a.mediaAttachment(m)
	}
	return withStatus{status: processing, v: a.mediaAttachment(m)}
}

// uploadHandler serves POST /api/v1/media (wait: cleaned before the answer) and
// /api/v2/media (queued; the app polls GET /api/v1/media/:id). It reads the body
// itself, as a stream, rather than through withParams and its 1 MB bound.
func (a *API) uploadHandler(wait bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authn.UserFrom(r.Context())
		if !ok {
			a.Error(w, r, http.StatusUnauthorized, "error.api_unauthorized")
			return
		}
		v, err := a.upload(w, r, *u, wait)
		if err != nil && r.Body != nil {
			// Read what the app is still sending (within the bound), so that it gets
			// to read the answer rather than a connection closed mid-upload.
			io.Copy(io.Discard, r.Body)
		}
		a.write(w, r, v, err)
	})
}

// maxUploadBody bounds an upload request: the largest file Ruche takes, and room for
// the form around it.
func (a *API) maxUploadBody() int64 {
	var most int64
	for _, k := range []media.Kind{media.KindJPEG, media.KindMP4, media.KindMP3, media.KindPDF} {
		most = max(most, a.Media.Limits.For(k))
	}
	return most + 1<<20
}

// uploadForm is an upload's text fields, and which of them came after the file.
type uploadForm struct {
	description, focus string
	late               bool
}

func (a *API) upload(w http.ResponseWriter, r *http.Request, u ruche.User, wait bool) (any, error) {
	if a.Media == nil {
		return nil, ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.maxUploadBody())
	var f uploadForm
	var up *ruche.Attachment
	send := func(file io.Reader, header multipart.FileHeader) error {
		fx, fy, err := parseFocus(f.focus)
		if err != nil {
			return err
		}
		body := &clientReader{r: file}
		m, err := a.Media.Upload(r.Context(), u, ruche.Upload{Body: body, Type: header.Header.Get("Content-Type"),
			Name: header.Filename, Description: f.description, FocusX: fx, FocusY: fy}, wait)
		if err != nil {
			return uploadError(err, body.err)
		}
		up = &m
		return nil
	}
	field := func(name, value string) {
		switch name {
		case "description":
			f.description = value
		case "focus":
			f.focus = value
		default:
			return
		}
		f.late = f.late || up != nil
	}
	if err := readUploadForm(r, send, field); err != nil {
		return nil, err
	}
	if up == nil {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.api_media_file_missing")
	}
	m := *up
	if f.late {
		// Apps may send the description after the file; it is set now that the upload
		// exists, before it can be attached.
		fx, fy, err := parseFocus(f.focus)
		if err != nil {
			return nil, err
		}
		if m, err = a.Media.Describe(r.Context(), u, m.ID, f.description, fx, fy); err != nil {
			return nil, err
		}
	}
	return a.mediaAnswer(m, http.StatusAccepted), nil
}

// readUploadForm reads a multipart upload form part by part: text fields go to field,
// the first part named file to send, as a stream. Other parts (a custom thumbnail) are
// skipped. A form some middleware already parsed is read from memory and disk.
func readUploadForm(r *http.Request, send func(io.Reader, multipart.FileHeader) error, field func(name, value string)) error {
	if r.MultipartForm != nil {
		return parsedUploadForm(r.MultipartForm, send, field)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return ruche.Errorf(ruche.CodeInvalid, "error.form_invalid")
	}
	sent := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return uploadError(err, err)
		}
		name := part.FormName()
		switch {
		case name == "file" && !sent:
			sent = true
			if err := send(part, multipart.FileHeader{Filename: part.FileName(), Header: part.Header}); err != nil {
				part.Close()
				return err
			}
		case part.FileName() == "" && name != "file":
			b, err := io.ReadAll(io.LimitReader(part, maxMediaField+1))
			if err != nil {
				part.Close()
				return uploadError(err, err)
			}
			if len(b) > maxMediaField {
				part.Close()
				return ruche.Errorf(ruche.CodeInvalid, "error.form_invalid")
			}
			field(name, string(b))
		}
		part.Close()
	}
}

func parsedUploadForm(form *multipart.Form, send func(io.Reader, multipart.FileHeader) error, field func(name, value string)) error {
	for name, vs := range form.Value {
		if len(vs) > 0 {
			field(name, vs[0])
		}
	}
	files := form.File["file"]
	if len(files) == 0 {
		return nil
	}
	f, err := files[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	return send(f, *files[0])
}

// clientReader remembers the error of reading the request, to tell a client that sent
// too much or hung up from a failure of Ruche's own storage.
type clientReader struct {
	r   io.Reader
	err error
}

func (c *clientReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

// uploadError maps what went wrong with an upload: read is the request's own read
// error, if any. A body over the bound is refused as too large; another broken request
// is a 422, not a failure of the server.
func uploadError(err, read error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(read, &tooBig):
		return ruche.Errorf(ruche.CodeInvalid, "error.media_too_large", megabytes(tooBig.Limit))
	case read != nil:
		return ruche.Errorf(ruche.CodeInvalid, "error.form_invalid")
	}
	return err
}

func megabytes(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", max(1, n>>10))
}

// parseFocus reads Mastodon's focal point, "x,y" ("" is the centre).
func parseFocus(s string) (x, y float64, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, nil
	}
	xs, ys, ok := strings.Cut(s, ",")
	x, errX := strconv.ParseFloat(strings.TrimSpace(xs), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(ys), 64)
	if !ok || errX != nil || errY != nil {
		return 0, 0, ruche.Errorf(ruche.CodeInvalid, "error.media_focus")
	}
	return x, y, nil // ruche.Media checks the range
}

// ownMedia returns the member's upload named by the path.
func (a *API) ownMedia(r *http.Request, u ruche.User) (ruche.Attachment, error) {
	if a.Media == nil {
		return ruche.Attachment{}, ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	n, err := id(r.PathValue("id"))
	if err != nil {
		return ruche.Attachment{}, err
	}
	return a.Media.Get(r.Context(), u, n)
}

// getMedia is how an app polls an upload: 206 while processing, as Mastodon answers,
// the attachment once ready, and the reason when it could not be processed.
func (a *API) getMedia(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	m, err := a.ownMedia(r, u)
	if err != nil {
		return nil, err
	}
	if m.State == ruche.MediaFailed {
		key := m.Error
		if key == "" || key == "error.media_too_large" { // the limit is not recorded
			key = "error.media_corrupt"
		}
		return nil, ruche.Errorf(ruche.CodeInvalid, key)
	}
	return a.mediaAnswer(m, http.StatusPartialContent), nil
}

// describeMedia sets an upload's alt text or focal point; a field left out keeps its
// value. Once the upload is posted, it is the post's and can no longer change.
func (a *API) describeMedia(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	m, err := a.ownMedia(r, u)
	if err != nil {
		return nil, err
	}
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	description, fx, fy := m.Description, m.FocusX, m.FocusY
	if p.Has("description") {
		description = p.String("description")
	}
	if p.Has("focus") {
		if fx, fy, err = parseFocus(p.String("focus")); err != nil {
			return nil, err
		}
	}
	if m, err = a.Media.Describe(r.Context(), u, m.ID, description, fx, fy); err != nil {
		return nil, err
	}
	return a.mediaAnswer(m, http.StatusPartialContent), nil
}

// deleteMedia deletes an upload not yet posted (an app's "remove" in its compose box).
func (a *API) deleteMedia(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	m, err := a.ownMedia(r, u)
	if err != nil {
		return nil, err
	}
	if err := a.Media.Delete(r.Context(), u, m.ID); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// mediaIDs reads a status's media_ids; one that is no number cannot be the member's
// upload.
func mediaIDs(p params) ([]int64, error) {
	var out []int64
	for _, s := range p.List("media_ids") {
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return nil, ruche.Errorf(ruche.CodeInvalid, "error.media_not_attachable")
		}
		out = append(out, n)
	}
	return out, nil
}

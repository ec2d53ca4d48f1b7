package webui

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Attachments come in with the compose form (multipart/form-data) and go out with the
// posts a page shows. Files are handed to Media as they are read, never held whole in
// memory; the URLs of a post's attachments are signed only while rendering a post the
// page already has, that is one the visibility gate let the viewer see.

// maxUploads is how many files one post carries at most; ruche.Posts checks it again,
// with the rules of which kinds go together.
const maxUploads = 4

// maxFormValues bounds the text fields of a compose form read as a stream.
const maxFormValues = 1 << 20

// attachmentView is an attachment as a page shows it, with its URLs signed for the
// viewer of the page.
type attachmentView struct {
	ruche.Attachment
	URL   string // the file itself
	Small string // its thumbnail (a video's poster), "" when it has none
	W, H  int    // the size of what the page shows first, 0 if unknown
}

// attachments signs the URLs of p's attachments. Only call it for a post the viewer
// was given by ruche.Posts: the signature lets whoever holds the URL fetch the file.
func (ui *UI) attachments(p ruche.Post) []attachmentView {
	if ui.Media == nil || len(p.Media) == 0 {
		return nil
	}
	views := make([]attachmentView, 0, len(p.Media))
	for _, a := range p.Media {
		if a.State != ruche.MediaReady {
			continue
		}
		v := attachmentView{Attachment: a, URL: ui.mediaURL(a, ruche.VariantOriginal), W: a.Width, H: a.Height}
		if a.ThumbWidth > 0 {
			v.Small = ui.mediaURL(a, ruche.VariantSmall)
			if a.Kind == ruche.MediaImage {
				v.W, v.H = a.ThumbWidth, a.ThumbHeight
			}
		}
		views = append(views, v)
	}
	return views
}

// mediaURL is the address of a variant of a, relative when the files are served by
// this site: pages then load them from whatever host name the member reached, which
// the pages' Content-Security-Policy ('self') allows.
func (ui *UI) mediaURL(a ruche.Attachment, variant string) string {
	return ui.relative(ui.Media.URL(a, variant))
}

// pictureURL is the address of an account's picture (an upload id; "" for none),
// relative like mediaURL. Only call it for an account the page may show: the
// signature lets whoever holds the URL fetch the picture.
func (ui *UI) pictureURL(id int64) string {
	if ui.Media == nil || id == 0 {
		return ""
	}
	return ui.relative(ui.Media.PictureURL(id))
}

// relative cuts this site's own address off u.
func (ui *UI) relative(u string) string {
	if ui.Media.BaseURL != "" {
		if rel, ok := strings.CutPrefix(u, ui.Media.BaseURL); ok && strings.HasPrefix(rel, "/") {
			return rel
		}
	}
	return u
}

// fileSize words a file's size for a download link, in the page's language.
func fileSize(p i18n.Printer, n int64) string {
	num := message.NewPrinter(language.Make(p.Lang()))
	switch {
	case n < 1000:
		return p.T("media.size_bytes", n)
	case n < 1000*1000:
		return p.T("media.size_kb", num.Sprintf("%.0f", float64(n)/1000))
	}
	return p.T("media.size_mb", num.Sprintf("%.1f", float64(n)/1e6))
}

// composeInput is a compose form as sent: its fields, and the files it carried,
// already cleaned and stored (not yet attached).
type composeInput struct {
	values  url.Values
	media   []ruche.Attachment
	refused string // the name of the file refused; err says why
}

// readCompose reads the compose form, handing each file to Media as it comes. A file
// refused (not a kind one may post, damaged, too large, one too many) ends the
// uploads but not the reading, so that the form comes back with what was typed: the
// error is then CodeInvalid and in.refused names the file. Other errors are returned
// as they are.
//
// Browsers send the CSRF token in the form, which makes the CSRF check parse the body
// before this handler (net/http spools files beyond its memory bound to disk): those
// files are read from r.MultipartForm. The script sends the token as a header, and
// the body is read here as a stream.
func (ui *UI) readCompose(w http.ResponseWriter, r *http.Request) (composeInput, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return composeInput{values: url.Values{}}, bodyError(err)
		}
		return composeInput{values: r.PostForm}, nil
	}
	up := &uploader{ui: ui, r: r, in: composeInput{values: url.Values{}}}
	var err error
	if r.MultipartForm != nil {
		err = up.readParsed()
	} else {
		err = up.readStream()
	}
	if err == nil {
		err = up.describe()
	}
	if err == nil {
		err = up.refusal
	}
	return up.in, err
}

// uploader takes the files of one compose form in.
type uploader struct {
	ui      *UI
	r       *http.Request
	in      composeInput
	used    []string // the description each file was uploaded with
	refusal error
}

func (up *uploader) readParsed() error {
	f := up.r.MultipartForm
	for k, vs := range f.Value {
		up.in.values[k] = vs
	}
	for _, fh := range f.File["media"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the file field, left empty
		}
		body, err := fh.Open()
		if err != nil {
			return err
		}
		err = up.upload(body, fh.Filename, fh.Header.Get("Content-Type"))
		body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// maxFormParts bounds the parts of a compose form: its fields, four files and their
// descriptions fit many times over.
const maxFormParts = 100

func (up *uploader) readStream() error {
	mr, err := up.r.MultipartReader()
	if err != nil {
		return ruche.Errorf(ruche.CodeInvalid, "error.upload_unreadable")
	}
	budget := int64(maxFormValues)
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return bodyError(err)
		}
		name := part.FormName()
		// Names count against the budget as values do, and so does each part.
		if budget -= int64(len(name)); budget < 0 || parts == maxFormParts {
			return ruche.Errorf(ruche.CodeInvalid, "error.form_too_large")
		}
		switch {
		case part.FileName() == "" && name != "":
			b, err := io.ReadAll(io.LimitReader(part, budget+1))
			if err != nil {
				return bodyError(err)
			}
			if budget -= int64(len(b)); budget < 0 {
				return ruche.Errorf(ruche.CodeInvalid, "error.form_too_large")
			}
			up.in.values.Add(name, string(b))
		case name == "media":
			if err := up.upload(part, part.FileName(), part.Header.Get("Content-Type")); err != nil {
				return err
			}
		}
		part.Close()
	}
}

// upload hands one file to Media, with the description typed for it if it came
// before the file; describe sets the others once the whole form is read.
func (up *uploader) upload(body io.Reader, name, typ string) error {
	if up.refusal != nil {
		return nil // one refusal is enough: the member chooses again
	}
	if up.ui.Media == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	if len(up.in.media) == maxUploads {
		up.refusal, up.in.refused = ruche.Errorf(ruche.CodeInvalid, "error.media_too_many"), name
		return nil
	}
	desc := ""
	if d := up.in.values["media_description"]; len(d) > len(up.in.media) {
		desc = d[len(up.in.media)]
	}
	a, err := up.ui.Media.Upload(up.r.Context(), *viewer(up.r), ruche.Upload{Body: body, Type: typ, Name: name, Description: desc}, true)
	if ruche.ErrorCode(err) == ruche.CodeInvalid {
		up.refusal, up.in.refused = err, name
		return nil
	}
	if err != nil {
		return bodyError(err)
	}
	up.in.media = append(up.in.media, a)
	up.used = append(up.used, desc)
	return nil
}

// describe sets the descriptions that came after their files.
func (up *uploader) describe() error {
	descs := up.in.values["media_description"]
	for i, a := range up.in.media {
		if i >= len(descs) || descs[i] == up.used[i] {
			continue
		}
		d, err := up.ui.Media.Describe(up.r.Context(), *viewer(up.r), a.ID, descs[i], a.FocusX, a.FocusY)
		if err != nil {
			return err
		}
		up.in.media[i] = d
	}
	return nil
}

// bodyError turns a body cut by the server's size limit into what the member is
// told; other errors stay as they are.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return ruche.Errorf(ruche.CodeInvalid, "error.form_too_large")
	}
	return err
}

// mediaIDs lists the ids of as.
func mediaIDs(as []ruche.Attachment) []int64 {
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

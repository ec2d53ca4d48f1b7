// Package fileserve sends stored uploads so that nothing uploaded ever runs in Ruche's
// origin: with the type Ruche's cleaners gave them, never sniffed, under a sandboxing
// policy, and anything not re-encoded by Ruche as a download. Members' capability URLs
// and partners' signed fetches both send files through it.
package fileserve

import (
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Options say how a file goes out beyond the rules every file follows.
type Options struct {
	// Download sends even an inline file as an attachment (servers fetching files
	// have no page to show them in).
	Download bool
	// CrossOrigin lets other sites' pages show the file (web apps on another origin:
	// the capability URL is the credential).
	CrossOrigin bool
	// Cache lets the viewer's browser keep the file until it expires (its URL's
	// expiry); without, nothing keeps it.
	Cache bool
}

// Send writes f, honouring Range and conditional requests.
func Send(w http.ResponseWriter, r *http.Request, f ruche.Served, o Options) {
	h := w.Header()
	h.Set("Content-Type", f.MIME)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Del("X-Frame-Options")
	if o.CrossOrigin {
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	disposition := "inline"
	if o.Download || !f.Inline {
		disposition = "attachment"
	}
	if d := mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}); d != "" {
		disposition = d
	}
	h.Set("Content-Disposition", disposition)
	// Private: a shared cache must not keep what a capability opened for one viewer.
	if left := time.Until(f.Expires); o.Cache && left > 0 {
		h.Set("Cache-Control", fmt.Sprintf("private, max-age=%d, immutable", int(left.Seconds())))
	} else {
		h.Set("Cache-Control", "private, no-store")
	}
	http.ServeContent(w, r, "", f.ModTime(), f)
}

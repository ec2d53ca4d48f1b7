package server

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// mediaFile serves an attachment under its capability URL. Whatever is wrong (no
// signature, an altered or expired one, a deleted post's file) is a bare 404. Nothing
// uploaded ever runs in Ruche's origin: files are sent with their cleaned type, never
// sniffed, under a sandboxing policy, and anything not re-encoded by Ruche as a
// download.
func (s *Server) mediaFile(w http.ResponseWriter, r *http.Request) {
	if s.opts.Media == nil {
		http.NotFound(w, r)
		return
	}
	f, err := s.opts.Media.Open(r.Context(), r.URL.Path, r.URL.Query())
	if errors.Is(err, ruche.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.opts.Log.Error("media", "path", r.URL.Path, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", f.MIME)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	// Web apps on other origins show the pictures too; the URL is the credential.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Del("X-Frame-Options")
	disposition := "inline"
	if !f.Inline {
		disposition = "attachment"
	}
	if d := mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}); d != "" {
		disposition = d
	}
	h.Set("Content-Disposition", disposition)
	// Private: a shared cache must not keep what a capability opened for one viewer.
	if left := time.Until(f.Expires); left > 0 {
		h.Set("Cache-Control", fmt.Sprintf("private, max-age=%d, immutable", int(left.Seconds())))
	}
	http.ServeContent(w, r, "", f.ModTime(), f)
}

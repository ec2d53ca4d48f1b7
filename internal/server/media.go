package server

import (
	"errors"
	"net/http"

	"github.com/ruche-hive/ruche/internal/fileserve"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// mediaFile serves an attachment under its capability URL (fileserve says how).
// Whatever is wrong (no signature, an altered or expired one, a deleted post's file)
// is a bare 404.
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
	fileserve.Send(w, r, f, fileserve.Options{CrossOrigin: true, Cache: true})
}

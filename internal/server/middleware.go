package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/i18n"
)

// uploadReadTimeout is how long an upload may take to arrive.
const uploadReadTimeout = 15 * time.Minute

// maxFormBody bounds every request body but uploads'.
const maxFormBody = 1 << 20

// limitBody bounds request bodies: maxFormBody, or, for the routes that take uploads
// ("METHOD /path": its bound), when someone is signed in, their own bound, within which
// handlers apply each file's limit as they stream it. An anonymous request never gets
// more than maxFormBody (it can only be refused), however large it claims to be.
func limitBody(uploads map[string]int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			limit := int64(maxFormBody)
			_, signedIn := authn.UserFrom(r.Context())
			if bound, ok := uploads[r.Method+" "+r.URL.Path]; ok && signedIn {
				limit = bound
				// A large video on a slow line takes longer than the server's read
				// timeout, which stays for every other request.
				http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout)) //nolint:errcheck // not every writer supports it
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// securityHeaders keeps pages out of frames and other sites' referrers, allows only
// our own scripts and styles, and under https tells browsers never to use http.
func securityHeaders(secure bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			if secure {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
			next.ServeHTTP(w, r)
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		// The route pattern, not the path: paths hold secrets (setup and invite tokens).
		pattern := ""
		if rc := chi.RouteContext(r.Context()); rc != nil {
			pattern = rc.RoutePattern()
		}
		s.opts.Log.Debug("http", "method", r.Method, "route", pattern, "status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}

// recoverer turns a panic into a 500 and a log line instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.opts.Log.Error("panic", "method", r.Method, "panic", v)
				p := i18n.FromContext(r.Context(), s.opts.Catalog)
				http.Error(w, p.T("error.internal"), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Package server is the router: it puts the front doors behind one chain of
// middleware (client address, authentication, language, CSRF) and declares the only
// routes that anonymous requests may reach.
package server

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/clientaddr"
	"github.com/ruche-hive/ruche/internal/csrf"
	"github.com/ruche-hive/ruche/internal/federation"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/mastoapi"
	"github.com/ruche-hive/ruche/internal/media"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/rucheapi"
	"github.com/ruche-hive/ruche/internal/webui"
)

// Options are the server's dependencies.
type Options struct {
	Accounts       *ruche.Accounts
	Posts          *ruche.Posts
	Groups         *ruche.Groups
	OAuth          *ruche.OAuth
	Push           *ruche.Push
	Federation     *ruche.Federation // nil: the admin partners page answers not found
	Media          *ruche.Media      // nil: no uploads
	Hub            *live.Hub
	Catalog        *i18n.Catalog
	Files          fs.FS // web.FS
	Secure         bool
	BaseURL        string
	Dev            bool // development mode (streaming over ws://)
	PublishCounts  bool // instance documents give the number of members
	TrustedProxies []netip.Prefix
	Ready          func(context.Context) error // nil error: the database answers and is migrated
	Log            *slog.Logger
}

// Server routes requests to the front doors.
type Server struct {
	opts   Options
	ui     *webui.UI
	api    *rucheapi.API
	masto  *mastoapi.API
	fed    *federation.API
	router chi.Router
}

// New builds the router.
func New(o Options) (*Server, error) {
	ui, err := webui.New(webui.Options{Accounts: o.Accounts, Posts: o.Posts, Groups: o.Groups, OAuth: o.OAuth, Hub: o.Hub, Catalog: o.Catalog, Files: o.Files, Secure: o.Secure, BaseURL: o.BaseURL, Log: o.Log,
		Federation: o.Federation, Media: o.Media})
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, ui: ui, api: &rucheapi.API{Groups: o.Groups, Posts: o.Posts, Catalog: o.Catalog, Log: o.Log}}
	s.masto = &mastoapi.API{Accounts: o.Accounts, Posts: o.Posts, Groups: o.Groups, OAuth: o.OAuth, Push: o.Push, Media: o.Media, Hub: o.Hub, Catalog: o.Catalog,
		BaseURL: o.BaseURL, Title: "Ruche", Dev: o.Dev, PublishCounts: o.PublishCounts, Log: o.Log}
	s.fed = &federation.API{Fed: o.Federation, Catalog: o.Catalog, Log: o.Log}
	r := chi.NewRouter()
	r.Use(s.recoverer, s.logRequests, middleware.GetHead, securityHeaders(o.Secure), cors,
		clientaddr.Middleware(o.TrustedProxies),
		authn.Identify(o.Accounts, o.OAuth, o.Secure, http.HandlerFunc(s.unavailable), http.HandlerFunc(s.masto.BadToken)),
		limitBody(s.uploadLimits()),
		s.language,
		s.signed(),
		skipForTokens(csrf.Middleware(o.Secure, http.HandlerFunc(s.forbidden))))
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.notFound)
	for _, rt := range s.publicRoutes() {
		r.Method(rt.Method, rt.Pattern, rt.Handler)
	}
	scoped := func(rt mastoapi.Route) http.Handler {
		return authn.RequireScope(rt.Scope, http.HandlerFunc(s.masto.ScopeDenied))(rt.Handler)
	}
	// Routes an application's own token may call (no member behind it).
	r.Group(func(r chi.Router) {
		r.Use(requireToken(http.HandlerFunc(s.apiUnauthorized)))
		for _, rt := range s.masto.Routes() {
			if rt.PublicReason == "" && rt.AppToken {
				r.Method(rt.Method, rt.Pattern, scoped(rt))
			}
		}
	})
	// Federation: partners' signed requests (authn.Signed verified them already).
	r.Group(func(r chi.Router) {
		r.Use(authn.RequirePeer(http.HandlerFunc(s.apiUnauthorized)))
		for _, rt := range s.fedRoutes() {
			if rt.PublicReason == "" {
				r.Method(rt.Method, rt.Pattern, rt.Handler)
			}
		}
	})
	r.Group(func(r chi.Router) {
		r.Use(authn.Require(http.HandlerFunc(s.apiUnauthorized), http.HandlerFunc(s.masto.NeedsUser)))
		for _, rt := range s.privateRoutes() {
			r.Method(rt.Method, rt.Pattern, rt.Handler)
		}
		for _, rt := range s.masto.Routes() {
			if rt.PublicReason == "" && !rt.AppToken {
				r.Method(rt.Method, rt.Pattern, scoped(rt))
			}
		}
		r.With(rucheAPIScopes(http.HandlerFunc(s.masto.ScopeDenied))).Route("/api/ruche/v1", s.api.Routes)
		// Every other /api/ address is private and unknown.
		r.Handle("/api/*", http.HandlerFunc(s.notFound))
	})
	s.router = r
	return s, nil
}

// uploadLimits are the body bounds of the routes that take files ("METHOD /path"):
// the compose box and the client API's media routes take up to four files of the
// largest kind, the picture forms two images; and a little text besides.
func (s *Server) uploadLimits() map[string]int64 {
	if s.opts.Media == nil {
		return nil
	}
	l := s.opts.Media.Limits
	files := 4*max(l.For(media.KindJPEG), l.For(media.KindMP4), l.For(media.KindMP3), l.For(media.KindPDF)) + maxFormBody
	pictures := 2*l.For(media.KindJPEG) + maxFormBody
	out := map[string]int64{"POST /posts": files, "POST /settings/profile/pictures": pictures, "POST /groups/pictures": pictures}
	for _, rt := range s.masto.Routes() {
		if rt.Upload {
			out[rt.Method+" "+rt.Pattern] = files
		}
	}
	return out
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// PublicPatterns lists the "METHOD pattern" of every public route, for tests.
func (s *Server) PublicPatterns() map[string]string {
	m := map[string]string{}
	for _, rt := range s.publicRoutes() {
		m[rt.Method+" "+rt.Pattern] = rt.Reason
	}
	return m
}

// Routes lists every route as "METHOD pattern", for tests.
func (s *Server) Routes() []string {
	var out []string
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method+" "+route)
		return nil
	})
	return out
}

// language picks the request's language: the member's setting, then the browser's.
func (s *Server) language(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chosen := ""
		if u, ok := authn.UserFrom(r.Context()); ok {
			chosen = u.Locale
		}
		p := s.opts.Catalog.Printer(chosen, r.Header.Get("Accept-Language"))
		w.Header().Add("Vary", "Accept-Language")
		next.ServeHTTP(w, r.WithContext(i18n.WithPrinter(r.Context(), p)))
	})
}

// notFound answers unknown addresses. Anonymous requests get the same answer as for a
// private page (sign in first), so nobody can map which addresses exist.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if _, ok := authn.UserFrom(r.Context()); !ok {
		authn.Refuse(w, r, http.HandlerFunc(s.apiUnauthorized))
		return
	}
	if authn.IsAPI(r) {
		s.apiError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	s.ui.NotFound(w, r)
}

// unavailable answers when the database cannot be reached.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "5")
	if authn.IsAPI(r) {
		s.apiError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	p := i18n.FromContext(r.Context(), s.opts.Catalog)
	http.Error(w, p.T("error.unavailable"), http.StatusServiceUnavailable)
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	if authn.IsAPI(r) {
		s.apiError(w, r, http.StatusForbidden, "error.csrf")
		return
	}
	s.ui.Forbidden(w, r)
}

func (s *Server) apiUnauthorized(w http.ResponseWriter, r *http.Request) {
	// A partner asking for what is not federated learns nothing more than "not found";
	// another server is told to sign.
	if _, ok := authn.PeerFrom(r.Context()); ok {
		s.apiError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if authn.IsServer(r) || isFederationPath(r.URL.Path) {
		w.Header().Set("WWW-Authenticate", `Signature realm="ruche",headers="(request-target) host date digest"`)
		s.apiError(w, r, http.StatusUnauthorized, "error.signature_missing")
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="ruche"`)
	s.apiError(w, r, http.StatusUnauthorized, "error.api_unauthorized")
}

// apiError writes the client API's error body, Mastodon's shape: {"error": "…"}.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, status int, key string) {
	p := i18n.FromContext(r.Context(), s.opts.Catalog)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": p.T(key)})
}

func (s *Server) static() http.Handler {
	sub, err := fs.Sub(s.opts.Files, "static")
	if err != nil {
		panic(err) // web.FS always has static/
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // files only, no listings
			s.notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.opts.Ready(ctx); err != nil {
		s.opts.Log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

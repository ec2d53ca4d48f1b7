// Package mastoapi is the Mastodon client API (/api/v1, /api/v2, OAuth's token
// endpoints): the third front door, so that members use Ruche from Tusky, Ivory, Elk,
// Phanpy, Ice Cubes or toot. It maps Ruche's domain onto Mastodon's JSON shapes and
// nothing more: every rule lives in internal/ruche, every post it returns has been
// through the visibility gate, and every route declares the OAuth scope it needs.
package mastoapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Version is what apps read in /api/v1/instance: a Mastodon version they know the
// features of, then ours. Apps switch features off for versions they do not recognise.
const (
	MastodonVersion = "4.3.0"
	RucheVersion    = "0.5"
)

// API serves the client API.
type API struct {
	Accounts *ruche.Accounts
	Posts    *ruche.Posts
	Groups   *ruche.Groups
	OAuth    *ruche.OAuth
	Push     *ruche.Push  // nil: no Web Push (tools that serve the API alone)
	Media    *ruche.Media // nil: no uploads
	Hub      *live.Hub
	Catalog  *i18n.Catalog
	BaseURL  string // https://host, no trailing slash
	Title    string // the instance's name
	Dev      bool   // development: streaming over ws://
	// PublishCounts puts the number of members in NodeInfo and the instance
	// documents; off by default, as a company's size is its own business.
	PublishCounts bool

	countMu   sync.Mutex
	count     int
	countedAt time.Time
	Log       *slog.Logger

	statusCache statusCache
}

// Route is one address of the client API with the OAuth scope it needs. Scope ""
// marks the few routes any caller may reach (public discovery, or an application's
// own token); PublicReason says why.
type Route struct {
	Method  string
	Pattern string
	Scope   string
	Handler http.Handler
	// Public: served without a token (discovery and OAuth itself), with the reason.
	PublicReason string
	// AppToken: an application's own token (client_credentials) may call it; other
	// routes need a member behind the token.
	AppToken bool
	// Upload: the handler reads the body itself, as a stream bounded by the largest
	// media limit; the server's 1 MB bound on forms must not apply to it.
	Upload bool
	// Unsupported: an action Ruche does not have, answered 422 with a message apps
	// show (not 404, which they take for a broken server); no answer of it can match
	// Mastodon's schema, so the schema coverage check leaves it out.
	Unsupported bool
}

// handler is an API handler: it returns the value to write as JSON, or an error.
type handler func(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error)

// h adapts a handler that needs a member.
func (a *API) h(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authn.UserFrom(r.Context())
		if !ok {
			a.Error(w, r, http.StatusUnauthorized, "error.api_unauthorized")
			return
		}
		r, err := withParams(r)
		if r.MultipartForm != nil {
			// net/http removes only the files of forms parsed on the request it made.
			defer r.MultipartForm.RemoveAll() //nolint:errcheck // nothing to do about a file that will not go
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		v, err := fn(w, r, *u)
		a.write(w, r, v, err)
	})
}

// anyone adapts a handler that needs no member (u is the zero User when there is none).
func (a *API) anyone(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u ruche.User
		if p, ok := authn.UserFrom(r.Context()); ok {
			u = *p
		}
		r, err := withParams(r)
		if r.MultipartForm != nil {
			// net/http removes only the files of forms parsed on the request it made.
			defer r.MultipartForm.RemoveAll() //nolint:errcheck // nothing to do about a file that will not go
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		v, err := fn(w, r, u)
		a.write(w, r, v, err)
	})
}

func (a *API) write(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if s, ok := v.(withStatus); ok {
		status, v = s.status, s.v
	}
	if v == nil {
		v = struct{}{}
	}
	body, ok := v.(encodedJSON)
	if ok {
		defer body.release()
	} else {
		if body, err = json.Marshal(v); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(body)
}

// fail writes err as Mastodon's error body with the status of its code; internal
// detail is logged, never sent.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *ruche.Error
	if !errors.As(err, &e) || e.Code == ruche.CodeInternal {
		a.Log.Error("client api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		a.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	status := e.Code.HTTPStatus()
	p := i18n.FromContext(r.Context(), a.Catalog)
	writeError(w, status, p.T(e.Key, e.Args...))
}

// Error writes Mastodon's error body, {"error": "…"}, in the member's language.
func (a *API) Error(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	p := i18n.FromContext(r.Context(), a.Catalog)
	writeError(w, status, p.T(key, args...))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// ScopeDenied answers a token that lacks a route's scope (403, Mastodon's words).
func (a *API) ScopeDenied(w http.ResponseWriter, r *http.Request) {
	a.Error(w, r, http.StatusForbidden, "error.api_scope")
}

// NeedsUser answers an application's own token on a route that needs a member.
func (a *API) NeedsUser(w http.ResponseWriter, r *http.Request) {
	a.Error(w, r, http.StatusUnprocessableEntity, "error.api_user_required")
}

// BadToken answers a request whose token is unknown, revoked, or its member's suspended.
func (a *API) BadToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="ruche", error="invalid_token"`)
	a.Error(w, r, http.StatusUnauthorized, "error.api_token_invalid")
}

// id parses a path or form id; a malformed one is simply not found, as an unknown one.
func id(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	return n, nil
}

func idString(n int64) string { return strconv.FormatInt(n, 10) }

// onID answers a request that does one thing to the object whose id is in the path
// (dismiss, delete, hide) with the empty object Mastodon answers.
func onID(do func(context.Context, ruche.User, int64) error) func(http.ResponseWriter, *http.Request, ruche.User) (any, error) {
	return func(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
		n, err := id(r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return struct{}{}, do(r.Context(), u, n)
	}
}

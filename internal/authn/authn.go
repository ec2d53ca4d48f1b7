// Package authn is Ruche's one authentication layer: it identifies who is making a
// request and puts them in the request context, and it refuses anonymous requests to
// every route that is not on the declared public list (internal/server).
//
// The ways in are tried in order: the web UI's session cookie now; bearer tokens with
// the client API and HTTP signatures with federation plug in here later. Front doors
// read the viewer with UserFrom and never authenticate on their own.
package authn

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ruche-hive/ruche/internal/csrf"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Authenticator resolves a session token to its user (ruche.Accounts implements it).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (ruche.User, error)
}

type ctxKey struct{}

// WithUser returns ctx carrying the authenticated user.
func WithUser(ctx context.Context, u ruche.User) context.Context {
	return context.WithValue(ctx, ctxKey{}, &u)
}

// UserFrom returns the authenticated user of the request, if any.
func UserFrom(ctx context.Context) (*ruche.User, bool) {
	u, ok := ctx.Value(ctxKey{}).(*ruche.User)
	return u, ok
}

// CookieName is the session cookie's name: with the __Host- prefix under https, so no
// other host or path can set or shadow it.
func CookieName(secure bool) string {
	if secure {
		return "__Host-ruche_session"
	}
	return "ruche_session"
}

// SessionCookie returns the cookie that carries token (an empty token clears it).
func SessionCookie(secure bool, token string) *http.Cookie {
	c := &http.Cookie{Name: CookieName(secure), Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	if token == "" {
		c.MaxAge = -1
	}
	return c
}

// SessionToken returns the session token the request carries, if any.
func SessionToken(r *http.Request, secure bool) string {
	if c, err := r.Cookie(CookieName(secure)); err == nil {
		return c.Value
	}
	return ""
}

// Identify puts the request's user, when it has a valid session, in the context. It
// never refuses a request: Require does.
//
// When the session cannot be checked (the database is down), the request gets
// unavailable rather than being treated as anonymous, which would sign everyone out.
func Identify(a Authenticator, secure bool, unavailable http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The session cookie authenticates pages, and Ruche's own JSON API when the
			// request also proves it comes from this site's scripts (CSRF header); the
			// client API will take bearer tokens only.
			if !IsAPI(r) || (strings.HasPrefix(r.URL.Path, "/api/ruche/") && csrf.HeaderMatches(r, secure)) {
				if token := SessionToken(r, secure); token != "" {
					u, err := a.Authenticate(r.Context(), token)
					switch {
					case err == nil:
						r = r.WithContext(WithUser(r.Context(), u))
					case errors.Is(err, ruche.ErrNotFound):
						http.SetCookie(w, SessionCookie(secure, "")) // ended or expired: forget it
					default:
						unavailable.ServeHTTP(w, r)
						return
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// IsAPI reports whether the request is for the client API (JSON answers).
func IsAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// Require refuses anonymous requests: a browser is sent to /login (and back afterwards),
// an API client gets apiDeny (401 with a JSON body).
func Require(apiDeny http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := UserFrom(r.Context()); ok {
				next.ServeHTTP(w, r)
				return
			}
			Refuse(w, r, apiDeny)
		})
	}
}

// Refuse answers an anonymous request for something that needs a member.
func Refuse(w http.ResponseWriter, r *http.Request, apiDeny http.Handler) {
	if IsAPI(r) {
		apiDeny.ServeHTTP(w, r)
		return
	}
	to := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		to += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// SafeNext returns next if it is a path on this site, else "/": a sign-in link must not
// send people to another site.
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

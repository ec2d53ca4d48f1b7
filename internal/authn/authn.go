// Package authn is Ruche's one authentication layer: it identifies who is making a
// request and puts them in the request context, and it refuses anonymous requests to
// every route that is not on the declared public list (internal/server).
//
// The ways in: the web UI's session cookie; OAuth bearer tokens for the client API
// (and Ruche's own API); HTTP signatures with federation plug in here later. Front
// doors read the viewer with UserFrom (and a token's scopes with GrantFrom) and never
// authenticate on their own.
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

// TokenAuthenticator resolves an OAuth bearer token to its grant (ruche.OAuth implements it).
type TokenAuthenticator interface {
	Authenticate(ctx context.Context, token string) (ruche.Grant, error)
}

type ctxKey struct{}

type grantKey struct{}

// GrantFrom returns the OAuth grant of a request made with a bearer token. Requests
// made with the session cookie have none: they may do whatever the member may.
func GrantFrom(ctx context.Context) (*ruche.Grant, bool) {
	g, ok := ctx.Value(grantKey{}).(*ruche.Grant)
	return g, ok
}

// WithGrant returns ctx carrying a token's grant (and its user, if any).
func WithGrant(ctx context.Context, g ruche.Grant) context.Context {
	ctx = context.WithValue(ctx, grantKey{}, &g)
	if g.User != nil {
		ctx = WithUser(ctx, *g.User)
	}
	return ctx
}

// BearerToken returns the request's OAuth access token: from the Authorization header,
// or, for the streaming API only (browsers cannot set headers on a WebSocket), from
// the access_token parameter or the Sec-WebSocket-Protocol header.
func BearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if strings.HasPrefix(r.URL.Path, "/api/v1/streaming") {
		if t := r.URL.Query().Get("access_token"); t != "" {
			return t
		}
		if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" && !strings.Contains(p, ",") {
			return strings.TrimSpace(p)
		}
	}
	return ""
}

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

// Identify puts the request's user, when it has a valid session or token, in the
// context. It never refuses an anonymous request (Require does), but a request that
// presents an invalid token gets badToken at once, as Mastodon answers, so that an app
// knows to sign in again.
//
// When the session cannot be checked (the database is down), the request gets
// unavailable rather than being treated as anonymous, which would sign everyone out.
func Identify(a Authenticator, t TokenAuthenticator, secure bool, unavailable, badToken http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if IsAPI(r) {
				if token := BearerToken(r); token != "" {
					g, err := t.Authenticate(r.Context(), token)
					switch {
					case err == nil:
						next.ServeHTTP(w, r.WithContext(WithGrant(r.Context(), g)))
					case errors.Is(err, ruche.ErrNotFound):
						badToken.ServeHTTP(w, r)
					default:
						unavailable.ServeHTTP(w, r)
					}
					return
				}
			}
			// The session cookie authenticates pages, and Ruche's own JSON API when the
			// request also proves it comes from this site's scripts (CSRF header); the
			// client API takes bearer tokens only.
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

// ViaToken reports whether the request was authenticated by a bearer token.
func ViaToken(r *http.Request) bool {
	_, ok := GrantFrom(r.Context())
	return ok
}

// RequireScope refuses a token that lacks scope with deny (403). Session requests,
// which have no token, pass: the member is using Ruche's own pages.
func RequireScope(scope string, deny http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if g, ok := GrantFrom(r.Context()); ok && !g.Scopes.Allows(scope) {
				deny.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// IsAPI reports whether the request is for the client API (JSON answers, bearer
// tokens). OAuth's userinfo is one too, though it lives under /oauth.
func IsAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/oauth/userinfo"
}

// Require refuses anonymous requests: a browser is sent to /login (and back afterwards),
// an API client gets apiDeny (401 with a JSON body), and an application's own token
// (no member behind it) gets appOnly (422, as Mastodon answers).
func Require(apiDeny, appOnly http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := UserFrom(r.Context()); ok {
				next.ServeHTTP(w, r)
				return
			}
			if ViaToken(r) {
				appOnly.ServeHTTP(w, r)
				return
			}
			Refuse(w, r, apiDeny)
		})
	}
}

// Refuse answers an anonymous request for something that needs a member.
func Refuse(w http.ResponseWriter, r *http.Request, apiDeny http.Handler) {
	if _, peer := PeerFrom(r.Context()); IsAPI(r) || peer || IsServer(r) {
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

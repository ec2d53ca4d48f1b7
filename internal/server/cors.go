package server

import (
	"net/http"
	"strings"

	"github.com/ruche-hive/ruche/internal/authn"
)

// corsPath reports whether a path is for apps that may run in another site's pages
// (Elk, Phanpy): the client API, OAuth's token endpoints and discovery documents.
func corsPath(p string) bool {
	return strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/api/ruche/") ||
		p == "/oauth/token" || p == "/oauth/revoke" || p == "/oauth/userinfo" ||
		strings.HasPrefix(p, "/.well-known/") || strings.HasPrefix(p, "/nodeinfo/")
}

// cors lets browser apps of any origin call the client API. It is safe because these
// routes never take cookies: a token is sent by the app itself, so another site's page
// can do nothing with a visitor's session. Credentials are never allowed.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !corsPath(r.URL.Path) || r.Header.Get("Origin") == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Accept, Accept-Language")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// skipForTokens applies the CSRF check only where a cookie can carry authority: the
// client API authenticates with tokens an app sends itself, and OAuth's token
// endpoints with the client's credentials, so forged cross-site requests gain nothing
// there (and browser apps must be able to call them from their own origin). Ruche's own
// API is checked in authn: it takes the cookie only with the CSRF header.
func skipForTokens(check func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		checked := check(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, peer := authn.PeerFrom(r.Context())
			// Servers never carry cookies: a forged request has nothing to ride on.
			if (authn.IsAPI(r) && !strings.HasPrefix(r.URL.Path, "/api/ruche/")) || authn.ViaToken(r) || peer || isFederationPath(r.URL.Path) ||
				r.URL.Path == "/oauth/token" || r.URL.Path == "/oauth/revoke" {
				next.ServeHTTP(w, r)
				return
			}
			checked.ServeHTTP(w, r)
		})
	}
}

// requireToken lets through requests that carry a valid token (a member's or an
// application's own) and answers deny to others.
func requireToken(deny http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !authn.ViaToken(r) {
				deny.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// rucheAPIScopes maps Ruche's own API onto OAuth scopes for token requests: reads need
// read, changes need write.
func rucheAPIScopes(deny http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			scope := "write"
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				scope = "read"
			}
			authn.RequireScope(scope, deny)(next).ServeHTTP(w, r)
		})
	}
}

// Package csrf protects every form from cross-site request forgery, twice over: the
// standard library's cross-origin check (Sec-Fetch-Site / Origin) refuses requests
// that browsers mark as coming from another site, and a per-browser token, kept in a
// cookie and echoed in each form (double submit), covers browsers that send neither.
package csrf

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// FieldName is the hidden form field that carries the token; HeaderName is the header
// that scripts may use instead.
const (
	FieldName  = "csrf_token"
	HeaderName = "X-CSRF-Token"
)

type ctxKey struct{}

// Token returns the request's token, to put in forms.
func Token(ctx context.Context) string {
	t, _ := ctx.Value(ctxKey{}).(string)
	return t
}

// Middleware checks unsafe requests (anything but GET, HEAD, OPTIONS) and calls deny
// when they fail. secure selects the __Host- cookie, which a sibling subdomain cannot
// overwrite, and the Secure flag.
func Middleware(secure bool, deny http.Handler) func(http.Handler) http.Handler {
	name := "ruche_csrf"
	if secure {
		name = "__Host-ruche_csrf"
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(deny)
	return func(next http.Handler) http.Handler {
		check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token := ""
			if c, err := r.Cookie(name); err == nil && len(c.Value) == 43 {
				token = c.Value
			}
			if token == "" {
				b := make([]byte, 32)
				rand.Read(b)
				token = base64.RawURLEncoding.EncodeToString(b)
				http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
			}
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
			default:
				sent := r.Header.Get(HeaderName)
				if sent == "" {
					sent = r.PostFormValue(FieldName)
				}
				if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
					deny.ServeHTTP(w, r)
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, token)))
		})
		return cop.Handler(check)
	}
}

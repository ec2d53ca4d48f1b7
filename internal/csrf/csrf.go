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
	"strings"
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

// cookieName is the token's cookie: with the __Host- prefix under https, which a
// sibling subdomain cannot overwrite.
func cookieName(secure bool) string {
	if secure {
		return "__Host-ruche_csrf"
	}
	return "ruche_csrf"
}

// HeaderMatches reports whether the request carries the token in HeaderName and it is
// the one in its cookie: proof that a script of this site sent it. The JSON API takes
// a session cookie only with this proof, for reads too.
func HeaderMatches(r *http.Request, secure bool) bool {
	c, err := r.Cookie(cookieName(secure))
	sent := r.Header.Get(HeaderName)
	return err == nil && sent != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(c.Value)) == 1
}

// Middleware checks unsafe requests (anything but GET, HEAD, OPTIONS) and calls deny
// when they fail. secure selects the __Host- cookie and the Secure flag.
func Middleware(secure bool, deny http.Handler) func(http.Handler) http.Handler {
	name := cookieName(secure)
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
					// A form with files: its fields stay in memory, its files go to
					// temporary files past 64 KB (PostFormValue alone would hold 32 MB).
					if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "multipart/form-data") {
						r.ParseMultipartForm(64 << 10) //nolint:errcheck // a bad body has no token: refused below
						// net/http removes the temporary files only of forms parsed on the
						// request it made, not on the copies middlewares pass on.
						if r.MultipartForm != nil {
							defer r.MultipartForm.RemoveAll() //nolint:errcheck // nothing to do about a file that will not go
						}
					}
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

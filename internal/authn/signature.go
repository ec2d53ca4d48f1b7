package authn

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Servers authenticate with HTTP signatures (ruche.Federation.Authenticate): a request
// that carries a Signature header is verified before any route runs, so that a
// non-partner is refused (403) on every address alike, and an invalid signature (401)
// never reaches a handler. Only the instance actor's document is served whatever the
// signature says (Exempt): partners fetch it to check Ruche's own signatures, before
// they can sign anything Ruche would accept.

// SignatureAuthenticator verifies a server-to-server request (ruche.Federation).
type SignatureAuthenticator interface {
	// Admit refuses, before the body is read, a request signed by a non-partner.
	Admit(ctx context.Context, r *http.Request) error
	Authenticate(ctx context.Context, r *http.Request, body []byte) (ruche.Peer, error)
}

type peerKey struct{}

// PeerFrom returns the partner whose signature a request carries, if any.
func PeerFrom(ctx context.Context) (*ruche.Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(*ruche.Peer)
	return p, ok
}

// WithPeer returns ctx carrying a verified partner.
func WithPeer(ctx context.Context, p ruche.Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, &p)
}

// IsServer reports whether a request looks like it comes from another server: it is
// signed, or asks for or sends ActivityStreams documents. Refusals of such requests are
// JSON with a status, never a sign-in page.
func IsServer(r *http.Request) bool {
	return isSigned(r) || activitypub.IsActivityPubType(r.Header.Get("Accept")) ||
		activitypub.IsActivityPubType(r.Header.Get("Content-Type"))
}

// isSigned reports whether a request carries an HTTP signature, in the Signature header
// or as "Authorization: Signature …" (both forms of draft-cavage).
func isSigned(r *http.Request) bool {
	if r.Header.Get("Signature") != "" {
		return true
	}
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Signature")
}

// Signed verifies the signature of every signed request not made by a signed-in member,
// except where exempt says the route ignores signatures. The body (of a POST) is read
// here, up to activitypub.MaxDocumentSize, and handed on unchanged. refuse answers a
// failure with the error's code: 401 for a missing or invalid signature, 403 for a
// non-partner (found before the body is read), 503 when the partner's key could not be
// checked for now.
func Signed(s SignatureAuthenticator, exempt func(*http.Request) bool, refuse func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, member := UserFrom(r.Context())
			if member || ViaToken(r) || !isSigned(r) || exempt(r) {
				next.ServeHTTP(w, r)
				return
			}
			if err := s.Admit(r.Context(), r); err != nil {
				refuse(w, r, err)
				return
			}
			var body []byte
			if r.Body != nil && r.Body != http.NoBody {
				b, err := io.ReadAll(io.LimitReader(r.Body, activitypub.MaxDocumentSize+1))
				if err != nil || len(b) > activitypub.MaxDocumentSize {
					refuse(w, r, ruche.Errorf(ruche.CodeInvalid, "error.activity_too_large"))
					return
				}
				body = b
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			p, err := s.Authenticate(r.Context(), r, body)
			if err != nil {
				refuse(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPeer(r.Context(), p)))
		})
	}
}

// RequirePeer refuses a request without a verified partner signature with deny.
func RequirePeer(deny http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := PeerFrom(r.Context()); !ok {
				deny.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

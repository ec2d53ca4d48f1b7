package activitypub

// HTTP Signatures (draft-cavage-http-signatures-12) as the fediverse uses them: RSA
// keys, rsa-sha256 (or hs2019 meaning the same with an RSA key), a Digest header for
// bodies. github.com/go-fed/httpsig builds and checks the signing string; everything
// it leaves to its caller is done here: the Digest is checked against the body, the
// signed headers and the Date are held to a policy, and the Signature header is parsed
// by one strict parser whose result is handed to go-fed in canonical form, so the two
// can never read the same header differently.

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Errors from ParseSignature and Verifier.Verify. A server answers 401 to
// ErrNoSignature and ErrInvalidSignature (which ErrSignatureMismatch wraps), and 403
// to ErrForbidden.
var (
	ErrNoSignature      = errors.New("activitypub: request carries no HTTP signature")
	ErrInvalidSignature = errors.New("activitypub: invalid HTTP signature")
	// ErrSignatureMismatch: the signature does not verify with the key the lookup
	// returned. With a cached key, fetch the key again and retry once: the remote
	// actor may have rotated it.
	ErrSignatureMismatch = fmt.Errorf("%w: it does not verify with the signer's key", ErrInvalidSignature)
	// ErrForbidden: the signature is authentic but its signer may not do this.
	ErrForbidden = errors.New("activitypub: signer not allowed")
)

const (
	// MaxClockSkew is how far a signed Date may be from the verifier's clock, either
	// way: it bounds how long a captured request can be replayed.
	MaxClockSkew    = time.Hour
	maxSignatureLen = 8 << 10
	minRSABits      = 2048
	maxRSABits      = 8192
)

var (
	signedGET  = []string{httpsig.RequestTarget, "host", "date"}
	signedPOST = []string{httpsig.RequestTarget, "host", "date", "digest"}
)

// Signer signs outgoing requests on behalf of the actor that owns KeyID.
type Signer struct {
	KeyID string          // absolute IRI of the public key, e.g. https://host/actor#main-key
	Key   *rsa.PrivateKey // the actor's private key
	Now   func() time.Time
}

// Sign sets Host, Date and Signature on r, and Digest when the request has a body: a
// GET signs (request-target) host date; any other method, or a non-nil body, also signs
// digest (body nil counts as empty). Call it last, after every other header is set,
// and again for each new target (a redirect): the signature binds method, path, query
// and host. The algorithm is RSA-SHA256, labelled rsa-sha256.
func (s *Signer) Sign(r *http.Request, body []byte) error {
	if s == nil || s.Key == nil {
		return errors.New("activitypub: signer has no key")
	}
	if _, err := KeyHost(s.KeyID); err != nil || strings.ContainsAny(s.KeyID, "\", \t") {
		return fmt.Errorf("activitypub: signer key id %q is not an absolute http(s) IRI", s.KeyID)
	}
	headers := signedGET
	if body != nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		headers = signedPOST
		if body == nil {
			body = []byte{}
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return signRequest(r, s.Key, s.KeyID, headers, body, now())
}

// signRequest signs r over headers at date; body non-nil adds a Digest header first.
func signRequest(r *http.Request, key *rsa.PrivateKey, keyID string, headers []string, body []byte, date time.Time) error {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return errors.New("activitypub: cannot sign a request without a host")
	}
	r.Host = host
	r.Header.Set("Host", host) // go-fed reads the host from the header map
	defer r.Header.Del("Host") // the transport writes r.Host
	r.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	r.Header.Del("Signature")
	r.Header.Del("Digest")
	if body != nil {
		r.Header.Set("Digest", DigestSHA256(body))
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("activitypub: signer: %w", err)
	}
	if err := signer.SignRequest(key, keyID, wireTarget(r), nil); err != nil {
		return fmt.Errorf("activitypub: signing: %w", err)
	}
	// go-fed labels every signature hs2019; say what it is, as Mastodon does, so that a
	// verifier reading hs2019 as RSASSA-PSS (draft-12's registry) is not misled.
	sig := r.Header.Get("Signature")
	r.Header.Set("Signature", strings.Replace(sig, `",algorithm="hs2019",`, `",algorithm="rsa-sha256",`, 1))
	return nil
}

// wireTarget is r (sharing its header map) with URL.Path replaced by the path as
// written on the wire, which is what (request-target) covers: go-fed reads URL.Path,
// which is decoded.
func wireTarget(r *http.Request) *http.Request {
	u := *r.URL
	u.Path, u.RawPath = r.URL.EscapedPath(), ""
	if u.Path == "" {
		u.Path = "/" // as net/http writes it
	}
	rc := *r
	rc.URL = &u
	return &rc
}

// DigestSHA256 is the Digest header value for body: "SHA-256=" and the base64 hash.
func DigestSHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// Signature is a parsed Signature (or Authorization: Signature) header. Nothing in it
// is verified: it tells the caller whose key signed, so that it can refuse a
// non-partner before anything is fetched.
type Signature struct {
	KeyID     string
	Algorithm string   // lowercased; "" when absent
	Headers   []string // signed headers, lowercased, in signing order
	Created   int64    // (created), 0 when absent
	Expires   int64    // (expires), 0 when absent
	value     []byte
}

// ParseSignature reads the signature of r without fetching anything. It returns
// ErrNoSignature when r carries none, and an error wrapping ErrInvalidSignature when
// the header is malformed, ambiguous (two of them, a repeated parameter) or has a
// keyId containing a comma or white space.
func ParseSignature(r *http.Request) (Signature, error) {
	values := slices.Clone(r.Header.Values("Signature"))
	for i, v := range values {
		// Some senders put the Authorization form in the Signature header.
		if v = strings.TrimSpace(v); len(v) > 10 && strings.EqualFold(v[:10], "signature ") {
			v = v[10:]
		}
		values[i] = v
	}
	for _, a := range r.Header.Values("Authorization") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(a), " ")
		if strings.EqualFold(scheme, "Signature") {
			values = append(values, rest)
		}
	}
	switch len(values) {
	case 0:
		return Signature{}, ErrNoSignature
	case 1:
		return parseSignature(values[0])
	default:
		return Signature{}, invalid("more than one signature")
	}
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidSignature, fmt.Sprintf(format, a...))
}

func parseSignature(s string) (Signature, error) {
	if len(s) > maxSignatureLen {
		return Signature{}, invalid("header too long")
	}
	params, err := parseParams(s)
	if err != nil {
		return Signature{}, err
	}
	sig := Signature{KeyID: params["keyid"], Algorithm: strings.ToLower(params["algorithm"])}
	if sig.KeyID == "" || strings.ContainsAny(sig.KeyID, ", \t") {
		return Signature{}, invalid("missing or malformed keyId")
	}
	if sig.value, err = base64.StdEncoding.DecodeString(params["signature"]); err != nil || len(sig.value) == 0 {
		return Signature{}, invalid("missing or malformed signature")
	}
	for _, k := range []string{"created", "expires"} {
		if v, ok := params[k]; ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return Signature{}, invalid("malformed %s", k)
			}
			if k == "created" {
				sig.Created = n
			} else {
				sig.Expires = n
			}
		}
	}
	h, ok := params["headers"]
	if !ok {
		h = "date" // the draft's default
	}
	for _, name := range strings.Fields(strings.ToLower(h)) {
		if !validHeaderName(name) || slices.Contains(sig.Headers, name) {
			return Signature{}, invalid("bad or repeated signed header %q", name)
		}
		sig.Headers = append(sig.Headers, name)
	}
	if len(sig.Headers) == 0 {
		return Signature{}, invalid("no signed headers")
	}
	if slices.Contains(sig.Headers, "(created)") && sig.Created == 0 || slices.Contains(sig.Headers, "(expires)") && sig.Expires == 0 {
		return Signature{}, invalid("(created) or (expires) signed without its value")
	}
	return sig, nil
}

// parseParams splits `name="value", name=token, ...` into a map with lowercased names.
// Quoted values cannot contain quotes or backslashes; nothing in a signature needs them.
func parseParams(s string) (map[string]string, error) {
	params := map[string]string{}
	for rest := strings.TrimSpace(s); ; {
		name, after, ok := strings.Cut(rest, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || !isToken(name) {
			return nil, invalid("malformed parameter")
		}
		var value string
		after = strings.TrimLeft(after, " \t")
		if strings.HasPrefix(after, `"`) {
			end := strings.IndexByte(after[1:], '"')
			if end < 0 {
				return nil, invalid("unterminated quoted value")
			}
			value, rest = after[1:1+end], after[2+end:]
			if strings.ContainsFunc(value, func(c rune) bool { return c < ' ' && c != '\t' || c == 0x7f || c == '\\' }) {
				return nil, invalid("escaped value or control character")
			}
		} else {
			i := strings.IndexAny(after, ", \t")
			if i < 0 {
				i = len(after)
			}
			value, rest = after[:i], after[i:]
			if value == "" || strings.ContainsFunc(value, func(c rune) bool { return c <= ' ' || c >= 0x7f || c == '"' }) {
				return nil, invalid("malformed value of %s", name)
			}
		}
		if _, dup := params[name]; dup {
			return nil, invalid("repeated parameter %s", name)
		}
		params[name] = value
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return params, nil
		}
		if rest[0] != ',' {
			return nil, invalid("expected a comma")
		}
		rest = strings.TrimLeft(rest[1:], " \t")
	}
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

func validHeaderName(name string) bool {
	return name == httpsig.RequestTarget || name == "(created)" || name == "(expires)" || isToken(name)
}

// KeyLookup returns the public key named by keyID and the IRI of the actor that owns
// it. The caller decides how (cache, signed fetch); its errors come back from Verify
// wrapped, so errors.Is still sees them.
type KeyLookup func(ctx context.Context, keyID string) (key crypto.PublicKey, owner string, err error)

// Verified is what a verified signature proves: the request was signed, recently, by
// the key KeyID, which Owner holds.
type Verified struct {
	KeyID string
	Owner string
}

// CheckActor returns nil when actor (the actor of the activity the request carries)
// is the key's owner, and an error wrapping ErrForbidden when it is not.
func (v Verified) CheckActor(actor string) error {
	if !SameActor(v.Owner, actor) {
		return fmt.Errorf("%w: key of %s used for actor %s", ErrForbidden, v.Owner, actor)
	}
	return nil
}

// Verifier holds the policy for incoming signatures.
type Verifier struct {
	Now func() time.Time // nil: time.Now
	// AllowHTTP accepts http keyIds (development only): outside development a key
	// fetched over plain HTTP proves nothing.
	AllowHTTP bool
	// Host, when set, is the only Host a signature may name, so that a request signed
	// for another server cannot be replayed here.
	Host string
}

// Verify checks that sig (from ParseSignature(r)) is a valid signature of r with body
// (the request body as read; nil or empty for none). Every check that needs no key
// runs first: (request-target), host and date signed; digest signed whenever there is
// a body or the method is not GET/HEAD, and the Digest's SHA-256 equal to the body's;
// Date within MaxClockSkew of now; keyId an absolute https IRI; algorithm rsa-sha256
// or hs2019. Only then is lookup called, once; the key must be RSA of 2048 to 8192
// bits, and its owner on the keyId's host (else ErrForbidden). Errors wrap
// ErrInvalidSignature, ErrSignatureMismatch, ErrForbidden, or lookup's own error.
// Verify does not check that the owner is the activity's actor: see CheckActor.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, sig Signature, lookup KeyLookup) (Verified, error) {
	if err := v.Precheck(r, body, sig); err != nil {
		return Verified{}, err
	}
	key, owner, err := lookup(ctx, sig.KeyID)
	if err != nil {
		return Verified{}, fmt.Errorf("activitypub: key %s: %w", sig.KeyID, err)
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok || pub.N == nil || pub.N.BitLen() < minRSABits || pub.N.BitLen() > maxRSABits {
		return Verified{}, invalid("key %s is not an RSA key of %d to %d bits", sig.KeyID, minRSABits, maxRSABits)
	}
	if err := checkSignature(r, sig, pub); err != nil {
		return Verified{}, err
	}
	keyHost, _ := KeyHost(sig.KeyID)
	if ownerHost, err := KeyHost(owner); err != nil || ownerHost != keyHost {
		return Verified{}, fmt.Errorf("%w: key %s claims owner %q on another host", ErrForbidden, sig.KeyID, owner)
	}
	return Verified{KeyID: sig.KeyID, Owner: owner}, nil
}

// Precheck runs every check of Verify that needs no key: the signed headers, the
// digest, the keyId's form, the host and the date. A server runs it before looking a
// key up, so a stale or malformed request makes it fetch nothing.
func (v *Verifier) Precheck(r *http.Request, body []byte, sig Signature) error {
	if sig.value == nil {
		return invalid("signature not parsed")
	}
	for _, h := range []string{httpsig.RequestTarget, "host", "date"} {
		if !slices.Contains(sig.Headers, h) {
			return invalid("%s is not signed", h)
		}
	}
	for _, h := range sig.Headers {
		if !strings.HasPrefix(h, "(") && h != "host" && len(r.Header.Values(h)) == 0 || h == "host" && r.Host == "" {
			return invalid("signed header %s is missing", h)
		}
	}
	hasBody := len(body) > 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead)
	if hasBody && !slices.Contains(sig.Headers, "digest") {
		return invalid("a request with a body must sign digest")
	}
	if hasBody || len(r.Header.Values("Digest")) > 0 {
		if err := checkDigest(r.Header.Values("Digest"), body); err != nil {
			return err
		}
	}
	switch sig.Algorithm {
	case "", "rsa-sha256", "hs2019":
	default:
		return invalid("unsupported algorithm %q", sig.Algorithm)
	}
	u, err := url.Parse(sig.KeyID)
	if _, herr := KeyHost(sig.KeyID); err != nil || herr != nil || !(u.Scheme == "https" || v.AllowHTTP && u.Scheme == "http") {
		return invalid("keyId %q is not an absolute https IRI", sig.KeyID)
	}
	if v.Host != "" && !strings.EqualFold(r.Host, v.Host) {
		return invalid("signed for host %q", r.Host)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	dates := r.Header.Values("Date")
	if len(dates) != 1 {
		return invalid("want exactly one Date header")
	}
	date, err := http.ParseTime(dates[0])
	if err != nil {
		return invalid("malformed Date")
	}
	if d := now().Sub(date); d > MaxClockSkew || d < -MaxClockSkew {
		return invalid("Date %s is more than %s from now", dates[0], MaxClockSkew)
	}
	if sig.Created != 0 && time.Unix(sig.Created, 0).Sub(now()) > MaxClockSkew {
		return invalid("created in the future")
	}
	if sig.Expires != 0 && now().After(time.Unix(sig.Expires, 0)) {
		return invalid("signature expired")
	}
	return nil
}

// checkDigest compares, in constant time, the SHA-256 value of a Digest header
// (RFC 3230: a comma-separated list, algorithm names case-insensitive) with body's.
func checkDigest(values []string, body []byte) error {
	var want []byte
	for _, d := range strings.Split(strings.Join(values, ","), ",") {
		alg, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		if !strings.EqualFold(alg, "SHA-256") {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil || len(b) != sha256.Size || want != nil {
			return invalid("malformed or repeated SHA-256 digest")
		}
		want = b
	}
	if want == nil {
		return invalid("Digest has no SHA-256 value")
	}
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare(want, sum[:]) != 1 {
		return invalid("body does not match its Digest")
	}
	return nil
}

// checkSignature verifies sig over r with pub through go-fed, handing it one
// canonical Signature header rebuilt from sig so that go-fed's laxer parser reads
// exactly what ours did.
func checkSignature(r *http.Request, sig Signature, pub *rsa.PublicKey) error {
	h := r.Header.Clone()
	h.Del("Authorization")
	var b strings.Builder
	fmt.Fprintf(&b, `keyId="%s",`, sig.KeyID)
	if sig.Created != 0 {
		fmt.Fprintf(&b, "created=%d,", sig.Created)
	}
	if sig.Expires != 0 {
		fmt.Fprintf(&b, "expires=%d,", sig.Expires)
	}
	fmt.Fprintf(&b, `headers="%s",signature="%s"`, strings.Join(sig.Headers, " "), base64.StdEncoding.EncodeToString(sig.value))
	h.Set("Signature", b.String())
	rc := wireTarget(r)
	rc.Header = h
	verifier, err := httpsig.NewVerifier(rc)
	if err != nil {
		return invalid("%v", err)
	}
	if err := verifier.Verify(pub, httpsig.RSA_SHA256); err != nil {
		return fmt.Errorf("%w (%v)", ErrSignatureMismatch, err)
	}
	return nil
}

// KeyHost returns the host of an http(s) IRI such as a keyId, lowercased, with the
// port when it is not the scheme's default: "alpha.localhost:8080", "acme.example".
// It errors on anything but an absolute http(s) IRI with a host and no user info.
func KeyHost(iri string) (string, error) {
	u, err := url.Parse(iri)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("activitypub: %q is not an absolute http(s) IRI", iri)
	}
	return canonicalHost(u), nil
}

func canonicalHost(u *url.URL) string {
	host := strings.ToLower(u.Host)
	if p := u.Port(); p == "443" && u.Scheme == "https" || p == "80" && u.Scheme == "http" {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return host
}

// SameActor reports whether two actor IRIs name the same actor: equal once scheme and
// host are lowercased and a default port dropped. Anything but absolute http(s) IRIs
// is never the same as anything.
func SameActor(owner, actor string) bool {
	ha, errA := KeyHost(owner)
	hb, errB := KeyHost(actor)
	if errA != nil || errB != nil || ha != hb {
		return false
	}
	a, _ := url.Parse(owner)
	b, _ := url.Parse(actor)
	return a.Scheme == b.Scheme && a.EscapedPath() == b.EscapedPath() && a.RawQuery == b.RawQuery && a.Fragment == b.Fragment
}

package activitypub

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testKeysOnce sync.Once
	testKeys     [2]*rsa.PrivateKey
)

// testKey returns one of two RSA-2048 keys made once per test binary.
func testKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	testKeysOnce.Do(func() {
		for j := range testKeys {
			k, err := GenerateKey()
			if err != nil {
				panic(err)
			}
			testKeys[j] = k
		}
	})
	return testKeys[i]
}

const (
	aliceKeyID = "https://alpha.example/users/alice#main-key"
	alice      = "https://alpha.example/users/alice"
)

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// signedRequest builds a request as a server receives it, signed by alice at date:
// with the default headers when headers is nil.
func signedRequest(t *testing.T, method, target string, body []byte, headers []string, date time.Time) *http.Request {
	t.Helper()
	out := httptest.NewRequest(method, "https://beta.example"+target, bytes.NewReader(body))
	out.Header.Set("Content-Type", ContentType)
	var err error
	if headers == nil {
		s := &Signer{KeyID: aliceKeyID, Key: testKey(t, 0), Now: func() time.Time { return date }}
		err = s.Sign(out, body)
	} else {
		var b []byte
		if method == http.MethodPost {
			b = body
		}
		err = signRequest(out, testKey(t, 0), aliceKeyID, headers, b, date)
	}
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return out
}

// lookupFor returns a KeyLookup that answers key and owner, counting its calls.
func lookupFor(key crypto.PublicKey, owner string, calls *int) KeyLookup {
	return func(_ context.Context, keyID string) (crypto.PublicKey, string, error) {
		*calls++
		if keyID != aliceKeyID {
			return nil, "", errors.New("unknown key")
		}
		return key, owner, nil
	}
}

func verify(t *testing.T, v *Verifier, r *http.Request, body []byte, lookup KeyLookup) (Verified, error) {
	t.Helper()
	sig, err := ParseSignature(r)
	if err != nil {
		return Verified{}, err
	}
	return v.Verify(context.Background(), r, body, sig, lookup)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	body := []byte(`{"type":"Create","actor":"https://alpha.example/users/alice"}`)
	tests := []struct {
		name, method, target string
		body                 []byte
		date                 time.Time
		wantHeaders          string
	}{
		{"GET", http.MethodGet, "/users/bob", nil, testNow, "(request-target) host date"},
		{"GET with query", http.MethodGet, "/users/bob/outbox?page=2", nil, testNow, "(request-target) host date"},
		{"GET escaped path", http.MethodGet, "/tags/caf%C3%A9%2Fx", nil, testNow, "(request-target) host date"},
		{"POST", http.MethodPost, "/inbox", body, testNow, "(request-target) host date digest"},
		{"POST empty body", http.MethodPost, "/inbox", nil, testNow, "(request-target) host date digest"},
		{"Date 59 minutes old", http.MethodPost, "/inbox", body, testNow.Add(-59 * time.Minute), "(request-target) host date digest"},
		{"Date 59 minutes ahead", http.MethodGet, "/inbox", nil, testNow.Add(59 * time.Minute), "(request-target) host date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signedRequest(t, tt.method, tt.target, tt.body, nil, tt.date)
			if got := r.Header.Get("Signature"); !strings.Contains(got, `algorithm="rsa-sha256"`) || !strings.Contains(got, `headers="`+tt.wantHeaders+`"`) {
				t.Errorf("Signature = %s, want rsa-sha256 over %q", got, tt.wantHeaders)
			}
			var calls int
			v := &Verifier{Now: func() time.Time { return testNow }, Host: "beta.example"}
			got, err := verify(t, v, r, tt.body, lookupFor(&testKey(t, 0).PublicKey, alice, &calls))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if want := (Verified{KeyID: aliceKeyID, Owner: alice}); got != want || calls != 1 {
				t.Errorf("Verify = %+v after %d lookups, want %+v after 1", got, calls, want)
			}
			if err := got.CheckActor(alice); err != nil {
				t.Errorf("CheckActor(owner) = %v, want nil", err)
			}
			if err := got.CheckActor("https://alpha.example/users/mallory"); !errors.Is(err, ErrForbidden) {
				t.Errorf("CheckActor(other) = %v, want ErrForbidden", err)
			}
		})
	}
}

func TestAuthorizationHeader(t *testing.T) {
	r := signedRequest(t, http.MethodGet, "/users/bob", nil, nil, testNow)
	r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
	r.Header.Del("Signature")
	var calls int
	if _, err := verify(t, &Verifier{Now: func() time.Time { return testNow }}, r, nil, lookupFor(&testKey(t, 0).PublicKey, alice, &calls)); err != nil {
		t.Errorf("Verify with Authorization: Signature = %v, want nil", err)
	}
}

// TestVerifyRefuses: each tampering or policy breach is refused with the right error,
// and those detectable without the key are refused before the key is looked up.
func TestVerifyRefuses(t *testing.T) {
	body := []byte(`{"type":"Like","actor":"https://alpha.example/users/alice"}`)
	other := []byte(`{"type":"Like","actor":"https://alpha.example/users/alice","x":1}`)
	std := func(t *testing.T) (*http.Request, []byte) {
		return signedRequest(t, http.MethodPost, "/inbox", body, nil, testNow), body
	}
	custom := func(headers []string, date time.Time) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			return signedRequest(t, http.MethodPost, "/inbox", body, headers, date), body
		}
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name       string
		build      func(t *testing.T) (*http.Request, []byte)
		edit       func(r *http.Request, body []byte) []byte
		verifier   Verifier
		key        crypto.PublicKey // nil: alice's
		owner      string           // "": alice
		want       error
		wantLookup bool
	}{
		{name: "no signature", build: std, edit: func(r *http.Request, b []byte) []byte { r.Header.Del("Signature"); return b }, want: ErrNoSignature},
		{name: "body altered, same Digest", build: std, edit: func(_ *http.Request, _ []byte) []byte { return other }, want: ErrInvalidSignature},
		{name: "Digest altered to the new body", build: std, edit: func(r *http.Request, _ []byte) []byte {
			r.Header.Set("Digest", DigestSHA256(other))
			return other
		}, want: ErrSignatureMismatch, wantLookup: true},
		{name: "Host changed", build: std, edit: func(r *http.Request, b []byte) []byte { r.Host = "gamma.example"; return b }, want: ErrSignatureMismatch, wantLookup: true},
		{name: "Date changed", build: std, edit: func(r *http.Request, b []byte) []byte {
			r.Header.Set("Date", testNow.Add(time.Second).Format(http.TimeFormat))
			return b
		}, want: ErrSignatureMismatch, wantLookup: true},
		{name: "path changed", build: std, edit: func(r *http.Request, b []byte) []byte { r.URL.Path = "/users/bob/inbox"; return b }, want: ErrSignatureMismatch, wantLookup: true},
		{name: "query added", build: std, edit: func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "x=1"; return b }, want: ErrSignatureMismatch, wantLookup: true},
		{name: "method changed", build: std, edit: func(r *http.Request, b []byte) []byte { r.Method = http.MethodPut; return b }, want: ErrSignatureMismatch, wantLookup: true},
		{name: "another actor's key", build: std, key: &testKey(t, 1).PublicKey, want: ErrSignatureMismatch, wantLookup: true},
		{name: "Date 61 minutes old", build: custom(signedPOST, testNow.Add(-61*time.Minute)), want: ErrInvalidSignature},
		{name: "Date 61 minutes ahead", build: custom(signedPOST, testNow.Add(61*time.Minute)), want: ErrInvalidSignature},
		{name: "two Date headers", build: std, edit: func(r *http.Request, b []byte) []byte { r.Header.Add("Date", r.Header.Get("Date")); return b }, want: ErrInvalidSignature},
		{name: "(request-target) not signed", build: custom([]string{"host", "date", "digest"}, testNow), want: ErrInvalidSignature},
		{name: "host not signed", build: custom([]string{"(request-target)", "date", "digest"}, testNow), want: ErrInvalidSignature},
		{name: "date not signed", build: custom([]string{"(request-target)", "host", "digest"}, testNow), want: ErrInvalidSignature},
		{name: "POST without digest signed", build: custom(signedGET, testNow), want: ErrInvalidSignature},
		{name: "Digest without SHA-256", build: std, edit: func(r *http.Request, b []byte) []byte {
			r.Header.Set("Digest", "SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")
			return b
		}, want: ErrInvalidSignature},
		{name: "keyId not absolute", build: std, edit: func(r *http.Request, b []byte) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), aliceKeyID, "main-key", 1))
			return b
		}, want: ErrInvalidSignature},
		{name: "keyId over http", build: std, edit: func(r *http.Request, b []byte) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "https://", "http://", 1))
			return b
		}, want: ErrInvalidSignature},
		{name: "algorithm rsa-sha512", build: std, edit: func(r *http.Request, b []byte) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "rsa-sha256", "rsa-sha512", 1))
			return b
		}, want: ErrInvalidSignature},
		{name: "signed for another server", build: std, verifier: Verifier{Host: "gamma.example"}, want: ErrInvalidSignature},
		{name: "ECDSA key", build: std, key: &ecKey.PublicKey, want: ErrInvalidSignature, wantLookup: true},
		{name: "1024-bit key", build: std, key: &small.PublicKey, want: ErrInvalidSignature, wantLookup: true},
		{name: "owner on another host", build: std, owner: "https://gamma.example/users/alice", want: ErrForbidden, wantLookup: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, b := tt.build(t)
			if tt.edit != nil {
				b = tt.edit(r, b)
			}
			key, owner := tt.key, tt.owner
			if key == nil {
				key = &testKey(t, 0).PublicKey
			}
			if owner == "" {
				owner = alice
			}
			v := tt.verifier
			v.Now = func() time.Time { return testNow }
			var calls int
			_, err := verify(t, &v, r, b, lookupFor(key, owner, &calls))
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
			if (calls > 0) != tt.wantLookup {
				t.Errorf("key looked up %d times, want lookup %v", calls, tt.wantLookup)
			}
		})
	}
}

func TestVerifyHTTPKeyIDInDevelopment(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://beta.localhost:8080/actor", nil)
	s := &Signer{KeyID: "http://alpha.localhost:8080/actor#main-key", Key: testKey(t, 0)}
	if err := s.Sign(r, nil); err != nil {
		t.Fatal(err)
	}
	lookup := func(context.Context, string) (crypto.PublicKey, string, error) {
		return &testKey(t, 0).PublicKey, "http://alpha.localhost:8080/actor", nil
	}
	for _, dev := range []bool{false, true} {
		_, err := verify(t, &Verifier{AllowHTTP: dev}, r, nil, lookup)
		if (err == nil) != dev {
			t.Errorf("AllowHTTP=%v: Verify = %v", dev, err)
		}
	}
}

func TestParseSignature(t *testing.T) {
	const sig = `c2lnbmF0dXJl`
	tests := []struct {
		name, header string // header: the Signature header value
		authz        string // Authorization header value
		want         error
		wantKeyID    string
		wantHeaders  string
	}{
		{name: "canonical", header: `keyId="https://a.example/k",algorithm="rsa-sha256",headers="(request-target) host date",signature="` + sig + `"`, wantKeyID: "https://a.example/k", wantHeaders: "(request-target) host date"},
		{name: "spaces and case", header: `keyID="https://a.example/k" , Headers="(Request-Target)  Host Date", signature="` + sig + `"`, wantKeyID: "https://a.example/k", wantHeaders: "(request-target) host date"},
		{name: "created and expires", header: `keyId="k",created=1402170695,expires=1402170699,headers="(created) (expires) date",signature="` + sig + `"`, wantKeyID: "k", wantHeaders: "(created) (expires) date"},
		{name: "Signature prefix in Signature header", header: `Signature keyId="k",signature="` + sig + `"`, wantKeyID: "k", wantHeaders: "date"},
		{name: "Authorization", authz: `Signature keyId="k",signature="` + sig + `"`, wantKeyID: "k", wantHeaders: "date"},
		{name: "other Authorization scheme", authz: `Bearer abc`, want: ErrNoSignature},
		{name: "none", want: ErrNoSignature},
		{name: "both headers", header: `keyId="k",signature="` + sig + `"`, authz: `Signature keyId="k",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "repeated parameter", header: `keyId="k",keyId="j",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "no keyId", header: `signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "comma in keyId", header: `keyId="https://a.example/k,headers=x",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "bad base64", header: `keyId="k",signature="not base64!"`, want: ErrInvalidSignature},
		{name: "no signature", header: `keyId="k",headers="date"`, want: ErrInvalidSignature},
		{name: "unterminated", header: `keyId="k,signature="` + sig, want: ErrInvalidSignature},
		{name: "trailing comma", header: `keyId="k",signature="` + sig + `",`, want: ErrInvalidSignature},
		{name: "empty headers", header: `keyId="k",headers="",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "repeated signed header", header: `keyId="k",headers="date date",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "bad signed header", header: `keyId="k",headers="date (bogus)",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "(created) without value", header: `keyId="k",headers="(created)",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "backslash", header: `keyId="k\"",signature="` + sig + `"`, want: ErrInvalidSignature},
		{name: "too long", header: `keyId="` + strings.Repeat("k", maxSignatureLen) + `",signature="` + sig + `"`, want: ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.header != "" {
				r.Header.Set("Signature", tt.header)
			}
			if tt.authz != "" {
				r.Header.Set("Authorization", tt.authz)
			}
			got, err := ParseSignature(r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseSignature = %+v, %v; want error %v", got, err, tt.want)
			}
			if err == nil && (got.KeyID != tt.wantKeyID || strings.Join(got.Headers, " ") != tt.wantHeaders) {
				t.Errorf("ParseSignature = %q over %q, want %q over %q", got.KeyID, got.Headers, tt.wantKeyID, tt.wantHeaders)
			}
		})
	}
}

// FuzzParseSignature: no input panics, and whatever parses survives the trip through
// the canonical form handed to go-fed unchanged.
func FuzzParseSignature(f *testing.F) {
	f.Add(`keyId="https://a.example/k",algorithm="rsa-sha256",headers="(request-target) host date",signature="c2ln"`)
	f.Add(`Signature keyId="k",created=1,expires=2,headers="(created) (expires)",signature="c2ln"`)
	f.Add(`keyId="k",,signature=`)
	f.Add(`keyId=k,signature=c2ln,headers="a b"`)
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Signature"] = []string{header}
		sig, err := ParseSignature(r)
		if err != nil {
			if !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrNoSignature) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		if sig.KeyID == "" || len(sig.Headers) == 0 || len(sig.value) == 0 {
			t.Fatalf("parsed an incomplete signature: %+v", sig)
		}
		var b strings.Builder
		b.WriteString(`keyId="` + sig.KeyID + `",`)
		if sig.Created != 0 {
			b.WriteString("created=" + strconv.FormatInt(sig.Created, 10) + ",")
		}
		if sig.Expires != 0 {
			b.WriteString("expires=" + strconv.FormatInt(sig.Expires, 10) + ",")
		}
		b.WriteString(`headers="` + strings.Join(sig.Headers, " ") + `",signature="` + base64.StdEncoding.EncodeToString(sig.value) + `"`)
		again, err := parseSignature(b.String())
		if err != nil || again.KeyID != sig.KeyID || strings.Join(again.Headers, " ") != strings.Join(sig.Headers, " ") ||
			!bytes.Equal(again.value, sig.value) || again.Created != sig.Created || again.Expires != sig.Expires {
			t.Fatalf("canonical form %q parsed as %+v, %v; want %+v", b.String(), again, err, sig)
		}
	})
}

func TestKeyHostAndSameActor(t *testing.T) {
	hosts := []struct{ iri, want string }{
		{"https://Alpha.Example/users/a#main-key", "alpha.example"},
		{"https://alpha.example:443/users/a", "alpha.example"},
		{"http://alpha.localhost:8080/actor", "alpha.localhost:8080"},
		{"https://[2001:db8::1]:8443/k", "[2001:db8::1]:8443"},
		{"/users/a", ""},
		{"ftp://alpha.example/k", ""},
		{"https://user@alpha.example/k", ""},
		{"https:alpha.example", ""},
	}
	for _, tt := range hosts {
		got, err := KeyHost(tt.iri)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("KeyHost(%q) = %q, %v; want %q", tt.iri, got, err, tt.want)
		}
	}
	same := []struct {
		a, b string
		want bool
	}{
		{alice, alice, true},
		{alice, "https://ALPHA.example:443/users/alice", true},
		{alice, "https://alpha.example/users/Alice", false},
		{alice, "https://alpha.example/users/alice/", false},
		{alice, "http://alpha.example/users/alice", false},
		{alice, "https://alpha.example.evil/users/alice", false},
		{"", "", false},
	}
	for _, tt := range same {
		if got := SameActor(tt.a, tt.b); got != tt.want {
			t.Errorf("SameActor(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestKeyPEM(t *testing.T) {
	key := testKey(t, 0)
	pubPEM, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("public PEM starts %q, want a PUBLIC KEY block", pubPEM[:30])
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	for _, in := range []string{pubPEM, pkcs1, "\n" + pubPEM + "\n\n"} {
		pub, err := DecodePublicKeyPEM(in)
		if err != nil || !pub.Equal(&key.PublicKey) {
			t.Errorf("DecodePublicKeyPEM(%.40q) = %v, want the key back", in, err)
		}
	}
	privPEM, err := EncodePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if priv, err := DecodePrivateKeyPEM(privPEM); err != nil || !priv.Equal(key) || !strings.Contains(privPEM, "BEGIN PRIVATE KEY") {
		t.Errorf("DecodePrivateKeyPEM(EncodePrivateKeyPEM(k)) = %v, want k back as PKCS#8", err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))
	for name, in := range map[string]string{
		"garbage":      "not a key",
		"EC key":       ecPEM,
		"two blocks":   pubPEM + pubPEM,
		"private key":  privPEM,
		"corrupt body": strings.Replace(pubPEM, "MII", "MIX", 1),
	} {
		if _, err := DecodePublicKeyPEM(in); err == nil {
			t.Errorf("DecodePublicKeyPEM(%s) = nil error, want refusal", name)
		}
	}
	if _, err := DecodePrivateKeyPEM(pubPEM); err == nil {
		t.Error("DecodePrivateKeyPEM(public key) = nil error, want refusal")
	}
}

// The test vectors of draft-cavage-http-signatures-12, appendix C: its RSA-1024 test
// key, request and expected signatures. The key is too small and the keyId not an IRI,
// so Verify refuses them by policy; the signing string and the cryptography are
// checked below that policy.
const (
	cavageKeyPEM = `-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----`
	cavagePublicPEM = `-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----`
	cavageBody   = `{"hello": "world"}`
	cavageDigest = "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
)

var cavageDate = time.Date(2014, 1, 5, 21, 31, 40, 0, time.UTC)

func cavageRequest(t *testing.T) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://example.com/foo?param=value&pet=dog", strings.NewReader(cavageBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Length", "18")
	return r
}

func TestCavageAppendixC(t *testing.T) {
	priv, err := DecodePrivateKeyPEM(cavageKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := DecodePublicKeyPEM(cavagePublicPEM)
	if err != nil || !pub.Equal(&priv.PublicKey) {
		t.Fatalf("test public key: %v", err)
	}
	if got := DigestSHA256([]byte(cavageBody)); got != cavageDigest {
		t.Errorf("DigestSHA256 = %s, want %s", got, cavageDigest)
	}
	tests := []struct {
		name    string
		headers []string
		want    string // the Signature header of the appendix
	}{
		{"C.2 Basic Test", []string{"(request-target)", "host", "date"},
			`keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="`},
		{"C.3 All Headers Test", []string{"(request-target)", "host", "date", "content-type", "digest", "content-length"},
			`keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date content-type digest content-length",signature="vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" sign", func(t *testing.T) {
			r := cavageRequest(t)
			var body []byte
			if strings.Contains(tt.want, "digest") {
				body = []byte(cavageBody)
			}
			if err := signRequest(r, priv, "Test", tt.headers, body, cavageDate); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("Signature"); got != tt.want {
				t.Errorf("Signature =\n%s\nwant\n%s", got, tt.want)
			}
		})
		t.Run(tt.name+" verify", func(t *testing.T) {
			r := cavageRequest(t)
			r.Header.Set("Date", "Sun, 05 Jan 2014 21:31:40 GMT")
			r.Header.Set("Digest", cavageDigest)
			r.Header.Set("Signature", tt.want)
			sig, err := ParseSignature(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSignature(r, sig, pub); err != nil {
				t.Errorf("checkSignature = %v, want nil", err)
			}
			r.Header.Set("Content-Length", "19")
			if err := checkSignature(r, sig, pub); !errors.Is(err, ErrSignatureMismatch) && tt.name[:3] == "C.3" {
				t.Errorf("checkSignature after Content-Length changed = %v, want ErrSignatureMismatch", err)
			}
			var calls int
			v := &Verifier{Now: func() time.Time { return cavageDate }}
			if _, err := v.Verify(context.Background(), r, []byte(cavageBody), sig, lookupFor(pub, "https://example.com/", &calls)); !errors.Is(err, ErrInvalidSignature) || calls != 0 {
				t.Errorf("Verify = %v after %d lookups, want a policy refusal (keyId not an IRI) before lookup", err, calls)
			}
		})
	}
}

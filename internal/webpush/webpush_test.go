package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/safehttp"
	"github.com/ruche-hive/ruche/internal/webpush/webpushtest"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64url %q: %v", s, err)
	}
	return b
}

// TestDecryptRFC8291Vector checks the phone's decryption against RFC 8291 Appendix A,
// so that the round trip below tests the library against the RFC, not against itself.
// The library cannot be made to encrypt the vector itself: its salt and ephemeral key
// come from crypto/rand with no way in.
func TestDecryptRFC8291Vector(t *testing.T) {
	ua, err := ecdh.P256().NewPrivateKey(unb64(t, "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b64(ua.PublicKey().Bytes()), "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"; got != want {
		t.Fatalf("ua_public = %s, want %s", got, want)
	}
	body := unb64(t, "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
	got, err := webpushtest.Decrypt(body, ua, unb64(t, "BTBZMqHH6r4Tts7J_aSIgg"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "When I grow up, I want to be a watermelon"; string(got) != want {
		t.Errorf("plaintext = %q, want %q", got, want)
	}
	body[len(body)-1] ^= 1
	if _, err := webpushtest.Decrypt(body, ua, unb64(t, "BTBZMqHH6r4Tts7J_aSIgg")); err == nil {
		t.Error("a tampered message decrypted")
	}
}

func newVAPID(t *testing.T) ruche.VAPIDKey {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return ruche.VAPIDKey{Private: k.Bytes(), Public: k.PublicKey().Bytes()}
}

func TestSendPlaysThePhone(t *testing.T) {
	ps := webpushtest.NewService(t)
	ph := webpushtest.NewPhone(t)
	vapid := newVAPID(t)
	s := New("https://hive.example.com", true)
	payload := []byte(`{"notification_id":"42","notification_type":"mention","preferred_locale":"fr","icon":"","title":"Ana vous a mentionné","body":"Bonjour é ☃"}`)
	endpoint := ps.URL + "/push/v2/abc"
	start := time.Now()
	err := s.Send(context.Background(), ruche.PushMessage{
		Endpoint: endpoint, P256dh: ph.P256dh(), Auth: ph.Auth(), Payload: payload,
		TTL: 48 * time.Hour, Urgency: "normal", VAPID: vapid,
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := ps.Received()
	if len(reqs) != 1 {
		t.Fatalf("push service got %d requests, want 1", len(reqs))
	}
	r, body := reqs[0], reqs[0].Body
	if r.Method != http.MethodPost || r.Path != "/push/v2/abc" {
		t.Errorf("request = %s %s, want POST /push/v2/abc", r.Method, r.Path)
	}
	for h, want := range map[string]string{
		"Content-Encoding": "aes128gcm",
		"Content-Type":     "application/octet-stream",
		"TTL":              "172800",
		"Urgency":          "normal",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if len(body) > 4096 {
		t.Errorf("body of %d bytes: push services need accept only 4096", len(body))
	}

	got, err := ph.Decrypt(body)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Errorf("decrypted %q, want %q", got, payload)
	}
	var v map[string]string
	if err := json.Unmarshal(got, &v); err != nil || v["title"] != "Ana vous a mentionné" {
		t.Errorf("payload %q: %v", got, err)
	}

	checkVAPID(t, r.Header.Get("Authorization"), vapid, ps.URL, "https://hive.example.com", start)
}

// checkVAPID verifies the Authorization header as a push service would (RFC 8292).
func checkVAPID(t *testing.T, header string, vapid ruche.VAPIDKey, origin, sub string, start time.Time) {
	t.Helper()
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		t.Fatalf("Authorization = %q, want the vapid scheme", header)
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	if params["k"] != b64(vapid.Public) {
		t.Errorf("k = %q, want the VAPID public key %q", params["k"], b64(vapid.Public))
	}
	parts := strings.Split(params["t"], ".")
	if len(parts) != 3 {
		t.Fatalf("t = %q is not a JWT", params["t"])
	}
	var head map[string]any
	if err := json.Unmarshal(unb64(t, parts[0]), &head); err != nil || head["alg"] != "ES256" {
		t.Errorf("JWT header %s: %v", unb64(t, parts[0]), err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), unb64(t, params["k"]))
	if err != nil {
		t.Fatal(err)
	}
	sig := unb64(t, parts[2])
	if len(sig) != 64 {
		t.Fatalf("ES256 signature of %d bytes, want 64 (r||s)", len(sig))
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("the JWT signature does not verify with the VAPID public key")
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(unb64(t, parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Aud != origin {
		t.Errorf("aud = %q, want the push service's origin %q", claims.Aud, origin)
	}
	exp := time.Unix(claims.Exp, 0)
	if !exp.After(start) || exp.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("exp = %v: must be in the future and within 24 h (RFC 8292 section 2)", exp)
	}
	if claims.Sub != sub {
		t.Errorf("sub = %q, want %q", claims.Sub, sub)
	}
}

func TestSendRefused(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		gone, perm bool
		wantAfter  time.Duration
	}{
		{status: 410, gone: true, perm: true},
		{status: 404, gone: true, perm: true},
		{status: 413, perm: true},
		{status: 429, retryAfter: "30", wantAfter: 30 * time.Second},
		{status: 503},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			ps := webpushtest.NewService(t)
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			ps.Answer(tt.status, h)
			ph := webpushtest.NewPhone(t)
			err := New("https://hive.example.com", true).Send(context.Background(), ruche.PushMessage{
				Endpoint: ps.URL, P256dh: ph.P256dh(), Auth: ph.Auth(), Payload: []byte("{}"), VAPID: newVAPID(t),
			})
			var refused *ruche.PushRefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("err = %v, want a *ruche.PushRefusedError", err)
			}
			if refused.Status != tt.status || refused.Gone() != tt.gone || refused.Permanent() != tt.perm || refused.RetryAfter != tt.wantAfter {
				t.Errorf("got status %d gone %v permanent %v retry after %v, want %d %v %v %v", refused.Status,
					refused.Gone(), refused.Permanent(), refused.RetryAfter, tt.status, tt.gone, tt.perm, tt.wantAfter)
			}
		})
	}
}

// TestNoPrivateAddresses: outside development, the client does not connect to
// loopback, whatever the endpoint says, and http endpoints are refused.
func TestNoPrivateAddresses(t *testing.T) {
	ps := webpushtest.NewService(t)
	ph := webpushtest.NewPhone(t)
	msg := ruche.PushMessage{Endpoint: ps.URL, P256dh: ph.P256dh(), Auth: ph.Auth(), Payload: []byte("{}"), VAPID: newVAPID(t)}

	if err := New("https://hive.example.com", false).Send(context.Background(), msg); err == nil {
		t.Error("an http endpoint was accepted outside development")
	}
	s := &Sender{HTTP: NewHTTPClient(false), Subscriber: "https://hive.example.com", AllowPrivate: true}
	if err := s.Send(context.Background(), msg); !errors.Is(err, safehttp.ErrNotPublic) {
		t.Errorf("loopback endpoint: err = %v, want the dial refused", err)
	}
	msg.Endpoint = strings.Replace(ps.URL, "127.0.0.1", "localhost", 1)
	if err := s.Send(context.Background(), msg); !errors.Is(err, safehttp.ErrNotPublic) {
		t.Errorf("localhost endpoint: err = %v, want the dial refused", err)
	}
	if reqs := ps.Received(); len(reqs) != 0 {
		t.Errorf("the loopback push service got %d requests", len(reqs))
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"-5", 0},
		{"soon", 0},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Package webpush sends Web Push messages (RFC 8030) to the push services of phones
// and browsers, encrypted for the subscriber (RFC 8291, aes128gcm) and signed with the
// instance's VAPID key (RFC 8292). Sender implements ruche.PushSender.
//
// The cryptography is github.com/SherClockHolmes/webpush-go's: it encrypts one
// aes128gcm record padded to 4096 bytes (the size every push service must accept, so
// the length of a message says nothing of its content) and signs an ES256 JWT valid
// 12 hours for the endpoint's origin. This package adds what it leaves to the caller:
// a client that only reaches public addresses, a timeout, and the reading of answers.
package webpush

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/safehttp"
)

var _ ruche.PushSender = (*Sender)(nil)

// Timeout bounds one message, from dialling to the push service's answer.
const Timeout = 30 * time.Second

// Sender posts messages to push services.
type Sender struct {
	// HTTP is the client that reaches push services; NewHTTPClient's unless a test
	// brings its own.
	HTTP *http.Client
	// Subscriber is the VAPID "sub" claim, how a push service's operator may reach
	// this instance's: its https URL, or an e-mail address.
	Subscriber string
	// AllowPrivate accepts http endpoints (development only; see NewHTTPClient for
	// addresses).
	AllowPrivate bool
}

// New returns a Sender whose client refuses non-public addresses unless allowPrivate
// (development mode).
func New(subscriber string, allowPrivate bool) *Sender {
	return &Sender{HTTP: NewHTTPClient(allowPrivate), Subscriber: subscriber, AllowPrivate: allowPrivate}
}

// NewHTTPClient returns a client for push services: it times out after Timeout, follows
// no redirect, uses no proxy, and, unless allowPrivate, connects only to public
// addresses (safehttp): members choose endpoints, and must not make the server reach
// internal services.
func NewHTTPClient(allowPrivate bool) *http.Client {
	return safehttp.NewClient(safehttp.Options{AllowPrivate: allowPrivate, Timeout: Timeout, MaxRedirects: -1})
}

// Send encrypts m.Payload for the subscriber and posts it to m.Endpoint. Any answer
// but 2xx is a *ruche.PushRefusedError; failing to reach the push service is another
// error.
func (s *Sender) Send(ctx context.Context, m ruche.PushMessage) error {
	u, err := url.Parse(m.Endpoint)
	if err != nil || !(u.Scheme == "https" || s.AllowPrivate && u.Scheme == "http") {
		return fmt.Errorf("webpush: endpoint is not an https URL")
	}
	resp, err := webpush.SendNotificationWithContext(ctx, m.Payload,
		&webpush.Subscription{Endpoint: m.Endpoint, Keys: webpush.Keys{P256dh: m.P256dh, Auth: m.Auth}},
		&webpush.Options{
			HTTPClient:      s.HTTP,
			Subscriber:      s.Subscriber,
			TTL:             int(m.TTL / time.Second),
			Urgency:         webpush.Urgency(m.Urgency),
			VAPIDPublicKey:  base64.RawURLEncoding.EncodeToString(m.VAPID.Public),
			VAPIDPrivateKey: base64.RawURLEncoding.EncodeToString(m.VAPID.Private),
		})
	if err != nil {
		return fmt.Errorf("webpush: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // drained for connection reuse only
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &ruche.PushRefusedError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

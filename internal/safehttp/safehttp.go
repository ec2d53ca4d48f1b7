// Package safehttp makes HTTP clients that cannot be pointed at the instance's own
// network.
//
// Whenever the server fetches a URL a member or a remote server chose (link previews,
// push endpoints), the address is the attacker's choice. Checking the URL's host is
// not enough: a public name can resolve to 10.0.0.1, resolve differently on the second
// lookup, or redirect to http://169.254.169.254/. So the check runs where the
// connection is made, on the resolved address about to be dialled, for the first
// request and every redirect alike.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
)

// Defaults for the zero values of Options.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRedirects = 3
)

var (
	// ErrNotPublic is a connection refused because the address it would reach is not
	// public (loopback, private, link-local, carrier NAT, unique local, multicast,
	// unspecified, IPv4-mapped forms of these, and the other special ranges).
	ErrNotPublic = errors.New("safehttp: refusing to connect to a non-public address")
	// ErrBadScheme is a request, or a redirect, to a URL that is not http or https.
	ErrBadScheme = errors.New("safehttp: only http and https URLs are fetched")
	// ErrTooManyRedirects is a redirect beyond Options.MaxRedirects.
	ErrTooManyRedirects = errors.New("safehttp: too many redirects")
)

// Options configure NewClient. The zero value is the production client.
type Options struct {
	// AllowPrivate turns the address check off: development mode, where the services
	// being fetched run on the same machine or network.
	AllowPrivate bool
	// Timeout bounds one request with its redirects, from dialling to the end of the
	// body; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxRedirects is how many redirects one request follows, each dialled under the
	// same check; DefaultMaxRedirects when zero. Negative follows none: the client
	// returns the redirect response itself.
	MaxRedirects int
	// UserAgent is sent with requests that do not set their own.
	UserAgent string
	// Check, when set and AllowPrivate is false, replaces the public-address rule
	// (activitypub.IsPublicAddr): it reports whether the client may connect to the address.
	// It exists so that tests can admit one loopback server and still see every other
	// address refused; production code leaves it nil.
	Check func(netip.AddrPort) bool
}

// NewClient returns a client that, unless o.AllowPrivate, connects only to addresses
// activitypub.IsPublicAddr accepts (or o.Check, when set). It uses no proxy, whatever the
// environment says, since a proxy would dial on our behalf past the check. Requests
// that cannot be sent return errors wrapping ErrNotPublic, ErrBadScheme or
// ErrTooManyRedirects, besides the usual network errors. Safe for concurrent use;
// callers keep one client and reuse it so that connections are pooled.
func NewClient(o Options) *http.Client {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		check := o.Check
		if check == nil {
			check = defaultCheck
		}
		dialer.Control = func(_, address string, _ syscall.RawConn) error { return checkAddress(check, address) }
	}
	base := &http.Transport{
		Proxy:                 nil,
		DialContext:           localhostDial(dialer, o.AllowPrivate),
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	maxRedirects := o.MaxRedirects
	return &http.Client{
		Timeout:   o.Timeout,
		Transport: &transport{base: base, userAgent: o.UserAgent},
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if maxRedirects < 0 {
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("%w (%d)", ErrTooManyRedirects, maxRedirects)
			}
			return nil // the scheme is transport's to check, as for every request
		},
	}
}

// transport sees every request, first or redirected. It refuses schemes other than
// http and https before the base transport does (that one would too, but with an
// error callers cannot tell apart), and fills in the User-Agent.
type transport struct {
	base      *http.Transport
	userAgent string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkScheme(req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if t.userAgent != "" && req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context()) // a RoundTripper must not modify its argument
		req.Header.Set("User-Agent", t.userAgent)
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pool.
func (t *transport) CloseIdleConnections() { t.base.CloseIdleConnections() }

func checkScheme(req *http.Request) error {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		return ErrBadScheme
	}
	return nil
}

// localhostDial dials through d, with "localhost" and every "*.localhost" name (RFC
// 6761 reserves them for the local machine) refused outright, or, when private
// addresses are allowed (development), sent to 127.0.0.1 without asking DNS, as
// federation does: pages at site.localhost:PORT then work on one machine.
func localhostDial(d *net.Dialer, allowPrivate bool) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if activitypub.IsLocalhostName(host) {
			if !allowPrivate {
				return nil, fmt.Errorf("%w: %s", ErrNotPublic, host)
			}
			address = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, address)
	}
}

func defaultCheck(ap netip.AddrPort) bool { return activitypub.IsPublicAddr(ap.Addr()) }

// checkAddress applies check to address, an "ip:port" as net.Dialer.Control receives
// it once the name is resolved.
func checkAddress(check func(netip.AddrPort) bool, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrNotPublic, address)
	}
	if !check(ap) {
		return fmt.Errorf("%w: %s", ErrNotPublic, ap.Addr())
	}
	return nil
}

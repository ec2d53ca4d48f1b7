package activitypub

// The guard against server-side request forgery. Remote documents name URLs (inboxes,
// key ids, redirects) that this server then fetches; without a guard, a hostile or
// careless partner could make it reach the company's internal network or a cloud
// metadata service. The check runs in the dialer, on the address actually being
// connected to after name resolution, so no URL trick, redirect or DNS rebinding (a
// name that resolves to a public address when checked and a private one when used)
// gets around it.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrBlockedAddress is a connection the Guard refused: the address is not public, or
// the host name is reserved for the local machine.
var ErrBlockedAddress = errors.New("activitypub: refusing to connect to a non-public address")

// Guard decides which addresses outgoing connections may reach. The zero value allows
// public unicast addresses only.
type Guard struct {
	// AllowLoopback (development only) also allows loopback addresses and resolves
	// "localhost" and every "*.localhost" name to 127.0.0.1 without asking DNS
	// (RFC 6761), so instances at alpha.localhost:PORT and beta.localhost:PORT can
	// federate on one machine. Private, link-local and other ranges stay refused.
	AllowLoopback bool

	// also, in tests, lets an address through that the rules would refuse: a
	// loopback test server can then play a public host.
	also func(netip.AddrPort) bool
}

// nonPublic are the ranges, beyond what netip's predicates name, where no partner
// server lives: "this network", carrier-grade NAT, IETF protocol assignments,
// benchmarking, documentation, the 6to4 relay, reserved and broadcast; for IPv6,
// IPv4-compatible addresses, NAT64, Teredo and 6to4 (which embed an IPv4 address that
// may be private), discard, documentation and deprecated site-local.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// IsPublicAddr reports whether a is a public unicast address: not loopback, private
// (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10), unspecified, multicast,
// nor any range in nonPublic. IPv4-mapped IPv6 addresses are judged as the IPv4
// address they carry.
func IsPublicAddr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Allowed reports whether the guard lets a connection to ap through.
func (g Guard) Allowed(ap netip.AddrPort) bool {
	if g.also != nil && g.also(ap) {
		return true
	}
	a := ap.Addr().Unmap()
	return IsPublicAddr(a) || g.AllowLoopback && a.IsLoopback()
}

// IsLocalhostName reports whether host is "localhost" or under ".localhost", names
// RFC 6761 reserves for the local machine.
func IsLocalhostName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// DialContext connects like net.Dialer.DialContext over TCP, refusing with an error
// wrapping ErrBlockedAddress any address Allowed rejects. The check runs just before
// each connect, on the resolved address, so nothing is ever sent to a refused one.
func (g Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("%w: network %s", ErrBlockedAddress, network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if IsLocalhostName(host) {
		if !g.AllowLoopback {
			return nil, fmt.Errorf("%w: %s", ErrBlockedAddress, host)
		}
		address = net.JoinHostPort("127.0.0.1", port)
	}
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, ControlContext: g.control}
	return d.DialContext(ctx, network, address)
}

func (g Guard) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !g.Allowed(ap) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	return nil
}

// Transport returns an HTTP transport that dials through the guard and never uses a
// proxy (a proxy from the environment would make the connection, unguarded). Any
// client that fetches URLs chosen by someone else can use it.
func (g Guard) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            g.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  20 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// Package clientaddr finds who is on the other end of a request: the client's IP
// address and whether it came over https. X-Forwarded-For and X-Forwarded-Proto are
// believed only from the configured reverse proxies; from anyone else they would let a
// client pick its own address and walk around the sign-in limits.
package clientaddr

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Info is what is known of the client of a request.
type Info struct {
	IP    string // client address, e.g. "203.0.113.7"
	HTTPS bool   // the client's own connection is https
}

type ctxKey struct{}

// From returns the Info that Middleware stored; the zero Info if it did not run.
func From(ctx context.Context) Info {
	i, _ := ctx.Value(ctxKey{}).(Info)
	return i
}

// Middleware stores the client's Info in the request context. trusted are the proxies
// whose forwarding headers are believed.
func Middleware(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info := Resolve(r, trusted)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
		})
	}
}

// Resolve works out the client's Info. Walking X-Forwarded-For from the right, each
// hop is believed only while the hop that reported it is a trusted proxy; the first
// untrusted address is the client.
func Resolve(r *http.Request, trusted []netip.Prefix) Info {
	peer := peerAddr(r.RemoteAddr)
	info := Info{IP: peer.String(), HTTPS: r.TLS != nil}
	if !isTrusted(peer, trusted) {
		return info
	}
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	info.IP = client.String()
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		info.HTTPS = strings.EqualFold(strings.TrimSpace(strings.Split(p, ",")[0]), "https")
	}
	return info
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func forwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	return hops
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

package clientaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestResolve(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name      string
		remote    string
		xff       string
		proto     string
		wantIP    string
		wantHTTPS bool
	}{
		{"direct client", "203.0.113.7:5555", "", "", "203.0.113.7", false},
		{"untrusted peer's headers are ignored", "203.0.113.7:5555", "1.2.3.4", "https", "203.0.113.7", false},
		{"trusted proxy", "10.0.0.2:443", "198.51.100.9", "https", "198.51.100.9", true},
		{"spoofed left hop ignored", "10.0.0.2:443", "1.2.3.4, 198.51.100.9", "https", "198.51.100.9", true},
		{"chain of proxies", "10.0.0.2:443", "198.51.100.9, 10.1.1.1", "http", "198.51.100.9", false},
		{"garbage header", "10.0.0.2:443", "not-an-ip", "", "10.0.0.2", false},
		{"ipv6 peer", "[2001:db8::1]:443", "", "", "2001:db8::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			got := Resolve(r, proxies)
			if got.IP != tt.wantIP || got.HTTPS != tt.wantHTTPS {
				t.Errorf("Resolve = %+v, want IP %s HTTPS %v", got, tt.wantIP, tt.wantHTTPS)
			}
		})
	}
}

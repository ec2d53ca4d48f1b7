package activitypub

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true},
		{"93.184.215.14", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"255.255.255.255", false},
		{"100.64.0.1", false},
		{"100.127.255.254", false},
		{"198.18.0.1", false},
		{"192.0.2.1", false},
		{"240.0.0.1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false},
		{"64:ff9b::a00:1", false},
		{"2002:a00:1::", false},
		{"2001:0:a00:1::", false},
		{"2001:db8::1", false},
		{"fec0::1", false},
	}
	for _, tt := range tests {
		if got := IsPublicAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if IsPublicAddr(netip.Addr{}) {
		t.Error("IsPublicAddr(zero Addr) = true, want false")
	}
}

func TestGuardAllowed(t *testing.T) {
	tests := []struct {
		addr          string
		prod, develop bool
	}{
		{"8.8.8.8:443", true, true},
		{"127.0.0.1:8080", false, true},
		{"[::1]:8080", false, true},
		{"[::ffff:127.0.0.1]:80", false, true},
		{"10.0.0.1:443", false, false},
		{"169.254.169.254:80", false, false},
		{"[fe80::1]:443", false, false},
		{"100.64.1.1:443", false, false},
		{"[::ffff:192.168.0.1]:443", false, false},
	}
	for _, tt := range tests {
		ap := netip.MustParseAddrPort(tt.addr)
		if got := (Guard{}).Allowed(ap); got != tt.prod {
			t.Errorf("Guard{}.Allowed(%s) = %v, want %v", tt.addr, got, tt.prod)
		}
		if got := (Guard{AllowLoopback: true}).Allowed(ap); got != tt.develop {
			t.Errorf("Guard{AllowLoopback}.Allowed(%s) = %v, want %v", tt.addr, got, tt.develop)
		}
	}
}

// listen starts a TCP listener on a loopback address that counts the connections it
// accepts; ok is false when the address family is unavailable here.
func listen(t *testing.T, addr string) (l net.Listener, accepted *atomic.Int32, ok bool) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, false
	}
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l, accepted, true
}

// TestGuardDial: outside development nothing on loopback is reached, by address or by
// a localhost name, and nothing but TCP is dialled; in development both work. Private
// and link-local addresses are tested through Allowed only: this machine must not
// send them a single packet, even if the guard were broken.
func TestGuardDial(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		l, accepted, ok := listen(t, addr)
		if !ok {
			t.Logf("no listener on %s here; skipped", addr)
			continue
		}
		target := l.Addr().String()
		if c, err := (Guard{}).DialContext(ctx, "tcp", target); !errors.Is(err, ErrBlockedAddress) {
			if c != nil {
				c.Close()
			}
			t.Errorf("Guard{}.DialContext(%s) = %v, want ErrBlockedAddress", target, err)
		}
		c, err := (Guard{AllowLoopback: true}).DialContext(ctx, "tcp", target)
		if err != nil {
			t.Fatalf("Guard{AllowLoopback}.DialContext(%s) = %v, want a connection", target, err)
		}
		c.Close()
		waitFor(t, func() bool { return accepted.Load() == 1 }, "one accepted connection on "+target)
	}

	l, accepted, _ := listen(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(l.Addr().String())
	for _, name := range []string{"localhost", "alpha.localhost", "Beta.LOCALHOST."} {
		if _, err := (Guard{}).DialContext(ctx, "tcp", net.JoinHostPort(name, port)); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("Guard{}.DialContext(%s) = %v, want ErrBlockedAddress", name, err)
		}
		c, err := (Guard{AllowLoopback: true}).DialContext(ctx, "tcp", net.JoinHostPort(name, port))
		if err != nil {
			t.Fatalf("Guard{AllowLoopback}.DialContext(%s) = %v, want the 127.0.0.1 listener", name, err)
		}
		c.Close()
	}
	waitFor(t, func() bool { return accepted.Load() == 3 }, "three connections through localhost names")
	if _, err := (Guard{AllowLoopback: true}).DialContext(ctx, "udp", net.JoinHostPort("127.0.0.1", port)); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("DialContext(udp) = %v, want ErrBlockedAddress", err)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

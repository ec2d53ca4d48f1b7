package live

import (
	"slices"
	"testing"
)

func TestHub(t *testing.T) {
	h := NewHub()
	a, b := h.Subscribe(1), h.Subscribe(2)
	h.PostChanged(10)
	h.PostChanged(11) // coalesced
	for _, s := range []*Sub{a, b} {
		select {
		case <-s.Posts():
		default:
			t.Fatal("a stream was not woken by a post")
		}
		select {
		case <-s.Posts():
			t.Fatal("two wake-ups pending; want them coalesced")
		default:
		}
	}
	h.NotificationFor(2)
	select {
	case <-a.Unread():
		t.Fatal("account 1 woken by account 2's notification")
	default:
	}
	select {
	case <-b.Unread():
	default:
		t.Fatal("account 2 not woken by its notification")
	}
	h.Unsubscribe(a)
	h.Close()
	select {
	case <-b.Done():
	default:
		t.Fatal("Close did not end the stream")
	}
	if c := h.Subscribe(3); c.Done() == nil {
		t.Fatal("no done channel")
	} else {
		select {
		case <-c.Done():
		default:
			t.Fatal("a stream opened after Close stays open")
		}
	}
}

func TestChanged(t *testing.T) {
	h := NewHub()
	plain, tracking := h.Subscribe(1), h.SubscribeChanges(1)
	h.PostChanged(10)
	h.PostChanged(11)
	h.PostChanged(10)
	if got := plain.Changed(); got != nil {
		t.Errorf("a plain stream collected %v", got)
	}
	got := tracking.Changed()
	slices.Sort(got)
	if want := []int64{10, 11}; !slices.Equal(got, want) {
		t.Errorf("Changed() = %v, want %v", got, want)
	}
	if got := tracking.Changed(); got != nil {
		t.Errorf("Changed() again = %v, want nothing", got)
	}
	for id := range int64(maxChanged + 10) {
		h.PostChanged(id)
	}
	if got := tracking.Changed(); len(got) != maxChanged {
		t.Errorf("collected %d ids, want at most %d", len(got), maxChanged)
	}
}

func TestAdmit(t *testing.T) {
	h := NewHub()
	if h.maxConns != MaxConnections {
		t.Fatalf("a new hub admits %d connections, want MaxConnections (%d)", h.maxConns, MaxConnections)
	}
	h.maxConns = 2
	r1, ok1 := h.Admit(1)
	r2, ok2 := h.Admit(1)
	if !ok1 || !ok2 {
		t.Fatal("the first two connections were refused")
	}
	if _, ok := h.Admit(1); ok {
		t.Error("a third connection of account 1 was admitted, want at most 2")
	}
	r3, ok := h.Admit(2)
	if !ok {
		t.Error("account 2 refused for account 1's connections")
	}
	r1()
	r1() // a second release gives back nothing more
	r4, ok := h.Admit(1)
	if !ok {
		t.Fatal("a connection refused after one was released")
	}
	if _, ok := h.Admit(1); ok {
		t.Error("a double release gave back two slots")
	}
	r2()
	r3()
	r4()
	if len(h.conns) != 0 {
		t.Errorf("after every release the hub still counts %v", h.conns)
	}
}

package main

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sse reads server-sent events from path as b, sending "event: data" strings.
func (b *browser) sse(ctx context.Context, path string) <-chan string {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.base+path, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 100)
	go func() {
		defer resp.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var event, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data += strings.TrimPrefix(line, "data: ") + "\n"
			case line == "" && event != "":
				events <- event + ": " + data
				event, data = "", ""
			}
		}
	}()
	return events
}

// next waits for an event containing want, failing on any event containing never.
func next(t *testing.T, events <-chan string, want, never string) {
	t.Helper()
	timeout := time.After(8 * time.Second) // under the 15 s catch-up tick, so only NOTIFY can pass
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("stream closed before %q", want)
			}
			if never != "" && strings.Contains(e, never) {
				t.Fatalf("live stream leaked %q: %s", never, e)
			}
			if strings.Contains(e, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no live event with %q within 8 s", want)
		}
	}
}

// TestLiveAcrossNodes boots two nodes on one database: a post made on one arrives on
// the other's live stream, and a direct post for someone else never does.
func TestLiveAcrossNodes(t *testing.T) {
	a, baseA := boot(t)
	_, baseB := bootOn(t, a.Config.DatabaseURL)
	ana := signedIn(t, a, baseA, "ana", "member")
	signedIn(t, a, baseA, "eve", "member")
	bob := newBrowser(t, baseB)
	signedIn(t, a, baseA, "bob", "member")
	wantRedirect(t, bob.submit("/login", "/login", url.Values{"login": {"bob"}, "password": {"a long password"}}), "/")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	company := bob.sse(ctx, "/live?stream=company&after=0")
	home := bob.sse(ctx, "/live?stream=none")
	time.Sleep(200 * time.Millisecond) // both streams subscribed

	wantRedirect(t, ana.submit("/", "/posts", url.Values{"source": {"Secret for @eve"}, "visibility": {"direct"}, "back": {"/"}}), "/")
	wantRedirect(t, ana.submit("/", "/posts", url.Values{"source": {"Lunch at noon, @bob?"}, "visibility": {"company"}, "back": {"/"}}), "/")
	next(t, company, "Lunch at noon", "Secret for")
	next(t, home, "unread: 1 new", "Secret for")
}

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/testdb"
)

// syncBuffer is a bytes.Buffer that the server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRunServesAndStopsOnSignal boots the server through Run, as main does, signs in
// over HTTP, then cancels Run's context (what SIGTERM does) and expects a clean stop.
func TestRunServesAndStopsOnSignal(t *testing.T) {
	port := freePort(t)
	// No RUCHE_SECRET_KEY: the node makes its secret in the data directory, as make run does.
	data := t.TempDir()
	env := map[string]string{"RUCHE_DEV": "true", "RUCHE_ADDR": "127.0.0.1:" + port, "DATABASE_URL": testdb.New(t), "RUCHE_LOG_LEVEL": "warn", "RUCHE_DATA": data}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, io.Discard)
	}()
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready in 60 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	link := regexp.MustCompile(`/setup/[A-Za-z0-9_-]+`).FindString(out.String())
	if link == "" {
		t.Fatalf("no setup link printed:\n%s", out.String())
	}
	b := newBrowser(t, base)
	wantRedirect(t, b.submit(link, link, account("ana", "a long password")), "/?done=welcome")
	wantRedirect(t, b.submit("/", "/logout", url.Values{}), "/login")
	wantRedirect(t, b.submit("/login", "/login", url.Values{"login": {"ana"}, "password": {"a long password"}}), "/")
	want(t, b.get("/"), 200, "Hello, Ana")

	stop() // SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after stop: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60 s of the stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after Run returned")
	}
	if fi, err := os.Stat(filepath.Join(data, "secret_key")); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() < 32 {
		t.Errorf("the secret made in the data directory: %v %v", fi, err)
	}
}

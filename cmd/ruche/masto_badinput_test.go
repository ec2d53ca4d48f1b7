package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestEveryRouteRefusesBadInput sweeps the client API with what careless or hostile
// clients send: ids that do not exist, and bodies that are not JSON. Each route must
// answer with Mastodon's error body and a 4xx: 404 for what does not exist, 422 for
// what cannot be read; never a 500, never a success, never a change.
func TestEveryRouteRefusesBadInput(t *testing.T) {
	m, base := boot(t)
	c := member(t, m, base, "alice", ruche.RoleAdmin, "read write follow push")
	for _, rt := range clientRoutes() {
		if rt.PublicReason != "" || strings.HasPrefix(rt.Pattern, "/api/v1/streaming") {
			continue
		}
		path := pathParam.ReplaceAllString(rt.Pattern, "1")
		// An id that exists nowhere (a tag is a name, not an id: an unused one is an
		// empty stream, as in Mastodon).
		if path != rt.Pattern && !strings.Contains(rt.Pattern, "{hashtag}") {
			r := c.do(rt.Method, path, nil)
			if r.status != http.StatusNotFound && r.status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s (unknown id) → %d, want 404 (or 422): %.200s", rt.Method, path, r.status, r.body)
			}
		}
		if rt.Method == "GET" || rt.Method == "DELETE" {
			continue
		}
		r := c.do(rt.Method, pathParam.ReplaceAllString(rt.Pattern, "1"), `{"status": "half a JSON`)
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusNotFound {
			t.Errorf("%s %s (malformed JSON) → %d, want 422: %.200s", rt.Method, path, r.status, r.body)
		}
	}
	// Nothing was posted by all this.
	var home []struct{ ID string }
	c.get("/api/v1/timelines/home", &home)
	if len(home) != 0 {
		t.Errorf("bad input changed something: %d statuses on the home stream", len(home))
	}
}

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// api calls Ruche's JSON API as a script of the site would: session cookie plus the
// CSRF header. It returns the status and the decoded body.
func (b *browser) api(method, path, body string, header bool) (int, any) {
	b.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if header {
		u, _ := url.Parse(b.base)
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == "ruche_csrf" {
				req.Header.Set("X-CSRF-Token", c.Value)
			}
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func field(v any, key string) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m[key].(string)
		return s
	}
	return ""
}

func TestGroupsAPI(t *testing.T) {
	m, base := boot(t)
	olga := signedIn(t, m, base, "olga", "member")
	nina := signedIn(t, m, base, "nina", "member")
	gus := signedIn(t, m, base, "gus", "guest")

	// The session cookie alone is not enough: a page on another site could send it.
	if code, _ := olga.api("GET", "/api/ruche/v1/groups", "", false); code != 401 {
		t.Fatalf("cookie without CSRF header: %d, want 401", code)
	}
	code, g := olga.api("POST", "/api/ruche/v1/groups", `{"handle":"ops","name":"Ops","kind":"secret"}`, true)
	if code != 201 || field(g, "handle") != "ops" || field(g, "viewer_role") != "owner" {
		t.Fatalf("create: %d %v", code, g)
	}
	for body, want := range map[string]int{
		`{"handle":"ops","name":"Again","kind":"open"}`:      409,
		`{"handle":"Bad Handle","name":"X","kind":"open"}`:   422,
		`{"handle":"x1","name":"X","kind":"public"}`:         422,
		`{"handle":"x2","name":"X","kind":"open","extra":1}`: 422,
		`not json`: 422,
	} {
		if code, v := olga.api("POST", "/api/ruche/v1/groups", body, true); code != want || field(v, "error") == "" {
			t.Errorf("create %s: %d %v, want %d with an error", body, code, v, want)
		}
	}
	// Probing a secret group looks exactly like probing nothing.
	c1, v1 := nina.api("GET", "/api/ruche/v1/groups/ops", "", true)
	c2, v2 := nina.api("GET", "/api/ruche/v1/groups/nothing", "", true)
	if c1 != 404 || c1 != c2 || field(v1, "error") != field(v2, "error") {
		t.Errorf("secret group probe: %d %v vs missing %d %v", c1, v1, c2, v2)
	}
	for _, path := range []string{"/api/ruche/v1/groups/ops/members", "/api/ruche/v1/groups/ops/posts"} {
		if code, _ := nina.api("GET", path, "", true); code != 404 {
			t.Errorf("non-member %s: %d, want 404", path, code)
		}
	}
	// Invite the guest, who joins and posts; the owner reads it through the API.
	if code, v := olga.api("POST", "/api/ruche/v1/groups/ops/invite", `{"username":"gus"}`, true); code != 200 {
		t.Fatalf("invite: %d %v", code, v)
	}
	if code, v := gus.api("POST", "/api/ruche/v1/groups/ops/join", "", true); code != 200 || field(v, "viewer_state") != "member" {
		t.Fatalf("join: %d %v", code, v)
	}
	wantRedirect(t, gus.submit("/groups/ops", "/posts", url.Values{"source": {"hello from outside"}, "group": {"ops"}, "back": {"/groups/ops"}}), "/groups/ops")
	code, posts := olga.api("GET", "/api/ruche/v1/groups/ops/posts", "", true)
	if list, _ := posts.([]any); code != 200 || len(list) != 1 || !strings.Contains(field(list[0], "content"), "hello from outside") {
		t.Fatalf("posts: %d %v", code, posts)
	}
	code, members := olga.api("GET", "/api/ruche/v1/groups/ops/members", "", true)
	if list, _ := members.([]any); code != 200 || len(list) != 2 {
		t.Fatalf("members: %d %v", code, members)
	}
	// Removal is immediate.
	if code, v := olga.api("POST", "/api/ruche/v1/groups/ops/members/gus/remove", "", true); code != 200 {
		t.Fatalf("remove: %d %v", code, v)
	}
	if code, _ := gus.api("GET", "/api/ruche/v1/groups/ops/posts", "", true); code != 404 {
		t.Errorf("removed guest reads posts: %d", code)
	}
	if code, _ := olga.api("PUT", "/api/ruche/v1/groups/ops/members/olga/role", `{"role":"member"}`, true); code != 422 {
		t.Errorf("last owner demoted: %d", code)
	}
}

package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// signedIn creates a member through the operator path and signs them in.
func signedIn(t *testing.T, m *Main, base, username string, role string) *browser {
	t.Helper()
	env := map[string]string{"RUCHE_DEV": "true", "DATABASE_URL": m.Config.DatabaseURL}
	if _, err := run(t, env, "a long password\n", "user", "create", "--username", username, "--email", username+"@example.com",
		"--display-name", strings.ToUpper(username[:1])+username[1:], "--role", role, "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, base)
	wantRedirect(t, b.submit("/login", "/login", url.Values{"login": {username}, "password": {"a long password"}}), "/")
	return b
}

var postIDRE = regexp.MustCompile(`<article class="post" id="p(\d+)"`)

// firstPostID returns the id of the first post on a page.
func firstPostID(t *testing.T, p page) string {
	t.Helper()
	m := postIDRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no post on the page:\n%s", p.body)
	}
	return m[1]
}

// TestTwoMembers is the acceptance walk of issue 3 in the web UI: post, mention,
// reply, like, boost, edit, delete, presence; each sees what they should.
func TestTwoMembers(t *testing.T) {
	m, base := boot(t)
	ana := signedIn(t, m, base, "ana", "member")
	bob := signedIn(t, m, base, "bob", "member")
	eve := signedIn(t, m, base, "eve", "member")
	gus := signedIn(t, m, base, "gus", "guest")

	// Ana posts to the company, mentioning Bob, with a tag and an injection attempt.
	wantRedirect(t, ana.submit("/company", "/posts", url.Values{"source": {"Launch **today** @bob #Launch <img src=x onerror=alert(1)>"},
		"visibility": {"company"}, "back": {"/company"}}), "/company")
	p := bob.get("/company")
	want(t, p, 200, "Launch")
	if strings.Contains(p.body, "onerror") && !strings.Contains(p.body, "&lt;img") {
		t.Fatalf("injection rendered:\n%s", p.body)
	}
	id := firstPostID(t, p)
	want(t, bob.get("/notifications"), 200, "mentioned you")
	want(t, bob.get("/tags/launch"), 200, "Launch")
	want(t, bob.get("/tags/LAUNCH"), 200, "Launch")
	// Guests do not see the company stream's posts.
	if strings.Contains(gus.get("/company").body, "Launch") || gus.get("/posts/"+id).status != 404 {
		t.Error("a guest sees a company post")
	}

	// Bob replies, likes and boosts.
	wantRedirect(t, bob.submit("/posts/"+id, "/posts", url.Values{"source": {"Congrats!"}, "in_reply_to_id": {id}}), "/posts/"+id)
	wantRedirect(t, bob.submit("/posts/"+id, "/posts/"+id+"/like", url.Values{"back": {"/posts/" + id}}), "/posts/"+id)
	wantRedirect(t, bob.submit("/posts/"+id, "/posts/"+id+"/boost", url.Values{"back": {"/posts/" + id}}), "/posts/"+id)
	thread := ana.get("/posts/" + id)
	want(t, thread, 200, "Congrats!")
	want(t, thread, 200, "Like (1)")  // Bob's like, counted for Ana
	want(t, thread, 200, "Boost (1)") // and his boost
	want(t, bob.get("/posts/"+id), 200, "Unlike (1)")
	n := ana.get("/notifications")
	for _, s := range []string{"replied to you", "liked your post", "boosted your post"} {
		want(t, n, 200, s)
	}

	// A direct post from Ana to Bob is invisible to Eve everywhere.
	wantRedirect(t, ana.submit("/", "/posts", url.Values{"source": {"Secret plan @bob"}, "visibility": {"direct"}, "back": {"/"}}), "/")
	secret := firstPostID(t, bob.get("/notifications"))
	for _, path := range []string{"/", "/company", "/@ana", "/notifications", "/posts/" + secret, "/posts/" + secret + "/history"} {
		if p := eve.get(path); strings.Contains(p.body, "Secret plan") {
			t.Errorf("eve sees the direct post on %s", path)
		}
	}
	want(t, eve.get("/posts/"+secret), 404, "")
	want(t, eve.submit("/", "/posts/"+secret+"/like", url.Values{}), 404, "")
	want(t, eve.submit("/", "/posts", url.Values{"source": {"me too"}, "in_reply_to_id": {secret}}), 404, "")

	// Edit and history; Eve cannot edit or delete Ana's post.
	wantRedirect(t, ana.submit("/posts/"+id+"/edit", "/posts/"+id+"/edit", url.Values{"source": {"Launch is **tomorrow**"}}), "/posts/"+id)
	want(t, bob.get("/posts/"+id+"/history"), 200, "today")
	want(t, eve.submit("/posts/"+id, "/posts/"+id+"/edit", url.Values{"source": {"hacked"}}), http.StatusForbidden, "")
	want(t, eve.submit("/posts/"+id, "/posts/"+id+"/delete", url.Values{}), http.StatusForbidden, "")

	// Bad input: a clear error, nothing posted.
	want(t, ana.submit("/", "/posts", url.Values{"source": {"   "}}), 422, "Write something first")
	want(t, ana.submit("/", "/posts", url.Values{"source": {strings.Repeat("a", 5001)}}), 422, "at most 5000")

	// Presence shows beside the name; follows fill the home stream.
	wantRedirect(t, ana.submit("/settings/profile", "/settings/presence", url.Values{"emoji": {"🗓"}, "text": {"In a meeting"}, "lasts": {"1h"}, "back": {"/settings/profile"}}), "/settings/profile")
	want(t, bob.get("/company"), 200, "In a meeting")
	wantRedirect(t, eve.submit("/@ana", "/@ana/follow", url.Values{}), "/@ana")
	want(t, eve.get("/"), 200, "tomorrow")
	want(t, eve.get("/people?q=ana"), 200, "@ana")

	// Ana deletes her post; it is gone for everyone.
	wantRedirect(t, ana.submit("/posts/"+id, "/posts/"+id+"/delete", url.Values{}), "/?done=deleted")
	want(t, bob.get("/posts/"+id), 404, "")
}

package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/testdb"
)

// shareHive boots a node with settings env, an admin (ana) who adds two partners, and
// an owner (olga) with a closed group design, where mia is a member, and a secret
// group ops.
func shareHive(t *testing.T, env map[string]string) (ana, olga, mia, nina *browser) {
	t.Helper()
	m, base := bootWith(t, testdb.New(t), env)
	ana = signedIn(t, m, base, "ana", "admin")
	olga = signedIn(t, m, base, "olga", "member")
	mia = signedIn(t, m, base, "mia", "member")
	nina = signedIn(t, m, base, "nina", "member")
	for _, d := range []string{"hub.example.com", "b.example.com"} {
		wantRedirect(t, ana.submit("/admin/partners", "/admin/partners", url.Values{"domain": {d}}), "/admin/partners")
	}
	for handle, kind := range map[string]string{"design": "closed", "ops": "secret"} {
		wantRedirect(t, olga.submit("/groups", "/groups", url.Values{"name": {strings.ToUpper(handle)}, "handle": {handle}, "kind": {kind}}), "/groups/"+handle)
	}
	wantRedirect(t, olga.submit("/groups/design", "/groups/design/invite", url.Values{"username": {"mia"}}), "/groups/design")
	wantRedirect(t, mia.submit("/groups/design", "/groups/design/join", url.Values{}), "/groups/design?done=group_joined")
	return ana, olga, mia, nina
}

// TestGroupSharePage: an admin shares a group from its page, every member sees the
// banner and the list marks it; an owner who is no admin is refused under the default
// policy; a secret group is refused with the reason, and one cannot tell it exists.
func TestGroupSharePage(t *testing.T) {
	ana, olga, mia, nina := shareHive(t, nil)
	const form, banner = `action="/groups/design/share"`, "Shared with partner instances"

	// The owner, no admin: no form, and the address refuses.
	if strings.Contains(olga.get("/groups/design").body, form) {
		t.Error("the owner is offered to share under the admins' policy")
	}
	want(t, olga.submit("/groups/design", "/groups/design/share", url.Values{"partner": {"hub.example.com"}}), 403,
		"Only company admins can share a group with partner instances.")
	// A non-member of a secret group learns nothing: the answer of a missing group.
	want(t, nina.submit("/groups", "/groups/ops/share", url.Values{"partner": {"hub.example.com"}}), 404, "There is no such group.")
	want(t, nina.submit("/groups", "/groups/ops/unshare", url.Values{"partner": {"hub.example.com"}}), 404, "There is no such group.")
	want(t, nina.submit("/groups", "/groups/nothing/share", url.Values{"partner": {"hub.example.com"}}), 404, "There is no such group.")

	// The admin: the form offers the active partners; sharing marks the group.
	p := ana.get("/groups/design")
	want(t, p, 200, form)
	want(t, p, 200, `<option value="hub.example.com">`)
	wantRedirect(t, ana.submit("/groups/design", "/groups/design/share", url.Values{"partner": {"hub.example.com"}}), "/groups/design?done=group_shared")
	p = ana.get("/groups/design?done=group_shared")
	want(t, p, 200, "The group is now shared with that partner instance.")
	want(t, p, 200, "Stop sharing with hub.example.com")
	if strings.Contains(p.body, `<option value="hub.example.com">`) {
		t.Error("a partner the group is shared with is still offered")
	}
	want(t, ana.submit("/groups/design", "/groups/design/share", url.Values{"partner": {"nowhere.example.com"}}), 422,
		"nowhere.example.com is not an active partner instance.")

	// Every member sees with whom it is shared, on its page and in the list.
	for _, b := range []*browser{mia, olga, nina} {
		want(t, b.get("/groups/design"), 200, banner+": hub.example.com.")
	}
	list := mia.get("/groups")
	want(t, list, 200, `<span class="badge">shared with</span> <span class="muted small">hub.example.com</span>`)
	mia.lang = "fr"
	want(t, mia.get("/groups/design"), 200, "Partagé avec des instances partenaires : hub.example.com.")
	mia.lang = ""

	// A secret group: refused with the reason, on the page and by the address.
	want(t, ana.get("/groups/ops"), 200, "A secret group cannot be shared: make it closed first.")
	want(t, ana.submit("/groups/ops", "/groups/ops/share", url.Values{"partner": {"hub.example.com"}}), 422,
		"A secret group cannot be shared: make it closed first.")
	// A shared group does not become secret.
	want(t, olga.submit("/groups/design", "/groups/design/edit", url.Values{"name": {"Design"}, "kind": {"secret"}}), 422,
		"stop sharing it before making it secret")

	// Unsharing: the banner goes; unsharing again is not found.
	wantRedirect(t, ana.submit("/groups/design", "/groups/design/unshare", url.Values{"partner": {"hub.example.com"}}), "/groups/design?done=group_unshared")
	if p := mia.get("/groups/design"); p.status != 200 || strings.Contains(p.body, banner) {
		t.Errorf("the banner stays after unsharing (%d)", p.status)
	}
	want(t, ana.submit("/groups/design", "/groups/design/unshare", url.Values{"partner": {"hub.example.com"}}), 404,
		"This group is not shared with hub.example.com.")
	want(t, ana.get("/admin"), 200, "group no longer shared with a partner instance")
}

// TestGroupShareOwnersPolicy: with RUCHE_GROUP_SHARING=owners a group's owner shares
// it; its plain members still may not.
func TestGroupShareOwnersPolicy(t *testing.T) {
	_, olga, mia, _ := shareHive(t, map[string]string{"RUCHE_GROUP_SHARING": "owners"})
	want(t, olga.get("/groups/design"), 200, `action="/groups/design/share"`)
	wantRedirect(t, olga.submit("/groups/design", "/groups/design/share", url.Values{"partner": {"b.example.com"}}), "/groups/design?done=group_shared")
	want(t, mia.submit("/groups/design", "/groups/design/unshare", url.Values{"partner": {"b.example.com"}}), 403,
		"Only the group's owners and company admins can share it with partner instances.")
	want(t, mia.get("/groups/design"), 200, "Shared with partner instances: b.example.com.")

	// A bad setting stops the node with its name.
	if _, err := run(t, map[string]string{"RUCHE_DEV": "true", "RUCHE_GROUP_SHARING": "everyone"}, "", "serve"); err == nil ||
		!strings.Contains(err.Error(), "RUCHE_GROUP_SHARING") {
		t.Errorf("serve with a bad RUCHE_GROUP_SHARING: %v", err)
	}
}

// TestGroupSharesAPI: the same through Ruche's JSON API.
func TestGroupSharesAPI(t *testing.T) {
	ana, olga, mia, nina := shareHive(t, nil)
	list := func(v any) []string {
		out := []string{}
		items, _ := v.([]any)
		for _, it := range items {
			s, _ := it.(string)
			out = append(out, s)
		}
		return out
	}
	const shares = "/api/ruche/v1/groups/design/shares"

	code, g := mia.api("GET", "/api/ruche/v1/groups/design", "", true)
	if m, _ := g.(map[string]any); code != 200 || m["shared_with"] == nil || len(list(m["shared_with"])) != 0 {
		t.Fatalf("group before sharing: %d %v, want shared_with []", code, g)
	}
	if code, v := olga.api("PUT", shares+"/hub.example.com", "", true); code != 403 || field(v, "error") == "" {
		t.Errorf("owner shares under the admins' policy: %d %v", code, v)
	}
	code, v := ana.api("PUT", shares+"/Hub.Example.com", "", true)
	if code != 200 || !slices.Equal(list(v), []string{"hub.example.com"}) {
		t.Fatalf("share: %d %v", code, v)
	}
	if code, v := mia.api("GET", shares, "", true); code != 200 || !slices.Equal(list(v), []string{"hub.example.com"}) {
		t.Errorf("member lists shares: %d %v", code, v)
	}
	code, g = mia.api("GET", "/api/ruche/v1/groups", "", true)
	found := false
	for _, it := range g.([]any) {
		if field(it, "handle") == "design" {
			found = slices.Equal(list(it.(map[string]any)["shared_with"]), []string{"hub.example.com"})
		}
	}
	if code != 200 || !found {
		t.Errorf("the group list lacks design's shared_with: %d %v", code, g)
	}
	for _, tt := range []struct {
		who          *browser
		method, path string
		want         int
	}{
		{ana, "PUT", "/api/ruche/v1/groups/ops/shares/hub.example.com", 422},
		{ana, "PUT", shares + "/nowhere.example.com", 422},
		{nina, "PUT", "/api/ruche/v1/groups/ops/shares/hub.example.com", 404},
		{nina, "GET", "/api/ruche/v1/groups/ops/shares", 404},
		{mia, "DELETE", shares + "/hub.example.com", 403},
	} {
		if code, v := tt.who.api(tt.method, tt.path, "", true); code != tt.want || field(v, "error") == "" {
			t.Errorf("%s %s: %d %v, want %d with an error", tt.method, tt.path, code, v, tt.want)
		}
	}
	if code, v := ana.api("DELETE", shares+"/hub.example.com", "", true); code != 200 || len(list(v)) != 0 || v == nil {
		t.Errorf("unshare: %d %v", code, v)
	}
	if code, _ := ana.api("DELETE", shares+"/hub.example.com", "", true); code != 404 {
		t.Errorf("unshare again: %d, want 404", code)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ruche-hive/ruche/internal/apispec"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// rawDo sends a request without validating the answer against Mastodon's description:
// for the few routes it describes wrongly or not at all, which the test checks itself.
func rawDo(c *mclient, method, path, acceptLanguage string) reply {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestMastoCompatInstance: the instance's documents and lists apps read on their
// "about" and compose screens answer, empty where Ruche has nothing to say, to a
// member or an application's own token, never to an anonymous caller.
func TestMastoCompatInstance(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	app := oaRegister(t, base, url.Values{"client_name": {"About"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read"}})
	appOnly := oaToken(t, base, oaTokenFrom(t, oaExchange(t, base, url.Values{"grant_type": {"client_credentials"},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"read"}})))
	anon := oaAnon(t, base)

	for _, p := range []string{"/api/v1/instance/extended_description", "/api/v1/instance/privacy_policy"} {
		var doc struct {
			UpdatedAt string `json:"updated_at"`
			Content   *string
		}
		alice.get(p, &doc)
		if doc.UpdatedAt == "" || doc.Content == nil || *doc.Content != "" {
			t.Errorf("%s = %+v, want an empty dated document", p, doc)
		}
	}
	var tos map[string]any
	alice.get("/api/v1/instance/terms_of_service", &tos)
	if tos["content"] != "" || tos["effective"] != true {
		t.Errorf("terms of service = %v", tos)
	}
	for _, p := range []string{"/api/v1/instance/peers", "/api/v1/instance/activity"} {
		var list []any
		alice.get(p, &list)
		if len(list) != 0 {
			t.Errorf("%s = %v, want []", p, list)
		}
	}
	var tl map[string]any
	alice.get("/api/v1/instance/translation_languages", &tl)
	if len(tl) != 0 {
		t.Errorf("translation languages = %v, want {}", tl)
	}
	// Not in Mastodon's description: checked here.
	var langs []map[string]string
	alice.get("/api/v1/instance/languages", &langs)
	codes := map[string]string{}
	for _, l := range langs {
		if len(l) != 2 || l["code"] == "" || l["name"] == "" {
			t.Errorf("language %v, want {code, name}", l)
		}
		codes[l["code"]] = l["name"]
	}
	if codes["en"] != "English" || codes["fr"] != "Français" {
		t.Errorf("languages = %v", langs)
	}

	for _, p := range []string{"/api/v1/instance/extended_description", "/api/v1/instance/privacy_policy",
		"/api/v1/instance/terms_of_service", "/api/v1/instance/peers", "/api/v1/instance/activity",
		"/api/v1/instance/languages", "/api/v1/instance/translation_languages"} {
		appOnly.ok("GET", p, nil)
		anon.want(http.StatusUnauthorized, "GET", p, nil)
	}
}

// TestMastoCompatDirectory: the directory lists the people of the company directory
// and the groups a member may know, most recently active or newest first, paged; a
// guest, who does not browse the directory, finds only their own groups.
func TestMastoCompatDirectory(t *testing.T) {
	h := newAccountsHive(t)
	alice, bob, gus := h.alice, h.bob, h.gus
	aliceID, bobID := idOf(alice.user.ID), idOf(bob.user.ID)
	garden, council, ops := idOf(h.garden.ID), idOf(h.council.ID), idOf(h.ops.ID)
	h.post(bob, ruche.NewPost{Source: "The plan", GroupHandle: "ops"})
	h.post(alice, ruche.NewPost{Source: "Morning"})
	h.post(bob, ruche.NewPost{Source: "@gus welcome aboard", Visibility: ruche.VisDirect}) // Gus knows Bob now
	dir := func(c *mclient, query string) []string {
		t.Helper()
		var as []map[string]any
		c.get("/api/v1/directory"+query, &as)
		return accountIDs(as)
	}

	// Most recently active first, by the posts the member may see: to Alice, Bob has
	// written nothing (his posts went to a secret group and to Gus), so she comes first.
	got := dir(alice, "")
	for _, id := range []string{aliceID, bobID, garden, council} {
		if !slices.Contains(got, id) {
			t.Errorf("Alice's directory %v lacks %s", got, id)
		}
	}
	if slices.Contains(got, ops) {
		t.Errorf("Alice's directory %v shows the secret group", got)
	}
	if len(got) == 0 || got[0] != aliceID {
		t.Errorf("Alice's directory %v: want her first, the only one with a post she sees", got)
	}
	if bobs := dir(bob, "?order=active"); len(bobs) < 2 || bobs[0] != bobID || !slices.Contains(bobs, ops) {
		t.Errorf("Bob's directory %v: want him first (his own newest post) and his secret group", bobs)
	}
	// Newest first: the groups were made after the people, the closed one last.
	if got := dir(alice, "?order=new&local=true"); len(got) == 0 || got[0] != council {
		t.Errorf("newest first: %v, want %s first", got, council)
	}
	all := dir(alice, "?order=new")
	if page := dir(alice, "?order=new&offset=1&limit=2"); !slices.Equal(page, all[1:3]) {
		t.Errorf("offset 1, limit 2: %v, want %v", page, all[1:3])
	}
	if page := dir(alice, "?offset=500"); len(page) != 0 {
		t.Errorf("past the end: %v", page)
	}
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/directory?order=popular", nil)
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/directory?offset=-1", nil)
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/directory?limit=many", nil)

	// A guest does not browse the directory: not even Bob, who wrote to them, nor a
	// group until they are in it.
	if got := dir(gus, ""); len(got) != 0 {
		t.Errorf("the guest's directory = %v, want nothing", got)
	}
	if err := h.groups.Invite(t.Context(), bob.user, "ops", "gus"); err != nil {
		t.Fatal(err)
	}
	if got := dir(gus, ""); !slices.Equal(got, []string{ops}) {
		t.Errorf("the guest invited to ops: directory %v, want only ops", got)
	}
}

// TestMastoCompatFamiliarFollowers answers for the accounts the member may know, in
// the order asked, and leaves out the others.
func TestMastoCompatFamiliarFollowers(t *testing.T) {
	h := newAccountsHive(t)
	bobID, ops := idOf(h.bob.user.ID), idOf(h.ops.ID)
	q := "/api/v1/accounts/familiar_followers?id[]=" + ops + "&id[]=999999&id[]=x&id[]=" + bobID + "&id[]=" + bobID
	var ff []struct {
		ID       string `json:"id"`
		Accounts []any  `json:"accounts"`
	}
	h.alice.get(q, &ff)
	if len(ff) != 1 || ff[0].ID != bobID || ff[0].Accounts == nil {
		t.Errorf("Alice's familiar followers = %+v, want Bob's alone", ff)
	}
	h.bob.get(q, &ff)
	if len(ff) != 2 || ff[0].ID != ops || ff[1].ID != bobID {
		t.Errorf("Bob's familiar followers = %+v, want ops then himself", ff)
	}
	h.gus.get(q, &ff)
	if len(ff) != 0 {
		t.Errorf("the guest's familiar followers = %+v, want none", ff)
	}
}

// TestMastoCompatTags: a tag is found when it is on a post the member may see, as
// search finds it; one used only in a secret group is not found, and following tags
// is refused with a message once the tag is known.
func TestMastoCompatTags(t *testing.T) {
	h := newAccountsHive(t)
	alice, bob := h.alice, h.bob
	h.post(bob, ruche.NewPost{Source: "Hello #News and #café"})
	h.post(bob, ruche.NewPost{Source: "The #SecretPlan", GroupHandle: "ops"})

	var tag struct {
		ID, Name, URL string
		History       []any
		Following     *bool
	}
	alice.get("/api/v1/tags/News", &tag)
	if tag.Name != "news" || tag.ID != "news" || tag.URL != h.m.Config.BaseURL()+"/tags/news" || tag.History == nil ||
		tag.Following == nil || *tag.Following {
		t.Errorf("tag = %+v", tag)
	}
	alice.get("/api/v1/tags/"+url.PathEscape("café"), &tag)
	if tag.Name != "café" {
		t.Errorf("tag café = %+v", tag)
	}
	hidden := alice.want(http.StatusNotFound, "GET", "/api/v1/tags/secretplan", nil)
	if unknown := alice.want(http.StatusNotFound, "GET", "/api/v1/tags/nosuchtag", nil); !bytes.Equal(unknown.body, hidden.body) {
		t.Errorf("a hidden tag %s, an unknown one %s", hidden.body, unknown.body)
	}
	alice.want(http.StatusNotFound, "GET", "/api/v1/tags/new", nil) // a prefix is not the tag
	bob.get("/api/v1/tags/secretplan", &tag)
	if tag.Name != "secretplan" {
		t.Errorf("Bob's secret tag = %+v", tag)
	}

	for _, action := range []string{"follow", "unfollow"} {
		alice.want(http.StatusUnprocessableEntity, "POST", "/api/v1/tags/news/"+action, nil)
		alice.want(http.StatusNotFound, "POST", "/api/v1/tags/secretplan/"+action, nil)
	}
}

// TestMastoCompatUnsupported: what Ruche does not do answers 422 with a message apps
// show, in the member's language; an account the member may not know is a 404 first,
// the same as an unknown one. The empty lists and policies answer.
func TestMastoCompatUnsupported(t *testing.T) {
	h := newAccountsHive(t)
	alice, gus := h.alice, h.gus
	bobID, aliceID, ops := idOf(h.bob.user.ID), idOf(alice.user.ID), idOf(h.ops.ID)

	messages := map[string]bool{}
	for _, action := range []string{"block", "unblock", "mute", "unmute", "note", "pin", "unpin", "remove_from_followers"} {
		path := "/api/v1/accounts/" + bobID + "/" + action
		var e struct{ Error string }
		alice.want(http.StatusUnprocessableEntity, "POST", path, url.Values{"comment": {"x"}}).into(t, &e)
		if e.Error == "" {
			t.Errorf("%s: no message", path)
		}
		messages[e.Error] = true
		unknown := alice.want(http.StatusNotFound, "POST", "/api/v1/accounts/999999/"+action, nil)
		if hidden := alice.want(http.StatusNotFound, "POST", "/api/v1/accounts/"+ops+"/"+action, nil); !bytes.Equal(hidden.body, unknown.body) {
			t.Errorf("%s on a secret group: %s, on an unknown id: %s", action, hidden.body, unknown.body)
		}
		gus.want(http.StatusNotFound, "POST", "/api/v1/accounts/"+aliceID+"/"+action, nil)
	}
	if len(messages) != 5 { // block, mute, note, pin (endorse), remove_from_followers
		t.Errorf("messages: %v", messages)
	}
	for _, rt := range []struct{ method, path string }{
		{"POST", "/api/v1/reports"}, {"POST", "/api/v1/domain_blocks"}, {"DELETE", "/api/v1/domain_blocks"},
	} {
		alice.want(http.StatusUnprocessableEntity, rt.method, rt.path, url.Values{"account_id": {bobID}, "domain": {"example.com"}})
	}
	// In the member's language.
	if r := rawDo(alice, "POST", "/api/v1/accounts/"+bobID+"/block", "fr"); r.status != 422 || !bytes.Contains(r.body, []byte("bloquer")) {
		t.Errorf("in French: %d %s", r.status, r.body)
	}

	var blocks []string
	alice.get("/api/v1/domain_blocks", &blocks)
	if blocks == nil || len(blocks) != 0 {
		t.Errorf("domain blocks = %v, want []", blocks)
	}

	// Neither is described as Mastodon answers (version 1 of the policy is not
	// described; version 1 of filters as one filter): checked here.
	r := rawDo(alice, "GET", "/api/v1/notifications/policy", "")
	if r.status != 200 {
		t.Fatalf("notification policy v1 → %d %s", r.status, r.body)
	}
	if err := apispec.Schema("V1NotificationPolicy", r.body); err != nil {
		t.Errorf("notification policy v1: %v\n%s", err, r.body)
	}
	var policy map[string]any
	r.into(t, &policy)
	if policy["filter_not_following"] != false || policy["summary"].(map[string]any)["pending_requests_count"] != 0.0 {
		t.Errorf("notification policy v1 = %v", policy)
	}
	r = rawDo(alice, "GET", "/api/v1/filters", "")
	var filters []any
	if r.status != 200 || json.Unmarshal(r.body, &filters) != nil || filters == nil || len(filters) != 0 {
		t.Errorf("filters v1 → %d %s, want []", r.status, r.body)
	}
}

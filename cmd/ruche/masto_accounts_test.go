package main

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// accountsHive is the cast of the accounts tests: Alice and Bob, members; Gus, a
// guest; and Bob's three groups, one of each kind, built through the domain so that
// the tests exercise the accounts endpoints alone.
type accountsHive struct {
	t                    *testing.T
	m                    *Main
	base                 string
	alice, bob, gus      *mclient
	posts                *ruche.Posts
	groups               *ruche.Groups
	garden, council, ops ruche.Group // open, closed, secret
}

func newAccountsHive(t *testing.T) *accountsHive {
	t.Helper()
	m, base := boot(t)
	h := &accountsHive{t: t, m: m, base: base,
		posts:  &ruche.Posts{Store: m.db.store, BaseURL: m.Config.BaseURL()},
		groups: &ruche.Groups{Store: m.db.store}}
	h.alice = member(t, m, base, "alice", ruche.RoleMember)
	h.bob = member(t, m, base, "bob", ruche.RoleMember)
	h.gus = member(t, m, base, "gus", ruche.RoleGuest)
	for _, g := range []struct {
		to   *ruche.Group
		kind ruche.GroupKind
	}{{&h.garden, ruche.GroupOpen}, {&h.council, ruche.GroupClosed}, {&h.ops, ruche.GroupSecret}} {
		handle := map[ruche.GroupKind]string{ruche.GroupOpen: "garden", ruche.GroupClosed: "council", ruche.GroupSecret: "ops"}[g.kind]
		grp, err := h.groups.Create(context.Background(), h.bob.user, handle, ruche.GroupFields{Name: strings.ToUpper(handle), Kind: g.kind})
		if err != nil {
			t.Fatal(err)
		}
		*g.to = grp
	}
	return h
}

// post writes a post as c's member through the domain.
func (h *accountsHive) post(c *mclient, n ruche.NewPost) ruche.Post {
	h.t.Helper()
	p, err := h.posts.Create(context.Background(), c.user, n)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func statusIDs(ss []map[string]any) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s["id"].(string))
	}
	return out
}

func accountIDs(as []map[string]any) []string {
	var out []string
	for _, a := range as {
		out = append(out, a["id"].(string))
	}
	return out
}

// TestMastoCredentials reads and changes the member's own account.
func TestMastoCredentials(t *testing.T) {
	h := newAccountsHive(t)
	alice := h.alice

	var me map[string]any
	alice.get("/api/v1/accounts/verify_credentials", &me)
	src := me["source"].(map[string]any)
	role := me["role"].(map[string]any)
	if me["id"] != idOf(alice.user.ID) || me["username"] != "alice" || src["privacy"] != "public" || role["permissions"] != "0" || role["name"] != "Member" {
		t.Errorf("verify_credentials = %v", me)
	}
	var guest map[string]any
	h.gus.get("/api/v1/accounts/verify_credentials", &guest)
	if p := guest["source"].(map[string]any)["privacy"]; p != "direct" {
		t.Errorf("a guest's default privacy = %v, want direct", p)
	}

	// JSON, fields keyed by index: known names land in Ruche's fields, others are ignored.
	r := alice.ok("PATCH", "/api/v1/accounts/update_credentials", map[string]any{
		"display_name": "Alice A.", "note": "Gardens & code", "locked": true, "bot": false, "discoverable": true,
		"fields_attributes": map[string]any{
			"0": map[string]any{"name": "Job title", "value": "Gardener"},
			"1": map[string]any{"name": "location", "value": "Lyon"},
			"2": map[string]any{"name": "Favourite colour", "value": "blue"},
		},
	})
	r.into(t, &me)
	src = me["source"].(map[string]any)
	if me["display_name"] != "Alice A." || src["note"] != "Gardens & code" || me["note"] != "<p>Gardens &amp; code</p>" {
		t.Errorf("after update: %v", me)
	}
	fields := map[string]string{}
	for _, f := range src["fields"].([]any) {
		fields[f.(map[string]any)["name"].(string)] = f.(map[string]any)["value"].(string)
	}
	if want := map[string]string{"Job title": "Gardener", "Location": "Lyon"}; !mapsEqual(fields, want) {
		t.Errorf("source.fields = %v, want %v", fields, want)
	}

	// A form, in Rails' names; the fields sent replace all three (Location is cleared),
	// the French label is understood, and what is not sent stays.
	alice.ok("PATCH", "/api/v1/accounts/update_credentials", url.Values{
		"fields_attributes[0][name]": {"Service"}, "fields_attributes[0][value]": {"R&D"},
		"fields_attributes[1][name]": {"Job title"}, "fields_attributes[1][value]": {"Head gardener"},
	}).into(t, &me)
	p, err := h.posts.Profile(context.Background(), alice.user, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if p.JobTitle != "Head gardener" || p.Department != "R&D" || p.Location != "" || p.ProfileFields.DisplayName != "Alice A." {
		t.Errorf("profile after form update = %+v", p.ProfileFields)
	}
	// A JSON array of fields.
	alice.ok("PATCH", "/api/v1/accounts/update_credentials", map[string]any{
		"fields_attributes": []any{map[string]any{"name": "Department", "value": "Ops"}},
	})
	if p, _ = h.posts.Profile(context.Background(), alice.user, "alice"); p.Department != "Ops" || p.JobTitle != "" {
		t.Errorf("profile after array update = %+v", p.ProfileFields)
	}

	// Bad input: a display name too long; a picture that is not one.
	alice.want(422, "PATCH", "/api/v1/accounts/update_credentials", map[string]any{"display_name": strings.Repeat("x", 101)})
	patchPicture := func(name string, data []byte) (int, map[string]any) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("display_name", "Alice")
		fw, _ := mw.CreateFormFile("avatar", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("PATCH", h.base+"/api/v1/accounts/update_credentials", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+alice.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	if code, _ := patchPicture("me.png", []byte("\x89PNG not really")); code != 422 {
		t.Errorf("a broken avatar → %d, want 422", code)
	}
	if p, _ = h.posts.Profile(context.Background(), alice.user, "alice"); p.ProfileFields.DisplayName != "Alice A." {
		t.Errorf("a refused update changed the profile: %+v", p.ProfileFields)
	}
	// A real photo becomes her avatar, under a capability URL, cleaned.
	photo, err := os.ReadFile("../../internal/media/testdata/exif-gps.jpg")
	if err != nil {
		t.Fatal(err)
	}
	code, acc := patchPicture("me.jpg", photo)
	avatar, _ := acc["avatar"].(string)
	if code != 200 || !strings.Contains(avatar, "/media/") || acc["display_name"] != "Alice" {
		t.Fatalf("avatar upload → %d, avatar %q, name %v", code, avatar, acc["display_name"])
	}
	if code, _, b := fetch(t, avatar); code != 200 || bytes.Contains(b, []byte("SECRET")) {
		t.Errorf("GET the avatar → %d, clean %v", code, !bytes.Contains(b, []byte("SECRET")))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMastoAccounts reads people and groups as accounts, their statuses and
// followers, follows and joins, and the lists apps call at start.
func TestMastoAccounts(t *testing.T) {
	h := newAccountsHive(t)
	alice, bob := h.alice, h.bob
	ctx := context.Background()
	bobID, gardenID, councilID := idOf(bob.user.ID), idOf(h.garden.ID), idOf(h.council.ID)

	first := h.post(bob, ruche.NewPost{Source: "Hello #news"})
	self := h.post(bob, ruche.NewPost{Source: "and more", InReplyToID: first.ID})
	alicePost := h.post(alice, ruche.NewPost{Source: "Hi all"})
	reply := h.post(bob, ruche.NewPost{Source: "welcome", InReplyToID: alicePost.ID})
	inGarden := h.post(bob, ruche.NewPost{Source: "Tomatoes are ripe", GroupHandle: "garden"})
	if err := h.groups.SetPinned(ctx, bob.user, "garden", inGarden.ID, true); err != nil {
		t.Fatal(err)
	}

	// A person, with counts; groups, locked when closed.
	var acc map[string]any
	alice.get("/api/v1/accounts/"+bobID, &acc)
	if acc["username"] != "bob" || acc["group"] != false || acc["statuses_count"] != float64(3) || acc["last_status_at"] == nil {
		t.Errorf("bob = %v", acc)
	}
	alice.get("/api/v1/accounts/"+gardenID, &acc)
	if acc["group"] != true || acc["locked"] != false || acc["acct"] != "garden" || acc["followers_count"] != float64(1) {
		t.Errorf("garden = %v", acc)
	}
	alice.get("/api/v1/accounts/"+councilID, &acc)
	if acc["group"] != true || acc["locked"] != true {
		t.Errorf("council = %v", acc)
	}
	alice.want(404, "GET", "/api/v1/accounts/999999", nil)
	alice.want(404, "GET", "/api/v1/accounts/nope", nil)
	alice.want(404, "GET", "/api/v1/accounts/999999/statuses", nil)

	// A person's statuses, with their filters and a Link header.
	var ss []map[string]any
	r := alice.get("/api/v1/accounts/"+bobID+"/statuses", &ss)
	if got, want := statusIDs(ss), []string{idOf(reply.ID), idOf(self.ID), idOf(first.ID)}; !slices.Equal(got, want) {
		t.Errorf("bob's statuses = %v, want %v (not the garden post: Alice is not a member)", got, want)
	}
	if l := r.header.Get("Link"); !strings.Contains(l, `rel="next"`) || !strings.Contains(l, "max_id="+idOf(first.ID)) || !strings.HasPrefix(l, "<http") {
		t.Errorf("Link = %q", l)
	}
	alice.get("/api/v1/accounts/"+bobID+"/statuses?exclude_replies=true&limit=1", &ss)
	if got, want := statusIDs(ss), []string{idOf(self.ID)}; !slices.Equal(got, want) {
		t.Errorf("exclude_replies = %v, want the self-reply %v", got, want)
	}
	alice.get("/api/v1/accounts/"+bobID+"/statuses?tagged=News", &ss)
	if got, want := statusIDs(ss), []string{idOf(first.ID)}; !slices.Equal(got, want) {
		t.Errorf("tagged = %v, want %v", got, want)
	}
	for _, q := range []string{"only_media=true", "pinned=true"} {
		alice.get("/api/v1/accounts/"+bobID+"/statuses?"+q, &ss)
		if len(ss) != 0 {
			t.Errorf("%s = %v, want nothing", q, statusIDs(ss))
		}
	}
	alice.want(422, "GET", "/api/v1/accounts/"+bobID+"/statuses?limit=many", nil)
	alice.get("/api/v1/accounts/"+bobID+"/statuses?min_id="+idOf(first.ID)+"&exclude_replies=1", &ss)
	if got, want := statusIDs(ss), []string{idOf(self.ID)}; !slices.Equal(got, want) {
		t.Errorf("min_id page = %v, want %v", got, want)
	}

	// Following a person.
	var rel map[string]any
	alice.ok("POST", "/api/v1/accounts/"+bobID+"/follow", nil).into(t, &rel)
	if rel["id"] != bobID || rel["following"] != true || rel["followed_by"] != false || rel["requested"] != false {
		t.Errorf("follow bob = %v", rel)
	}
	alice.want(422, "POST", "/api/v1/accounts/"+idOf(alice.user.ID)+"/follow", nil)
	bob.ok("POST", "/api/v1/accounts/"+idOf(alice.user.ID)+"/follow", nil)
	var as []map[string]any
	r = bob.get("/api/v1/accounts/"+bobID+"/followers", &as)
	if got := accountIDs(as); !slices.Equal(got, []string{idOf(alice.user.ID)}) {
		t.Errorf("bob's followers = %v", got)
	}
	if !strings.Contains(r.header.Get("Link"), `rel="prev"`) {
		t.Errorf("followers Link = %q", r.header.Get("Link"))
	}
	bob.get("/api/v1/accounts/"+bobID+"/following", &as)
	if got := accountIDs(as); !slices.Equal(got, []string{idOf(alice.user.ID)}) {
		t.Errorf("bob follows %v", got)
	}
	bob.want(422, "GET", "/api/v1/accounts/"+bobID+"/followers?limit=x", nil)

	// Joining groups: a closed one asks, an open one lets in and shows its stream.
	alice.ok("POST", "/api/v1/accounts/"+councilID+"/follow", nil).into(t, &rel)
	if rel["requested"] != true || rel["following"] != false {
		t.Errorf("follow council = %v", rel)
	}
	alice.get("/api/v1/accounts/"+gardenID+"/statuses", &ss)
	if len(ss) != 0 {
		t.Errorf("a non-member reads the garden: %v", statusIDs(ss))
	}
	alice.ok("POST", "/api/v1/accounts/"+gardenID+"/follow", nil).into(t, &rel)
	if rel["following"] != true || rel["showing_reblogs"] != true {
		t.Errorf("follow garden = %v", rel)
	}
	alice.get("/api/v1/accounts/"+gardenID+"/statuses", &ss)
	if got, want := statusIDs(ss), []string{idOf(inGarden.ID)}; !slices.Equal(got, want) {
		t.Errorf("garden's statuses = %v, want %v", got, want)
	}
	alice.get("/api/v1/accounts/"+gardenID+"/statuses?pinned=true", &ss)
	if got, want := statusIDs(ss), []string{idOf(inGarden.ID)}; !slices.Equal(got, want) {
		t.Errorf("garden's pinned = %v, want %v", got, want)
	}
	alice.get("/api/v1/accounts/"+gardenID+"/followers", &as)
	if got := accountIDs(as); !slices.Equal(got, []string{idOf(alice.user.ID), bobID}) {
		t.Errorf("garden's members = %v", got)
	}
	alice.get("/api/v1/accounts/"+councilID+"/followers", &as)
	if len(as) != 0 {
		t.Errorf("a closed group's members shown to a non-member: %v", accountIDs(as))
	}

	// Relationships, in the order asked; unknown ids left out.
	var rels []map[string]any
	alice.get("/api/v1/accounts/relationships?id[]="+councilID+"&id[]=999999&id[]="+bobID+"&id[]="+gardenID+"&id[]=x", &rels)
	if len(rels) != 3 || rels[0]["requested"] != true || rels[1]["id"] != bobID || rels[1]["followed_by"] != true ||
		rels[2]["following"] != true || rels[0]["languages"] != nil || rels[0]["note"] != "" {
		t.Errorf("relationships = %v", rels)
	}
	alice.ok("POST", "/api/v1/accounts/"+gardenID+"/unfollow", nil).into(t, &rel)
	if rel["following"] != false {
		t.Errorf("unfollow garden = %v", rel)
	}
	alice.ok("POST", "/api/v1/accounts/"+bobID+"/unfollow", url.Values{}).into(t, &rel)
	if rel["following"] != false || rel["followed_by"] != true {
		t.Errorf("unfollow bob = %v", rel)
	}

	// Lookup and search.
	u, _ := url.Parse(h.m.Config.BaseURL())
	for _, acct := range []string{"bob", "@bob", "bob@" + u.Host} {
		alice.get("/api/v1/accounts/lookup?acct="+url.QueryEscape(acct), &acc)
		if acc["id"] != bobID {
			t.Errorf("lookup %s = %v", acct, acc["id"])
		}
	}
	alice.get("/api/v1/accounts/lookup?acct=garden", &acc)
	if acc["id"] != gardenID {
		t.Errorf("lookup garden = %v", acc["id"])
	}
	alice.want(404, "GET", "/api/v1/accounts/lookup?acct=bob@elsewhere.example", nil)
	alice.want(404, "GET", "/api/v1/accounts/lookup?acct=nobody", nil)
	alice.want(422, "GET", "/api/v1/accounts/lookup", nil)
	alice.get("/api/v1/accounts/search?q=bo&resolve=true", &as)
	if got := accountIDs(as); !slices.Contains(got, bobID) {
		t.Errorf("search bo = %v", got)
	}
	alice.get("/api/v1/accounts/search?q=c&following=true", &as)
	if got := accountIDs(as); len(got) != 0 {
		t.Errorf("search following, after unfollowing all = %v", got)
	}
	alice.get("/api/v1/accounts/search?q=garden&limit=1&offset=1", &as)
	if len(as) != 0 {
		t.Errorf("search past the end = %v", accountIDs(as))
	}
	alice.want(422, "GET", "/api/v1/accounts/search?q=bo&limit=lots", nil)
	alice.want(422, "GET", "/api/v1/accounts/search", nil)

	// The member's lists that hold an account.
	l, err := h.posts.CreateList(ctx, alice.user, ruche.ListFields{Title: "Colleagues"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.posts.AddToList(ctx, alice.user, l.ID, []int64{bob.user.ID}); err != nil {
		t.Fatal(err)
	}
	var lists []map[string]any
	alice.get("/api/v1/accounts/"+bobID+"/lists", &lists)
	if len(lists) != 1 || lists[0]["id"] != idOf(l.ID) || lists[0]["title"] != "Colleagues" {
		t.Errorf("lists with bob = %v", lists)
	}
	bob.get("/api/v1/accounts/"+bobID+"/lists", &lists)
	if len(lists) != 0 {
		t.Errorf("Bob sees Alice's lists: %v", lists)
	}
	alice.want(404, "GET", "/api/v1/accounts/999999/lists", nil)

	// What Ruche does not have answers empty, not 404: apps ask at start.
	for _, path := range []string{"/api/v1/follow_requests", "/api/v1/blocks", "/api/v1/mutes", "/api/v1/endorsements",
		"/api/v1/featured_tags", "/api/v1/followed_tags", "/api/v1/accounts/" + bobID + "/featured_tags"} {
		var none []any
		alice.get(path, &none)
		if len(none) != 0 {
			t.Errorf("%s = %v", path, none)
		}
	}
	alice.want(404, "GET", "/api/v1/accounts/999999/featured_tags", nil)
}

// TestMastoAccountsPrivacy: a secret group and the people a guest may not know are
// not found, by id or any way round, and a token without write cannot follow.
func TestMastoAccountsPrivacy(t *testing.T) {
	h := newAccountsHive(t)
	alice, bob, gus := h.alice, h.bob, h.gus
	opsID, aliceID, bobID := idOf(h.ops.ID), idOf(alice.user.ID), idOf(bob.user.ID)
	secret := h.post(bob, ruche.NewPost{Source: "The plan", GroupHandle: "ops"})
	public := h.post(bob, ruche.NewPost{Source: "Nothing to see"})

	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/accounts/" + opsID}, {"GET", "/api/v1/accounts/" + opsID + "/statuses"},
		{"GET", "/api/v1/accounts/" + opsID + "/followers"}, {"GET", "/api/v1/accounts/" + opsID + "/following"},
		{"POST", "/api/v1/accounts/" + opsID + "/follow"}, {"POST", "/api/v1/accounts/" + opsID + "/unfollow"},
		{"GET", "/api/v1/accounts/" + opsID + "/lists"}, {"GET", "/api/v1/accounts/lookup?acct=ops"},
	} {
		r := alice.want(404, rt.method, rt.path, nil)
		if unknown := alice.do(rt.method, strings.Replace(rt.path, opsID, "999999", 1), nil); rt.path != "/api/v1/accounts/lookup?acct=ops" &&
			!bytes.Equal(unknown.body, r.body) {
			t.Errorf("%s %s: %s, but an unknown id: %s", rt.method, rt.path, r.body, unknown.body)
		}
	}
	var rels []map[string]any
	alice.get("/api/v1/accounts/relationships?id[]="+opsID, &rels)
	var as []map[string]any
	alice.get("/api/v1/accounts/search?q=ops", &as)
	if len(rels) != 0 || slices.Contains(accountIDs(as), opsID) {
		t.Errorf("the secret group is found: relationships %v, search %v", rels, accountIDs(as))
	}
	var ss []map[string]any
	alice.get("/api/v1/accounts/"+bobID+"/statuses", &ss)
	if got, want := statusIDs(ss), []string{idOf(public.ID)}; !slices.Equal(got, want) {
		t.Errorf("Alice reads Bob's statuses %v, want %v", got, want)
	}
	bob.get("/api/v1/accounts/"+bobID+"/statuses", &ss)
	if got, want := statusIDs(ss), []string{idOf(public.ID), idOf(secret.ID)}; !slices.Equal(got, want) {
		t.Errorf("Bob reads his own statuses %v, want %v", got, want)
	}
	bob.get("/api/v1/accounts/"+opsID+"/statuses", &ss)
	if got := statusIDs(ss); !slices.Equal(got, []string{idOf(secret.ID)}) {
		t.Errorf("a member reads the secret group: %v", got)
	}

	// A guest knows no colleague until one writes to them.
	gus.want(404, "GET", "/api/v1/accounts/"+aliceID, nil)
	gus.want(404, "GET", "/api/v1/accounts/"+aliceID+"/statuses", nil)
	gus.want(404, "GET", "/api/v1/accounts/lookup?acct=alice", nil)
	h.post(bob, ruche.NewPost{Source: "@gus welcome aboard", Visibility: ruche.VisDirect})
	var acc map[string]any
	gus.get("/api/v1/accounts/"+bobID, &acc)
	if acc["username"] != "bob" {
		t.Errorf("the guest reads Bob: %v", acc)
	}
	gus.want(404, "GET", "/api/v1/accounts/"+aliceID, nil)

	// A token that may only read cannot follow.
	reader := withToken(t, h.m, h.base, alice.user, "read")
	reader.want(403, "POST", "/api/v1/accounts/"+bobID+"/follow", nil)
	reader.get("/api/v1/accounts/verify_credentials", &acc)
	profileOnly := withToken(t, h.m, h.base, alice.user, "profile")
	profileOnly.get("/api/v1/accounts/verify_credentials", &acc)
	profileOnly.want(403, "GET", "/api/v1/accounts/"+bobID, nil)
}

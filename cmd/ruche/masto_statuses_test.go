package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/mastoapi"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// stStatus decodes a Status answer.
func stStatus(t *testing.T, r reply) mastoapi.Status {
	t.Helper()
	var s mastoapi.Status
	r.into(t, &s)
	return s
}

// stPost posts a status through the API and returns it.
func stPost(c *mclient, body map[string]any) mastoapi.Status {
	c.t.Helper()
	return stStatus(c.t, c.ok("POST", "/api/v1/statuses", body))
}

// stError checks an error answer's status and that its message contains want.
func stError(c *mclient, status int, method, path string, body any, want string) {
	c.t.Helper()
	r := c.want(status, method, path, body)
	var e struct{ Error string }
	r.into(c.t, &e)
	if !strings.Contains(e.Error, want) {
		c.t.Errorf("%s %s → %q, want it to contain %q", method, path, e.Error, want)
	}
}

// stIDs lists the ids of statuses or accounts.
func stIDs[T mastoapi.Status | mastoapi.Account](xs []T) []string {
	out := []string{}
	for _, x := range xs {
		switch v := any(x).(type) {
		case mastoapi.Status:
			out = append(out, v.ID)
		case mastoapi.Account:
			out = append(out, v.ID)
		}
	}
	return out
}

func stHasLink(t *testing.T, r reply, path string) {
	t.Helper()
	if l := r.header.Get("Link"); !strings.Contains(l, `rel="next"`) || !strings.Contains(l, path) {
		t.Errorf("%s: Link header %q, want next and prev links", path, l)
	}
}

// TestMastoStatusLife follows one status through its whole life in the API.
func TestMastoStatusLife(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write")
	bob := member(t, m, base, "bob", ruche.RoleMember, "read write")

	s := stPost(alice, map[string]any{"status": "Hello **world** #news", "visibility": "public", "language": "en"})
	if s.Visibility != "public" || !strings.Contains(s.Content, "<strong>world</strong>") || s.Account.Username != "alice" {
		t.Fatalf("created %+v, want a public status with Markdown rendered", s)
	}
	path := "/api/v1/statuses/" + s.ID

	var got mastoapi.Status
	bob.get(path, &got)
	if got.ID != s.ID || got.Content != s.Content {
		t.Errorf("get → %s %q, want %s %q", got.ID, got.Content, s.ID, s.Content)
	}
	var several []mastoapi.Status
	bob.get("/api/v1/statuses?id[]="+s.ID+"&id[]=999999999&id[]=abc&id[]="+s.ID, &several)
	if ids := stIDs(several); len(ids) != 1 || ids[0] != s.ID {
		t.Errorf("statuses by id → %v, want just %s", ids, s.ID)
	}

	// Edit, then the history shows both versions, oldest first, and the source the new text.
	edited := stStatus(t, alice.ok("PUT", path, map[string]any{"status": "Hello again", "spoiler_text": "greeting"}))
	if !strings.Contains(edited.Content, "Hello again") || edited.SpoilerText != "greeting" || !edited.Sensitive || edited.EditedAt == nil {
		t.Errorf("edited → %+v", edited)
	}
	stError(bob, 403, "PUT", path, map[string]any{"status": "mine now"}, "only edit your own")
	var history []mastoapi.StatusEdit
	bob.get(path+"/history", &history)
	if len(history) != 2 || !strings.Contains(history[0].Content, "world") || !strings.Contains(history[1].Content, "again") ||
		history[1].SpoilerText != "greeting" || history[0].SpoilerText != "" {
		t.Errorf("history → %+v, want the first version then the current one", history)
	}
	var src mastoapi.StatusSource
	alice.get(path+"/source", &src)
	if src != (mastoapi.StatusSource{ID: s.ID, Text: "Hello again", SpoilerText: "greeting"}) {
		t.Errorf("source → %+v", src)
	}

	// A reply, and the thread from both ends.
	reply := stPost(bob, map[string]any{"status": "@alice welcome back", "in_reply_to_id": s.ID})
	if reply.InReplyToID == nil || *reply.InReplyToID != s.ID || reply.Visibility != "public" {
		t.Errorf("reply → %+v, want a public reply to %s", reply, s.ID)
	}
	var ctx mastoapi.StatusContext
	alice.get(path+"/context", &ctx)
	if len(ctx.Ancestors) != 0 || len(ctx.Descendants) != 1 || ctx.Descendants[0].ID != reply.ID {
		t.Errorf("context → %v / %v, want no ancestors and the reply", stIDs(ctx.Ancestors), stIDs(ctx.Descendants))
	}
	alice.get("/api/v1/statuses/"+reply.ID+"/context", &ctx)
	if len(ctx.Ancestors) != 1 || ctx.Ancestors[0].ID != s.ID || len(ctx.Descendants) != 0 {
		t.Errorf("reply's context → %v / %v", stIDs(ctx.Ancestors), stIDs(ctx.Descendants))
	}

	// Favourite: the count, the list of who, the member's favourites; then undo.
	fav := stStatus(t, bob.ok("POST", path+"/favourite", nil))
	if !fav.Favourited || fav.FavouritesCount != 1 {
		t.Errorf("favourite → favourited %v, count %d", fav.Favourited, fav.FavouritesCount)
	}
	if alice.get(path, &got); got.FavouritesCount != 1 || got.Favourited {
		t.Errorf("author sees count %d, favourited %v", got.FavouritesCount, got.Favourited)
	}
	var who []mastoapi.Account
	r := alice.get(path+"/favourited_by", &who)
	if len(who) != 1 || who[0].Username != "bob" {
		t.Errorf("favourited_by → %+v", who)
	}
	stHasLink(t, r, path+"/favourited_by")
	var favs []mastoapi.Status
	r = bob.get("/api/v1/favourites", &favs)
	if ids := stIDs(favs); len(ids) != 1 || ids[0] != s.ID {
		t.Errorf("favourites → %v", ids)
	}
	stHasLink(t, r, "/api/v1/favourites")
	unfav := stStatus(t, bob.ok("POST", path+"/unfavourite", nil))
	if unfav.Favourited || unfav.FavouritesCount != 0 {
		t.Errorf("unfavourite → favourited %v, count %d", unfav.Favourited, unfav.FavouritesCount)
	}
	if bob.get("/api/v1/favourites", &favs); len(favs) != 0 {
		t.Errorf("favourites after unfavourite → %v", stIDs(favs))
	}

	// Reblog answers with the boost wrapping the original; the boost's id reads the same.
	boost := stStatus(t, bob.ok("POST", path+"/reblog", nil))
	if boost.Reblog == nil || boost.Reblog.ID != s.ID || boost.ID == s.ID || !boost.Reblog.Reblogged ||
		boost.Reblog.ReblogsCount != 1 || boost.Account.Username != "bob" {
		t.Fatalf("reblog → %+v, want bob's boost of %s", boost, s.ID)
	}
	if again := stStatus(t, bob.ok("POST", path+"/reblog", nil)); again.ID != boost.ID {
		t.Errorf("second reblog → %s, want the same boost %s", again.ID, boost.ID)
	}
	if alice.get("/api/v1/statuses/"+boost.ID, &got); got.Reblog == nil || got.Reblog.ID != s.ID {
		t.Errorf("get boost → %+v", got)
	}
	r = alice.get(path+"/reblogged_by", &who)
	if len(who) != 1 || who[0].Username != "bob" {
		t.Errorf("reblogged_by → %+v", who)
	}
	stHasLink(t, r, path+"/reblogged_by")
	unboost := stStatus(t, bob.ok("POST", path+"/unreblog", nil))
	if unboost.ID != s.ID || unboost.Reblogged || unboost.ReblogsCount != 0 {
		t.Errorf("unreblog → id %s, reblogged %v, count %d", unboost.ID, unboost.Reblogged, unboost.ReblogsCount)
	}
	bob.want(404, "GET", "/api/v1/statuses/"+boost.ID, nil)

	// Bookmarks.
	if b := stStatus(t, bob.ok("POST", path+"/bookmark", nil)); !b.Bookmarked {
		t.Errorf("bookmark → bookmarked false")
	}
	var marks []mastoapi.Status
	r = bob.get("/api/v1/bookmarks", &marks)
	if ids := stIDs(marks); len(ids) != 1 || ids[0] != s.ID || !marks[0].Bookmarked {
		t.Errorf("bookmarks → %v", ids)
	}
	stHasLink(t, r, "/api/v1/bookmarks")
	if b := stStatus(t, bob.ok("POST", path+"/unbookmark", nil)); b.Bookmarked {
		t.Errorf("unbookmark → bookmarked true")
	}
	if bob.get("/api/v1/bookmarks", &marks); len(marks) != 0 {
		t.Errorf("bookmarks after unbookmark → %v", stIDs(marks))
	}

	// Muting answers the status unchanged; a post outside a group has no pin.
	if mu := stStatus(t, bob.ok("POST", path+"/mute", nil)); mu.ID != s.ID || mu.Muted {
		t.Errorf("mute → %s muted %v", mu.ID, mu.Muted)
	}
	bob.ok("POST", path+"/unmute", nil)
	stError(alice, 422, "POST", path+"/pin", nil, "in a group")

	// Delete answers with the source for redrafting; then the status is gone.
	stError(bob, 403, "DELETE", path, nil, "only delete your own")
	del := stStatus(t, alice.ok("DELETE", path, nil))
	if del.ID != s.ID || del.Text == nil || *del.Text != "Hello again" {
		t.Errorf("delete → %+v, want the source in text", del)
	}
	for _, p := range []string{path, path + "/source", path + "/history", path + "/context"} {
		alice.want(404, "GET", p, nil)
	}
	alice.want(404, "DELETE", path, nil)
}

// TestMastoStatusIdempotency sends the same Idempotency-Key twice: one status.
func TestMastoStatusIdempotency(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write")
	send := func(key, text string) mastoapi.Status {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/statuses", strings.NewReader(url.Values{"status": {text}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+alice.token)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r reply
		r.status, r.header = resp.StatusCode, resp.Header
		if r.body, err = io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		checkSpec(t, "POST", "/api/v1/statuses", r)
		if r.status != 200 {
			t.Fatalf("post → %d: %s", r.status, r.body)
		}
		return stStatus(t, r)
	}
	first := send("key-1", "once")
	second := send("key-1", "once")
	if first.ID != second.ID {
		t.Errorf("same key → %s then %s, want one status", first.ID, second.ID)
	}
	if other := send("key-2", "once"); other.ID == first.ID {
		t.Errorf("another key → the same status %s", other.ID)
	}
	var mine []mastoapi.Status
	alice.get("/api/v1/statuses?id[]="+first.ID, &mine)
	posts, err := (&ruche.Posts{Store: m.db.store, BaseURL: base}).Timeline(context.Background(), alice.user,
		ruche.Stream{Kind: ruche.StreamProfile, AccountID: alice.user.ID}, ruche.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 {
		t.Errorf("alice has %d posts, want 2 (two keys)", len(posts))
	}
}

// TestMastoStatusVisibility maps Mastodon's four words onto Ruche's audiences and back.
func TestMastoStatusVisibility(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write")
	member(t, m, base, "bob", ruche.RoleMember, "read write")
	posts := &ruche.Posts{Store: m.db.store, BaseURL: base}
	for _, tc := range []struct {
		sent, back string
		stored     ruche.Visibility
	}{
		{"public", "public", ruche.VisCompany},
		{"unlisted", "unlisted", ruche.VisQuiet},
		{"private", "private", ruche.VisFollowers},
		{"direct", "direct", ruche.VisDirect},
		{"", "public", ruche.VisCompany},
	} {
		s := stPost(alice, map[string]any{"status": "@bob to " + tc.sent, "visibility": tc.sent})
		if s.Visibility != tc.back {
			t.Errorf("sent %q → visibility %q, want %q", tc.sent, s.Visibility, tc.back)
		}
		p, err := posts.Post(context.Background(), alice.user, mustID(t, s.ID))
		if err != nil {
			t.Fatal(err)
		}
		if p.Visibility != tc.stored {
			t.Errorf("sent %q → stored %q, want %q", tc.sent, p.Visibility, tc.stored)
		}
	}
	stError(alice, 422, "POST", "/api/v1/statuses", map[string]any{"status": "hi", "visibility": "world"}, "who can see")
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return n
}

// TestMastoStatusPrivacy: a status someone may not see does not exist for them,
// whatever they ask of it.
func TestMastoStatusPrivacy(t *testing.T) {
	m, base := boot(t)
	ctx := context.Background()
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write")
	bob := member(t, m, base, "bob", ruche.RoleMember, "read write")
	carol := member(t, m, base, "carol", ruche.RoleMember, "read write")
	dave := member(t, m, base, "dave", ruche.RoleMember, "read write")
	posts := &ruche.Posts{Store: m.db.store, BaseURL: base}
	if err := posts.SetFollowing(ctx, carol.user, "alice", true); err != nil {
		t.Fatal(err)
	}
	hidden := func(c *mclient, id string) {
		t.Helper()
		p := "/api/v1/statuses/" + id
		for _, rq := range []struct{ method, path string }{
			{"GET", p}, {"GET", p + "/context"}, {"GET", p + "/source"}, {"GET", p + "/history"},
			{"GET", p + "/favourited_by"}, {"GET", p + "/reblogged_by"}, {"POST", p + "/favourite"},
			{"POST", p + "/bookmark"}, {"POST", p + "/reblog"}, {"POST", p + "/mute"},
			{"PUT", p}, {"DELETE", p},
		} {
			var body any
			if rq.method == "PUT" {
				body = map[string]any{"status": "x"}
			}
			c.want(404, rq.method, rq.path, body)
		}
		var got []mastoapi.Status
		if c.get("/api/v1/statuses?id[]="+id, &got); len(got) != 0 {
			t.Errorf("statuses by id shows hidden %s", id)
		}
		stError(c, 404, "POST", "/api/v1/statuses", map[string]any{"status": "reply", "in_reply_to_id": id}, "cannot see")
	}

	// Followers only: carol follows alice, bob does not.
	priv := stPost(alice, map[string]any{"status": "for my followers", "visibility": "private"})
	hidden(bob, priv.ID)
	carol.ok("GET", "/api/v1/statuses/"+priv.ID, nil)
	carol.ok("POST", "/api/v1/statuses/"+priv.ID+"/favourite", nil)
	var who []mastoapi.Account
	if carol.get("/api/v1/statuses/"+priv.ID+"/favourited_by", &who); len(who) != 1 {
		t.Errorf("favourited_by → %d accounts, want carol", len(who))
	}
	stError(carol, 422, "POST", "/api/v1/statuses/"+priv.ID+"/reblog", nil, "company-wide")

	// Direct: only whom it mentions.
	dm := stPost(alice, map[string]any{"status": "@carol just you", "visibility": "direct"})
	hidden(bob, dm.ID)
	var got mastoapi.Status
	if carol.get("/api/v1/statuses/"+dm.ID, &got); got.Visibility != "direct" {
		t.Errorf("direct seen as %q", got.Visibility)
	}
	stError(carol, 422, "POST", "/api/v1/statuses/"+dm.ID+"/reblog", nil, "company-wide")

	// A closed group: "@team …" from a member goes to the group, shown as private.
	groups := &ruche.Groups{Store: m.db.store}
	if _, err := groups.Create(ctx, alice.user, "team", ruche.GroupFields{Name: "The team", Kind: ruche.GroupClosed}); err != nil {
		t.Fatal(err)
	}
	if err := groups.Invite(ctx, alice.user, "team", "dave"); err != nil {
		t.Fatal(err)
	}
	if _, err := groups.Join(ctx, dave.user, "team"); err != nil {
		t.Fatal(err)
	}
	gp := stPost(alice, map[string]any{"status": "@team plans for Monday", "visibility": "public"})
	if gp.Visibility != "private" || gp.Group == nil || gp.Group.Handle != "team" {
		t.Fatalf("group post → visibility %q, group %+v; want private in team", gp.Visibility, gp.Group)
	}
	hidden(bob, gp.ID)
	hidden(carol, gp.ID) // following the author is not enough
	// A reply from a member stays in the group, whatever visibility the app sends.
	gr := stPost(dave, map[string]any{"status": "sounds good", "in_reply_to_id": gp.ID, "visibility": "public"})
	if gr.Visibility != "private" || gr.Group == nil || gr.Group.Handle != "team" {
		t.Errorf("reply in group → visibility %q, group %+v", gr.Visibility, gr.Group)
	}
	hidden(bob, gr.ID)
	var thread mastoapi.StatusContext
	if dave.get("/api/v1/statuses/"+gp.ID+"/context", &thread); len(thread.Descendants) != 1 {
		t.Errorf("group thread → %d replies, want 1", len(thread.Descendants))
	}
	// A member's boost stays in the group: a non-member never sees it.
	boost := stStatus(t, dave.ok("POST", "/api/v1/statuses/"+gp.ID+"/reblog", nil))
	if boost.Reblog == nil || boost.Reblog.ID != gp.ID || boost.Visibility != "private" {
		t.Errorf("reblog in group → %+v", boost)
	}
	hidden(carol, boost.ID)
	// Pins are the group's: its owner pins, a plain member may not.
	if p := stStatus(t, alice.ok("POST", "/api/v1/statuses/"+gp.ID+"/pin", nil)); !p.Pinned {
		t.Errorf("pin → pinned false")
	}
	dave.want(403, "POST", "/api/v1/statuses/"+gp.ID+"/unpin", nil)
	if p := stStatus(t, alice.ok("POST", "/api/v1/statuses/"+gp.ID+"/unpin", nil)); p.Pinned {
		t.Errorf("unpin → pinned true")
	}
	// Someone who is not a member does not post in the group by naming it.
	if s := stPost(carol, map[string]any{"status": "@team hello?", "visibility": "public"}); s.Group != nil || s.Visibility != "public" {
		t.Errorf("non-member's @team post → %q in %+v, want an ordinary public post", s.Visibility, s.Group)
	}
}

// TestMastoStatusBadInput: malformed and unsupported requests are 422 with a reason,
// unknown ids 404.
func TestMastoStatusBadInput(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write")
	s := stPost(alice, map[string]any{"status": "fine"})
	path := "/api/v1/statuses/" + s.ID

	stError(alice, 422, "POST", "/api/v1/statuses", `{"status": "unfinished`, "not the JSON")
	stError(alice, 422, "POST", "/api/v1/statuses", `["status"]`, "not the JSON")
	long := strings.Repeat("a", ruche.MaxPostChars+1)
	stError(alice, 422, "POST", "/api/v1/statuses", map[string]any{"status": long}, "at most 5000 characters; this one has 5001")
	stError(alice, 422, "PUT", path, map[string]any{"status": long}, "at most 5000 characters")
	stError(alice, 422, "POST", "/api/v1/statuses", map[string]any{"status": "  "}, "Write something")
	stError(alice, 422, "POST", "/api/v1/statuses", map[string]any{"status": "pic", "media_ids": []string{"1"}}, "cannot be attached")
	stError(alice, 422, "PUT", path, map[string]any{"status": "pic", "media_ids": []string{"1"}}, "Attachments cannot be changed")
	stError(alice, 422, "POST", "/api/v1/statuses",
		map[string]any{"status": "vote", "poll": map[string]any{"options": []string{"a", "b"}, "expires_in": 3600}}, "Polls")
	stError(alice, 422, "POST", "/api/v1/statuses", url.Values{"status": {"later"}, "scheduled_at": {"2099-01-01T00:00:00Z"}}, "Scheduled")
	stError(alice, 422, "POST", "/api/v1/statuses", map[string]any{"status": "re", "in_reply_to_id": "abc"}, "whole number")
	stError(alice, 404, "POST", "/api/v1/statuses", map[string]any{"status": "re", "in_reply_to_id": "999999999"}, "does not exist")
	// An empty media list and a null poll are what some apps always send.
	stPost(alice, map[string]any{"status": "plain", "media_ids": []string{}, "poll": nil})

	for _, bad := range []string{"999999999", "abc", "-1"} {
		p := "/api/v1/statuses/" + bad
		for _, rq := range []struct{ method, path string }{
			{"GET", p}, {"PUT", p}, {"DELETE", p}, {"GET", p + "/context"}, {"GET", p + "/source"},
			{"GET", p + "/history"}, {"POST", p + "/favourite"}, {"POST", p + "/unfavourite"},
			{"POST", p + "/reblog"}, {"POST", p + "/unreblog"}, {"POST", p + "/bookmark"},
			{"POST", p + "/unbookmark"}, {"POST", p + "/pin"}, {"POST", p + "/mute"},
			{"GET", p + "/favourited_by"}, {"GET", p + "/reblogged_by"},
		} {
			alice.want(404, rq.method, rq.path, map[string]any{"status": "x"})
		}
	}
	alice.want(422, "GET", "/api/v1/favourites?max_id=abc", nil)
	alice.want(422, "GET", "/api/v1/bookmarks?limit=many", nil)
}

package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/ruche-hive/ruche/internal/mastoapi"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// tlHive is the cast of the timeline, list, notification and search tests: members
// built through the domain, so that the tests exercise these endpoints alone.
type tlHive struct {
	t      *testing.T
	m      *Main
	base   string
	posts  *ruche.Posts
	groups *ruche.Groups
}

func newTLHive(t *testing.T) *tlHive {
	t.Helper()
	m, base := boot(t)
	return &tlHive{t: t, m: m, base: base,
		posts: &ruche.Posts{Store: m.db.store, BaseURL: m.Config.BaseURL()}, groups: &ruche.Groups{Store: m.db.store}}
}

func (h *tlHive) member(username string) *mclient {
	h.t.Helper()
	return member(h.t, h.m, h.base, username, ruche.RoleMember, "read write follow")
}

// post writes a post as c's member.
func (h *tlHive) post(c *mclient, vis ruche.Visibility, source string) ruche.Post {
	h.t.Helper()
	p, err := h.posts.Create(context.Background(), c.user, ruche.NewPost{Source: source, Visibility: vis})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *tlHive) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// tlIDs are the ids of statuses.
func tlIDs(ss []mastoapi.Status) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

// tlCheck reports which of want are missing from got and which of never are in it.
func tlCheck(t *testing.T, what string, got []mastoapi.Status, want, never []ruche.Post) {
	t.Helper()
	ids := tlIDs(got)
	for _, p := range want {
		if !slices.Contains(ids, idOf(p.ID)) {
			t.Errorf("%s: %q (%s) missing from %v", what, p.Source, p.Visibility, ids)
		}
	}
	for _, p := range never {
		if slices.Contains(ids, idOf(p.ID)) {
			t.Errorf("%s shows %q (%s)", what, p.Source, p.Visibility)
		}
	}
}

var linkRel = regexp.MustCompile(`<([^>]+)>; rel="(next|prev)"`)

// tlLink returns the path and query of the Link header's rel link ("" if none), to
// follow on the test's own address.
func tlLink(t *testing.T, r reply, rel string) string {
	t.Helper()
	for _, m := range linkRel.FindAllStringSubmatch(r.header.Get("Link"), -1) {
		if m[2] == rel {
			u, err := url.Parse(m[1])
			if err != nil || !u.IsAbs() {
				t.Fatalf("Link %q: not an absolute URL", m[1])
			}
			return u.RequestURI()
		}
	}
	return ""
}

// TestMastoTimelines reads home, public and tag timelines.
func TestMastoTimelines(t *testing.T) {
	h := newTLHive(t)
	ctx := context.Background()
	alice, bob, carol := h.member("alice"), h.member("bob"), h.member("carol")
	h.must(h.posts.SetFollowing(ctx, alice.user, "bob", true))
	garden, err := h.groups.Create(ctx, bob.user, "garden", ruche.GroupFields{Name: "Garden", Kind: ruche.GroupOpen})
	h.must(err)
	if _, err := h.groups.Join(ctx, alice.user, garden.Handle); err != nil {
		t.Fatal(err)
	}

	company := h.post(bob, ruche.VisCompany, "Launch day #Launch")
	followers := h.post(bob, ruche.VisFollowers, "For my followers #launch")
	quiet := h.post(bob, ruche.VisQuiet, "Quietly")
	direct := h.post(bob, ruche.VisDirect, "@alice between us")
	groupPost, err := h.posts.Create(ctx, bob.user, ruche.NewPost{GroupHandle: "garden", Source: "In the garden #launch"})
	h.must(err)
	carols := h.post(carol, ruche.VisCompany, "Carol speaks")
	own := h.post(alice, ruche.VisCompany, "Alice speaks")

	var home []mastoapi.Status
	alice.get("/api/v1/timelines/home", &home)
	tlCheck(t, "alice's home", home, []ruche.Post{company, followers, own, groupPost}, []ruche.Post{carols})

	for _, path := range []string{"/api/v1/timelines/public", "/api/v1/timelines/public?local=true"} {
		var public []mastoapi.Status
		alice.get(path, &public)
		tlCheck(t, path, public, []ruche.Post{company, carols, own}, []ruche.Post{followers, quiet, direct, groupPost})
	}
	for _, path := range []string{"/api/v1/timelines/public?remote=true", "/api/v1/timelines/public?only_media=true"} {
		var public []mastoapi.Status
		if alice.get(path, &public); len(public) != 0 {
			t.Errorf("%s → %v, want nothing", path, tlIDs(public))
		}
	}

	var tag []mastoapi.Status
	alice.get("/api/v1/timelines/tag/LAUNCH", &tag)
	tlCheck(t, "alice's #launch", tag, []ruche.Post{company, followers, groupPost}, nil)
	carol.get("/api/v1/timelines/tag/launch", &tag)
	tlCheck(t, "carol's #launch", tag, []ruche.Post{company}, []ruche.Post{followers, groupPost})
	if carol.get("/api/v1/timelines/tag/nothing", &tag); len(tag) != 0 {
		t.Errorf("#nothing → %v", tlIDs(tag))
	}

	for _, path := range []string{"/api/v1/timelines/home?limit=abc", "/api/v1/timelines/public?max_id=x", "/api/v1/timelines/tag/launch?limit=abc"} {
		alice.want(http.StatusUnprocessableEntity, "GET", path, nil)
	}
}

// TestMastoTimelinePaging follows Link headers one post at a time.
func TestMastoTimelinePaging(t *testing.T) {
	h := newTLHive(t)
	alice := h.member("alice")
	var posted []string
	for _, s := range []string{"one", "two", "three"} {
		posted = append(posted, idOf(h.post(alice, ruche.VisCompany, s).ID))
	}
	slices.Reverse(posted) // newest first

	var seen []string
	path := "/api/v1/timelines/public?limit=1"
	for i := 0; path != "" && i < 5; i++ {
		var page []mastoapi.Status
		r := alice.get(path, &page)
		if len(page) == 0 {
			break
		}
		seen = append(seen, tlIDs(page)...)
		path = tlLink(t, r, "next")
	}
	if !slices.Equal(seen, posted) {
		t.Errorf("paging by one → %v, want %v", seen, posted)
	}

	var page []mastoapi.Status
	alice.get("/api/v1/timelines/public?min_id="+posted[2], &page)
	if got := tlIDs(page); !slices.Equal(got, posted[:2]) {
		t.Errorf("min_id=oldest → %v, want %v", got, posted[:2])
	}
	r := alice.get("/api/v1/timelines/public?min_id="+posted[2]+"&limit=1", &page)
	if got := tlIDs(page); !slices.Equal(got, posted[1:2]) {
		t.Errorf("min_id=oldest&limit=1 → %v, want the one just above: %v", got, posted[1:2])
	}
	alice.get(tlLink(t, r, "prev"), &page)
	if got := tlIDs(page); !slices.Equal(got, posted[:1]) {
		t.Errorf("prev of the middle page → %v, want %v", got, posted[:1])
	}
	alice.get("/api/v1/timelines/public?since_id="+posted[2]+"&limit=1", &page)
	if got := tlIDs(page); !slices.Equal(got, posted[:1]) {
		t.Errorf("since_id=oldest&limit=1 → %v, want the newest: %v", got, posted[:1])
	}
}

// TestMastoLists creates a list, fills it and reads its timeline; nobody else can.
func TestMastoLists(t *testing.T) {
	h := newTLHive(t)
	alice, bob, carol := h.member("alice"), h.member("bob"), h.member("carol")
	shared := h.post(bob, ruche.VisCompany, "Bob for everyone")
	private := h.post(bob, ruche.VisFollowers, "Bob for followers")

	var l mastoapi.List
	alice.ok("POST", "/api/v1/lists", map[string]any{"title": "Team"}).into(t, &l)
	if l.Title != "Team" || l.RepliesPolicy != "list" || l.Exclusive {
		t.Errorf("created %+v", l)
	}
	path := "/api/v1/lists/" + l.ID
	alice.ok("POST", path+"/accounts", map[string]any{"account_ids": []string{idOf(bob.user.ID)}})

	var accounts []mastoapi.Account
	alice.get(path+"/accounts", &accounts)
	if len(accounts) != 1 || accounts[0].ID != idOf(bob.user.ID) {
		t.Errorf("list accounts → %+v, want bob", accounts)
	}
	var posts []mastoapi.Status
	alice.get("/api/v1/timelines/list/"+l.ID, &posts)
	tlCheck(t, "the list's timeline", posts, []ruche.Post{shared}, []ruche.Post{private})

	var lists []mastoapi.List
	if alice.get("/api/v1/lists", &lists); len(lists) != 1 || lists[0].ID != l.ID {
		t.Errorf("alice's lists → %+v", lists)
	}
	var got mastoapi.List
	alice.ok("PUT", path, url.Values{"replies_policy": {"none"}, "exclusive": {"true"}}).into(t, &got)
	if got.Title != "Team" || got.RepliesPolicy != "none" || !got.Exclusive {
		t.Errorf("PUT replies_policy and exclusive → %+v, want the title kept", got)
	}
	alice.get(path, &got)
	if got.RepliesPolicy != "none" {
		t.Errorf("GET after PUT → %+v", got)
	}

	// Someone else's list does not exist for them.
	for _, c := range []struct{ method, path string }{{"GET", path}, {"PUT", path}, {"DELETE", path},
		{"GET", path + "/accounts"}, {"POST", path + "/accounts"}, {"DELETE", path + "/accounts"},
		{"GET", "/api/v1/timelines/list/" + l.ID}} {
		carol.want(http.StatusNotFound, c.method, c.path, map[string]any{"account_ids": []string{idOf(carol.user.ID)}, "title": "Mine"})
	}
	if carol.get("/api/v1/lists", &lists); len(lists) != 0 {
		t.Errorf("carol's lists → %+v", lists)
	}

	// Bad input.
	alice.want(http.StatusUnprocessableEntity, "POST", "/api/v1/lists", map[string]any{"title": "  "})
	alice.want(http.StatusUnprocessableEntity, "PUT", path, map[string]any{"replies_policy": "everyone"})
	alice.want(http.StatusUnprocessableEntity, "POST", path+"/accounts", map[string]any{})
	alice.want(http.StatusUnprocessableEntity, "POST", path+"/accounts", url.Values{"account_ids[]": {"abc"}})
	alice.want(http.StatusUnprocessableEntity, "GET", path+"/accounts?limit=abc", nil)
	alice.want(http.StatusNotFound, "POST", path+"/accounts", url.Values{"account_ids[]": {"999999"}})
	alice.want(http.StatusNotFound, "GET", "/api/v1/lists/999999", nil)
	alice.want(http.StatusNotFound, "GET", "/api/v1/lists/abc", nil)

	alice.ok("DELETE", path+"/accounts?account_ids[]="+idOf(bob.user.ID), nil)
	if alice.get(path+"/accounts", &accounts); len(accounts) != 0 {
		t.Errorf("after removing bob → %+v", accounts)
	}
	alice.ok("DELETE", path, nil)
	alice.want(http.StatusNotFound, "GET", path, nil)
}

// tlTypes are the types of notifications, by the id of the account they come from.
func tlTypes(ns []mastoapi.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.Type)
	}
	return out
}

// TestMastoNotifications lists, filters, dismisses and clears notifications.
func TestMastoNotifications(t *testing.T) {
	h := newTLHive(t)
	ctx := context.Background()
	alice, bob, carol := h.member("alice"), h.member("bob"), h.member("carol")

	h.post(bob, ruche.VisCompany, "Hello @alice")
	mine := h.post(alice, ruche.VisCompany, "Alice writes")
	h.must(h.posts.SetLiked(ctx, bob.user, mine.ID, true))
	h.must(h.posts.SetBoosted(ctx, bob.user, mine.ID, true))
	h.must(h.posts.SetFollowing(ctx, bob.user, "alice", true))

	var ns []mastoapi.Notification
	r := alice.get("/api/v1/notifications", &ns)
	if got, want := tlTypes(ns), []string{"follow", "reblog", "favourite", "mention"}; !slices.Equal(got, want) {
		t.Fatalf("alice's notifications → %v, want %v", got, want)
	}
	for _, n := range ns {
		if n.Account.ID != idOf(bob.user.ID) || n.GroupKey != "ungrouped-"+n.ID {
			t.Errorf("%s from %s, group key %q", n.Type, n.Account.Username, n.GroupKey)
		}
		if (n.Status == nil) != (n.Type == "follow") {
			t.Errorf("%s: status %v", n.Type, n.Status)
		}
	}
	if n := ns[1]; n.Status.ID != idOf(mine.ID) {
		t.Errorf("the reblog's status is %s, want %d", n.Status.ID, mine.ID)
	}
	if tlLink(t, r, "next") == "" {
		t.Errorf("no Link header: %q", r.header.Get("Link"))
	}

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"types[]=mention", []string{"mention"}},
		{"types[]=favourite&types[]=reblog", []string{"reblog", "favourite"}},
		{"exclude_types[]=follow&exclude_types[]=mention", []string{"reblog", "favourite"}},
		{"types[]=poll", []string{}},
		{"account_id=" + idOf(carol.user.ID), []string{}},
		{"limit=2", []string{"follow", "reblog"}},
		{"max_id=" + ns[1].ID, []string{"favourite", "mention"}},
	} {
		var got []mastoapi.Notification
		alice.get("/api/v1/notifications?"+c.query, &got)
		if !slices.Equal(tlTypes(got), c.want) {
			t.Errorf("?%s → %v, want %v", c.query, tlTypes(got), c.want)
		}
	}
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/notifications?limit=abc", nil)
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/notifications?account_id=abc", nil)

	var one mastoapi.Notification
	alice.get("/api/v1/notifications/"+ns[0].ID, &one)
	if one.ID != ns[0].ID || one.Type != "follow" {
		t.Errorf("get %s → %+v", ns[0].ID, one)
	}
	carol.want(http.StatusNotFound, "GET", "/api/v1/notifications/"+ns[0].ID, nil)
	carol.want(http.StatusNotFound, "POST", "/api/v1/notifications/"+ns[0].ID+"/dismiss", nil)
	alice.want(http.StatusNotFound, "GET", "/api/v1/notifications/999999", nil)

	// The grouped form: one group per notification.
	var grouped mastoapi.GroupedNotifications
	alice.get("/api/v2/notifications", &grouped)
	if len(grouped.NotificationGroups) != 4 || len(grouped.Accounts) != 1 || len(grouped.Statuses) != 2 {
		t.Errorf("v2: %d groups, %d accounts, %d statuses; want 4, 1 (bob), 2", len(grouped.NotificationGroups), len(grouped.Accounts), len(grouped.Statuses))
	}
	key := "/api/v2/notifications/" + ns[3].GroupKey
	alice.get(key, &grouped)
	if len(grouped.NotificationGroups) != 1 || grouped.NotificationGroups[0].Type != "mention" {
		t.Errorf("v2 group → %+v", grouped.NotificationGroups)
	}
	var accounts []mastoapi.Account
	if alice.get(key+"/accounts", &accounts); len(accounts) != 1 {
		t.Errorf("v2 group accounts → %+v", accounts)
	}
	carol.want(http.StatusNotFound, "GET", key, nil)
	alice.want(http.StatusNotFound, "GET", "/api/v2/notifications/grouped-1", nil)
	var policy mastoapi.NotificationPolicy
	alice.get("/api/v2/notifications/policy", &policy)
	var requests []any
	alice.get("/api/v1/notifications/requests", &requests)

	// Unread: those above the notifications marker.
	var count mastoapi.CountResponse
	if alice.get("/api/v1/notifications/unread_count", &count); count.Count != 4 {
		t.Errorf("unread_count → %d, want 4", count.Count)
	}
	if alice.get("/api/v2/notifications/unread_count?types[]=mention", &count); count.Count != 1 {
		t.Errorf("unread_count of mentions → %d, want 1", count.Count)
	}
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/notifications/unread_count?limit=abc", nil)
	alice.ok("POST", "/api/v1/markers", url.Values{"notifications[last_read_id]": {ns[2].ID}})
	if alice.get("/api/v2/notifications/unread_count", &count); count.Count != 2 {
		t.Errorf("unread_count after the marker → %d, want 2", count.Count)
	}

	// Dismiss one (v1 and v2), then clear.
	alice.ok("POST", "/api/v1/notifications/"+ns[0].ID+"/dismiss", nil)
	alice.want(http.StatusNotFound, "GET", "/api/v1/notifications/"+ns[0].ID, nil)
	alice.ok("POST", key+"/dismiss", nil)
	if alice.get("/api/v1/notifications", &ns); !slices.Equal(tlTypes(ns), []string{"reblog", "favourite"}) {
		t.Errorf("after dismissing the follow and the mention → %v", tlTypes(ns))
	}
	alice.ok("POST", "/api/v1/notifications/clear", nil)
	if alice.get("/api/v1/notifications", &ns); len(ns) != 0 {
		t.Errorf("after clear → %v", tlTypes(ns))
	}
}

// TestMastoGroupNotifications maps the notifications of groups onto Mastodon's types,
// or leaves them out.
func TestMastoGroupNotifications(t *testing.T) {
	h := newTLHive(t)
	ctx := context.Background()
	alice, bob, carol := h.member("alice"), h.member("bob"), h.member("carol")
	_, err := h.groups.Create(ctx, bob.user, "council", ruche.GroupFields{Name: "Council", Kind: ruche.GroupClosed})
	h.must(err)
	_, err = h.groups.Create(ctx, bob.user, "garden", ruche.GroupFields{Name: "Garden", Kind: ruche.GroupOpen})
	h.must(err)
	_, err = h.groups.Join(ctx, carol.user, "council") // a request, to bob
	h.must(err)
	h.must(h.groups.Invite(ctx, bob.user, "council", "alice")) // left out for alice
	_, err = h.groups.Join(ctx, alice.user, "garden")
	h.must(err)
	h.must(h.groups.SetNotify(ctx, alice.user, "garden", true))
	p, err := h.posts.Create(ctx, bob.user, ruche.NewPost{GroupHandle: "garden", Source: "News from the garden"})
	h.must(err)

	var ns []mastoapi.Notification
	bob.get("/api/v1/notifications", &ns)
	if len(ns) != 1 || ns[0].Type != "follow_request" || ns[0].Account.ID != idOf(carol.user.ID) {
		t.Errorf("bob's notifications → %+v, want carol's follow_request", ns)
	}
	alice.get("/api/v1/notifications", &ns)
	if len(ns) != 1 || ns[0].Type != "status" || ns[0].Status == nil || ns[0].Status.ID != idOf(p.ID) {
		t.Errorf("alice's notifications → %+v, want the group post as a status", ns)
	}
	var count mastoapi.CountResponse
	if alice.get("/api/v1/notifications/unread_count", &count); count.Count != 1 {
		t.Errorf("alice's unread_count → %d, want 1 (the invitation is left out)", count.Count)
	}
}

// TestMastoMarkers saves and reads read markers.
func TestMastoMarkers(t *testing.T) {
	h := newTLHive(t)
	alice := h.member("alice")
	const path = "/api/v1/markers?timeline[]=home&timeline[]=notifications"
	var ms map[string]mastoapi.Marker
	if alice.get(path, &ms); len(ms) != 0 {
		t.Errorf("markers before any → %+v", ms)
	}
	alice.ok("POST", "/api/v1/markers", map[string]any{"home": map[string]any{"last_read_id": "5"}}).into(t, &ms)
	if m := ms["home"]; m.LastReadID != "5" || m.Version != 1 || len(ms) != 1 {
		t.Errorf("first save → %+v", ms)
	}
	alice.ok("POST", "/api/v1/markers", url.Values{"home[last_read_id]": {"7"}, "notifications[last_read_id]": {"3"}})
	alice.get(path, &ms)
	if m := ms["home"]; m.LastReadID != "7" || m.Version != 2 {
		t.Errorf("home after the second save → %+v", m)
	}
	if m := ms["notifications"]; m.LastReadID != "3" || m.Version != 1 {
		t.Errorf("notifications → %+v", m)
	}
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/markers?timeline[]=public", nil)
	alice.want(http.StatusUnprocessableEntity, "POST", "/api/v1/markers", url.Values{"home[last_read_id]": {"abc"}})
}

// TestMastoConversations lists direct conversations for their participants only.
func TestMastoConversations(t *testing.T) {
	h := newTLHive(t)
	ctx := context.Background()
	alice, bob, carol := h.member("alice"), h.member("bob"), h.member("carol")
	first := h.post(alice, ruche.VisDirect, "@bob just us")
	reply, err := h.posts.Create(ctx, bob.user, ruche.NewPost{Source: "@alice indeed", Visibility: ruche.VisDirect, InReplyToID: first.ID})
	h.must(err)

	var cs []mastoapi.Conversation
	alice.get("/api/v1/conversations", &cs)
	if len(cs) != 1 || cs[0].LastStatus == nil || cs[0].LastStatus.ID != idOf(reply.ID) || !cs[0].Unread ||
		len(cs[0].Accounts) != 1 || cs[0].Accounts[0].ID != idOf(bob.user.ID) {
		t.Fatalf("alice's conversations → %+v, want one with bob, unread, ending with his reply", cs)
	}
	id := cs[0].ID
	bob.get("/api/v1/conversations", &cs)
	if len(cs) != 1 || cs[0].ID != id || cs[0].Accounts[0].ID != idOf(alice.user.ID) {
		t.Errorf("bob's conversations → %+v", cs)
	}
	if carol.get("/api/v1/conversations", &cs); len(cs) != 0 {
		t.Errorf("carol's conversations → %+v", cs)
	}
	carol.want(http.StatusNotFound, "POST", "/api/v1/conversations/"+id+"/read", nil)
	carol.want(http.StatusNotFound, "DELETE", "/api/v1/conversations/"+id, nil)
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/conversations?limit=abc", nil)

	var c mastoapi.Conversation
	alice.ok("POST", "/api/v1/conversations/"+id+"/read", nil).into(t, &c)
	if c.ID != id || c.Unread {
		t.Errorf("read → %+v", c)
	}
	alice.ok("DELETE", "/api/v1/conversations/"+id, nil)
	if alice.get("/api/v1/conversations", &cs); len(cs) != 0 {
		t.Errorf("alice's conversations after hiding it → %+v", cs)
	}
	if bob.get("/api/v1/conversations", &cs); len(cs) != 1 {
		t.Errorf("bob's conversations after alice hid hers → %+v", cs)
	}
	alice.want(http.StatusNotFound, "POST", "/api/v1/conversations/"+id+"/read", nil)
	alice.want(http.StatusNotFound, "POST", "/api/v1/conversations/999999/read", nil)
}

// TestMastoSearch finds people, tags and posts by link, as the member may see them.
func TestMastoSearch(t *testing.T) {
	h := newTLHive(t)
	alice, bob, carol := h.member("alice"), h.member("bob"), h.member("carol")
	h.must(h.posts.SetFollowing(context.Background(), carol.user, "bob", true))
	open := h.post(bob, ruche.VisCompany, "Plans #Roadmap")
	closed := h.post(bob, ruche.VisFollowers, "For followers only")
	link := func(p ruche.Post) string { return url.QueryEscape(h.m.Config.BaseURL() + "/posts/" + idOf(p.ID)) }

	var res mastoapi.SearchResults
	alice.get("/api/v2/search?q=bob", &res)
	if len(res.Accounts) == 0 || res.Accounts[0].ID != idOf(bob.user.ID) {
		t.Errorf("q=bob → accounts %+v", res.Accounts)
	}
	alice.get("/api/v2/search?q=%23road&type=hashtags", &res)
	if len(res.Hashtags) != 1 || res.Hashtags[0].Name != "roadmap" || len(res.Accounts) != 0 {
		t.Errorf("q=#road&type=hashtags → %+v", res)
	}
	alice.get("/api/v2/search?q="+link(open)+"&resolve=true", &res)
	if got := tlIDs(res.Statuses); !slices.Equal(got, []string{idOf(open.ID)}) {
		t.Errorf("the company post's link → %v", got)
	}
	alice.get("/api/v2/search?q="+link(closed)+"&resolve=true", &res)
	if len(res.Statuses) != 0 {
		t.Errorf("a followers-only post's link, for someone who does not follow → %v", tlIDs(res.Statuses))
	}
	carol.get("/api/v2/search?q="+link(closed), &res)
	if got := tlIDs(res.Statuses); !slices.Equal(got, []string{idOf(closed.ID)}) {
		t.Errorf("a followers-only post's link, for a follower → %v", got)
	}
	alice.get("/api/v2/search?q=bob&offset=5", &res)
	if len(res.Accounts)+len(res.Statuses)+len(res.Hashtags) != 0 {
		t.Errorf("offset past the results → %+v", res)
	}
	alice.get("/api/v2/search?q=bob&following=true", &res)
	if len(res.Accounts) != 0 {
		t.Errorf("following=true, following nobody → %+v", res.Accounts)
	}
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v2/search?q=bob&limit=abc", nil)
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v2/search", nil)

	// What Ruche does not have answers empty, not 404.
	for _, path := range []string{"/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links",
		"/api/v1/suggestions", "/api/v2/suggestions", "/api/v2/filters", "/api/v1/scheduled_statuses"} {
		var got []any
		if alice.get(path, &got); len(got) != 0 {
			t.Errorf("%s → %v", path, got)
		}
	}
}

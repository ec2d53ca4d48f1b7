package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// servedHome reads b's home page until one comes from the node's read model (rather
// than SQL), checking every page read meanwhile with check, and returns that page.
func servedHome(t *testing.T, m *Main, b *browser, check func(page)) page {
	t.Helper()
	var p page
	eventually(t, 10*time.Second, "no home page came from the read model", func() bool {
		before := m.db.store.CacheStats()[0]
		p = b.get("/")
		check(p)
		return m.db.store.CacheStats()[0] > before
	})
	return p
}

// TestSharedGroupMarks: people must know who reads what they write in a group. The
// posts of a group shared with a partner say so, with the partner's name, in the home
// stream (also when it comes from the read model, which kept the post from before the
// group was shared), in the group's stream and on the post's page; the compose box of
// the group page and the reply box name the partner too. An unshared group's posts
// carry no mark and its boxes say what they always said. Unsharing, or removing the
// partner, takes the mark away.
func TestSharedGroupMarks(t *testing.T) {
	ctx := context.Background()
	m, base := boot(t)
	const hub = "http://hub.localhost:1"
	partner(t, m, hub)
	olga := signedIn(t, m, base, "olga", "member")
	mia := signedIn(t, m, base, "mia", "member")
	for _, handle := range []string{"design", "plain"} {
		wantRedirect(t, olga.submit("/groups", "/groups", url.Values{"name": {strings.ToUpper(handle)}, "handle": {handle}, "kind": {"open"}}), "/groups/"+handle)
		wantRedirect(t, mia.submit("/groups/"+handle, "/groups/"+handle+"/join", url.Values{}), "/groups/"+handle+"?done=group_joined")
	}
	wantRedirect(t, olga.submit("/groups/design", "/posts", url.Values{"source": {"Design notes"}, "group": {"design"}, "back": {"/groups/design"}}), "/groups/design")
	wantRedirect(t, olga.submit("/groups/plain", "/posts", url.Values{"source": {"Plain notes"}, "group": {"plain"}, "back": {"/groups/plain"}}), "/groups/plain")

	const mark = `<span class="badge">shared with</span> <span class="shared-with">hub.localhost:1</span>`
	const sharedBox = "Only the group's members will see it, including its members on hub.localhost:1."
	const plainBox = "Only the group's members will see it."
	unmarked := func(where string, p page) {
		t.Helper()
		if strings.Contains(p.body, `class="shared-with"`) || strings.Contains(p.body, "including its members on") {
			t.Errorf("%s: a mark of sharing, where nothing is shared:\n%s", where, p.body)
		}
	}

	// Before sharing: no mark anywhere; the home stream is now held in memory.
	servedHome(t, m, mia, func(p page) { want(t, p, 200, "Design notes"); unmarked("home before sharing", p) })
	unmarked("design before sharing", mia.get("/groups/design"))

	g, err := m.db.store.Group(ctx, ruche.Viewer{}, "design")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.db.store.ShareGroup(ctx, 0, g.ID, hostOf(hub)); err != nil {
		t.Fatal(err)
	}

	// Shared: every read of the home stream marks it, the read model's too.
	designPost := func(p page) string {
		t.Helper()
		i := strings.Index(p.body, "Design notes")
		start := strings.LastIndex(p.body[:max(i, 0)], `<article`)
		if i < 0 || start < 0 {
			t.Fatalf("no design post on the page:\n%s", p.body)
		}
		return p.body[start:i]
	}
	plainPost := func(p page) string {
		t.Helper()
		i := strings.Index(p.body, "Plain notes")
		start := strings.LastIndex(p.body[:max(i, 0)], `<article`)
		if i < 0 || start < 0 {
			t.Fatalf("no plain post on the page:\n%s", p.body)
		}
		return p.body[start:i]
	}
	servedHome(t, m, mia, func(p page) {
		if !strings.Contains(designPost(p), mark) {
			t.Fatalf("the home stream shows the shared group's post unmarked:\n%s", designPost(p))
		}
		if strings.Contains(plainPost(p), "shared-with") {
			t.Fatalf("the home stream marks the unshared group's post:\n%s", plainPost(p))
		}
	})
	want(t, mia.get("/groups/design"), 200, mark)
	want(t, mia.get("/groups/design"), 200, `In <a href="/groups/design">DESIGN</a>`)
	// The group page's compose box and the reply box name the partner.
	want(t, mia.get("/groups/design"), 200, sharedBox)
	id := firstPostID(t, mia.get("/groups/design"))
	thread := mia.get("/posts/" + id)
	want(t, thread, 200, mark)
	want(t, thread, 200, sharedBox)
	// A shared group's post is boosted inside the group only.
	if !strings.Contains(thread.body, `/posts/`+id+`/boost"`) {
		t.Error("no boost is offered for a group post")
	}
	want(t, mia.submit("/posts/"+id, "/posts/"+id+"/boost", url.Values{"back": {"/"}}), 303, "")
	if n := count(t, m, `SELECT count(*) FROM posts b JOIN posts o ON o.id = b.reblog_of_id
		WHERE o.id = $1 AND b.group_id = o.group_id`, id); n != 1 {
		t.Errorf("the shared group's post was boosted %d times in its group, want 1", n)
	}
	mia.lang = "fr"
	want(t, mia.get("/groups/design"), 200, "Seuls les membres du groupe le verront, y compris ses membres sur hub.localhost:1.")
	mia.lang = ""

	// The unshared group: no mark, the box as always.
	plain := mia.get("/groups/plain")
	want(t, plain, 200, plainBox)
	unmarked("plain group", plain)
	plainThread := mia.get("/posts/" + firstPostID(t, plain))
	want(t, plainThread, 200, plainBox)
	unmarked("plain thread", plainThread)

	// Unshared: the mark goes, from memory too.
	if err := m.db.store.UnshareGroup(ctx, 0, g.ID, hostOf(hub)); err != nil {
		t.Fatal(err)
	}
	servedHome(t, m, mia, func(p page) { unmarked("home after unsharing", p) })
	unmarked("design after unsharing", mia.get("/groups/design"))

	// Shared again, then the partner goes, whatever removes it: its shares go with it
	// (the foreign key's cascade), and so does the mark, from memory too.
	if err := m.db.store.ShareGroup(ctx, 0, g.ID, hostOf(hub)); err != nil {
		t.Fatal(err)
	}
	servedHome(t, m, mia, func(p page) {
		if !strings.Contains(designPost(p), mark) {
			t.Fatalf("the home stream shows the group shared again unmarked:\n%s", designPost(p))
		}
	})
	if _, err := m.db.store.Pool().Exec(ctx, `DELETE FROM partners WHERE domain = $1`, hostOf(hub)); err != nil {
		t.Fatal(err)
	}
	servedHome(t, m, mia, func(p page) { unmarked("home after removing the partner", p) })
}

// TestSharedGroupMarksOnPartner: on hub, a post in acme's group says where the group
// lives, its link names the group by its whole acct, and the group's compose box and
// the reply box say that its members on acme read it.
func TestSharedGroupMarksOnPartner(t *testing.T) {
	ctx := context.Background()
	acme, a := fedNode(t, "acme", "", "")
	hub, h := fedNode(t, "hub", "", "")
	partner(t, acme, h)
	partner(t, hub, a)
	ana, err := (&ruche.Accounts{Store: acme.db.store}).CreateUser(ctx, nil, ruche.NewUser{Username: "ana", Email: "ana@example.com",
		Password: "a long password", Role: ruche.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := (&ruche.Groups{Store: acme.db.store}).Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.db.store.ShareGroup(ctx, 0, gr.ID, hostOf(h)); err != nil {
		t.Fatal(err)
	}

	zoe := fedBrowser(t, hub, h, "zoe", ruche.RoleMember)
	acct := "design@" + hostOf(a)
	home := "/groups/" + acct
	wantRedirect(t, zoe.submit("/groups", "/groups/find", url.Values{"acct": {"@" + acct}}), home)
	wantRedirect(t, zoe.submit(home, home+"/join", url.Values{}), home+"?done=")
	eventually(t, 20*time.Second, "zoe never became a member of acme's group", func() bool {
		return strings.Contains(zoe.get(home).body, `Leave</button>`)
	})

	remoteBox := "Only the group's members will see it: the group lives on " + hostOf(a) +
		", and its members there and on the instances it is shared with read it."
	want(t, zoe.get(home), 200, remoteBox)
	wantRedirect(t, zoe.submit(home, "/posts", url.Values{"source": {"Hello from hub"}, "group": {acct}, "back": {home}}), home)
	mark := `In <a href="/groups/` + url.PathEscape(acct) + `">Design</a> <span class="badge instance">on ` + hostOf(a) + `</span>`
	for _, path := range []string{"/", home} {
		p := zoe.get(path)
		want(t, p, 200, "Hello from hub")
		want(t, p, 200, mark)
	}
	id := firstPostID(t, zoe.get(home))
	thread := zoe.get("/posts/" + id)
	want(t, thread, 200, mark)
	want(t, thread, 200, remoteBox)
	// On hub, a post of a partner's group is boosted inside that group only.
	want(t, zoe.submit("/posts/"+id, "/posts/"+id+"/boost", url.Values{"back": {"/"}}), 303, "")
	if n := count(t, hub, `SELECT count(*) FROM posts b JOIN posts o ON o.id = b.reblog_of_id
		WHERE o.id = $1 AND b.group_id = o.group_id`, id); n != 1 {
		t.Errorf("the partner's group's post was boosted %d times in its group, want 1", n)
	}
}

package ruche_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// hive is a store with the accounts and posts services on one fresh database.
type hive struct {
	t        *testing.T
	accounts *ruche.Accounts
	posts    *ruche.Posts
}

func newHive(t *testing.T) *hive {
	t.Helper()
	s := testdb.NewStore(t)
	return &hive{t: t, accounts: &ruche.Accounts{Store: s}, posts: &ruche.Posts{Store: s, BaseURL: "https://hive.example"}}
}

func (h *hive) member(name string, role ruche.Role) ruche.User {
	h.t.Helper()
	return makeUser(h.t, h.accounts, name, role)
}

func (h *hive) post(u ruche.User, n ruche.NewPost) ruche.Post {
	h.t.Helper()
	p, err := h.posts.Create(context.Background(), u, n)
	if err != nil {
		h.t.Fatalf("post by %s: %v", u.Username, err)
	}
	return p
}

func TestCreatePostRendersAndLinks(t *testing.T) {
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	h.member("bob", ruche.RoleMember)
	p := h.post(ana, ruche.NewPost{Source: "Hello @bob and @nobody, see #Roadmap **now** <script>alert(1)</script>"})
	if p.Visibility != ruche.VisCompany {
		t.Errorf("default visibility = %s, want company", p.Visibility)
	}
	for _, want := range []string{`href="https://hive.example/@bob"`, `class="u-url mention"`, `href="https://hive.example/tags/roadmap"`, `<strong>now</strong>`, `@nobody`} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("HTML lacks %s:\n%s", want, p.HTML)
		}
	}
	if strings.Contains(p.HTML, "<script") {
		t.Errorf("script survived: %s", p.HTML)
	}
	if len(p.Mentions) != 1 || p.Mentions[0].Username != "bob" || len(p.Tags) != 1 || p.Tags[0] != "roadmap" {
		t.Errorf("mentions %v tags %v", p.Mentions, p.Tags)
	}
}

func TestBadPostsChangeNothing(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	eve := h.member("eve", ruche.RoleMember)
	secret := h.post(eve, ruche.NewPost{Source: "for me", Visibility: ruche.VisFollowers})
	start := time.Now()
	tests := []struct {
		name string
		n    ruche.NewPost
		code ruche.Code
		key  string
	}{
		{"empty", ruche.NewPost{Source: "  \n "}, ruche.CodeInvalid, "error.post_empty"},
		{"too long", ruche.NewPost{Source: strings.Repeat("é", ruche.MaxPostChars+1)}, ruche.CodeInvalid, "error.post_too_long"},
		{"bad visibility", ruche.NewPost{Source: "x", Visibility: "public"}, ruche.CodeInvalid, "error.visibility_invalid"},
		{"direct to nobody", ruche.NewPost{Source: "x", Visibility: ruche.VisDirect}, ruche.CodeInvalid, "error.direct_needs_mention"},
		{"reply to unseen post", ruche.NewPost{Source: "x", InReplyToID: secret.ID}, ruche.CodeNotFound, "error.post_not_found"},
		{"reply to no post", ruche.NewPost{Source: "x", InReplyToID: 42}, ruche.CodeNotFound, "error.post_not_found"},
		{"event without start", ruche.NewPost{Source: "x", Event: &ruche.Event{Title: "Party"}}, ruche.CodeInvalid, "error.event_incomplete"},
		{"event ending first", ruche.NewPost{Source: "x", Event: &ruche.Event{Title: "P", Start: start, End: ptr(start.Add(-time.Hour))}}, ruche.CodeInvalid, "error.event_ends_before_start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.posts.Create(ctx, ana, tt.n)
			wantCode(t, err, tt.code, tt.key)
		})
	}
	posts, _ := h.posts.Timeline(ctx, ana, ruche.Stream{Kind: ruche.StreamProfile, AccountID: ana.ID}, ruche.Page{})
	if len(posts) != 0 {
		t.Errorf("bad input created %d posts", len(posts))
	}
	_, err := h.posts.Edit(ctx, ana, secret.ID, "mine now", "")
	wantCode(t, err, ruche.CodeNotFound, "error.post_not_found")
	open := h.post(eve, ruche.NewPost{Source: "open"})
	_, err = h.posts.Edit(ctx, ana, open.ID, "mine now", "")
	wantCode(t, err, ruche.CodeForbidden, "error.edit_not_yours")
	wantCode(t, h.posts.Delete(ctx, ana, open.ID), ruche.CodeForbidden, "error.delete_not_yours")
	if p, _ := h.posts.Post(ctx, eve, open.ID); p.Source != "open" {
		t.Errorf("someone else's edit changed the post: %q", p.Source)
	}
}

func ptr[T any](v T) *T { return &v }

func TestRepliesNeverWiderThanParent(t *testing.T) {
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	bob := h.member("bob", ruche.RoleMember)
	parent := h.post(ana, ruche.NewPost{Source: "hi @bob", Visibility: ruche.VisDirect})
	r := h.post(bob, ruche.NewPost{Source: "hello", InReplyToID: parent.ID, Visibility: ruche.VisCompany})
	if r.Visibility != ruche.VisDirect {
		t.Errorf("reply to direct post became %s", r.Visibility)
	}
	// The parent's author sees the reply although the reply does not name her.
	if _, err := h.posts.Post(context.Background(), ana, r.ID); err != nil {
		t.Errorf("the parent's author cannot see the reply: %v", err)
	}
	f := h.post(ana, ruche.NewPost{Source: "for followers", Visibility: ruche.VisFollowers})
	h.posts.SetFollowing(context.Background(), bob, "ana", true)
	r2 := h.post(bob, ruche.NewPost{Source: "ok", InReplyToID: f.ID})
	if r2.Visibility != ruche.VisFollowers {
		t.Errorf("reply default = %s, want followers", r2.Visibility)
	}
}

// TestActionsFollowRule checks every action of every viewer on posts of every
// visibility against ruche.CanDo.
func TestActionsFollowRule(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	author := h.member("author", ruche.RoleMember)
	mentioned := h.member("mentioned", ruche.RoleMember)
	follower := h.member("follower", ruche.RoleMember)
	other := h.member("other", ruche.RoleMember)
	guest := h.member("guest", ruche.RoleGuest)
	if err := h.posts.SetFollowing(ctx, follower, "author", true); err != nil {
		t.Fatal(err)
	}
	viewers := []struct {
		u   ruche.User
		rel ruche.Relation
	}{
		{author, ruche.Relation{Author: true}},
		{mentioned, ruche.Relation{Mentioned: true}},
		{follower, ruche.Relation{Follower: true}},
		{other, ruche.Relation{}},
		{guest, ruche.Relation{Guest: true}},
	}
	for _, vis := range ruche.Visibilities {
		p := h.post(author, ruche.NewPost{Source: "hi @mentioned", Visibility: vis})
		for _, v := range viewers {
			for _, a := range ruche.Actions {
				want := ruche.CanDo(a, vis, v.rel)
				var err error
				switch a {
				case ruche.ActSee:
					_, err = h.posts.Post(ctx, v.u, p.ID)
				case ruche.ActReply:
					_, err = h.posts.Create(ctx, v.u, ruche.NewPost{Source: "re @mentioned", InReplyToID: p.ID, Visibility: ruche.VisDirect})
				case ruche.ActLike:
					err = h.posts.SetLiked(ctx, v.u, p.ID, true)
				case ruche.ActBoost:
					err = h.posts.SetBoosted(ctx, v.u, p.ID, true)
				case ruche.ActBookmark:
					err = h.posts.SetBookmarked(ctx, v.u, p.ID, true)
				}
				if got := err == nil; got != want {
					t.Errorf("%s %s a %s post: allowed %v (%v), rule says %v", v.u.Username, a, vis, got, err, want)
				}
				if !ruche.CanSee(vis, v.rel) && err != nil && ruche.ErrorCode(err) != ruche.CodeNotFound {
					t.Errorf("%s %s an unseen %s post: %v, want not found", v.u.Username, a, vis, err)
				}
			}
		}
	}
}

func TestBoostsLikesNotificationsAndDelete(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	bob := h.member("bob", ruche.RoleMember)
	mod := h.member("mod", ruche.RoleModerator)
	p := h.post(ana, ruche.NewPost{Source: "news for @bob"})
	if err := h.posts.SetBoosted(ctx, bob, p.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := h.posts.SetBoosted(ctx, bob, p.ID, true); err != nil {
		t.Fatal("boosting twice:", err)
	}
	if err := h.posts.SetLiked(ctx, bob, p.ID, true); err != nil {
		t.Fatal(err)
	}
	// Bob's profile shows his boost as its own row with its own id.
	bp, _ := h.posts.Timeline(ctx, ana, ruche.Stream{Kind: ruche.StreamProfile, AccountID: bob.ID}, ruche.Page{})
	if len(bp) != 1 || bp[0].Reblog == nil || bp[0].Reblog.ID != p.ID || bp[0].ID == p.ID {
		t.Fatalf("bob's profile = %+v", bp)
	}
	got, _ := h.posts.Post(ctx, ana, p.ID)
	if got.Likes != 1 || got.Boosts != 1 {
		t.Errorf("likes %d boosts %d, want 1 and 1", got.Likes, got.Boosts)
	}
	ns, _ := h.posts.Notifications(ctx, ana, ruche.Page{})
	kinds := map[ruche.NotificationKind]int{}
	for _, n := range ns {
		kinds[n.Kind]++
	}
	if kinds[ruche.NotifyBoost] != 1 || kinds[ruche.NotifyLike] != 1 {
		t.Errorf("ana's notifications: %v", kinds)
	}
	if n, _ := h.posts.UnreadNotifications(ctx, bob); n != 1 {
		t.Errorf("bob unread = %d, want 1 (mention)", n)
	}
	h.posts.MarkNotificationsRead(ctx, bob)
	if n, _ := h.posts.UnreadNotifications(ctx, bob); n != 0 {
		t.Errorf("bob unread after marking = %d", n)
	}
	// A moderator deletes the post: boosts and notifications go with it.
	if err := h.posts.Delete(ctx, mod, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.posts.Post(ctx, ana, p.ID); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("deleted post: %v", err)
	}
	bp, _ = h.posts.Timeline(ctx, ana, ruche.Stream{Kind: ruche.StreamProfile, AccountID: bob.ID}, ruche.Page{})
	if len(bp) != 0 {
		t.Errorf("the boost of a deleted post lives on: %+v", bp)
	}
}

func TestEditKeepsHistory(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	bob := h.member("bob", ruche.RoleMember)
	p := h.post(ana, ruche.NewPost{Source: "first"})
	if _, err := h.posts.Edit(ctx, ana, p.ID, "second, cc @bob", "spoiler"); err != nil {
		t.Fatal(err)
	}
	got, _ := h.posts.Post(ctx, bob, p.ID)
	if got.Source != "second, cc @bob" || got.EditedAt == nil || got.SpoilerText != "spoiler" {
		t.Errorf("after edit: %+v", got)
	}
	edits, err := h.posts.Edits(ctx, bob, p.ID)
	if err != nil || len(edits) != 1 || edits[0].Source != "first" {
		t.Errorf("history = %+v, %v", edits, err)
	}
	if n, _ := h.posts.UnreadNotifications(ctx, bob); n != 1 {
		t.Errorf("bob, newly mentioned by the edit, has %d notifications", n)
	}
}

func TestPresenceExpires(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	if err := h.posts.SetPresence(ctx, ana, "🗓", "In a meeting", time.Hour); err != nil {
		t.Fatal(err)
	}
	p, _ := h.posts.Profile(ctx, ana, "ana")
	if !p.Presence.Active(time.Now()) || p.Presence.Active(time.Now().Add(2*time.Hour)) {
		t.Errorf("presence %+v: want active now, gone in two hours", p.Presence)
	}
	wantCode(t, h.posts.SetPresence(ctx, ana, "", strings.Repeat("x", 101), 0), ruche.CodeInvalid, "")
}

func TestThreadReadsInConversationOrder(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	bob := h.member("bob", ruche.RoleMember)
	root := h.post(ana, ruche.NewPost{Source: "root"})
	a := h.post(bob, ruche.NewPost{Source: "a", InReplyToID: root.ID})
	b := h.post(ana, ruche.NewPost{Source: "b", InReplyToID: root.ID})
	a1 := h.post(ana, ruche.NewPost{Source: "a1", InReplyToID: a.ID})
	mid := h.post(bob, ruche.NewPost{Source: "mid", InReplyToID: b.ID})
	anc, _, desc, err := h.posts.Thread(ctx, bob, a1.ID)
	if err != nil || len(anc) != 2 || anc[0].ID != root.ID || anc[1].ID != a.ID {
		t.Fatalf("ancestors of a1 = %v, %v", anc, err)
	}
	_, _, desc, err = h.posts.Thread(ctx, bob, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range desc {
		got = append(got, p.Source)
	}
	if want := "a a1 b mid"; strings.Join(got, " ") != want {
		t.Errorf("descendants = %q, want %q (a1 answers a, posted before mid)", strings.Join(got, " "), want)
	}
	_ = mid
}

func TestEditCannotWidenANarrowAudience(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	bob := h.member("bob", ruche.RoleMember)
	carol := h.member("carol", ruche.RoleMember)
	for _, vis := range []ruche.Visibility{ruche.VisDirect, ruche.VisFollowers} {
		p := h.post(ana, ruche.NewPost{Source: "plan for @bob", Visibility: vis})
		_, err := h.posts.Edit(ctx, ana, p.ID, "plan for @bob and @carol", "")
		wantCode(t, err, ruche.CodeInvalid, "error.edit_widens_audience")
		if _, err := h.posts.Post(ctx, carol, p.ID); err == nil {
			t.Errorf("%s: carol sees the post after a refused edit", vis)
		}
		if _, err := h.posts.Edits(ctx, carol, p.ID); err == nil {
			t.Errorf("%s: carol reads the edit history", vis)
		}
	}
	// Dropping someone takes their notification away with the mention.
	p := h.post(ana, ruche.NewPost{Source: "hi @bob @carol", Visibility: ruche.VisDirect})
	if _, err := h.posts.Edit(ctx, ana, p.ID, "hi @bob", ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.posts.UnreadNotifications(ctx, carol); n != 0 {
		t.Errorf("carol, no longer mentioned, still has %d unread", n)
	}
	if ns, _ := h.posts.Notifications(ctx, carol, ruche.Page{}); len(ns) != 0 {
		t.Errorf("carol's notifications: %+v", ns)
	}
	if n, _ := h.posts.UnreadNotifications(ctx, bob); n == 0 {
		t.Error("bob lost his notification")
	}
}

func TestCountsAndLookupsRespectTheGate(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	bob := h.member("bob", ruche.RoleMember)
	gus := h.member("gus", ruche.RoleGuest)
	h.post(ana, ruche.NewPost{Source: "open"})
	h.post(ana, ruche.NewPost{Source: "hidden", Visibility: ruche.VisFollowers})
	if p, _ := h.posts.Profile(ctx, bob, "ana"); p.Posts != 1 {
		t.Errorf("bob counts %d posts by ana, want 1 (the other is for her followers)", p.Posts)
	}
	if p, _ := h.posts.Profile(ctx, ana, "ana"); p.Posts != 2 {
		t.Errorf("ana counts %d of her posts, want 2", p.Posts)
	}
	// A guest cannot find members by mentioning them, until they address the guest.
	_, err := h.posts.Create(ctx, gus, ruche.NewPost{Source: "hello @bob", Visibility: ruche.VisDirect})
	wantCode(t, err, ruche.CodeInvalid, "error.direct_needs_mention")
	dm := h.post(bob, ruche.NewPost{Source: "welcome @gus", Visibility: ruche.VisDirect})
	if _, err := h.posts.Create(ctx, gus, ruche.NewPost{Source: "@bob thanks", InReplyToID: dm.ID}); err != nil {
		t.Errorf("the guest cannot answer: %v", err)
	}
}

func TestNotificationPagesAreFull(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	ana := h.member("ana", ruche.RoleMember)
	bob := h.member("bob", ruche.RoleMember)
	for i := range 25 {
		p := h.post(ana, ruche.NewPost{Source: "hi @bob", Visibility: ruche.VisDirect})
		if i%5 == 0 {
			// Bob is dropped from some: those notifications go, pages stay full.
			if _, err := h.posts.Edit(ctx, ana, p.ID, "hi", ""); err == nil {
				t.Fatal("a direct post lost its only mention")
			}
			h.posts.Delete(ctx, ana, p.ID)
		}
	}
	page, err := h.posts.Notifications(ctx, bob, ruche.Page{Limit: 10})
	if err != nil || len(page) != 10 {
		t.Fatalf("first page: %d, %v", len(page), err)
	}
	all := 0
	for pg := (ruche.Page{Limit: 10}); ; {
		ns, _ := h.posts.Notifications(ctx, bob, pg)
		all += len(ns)
		if len(ns) < 10 {
			break
		}
		pg.MaxID = ns[len(ns)-1].ID
	}
	if all != 20 {
		t.Errorf("%d notifications over all pages, want 20", all)
	}
}

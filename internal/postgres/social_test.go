package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// social is a small hive for the client API's reads: the posts and groups services on
// one fresh database.
type social struct {
	t      *testing.T
	store  *postgres.Store
	posts  *ruche.Posts
	groups *ruche.Groups
}

func newSocial(t *testing.T) *social {
	t.Helper()
	s := testdb.NewStore(t)
	return &social{t: t, store: s, posts: &ruche.Posts{Store: s, BaseURL: "https://hive.example"}, groups: &ruche.Groups{Store: s}}
}

func (h *social) user(name string, role ruche.Role) ruche.User {
	h.t.Helper()
	return user(h.t, h.store, name, role)
}

func (h *social) post(u ruche.User, n ruche.NewPost) ruche.Post {
	h.t.Helper()
	p, err := h.posts.Create(context.Background(), u, n)
	if err != nil {
		h.t.Fatalf("post by %s: %v", u.Username, err)
	}
	return p
}

func (h *social) group(owner ruche.User, handle string, kind ruche.GroupKind) ruche.Group {
	h.t.Helper()
	g, err := h.groups.Create(context.Background(), owner, handle, ruche.GroupFields{Name: handle, Kind: kind})
	if err != nil {
		h.t.Fatal(err)
	}
	return g
}

func (h *social) standing(g ruche.Group, u ruche.User, state ruche.MembershipState) {
	h.t.Helper()
	if err := h.store.SetMembership(context.Background(), g.ID, u.ID, state, ruche.GroupMember, "", 0); err != nil {
		h.t.Fatal(err)
	}
}

// suspend suspends u, with an admin in the hive so that the suspension is allowed.
func (h *social) suspend(u ruche.User) {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.store.UserByUsername(ctx, "root"); err != nil {
		h.user("root", ruche.RoleAdmin)
	}
	if err := h.store.SetSuspended(ctx, 0, u.ID, true); err != nil {
		h.t.Fatal(err)
	}
}

func (h *social) follow(follower, followee ruche.User) {
	h.t.Helper()
	if err := h.store.SetFollowing(context.Background(), follower.ID, followee.ID, true); err != nil {
		h.t.Fatal(err)
	}
}

// wantNotFound checks err is the one not-found answer of accounts, whatever was asked.
func wantNotFound(t *testing.T, what string, err error, key string) {
	t.Helper()
	e, ok := err.(*ruche.Error)
	if !ok || e.Code != ruche.CodeNotFound || e.Key != key {
		t.Errorf("%s: err = %v, want not found (%s)", what, err, key)
	}
}

func accountIDs(as []ruche.Account) []int64 {
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

func TestAccountsAreOnlyThoseOneMayKnow(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	ana := h.user("ana", ruche.RoleMember)
	bob := h.user("bob", ruche.RoleMember)
	gus := h.user("gus", ruche.RoleGuest)
	sue := h.user("sue", ruche.RoleMember)
	boss := h.user("boss", ruche.RoleAdmin)
	lobby := h.group(ana, "lobby", ruche.GroupOpen)
	club := h.group(ana, "club", ruche.GroupClosed)
	vault := h.group(ana, "vault", ruche.GroupSecret)
	h.suspend(sue)
	open := h.post(ana, ruche.NewPost{Source: "for all"})
	h.post(ana, ruche.NewPost{Source: "for my followers", Visibility: ruche.VisFollowers})
	h.post(ana, ruche.NewPost{Source: "in the vault", GroupHandle: "vault"})

	tests := []struct {
		viewer ruche.User
		id     int64
		found  bool
	}{
		{bob, ana.ID, true},
		{bob, bob.ID, true},
		{bob, 42, false},
		{bob, sue.ID, false}, // suspended
		{bob, lobby.ID, true},
		{bob, club.ID, true},
		{bob, vault.ID, false}, // secret, and bob is not in it
		{ana, vault.ID, true},
		{boss, vault.ID, true},
		{boss, sue.ID, false},
		{gus, gus.ID, true},
		{gus, ana.ID, false}, // a guest looking up a colleague who never wrote to them
		{gus, lobby.ID, false},
	}
	for _, tt := range tests {
		a, err := h.posts.AccountByID(ctx, tt.viewer, tt.id)
		switch {
		case tt.found && err != nil:
			t.Errorf("%s: AccountByID(%d) = %v, want found", tt.viewer.Username, tt.id, err)
		case !tt.found:
			// One answer for all: a secret group is exactly like a missing id.
			wantNotFound(t, fmt.Sprintf("%s: AccountByID(%d)", tt.viewer.Username, tt.id), err, "error.not_found")
		case a.ID != tt.id:
			t.Errorf("%s: AccountByID(%d) returned %d", tt.viewer.Username, tt.id, a.ID)
		}
	}

	all := []int64{vault.ID, ana.ID, 42, lobby.ID, sue.ID, ana.ID, club.ID, bob.ID}
	got, err := h.posts.AccountsByID(ctx, bob, all)
	if want := []int64{ana.ID, lobby.ID, club.ID, bob.ID}; err != nil || !slices.Equal(accountIDs(got), want) {
		t.Errorf("bob: AccountsByID = %v, %v; want %v (in the order asked, once, hidden ones left out)", accountIDs(got), err, want)
	}

	for _, tt := range []struct {
		viewer ruche.User
		handle string
		found  bool
	}{
		{bob, "ana", true}, {bob, "@ANA", true}, {bob, "@ana@hive.example", true}, {bob, "@ana@elsewhere.example", false},
		{bob, "lobby", true}, {bob, "vault", false}, {ana, "@vault", true}, {bob, "sue", false}, {gus, "ana", false},
		{bob, "nobody", false}, {bob, "not a handle", false},
	} {
		_, err := h.posts.AccountByHandle(ctx, tt.viewer, tt.handle)
		if tt.found && err != nil {
			t.Errorf("%s: AccountByHandle(%q) = %v, want found", tt.viewer.Username, tt.handle, err)
		} else if !tt.found {
			wantNotFound(t, fmt.Sprintf("%s: AccountByHandle(%q)", tt.viewer.Username, tt.handle), err, "error.not_found")
		}
	}

	// What the account says goes through the gate: bob counts and dates only the post
	// he may see.
	a, err := h.posts.AccountByID(ctx, bob, ana.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Group != nil || a.Posts != 1 || a.LastPostAt == nil || !a.LastPostAt.Equal(open.CreatedAt) {
		t.Errorf("bob sees ana as group %v, %d posts, last %v; want a person, 1 post, last %v", a.Group, a.Posts, a.LastPostAt, open.CreatedAt)
	}
	g, err := h.posts.AccountByID(ctx, ana, vault.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Group == nil || g.Group.Handle != "vault" || g.Group.ViewerState != ruche.StateMember || g.Group.ViewerRole != ruche.GroupOwner ||
		g.Followers != 1 || g.Posts != 1 || !g.FollowedByViewer || g.LastPostAt == nil {
		t.Errorf("ana sees her group as %+v (group %+v)", g, g.Group)
	}
	if g, err := h.posts.AccountByID(ctx, bob, lobby.ID); err != nil || g.Group == nil || g.Group.ViewerState != ruche.StateNone || g.FollowedByViewer {
		t.Errorf("bob sees the lobby as %+v, %v", g, err)
	}

	// Once ana writes to the guest, the guest may know her.
	h.post(ana, ruche.NewPost{Source: "welcome @gus", Visibility: ruche.VisDirect})
	if _, err := h.posts.AccountByID(ctx, gus, ana.ID); err != nil {
		t.Errorf("gus, addressed by ana, cannot look her up: %v", err)
	}
	if _, err := h.posts.AccountByID(ctx, gus, bob.ID); err == nil {
		t.Error("gus looks up bob, who never wrote to him")
	}
}

// TestKnowableAgreesWithMayKnow checks the store's SQL statement of who may know of a
// group against the domain's (what Groups.Get answers), for every kind of group,
// every role and every standing in it.
func TestKnowableAgreesWithMayKnow(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	owner := h.user("owner", ruche.RoleMember)
	n := 0
	for _, kind := range []ruche.GroupKind{ruche.GroupOpen, ruche.GroupClosed, ruche.GroupSecret} {
		g := h.group(owner, "g_"+string(kind), kind)
		for _, role := range []ruche.Role{ruche.RoleMember, ruche.RoleGuest, ruche.RoleAdmin, ruche.RoleModerator} {
			for _, state := range []ruche.MembershipState{ruche.StateNone, ruche.StateMember, ruche.StateInvited, ruche.StateRequested} {
				n++
				u := h.user(fmt.Sprintf("u%d", n), role)
				if state != ruche.StateNone {
					h.standing(g, u, state)
				}
				_, err := h.groups.Get(ctx, u, g.Handle)
				domain := err == nil
				as, err := h.store.AccountsByID(ctx, ruche.ViewerOf(u), []int64{g.ID})
				if err != nil {
					t.Fatal(err)
				}
				rs, err := h.store.Relationships(ctx, ruche.ViewerOf(u), []int64{g.ID})
				if err != nil {
					t.Fatal(err)
				}
				if sql := len(as) == 1; sql != domain || len(rs) != len(as) {
					t.Errorf("%s group, %s %q: Groups.Get knows it %v, the store's accounts %v, relationships %d",
						kind, role, state, domain, sql, len(rs))
				}
			}
		}
	}
}

func TestFollowersAndFollowingPage(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	ana := h.user("ana", ruche.RoleMember)
	bob := h.user("bob", ruche.RoleMember)
	gus := h.user("gus", ruche.RoleGuest)
	var fans []ruche.User
	for i := range 5 {
		f := h.user(fmt.Sprintf("fan%d", i), ruche.RoleMember)
		h.follow(f, ana)
		fans = append(fans, f)
	}
	h.follow(ana, bob)
	h.suspend(fans[2])
	// Newest follow first, the suspended one left out, pages cut after it.
	want := []int64{fans[4].ID, fans[3].ID, fans[1].ID, fans[0].ID}
	var got []int64
	for pg := (ruche.Page{Limit: 2}); ; {
		as, err := h.posts.Followers(ctx, bob, ana.ID, pg)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, accountIDs(as)...)
		if len(as) < 2 {
			break
		}
		pg.MaxID = as[len(as)-1].PageID
	}
	if !slices.Equal(got, want) {
		t.Errorf("ana's followers over pages = %v, want %v", got, want)
	}
	all, err := h.posts.Followers(ctx, bob, ana.ID, ruche.Page{})
	if err != nil || len(all) != 4 {
		t.Fatalf("all followers: %d, %v", len(all), err)
	}
	// MinID: the page just above it, newest first; SinceID: from the top.
	if as, _ := h.posts.Followers(ctx, bob, ana.ID, ruche.Page{MinID: all[3].PageID, Limit: 2}); !slices.Equal(accountIDs(as), []int64{fans[3].ID, fans[1].ID}) {
		t.Errorf("min_id page = %v, want fan3, fan1", accountIDs(as))
	}
	if as, _ := h.posts.Followers(ctx, bob, ana.ID, ruche.Page{SinceID: all[3].PageID, Limit: 2}); !slices.Equal(accountIDs(as), []int64{fans[4].ID, fans[3].ID}) {
		t.Errorf("since_id page = %v, want fan4, fan3", accountIDs(as))
	}
	if as, err := h.posts.Following(ctx, bob, ana.ID, ruche.Page{}); err != nil || !slices.Equal(accountIDs(as), []int64{bob.ID}) {
		t.Errorf("ana follows %v, %v; want bob", accountIDs(as), err)
	}
	// A guest sees only the followers it may know; and ana only once she wrote to it.
	_, err = h.posts.Followers(ctx, gus, ana.ID, ruche.Page{})
	wantNotFound(t, "gus: followers of ana", err, "error.not_found")
	h.post(ana, ruche.NewPost{Source: "hi @gus", Visibility: ruche.VisDirect})
	h.post(fans[0], ruche.NewPost{Source: "hi @gus", Visibility: ruche.VisDirect})
	if as, err := h.posts.Followers(ctx, gus, ana.ID, ruche.Page{}); err != nil || !slices.Equal(accountIDs(as), []int64{fans[0].ID}) {
		t.Errorf("gus sees ana's followers %v, %v; want only fan0, who wrote to him", accountIDs(as), err)
	}

	// A group's followers are its members, for those who may see them.
	lobby := h.group(ana, "lobby", ruche.GroupOpen)
	club := h.group(ana, "club", ruche.GroupClosed)
	vault := h.group(ana, "vault", ruche.GroupSecret)
	for _, g := range []ruche.Group{lobby, club, vault} {
		h.standing(g, fans[0], ruche.StateMember)
	}
	h.standing(vault, fans[1], ruche.StateInvited)
	tests := []struct {
		viewer ruche.User
		group  ruche.Group
		code   ruche.Code // 0: listed
	}{
		{bob, lobby, 0},
		{bob, club, ruche.CodeForbidden},
		{bob, vault, ruche.CodeNotFound},
		{fans[1], vault, ruche.CodeForbidden}, // invited: knows of it, not yet who is in
		{fans[0], vault, 0},
		{fans[0], club, 0},
	}
	for _, tt := range tests {
		as, err := h.posts.Followers(ctx, tt.viewer, tt.group.ID, ruche.Page{})
		if tt.code == ruche.CodeNotFound {
			wantNotFound(t, tt.viewer.Username+": members of "+tt.group.Handle, err, "error.not_found")
			continue
		}
		if ruche.ErrorCode(err) != tt.code && (tt.code != 0 || err != nil) {
			t.Errorf("%s: members of %s: err %v, want code %d", tt.viewer.Username, tt.group.Handle, err, tt.code)
			continue
		}
		if tt.code == 0 && !slices.Equal(accountIDs(as), []int64{fans[0].ID, ana.ID}) {
			t.Errorf("%s: members of %s = %v, want fan0, ana (newest first)", tt.viewer.Username, tt.group.Handle, accountIDs(as))
		}
	}
	if as, err := h.posts.Following(ctx, fans[0], vault.ID, ruche.Page{}); err != nil || len(as) != 0 {
		t.Errorf("a group follows %v, %v; want nobody", accountIDs(as), err)
	}
	_, err = h.posts.Following(ctx, bob, vault.ID, ruche.Page{})
	wantNotFound(t, "bob: following of vault", err, "error.not_found")
}

func TestRelationships(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	ana := h.user("ana", ruche.RoleMember)
	bob := h.user("bob", ruche.RoleMember)
	sue := h.user("sue", ruche.RoleMember)
	cat := h.user("cat", ruche.RoleMember)
	h.follow(bob, ana)
	h.follow(cat, bob)
	h.suspend(sue)
	lobby := h.group(ana, "lobby", ruche.GroupOpen)
	club := h.group(ana, "club", ruche.GroupClosed)
	vault := h.group(ana, "vault", ruche.GroupSecret)
	h.standing(lobby, bob, ruche.StateMember)
	if _, err := h.groups.Join(ctx, bob, "club"); err != nil {
		t.Fatal(err)
	}
	rs, err := h.posts.Relationships(ctx, bob, []int64{vault.ID, ana.ID, 42, club.ID, sue.ID, lobby.ID, cat.ID, ana.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []ruche.Relationship{
		{ID: ana.ID, Following: true},
		{ID: club.ID, Requested: true},
		{ID: lobby.ID, Following: true, Member: true},
		{ID: cat.ID, FollowedBy: true},
	}
	if !slices.Equal(rs, want) {
		t.Errorf("bob's relationships =\n%+v\nwant (vault, 42 and sue left out)\n%+v", rs, want)
	}
}

func TestFavouritedAndRebloggedBy(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	ana := h.user("ana", ruche.RoleMember)
	bob := h.user("bob", ruche.RoleMember)
	cat := h.user("cat", ruche.RoleMember)
	gus := h.user("gus", ruche.RoleGuest)
	h.follow(cat, ana)
	private := h.post(ana, ruche.NewPost{Source: "for my followers", Visibility: ruche.VisFollowers})
	if err := h.posts.SetLiked(ctx, cat, private.ID, true); err != nil {
		t.Fatal(err)
	}
	if as, err := h.posts.FavouritedBy(ctx, cat, private.ID, ruche.Page{}); err != nil || !slices.Equal(accountIDs(as), []int64{cat.ID}) {
		t.Errorf("cat: likes of a post she sees = %v, %v", accountIDs(as), err)
	}
	_, err := h.posts.FavouritedBy(ctx, bob, private.ID, ruche.Page{})
	wantNotFound(t, "bob, no follower: likes of a followers-only post", err, "error.post_not_found")
	_, err = h.posts.RebloggedBy(ctx, bob, private.ID, ruche.Page{})
	wantNotFound(t, "bob, no follower: boosts of a followers-only post", err, "error.post_not_found")
	// The store's own gate says the same.
	if as, err := h.store.FavouritedBy(ctx, ruche.ViewerOf(bob), private.ID, ruche.Page{Limit: 10}); err != nil || len(as) != 0 {
		t.Errorf("store: bob gets likes of a post he may not see: %v, %v", accountIDs(as), err)
	}

	open := h.post(ana, ruche.NewPost{Source: "for all"})
	for _, u := range []ruche.User{bob, cat} {
		if err := h.posts.SetLiked(ctx, u, open.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := h.posts.SetBoosted(ctx, u, open.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	likes, err := h.posts.FavouritedBy(ctx, ana, open.ID, ruche.Page{})
	if err != nil || !slices.Equal(accountIDs(likes), []int64{cat.ID, bob.ID}) {
		t.Errorf("likes = %v, %v; want cat, bob", accountIDs(likes), err)
	}
	boosts, err := h.posts.RebloggedBy(ctx, ana, open.ID, ruche.Page{})
	if err != nil || !slices.Equal(accountIDs(boosts), []int64{cat.ID, bob.ID}) {
		t.Fatalf("boosts = %v, %v; want cat, bob", accountIDs(boosts), err)
	}
	if page, _ := h.posts.RebloggedBy(ctx, ana, open.ID, ruche.Page{MaxID: boosts[0].PageID}); !slices.Equal(accountIDs(page), []int64{bob.ID}) {
		t.Errorf("boosts after the first = %v, want bob", accountIDs(page))
	}
	// A boost's id reads as its original's.
	if as, err := h.posts.FavouritedBy(ctx, ana, boosts[0].PageID, ruche.Page{}); err != nil || len(as) != 2 {
		t.Errorf("likes through a boost's id = %v, %v", accountIDs(as), err)
	}

	// A guest sees a direct post's likers only if it may know them.
	dm := h.post(ana, ruche.NewPost{Source: "hi @gus @cat", Visibility: ruche.VisDirect})
	for _, u := range []ruche.User{cat, ana} {
		if err := h.posts.SetLiked(ctx, u, dm.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	if as, err := h.posts.FavouritedBy(ctx, gus, dm.ID, ruche.Page{}); err != nil || !slices.Equal(accountIDs(as), []int64{ana.ID}) {
		t.Errorf("gus sees likes by %v, %v; want ana only (cat never wrote to him)", accountIDs(as), err)
	}
}

func TestNotificationsFilteredAndOwn(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	ana := h.user("ana", ruche.RoleMember)
	bob := h.user("bob", ruche.RoleMember)
	cat := h.user("cat", ruche.RoleMember)
	p := h.post(ana, ruche.NewPost{Source: "news"})
	// Ana hears of a mention by bob, then a like and a follow by cat.
	h.post(bob, ruche.NewPost{Source: "look @ana"})
	if err := h.posts.SetLiked(ctx, cat, p.ID, true); err != nil {
		t.Fatal(err)
	}
	h.follow(cat, ana)
	// A notification about a post ana may not see (bob's words to cat) stays out of
	// every read, as if it did not exist.
	secret := h.post(bob, ruche.NewPost{Source: "psst @cat", Visibility: ruche.VisDirect})
	var hidden int64
	if err := h.store.Pool().QueryRow(ctx, `INSERT INTO notifications (account_id, kind, from_id, post_id) VALUES ($1, 'like', $2, $3) RETURNING id`,
		ana.ID, bob.ID, secret.ID).Scan(&hidden); err != nil {
		t.Fatal(err)
	}

	kinds := func(ns []ruche.Notification) []ruche.NotificationKind {
		var out []ruche.NotificationKind
		for _, n := range ns {
			out = append(out, n.Kind)
		}
		return out
	}
	tests := []struct {
		name string
		f    ruche.NotificationFilter
		want []ruche.NotificationKind
	}{
		{"all", ruche.NotificationFilter{}, []ruche.NotificationKind{ruche.NotifyFollow, ruche.NotifyLike, ruche.NotifyMention}},
		{"likes", ruche.NotificationFilter{Types: []ruche.NotificationKind{ruche.NotifyLike}}, []ruche.NotificationKind{ruche.NotifyLike}},
		{"no follows", ruche.NotificationFilter{ExcludeTypes: []ruche.NotificationKind{ruche.NotifyFollow}},
			[]ruche.NotificationKind{ruche.NotifyLike, ruche.NotifyMention}},
		{"from cat", ruche.NotificationFilter{FromAccountID: cat.ID}, []ruche.NotificationKind{ruche.NotifyFollow, ruche.NotifyLike}},
		{"from bob", ruche.NotificationFilter{FromAccountID: bob.ID}, []ruche.NotificationKind{ruche.NotifyMention}},
	}
	for _, tt := range tests {
		ns, err := h.posts.NotificationsFiltered(ctx, ana, ruche.Page{}, tt.f)
		if err != nil || !slices.Equal(kinds(ns), tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, kinds(ns), err, tt.want)
		}
	}
	all, err := h.posts.NotificationsFiltered(ctx, ana, ruche.Page{}, ruche.NotificationFilter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("ana's notifications: %d, %v", len(all), err)
	}
	if all[1].Post == nil || all[1].Post.ID != p.ID {
		t.Errorf("the like's post = %+v, want ana's post", all[1].Post)
	}
	if ns, _ := h.posts.NotificationsFiltered(ctx, ana, ruche.Page{SinceID: all[2].ID, Limit: 1}, ruche.NotificationFilter{}); len(ns) != 1 || ns[0].ID != all[0].ID {
		t.Errorf("since_id, limit 1 = %v; want the newest", ns)
	}
	if ns, _ := h.posts.NotificationsFiltered(ctx, ana, ruche.Page{MinID: all[2].ID, Limit: 1}, ruche.NotificationFilter{}); len(ns) != 1 || ns[0].ID != all[1].ID {
		t.Errorf("min_id, limit 1 = %v; want the one just above", ns)
	}

	if n, err := h.posts.Notification(ctx, ana, all[0].ID); err != nil || n.Kind != ruche.NotifyFollow || n.From.ID != cat.ID {
		t.Errorf("ana's own notification = %+v, %v", n, err)
	}
	_, err = h.posts.Notification(ctx, bob, all[0].ID)
	wantNotFound(t, "bob reads ana's notification", err, "error.not_found")
	_, err = h.posts.Notification(ctx, ana, hidden)
	wantNotFound(t, "ana reads a notification about a post she may not see", err, "error.not_found")
	wantNotFound(t, "bob dismisses ana's notification", h.posts.DismissNotification(ctx, bob, all[0].ID), "error.not_found")
	if _, err := h.posts.Notification(ctx, ana, all[0].ID); err != nil {
		t.Errorf("bob's dismissal took ana's notification: %v", err)
	}
	if err := h.posts.DismissNotification(ctx, ana, all[0].ID); err != nil {
		t.Fatal(err)
	}
	if ns, _ := h.posts.NotificationsFiltered(ctx, ana, ruche.Page{}, ruche.NotificationFilter{}); len(ns) != 2 {
		t.Errorf("after dismissing one: %d left, want 2", len(ns))
	}
	// The web UI's list is the same list.
	if ns, _ := h.posts.Notifications(ctx, ana, ruche.Page{}); len(ns) != 2 {
		t.Errorf("Notifications after dismissing one: %d, want 2", len(ns))
	}
	if ns, _ := h.posts.NotificationsFiltered(ctx, cat, ruche.Page{}, ruche.NotificationFilter{}); len(ns) != 1 {
		t.Fatalf("cat's notifications: %d, want 1", len(ns))
	}
	if err := h.posts.ClearNotifications(ctx, ana); err != nil {
		t.Fatal(err)
	}
	if ns, _ := h.posts.NotificationsFiltered(ctx, ana, ruche.Page{}, ruche.NotificationFilter{}); len(ns) != 0 {
		t.Errorf("after clearing: %d left", len(ns))
	}
	if ns, _ := h.posts.NotificationsFiltered(ctx, cat, ruche.Page{}, ruche.NotificationFilter{}); len(ns) != 1 {
		t.Errorf("ana's clearing took cat's notification")
	}
}

func TestConversations(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	ana := h.user("ana", ruche.RoleMember)
	bob := h.user("bob", ruche.RoleMember)
	cat := h.user("cat", ruche.RoleMember)
	dan := h.user("dan", ruche.RoleMember)
	root := h.post(ana, ruche.NewPost{Source: "@bob lunch?", Visibility: ruche.VisDirect})
	yes := h.post(bob, ruche.NewPost{Source: "yes", InReplyToID: root.ID})
	last := h.post(ana, ruche.NewPost{Source: "noon", InReplyToID: yes.ID})
	h.post(ana, ruche.NewPost{Source: "not a conversation"})

	convs := func(u ruche.User) []ruche.Conversation {
		t.Helper()
		cs, err := h.posts.Conversations(ctx, u, ruche.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	cs := convs(bob)
	if len(cs) != 1 || cs[0].ID != root.ID || cs[0].LastPost.ID != last.ID || !cs[0].Unread ||
		len(cs[0].Accounts) != 1 || cs[0].Accounts[0].ID != ana.ID {
		t.Fatalf("bob's conversations = %+v; want one, rooted at %d, last %d, unread, with ana", cs, root.ID, last.ID)
	}
	if err := h.posts.MarkConversationRead(ctx, bob, root.ID); err != nil {
		t.Fatal(err)
	}
	if cs := convs(bob); len(cs) != 1 || cs[0].Unread {
		t.Errorf("after reading: %+v", cs)
	}
	// Cat is not part of it: it does not exist for her.
	if cs := convs(cat); len(cs) != 0 {
		t.Errorf("cat sees conversations %+v", cs)
	}
	wantNotFound(t, "cat marks it read", h.posts.MarkConversationRead(ctx, cat, root.ID), "error.not_found")
	wantNotFound(t, "cat hides it", h.posts.HideConversation(ctx, cat, root.ID), "error.not_found")
	wantNotFound(t, "bob marks a reply read as if a conversation", h.posts.MarkConversationRead(ctx, bob, last.ID), "error.not_found")

	// Hidden until someone writes in it again; own posts do not make it unread.
	if err := h.posts.HideConversation(ctx, bob, root.ID); err != nil {
		t.Fatal(err)
	}
	if cs := convs(bob); len(cs) != 0 {
		t.Errorf("hidden, yet listed: %+v", cs)
	}
	more := h.post(bob, ruche.NewPost{Source: "see you", InReplyToID: last.ID})
	if cs := convs(bob); len(cs) != 1 || cs[0].LastPost.ID != more.ID || cs[0].Unread {
		t.Errorf("after bob wrote again: %+v; want it back, read", cs)
	}
	again := h.post(ana, ruche.NewPost{Source: "great", InReplyToID: more.ID})
	if cs := convs(bob); len(cs) != 1 || cs[0].LastPost.ID != again.ID || !cs[0].Unread {
		t.Errorf("after ana wrote again: %+v; want unread", cs)
	}

	// Dan joins only in a later reply: his conversation starts there, and names no
	// post he may not see.
	joined := h.post(bob, ruche.NewPost{Source: "@dan join us", InReplyToID: again.ID})
	cs = convs(dan)
	if len(cs) != 1 || cs[0].ID != joined.ID {
		t.Fatalf("dan's conversations = %+v; want one rooted at the reply that named him (%d)", cs, joined.ID)
	}
	var others []int64
	for _, a := range cs[0].Accounts {
		others = append(others, a.ID)
	}
	if !slices.Equal(others, []int64{ana.ID, bob.ID}) {
		t.Errorf("dan talks with %v, want ana and bob", others)
	}
	wantNotFound(t, "dan marks the root he may not see", h.posts.MarkConversationRead(ctx, dan, root.ID), "error.not_found")

	// Newest activity first, in pages.
	other := h.post(cat, ruche.NewPost{Source: "@bob quick question", Visibility: ruche.VisDirect})
	cs = convs(bob)
	if len(cs) != 2 || cs[0].ID != other.ID || cs[1].ID != root.ID {
		t.Fatalf("bob's conversations = %+v; want cat's, then ana's", cs)
	}
	page, err := h.posts.Conversations(ctx, bob, ruche.Page{MaxID: cs[0].LastPost.ID, Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != root.ID {
		t.Errorf("second page = %+v, %v", page, err)
	}
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	h := newSocial(t)
	ana := h.user("ana", ruche.RoleMember)
	bob := h.user("bob", ruche.RoleMember)
	cat := h.user("cat", ruche.RoleMember)
	gus := h.user("gus", ruche.RoleGuest)
	h.user("anabel", ruche.RoleMember)
	h.follow(cat, ana)
	h.group(ana, "vault", ruche.GroupSecret)
	h.group(ana, "analysts", ruche.GroupOpen)
	h.post(ana, ruche.NewPost{Source: "plans #VaultPlan", GroupHandle: "vault"})
	open := h.post(ana, ruche.NewPost{Source: "see #roadmap"})
	private := h.post(ana, ruche.NewPost{Source: "for my followers", Visibility: ruche.VisFollowers})

	_, err := h.posts.Search(ctx, bob, "  ", nil, 0)
	if ruche.ErrorCode(err) != ruche.CodeInvalid {
		t.Errorf("empty query: %v, want invalid", err)
	}
	search := func(u ruche.User, q string, kinds ...string) ruche.SearchResult {
		t.Helper()
		r, err := h.posts.Search(ctx, u, q, kinds, 0)
		if err != nil {
			t.Fatalf("%s searches %q: %v", u.Username, q, err)
		}
		return r
	}
	postURL := func(p ruche.Post) string { return "https://hive.example/posts/" + strconv.FormatInt(p.ID, 10) }
	tests := []struct {
		viewer   ruche.User
		q        string
		kinds    []string
		accounts []string
		tags     []string
		posts    []int64
	}{
		{bob, "ana", nil, []string{"ana", "anabel", "analysts"}, []string{}, []int64{}},
		{bob, "@ana@hive.example", []string{ruche.SearchAccounts}, []string{"ana", "anabel", "analysts"}, []string{}, []int64{}},
		{bob, "@ana@elsewhere.example", nil, []string{}, []string{}, []int64{}},
		{bob, "vau", nil, []string{}, []string{}, []int64{}}, // the secret group and its tag stay hidden
		{ana, "vau", nil, []string{"vault"}, []string{"vaultplan"}, []int64{}},
		{bob, "#road", nil, []string{}, []string{"roadmap"}, []int64{}},
		{bob, "road", []string{ruche.SearchAccounts}, []string{}, []string{}, []int64{}},
		{gus, "ana", nil, []string{}, []string{}, []int64{}}, // a guest discovers nobody
		{bob, postURL(open), nil, []string{}, []string{}, []int64{open.ID}},
		{bob, postURL(private), nil, []string{}, []string{}, []int64{}}, // not his to see
		{cat, postURL(private), nil, []string{}, []string{}, []int64{private.ID}},
		{cat, postURL(private), []string{ruche.SearchAccounts}, []string{}, []string{}, []int64{}},
		{bob, "https://hive.example/posts/42", nil, []string{}, []string{}, []int64{}},
		{bob, "https://hive.example/@ana", nil, []string{"ana"}, []string{}, []int64{}},
		{bob, "https://hive.example/groups/vault", nil, []string{}, []string{}, []int64{}},
		{bob, "https://elsewhere.example/posts/" + strconv.FormatInt(open.ID, 10), nil, []string{}, []string{}, []int64{}},
	}
	for _, tt := range tests {
		r := search(tt.viewer, tt.q, tt.kinds...)
		var names []string
		for _, a := range r.Accounts {
			names = append(names, a.Username)
		}
		var ids []int64
		for _, p := range r.Posts {
			ids = append(ids, p.ID)
		}
		if !slices.Equal(names, tt.accounts) || !slices.Equal(r.Tags, tt.tags) || !slices.Equal(ids, tt.posts) {
			t.Errorf("%s searches %q %v: accounts %v, tags %v, posts %v; want %v, %v, %v",
				tt.viewer.Username, tt.q, tt.kinds, names, r.Tags, ids, tt.accounts, tt.tags, tt.posts)
		}
	}
	// Once ana writes to the guest, the guest finds her.
	h.post(ana, ruche.NewPost{Source: "hi @gus", Visibility: ruche.VisDirect})
	if r := search(gus, "an", ruche.SearchAccounts); len(r.Accounts) != 1 || r.Accounts[0].ID != ana.ID {
		t.Errorf("gus finds %d accounts, want ana alone", len(r.Accounts))
	}
}

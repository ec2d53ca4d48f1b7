package postgres_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// clientHive is a fresh store with the posts use cases on it, for the client API's
// pieces: lists, favourites, markers and idempotent posting.
type clientHive struct {
	t     *testing.T
	store *postgres.Store
	posts *ruche.Posts
}

func newClientHive(t *testing.T) *clientHive {
	t.Helper()
	s := testdb.NewStore(t)
	return &clientHive{t: t, store: s, posts: &ruche.Posts{Store: s, BaseURL: "https://hive.example"}}
}

// write stores a post as drafted (no rendering) and returns its id.
func (h *clientHive) write(d ruche.PostDraft) int64 {
	h.t.Helper()
	if d.Source == "" {
		d.Source = "x"
	}
	d.HTML = "<p>" + d.Source + "</p>"
	id, err := h.store.CreatePost(context.Background(), d)
	if err != nil {
		h.t.Fatalf("write %+v: %v", d, err)
	}
	return id
}

func (h *clientHive) follow(follower, followee ruche.User) {
	h.t.Helper()
	if err := h.store.SetFollowing(context.Background(), follower.ID, followee.ID, true); err != nil {
		h.t.Fatal(err)
	}
}

// stream reads a whole stream (one large page) as ids, newest first. It first lets the
// clock pass the last write, as the stream horizon leaves out ids of this very
// millisecond.
func (h *clientHive) stream(v ruche.User, st ruche.Stream, p ruche.Page) []int64 {
	h.t.Helper()
	time.Sleep(3 * time.Millisecond)
	if p.Limit == 0 {
		p.Limit = 40
	}
	posts, err := h.store.Timeline(context.Background(), ruche.ViewerOf(v), st, p)
	if err != nil {
		h.t.Fatalf("%s stream of %s: %v", st.Kind, v.Username, err)
	}
	return ids(posts)
}

func ids(posts []ruche.Post) []int64 {
	out := []int64{}
	for _, p := range posts {
		out = append(out, p.ID)
	}
	return out
}

// wantError checks that err is a domain error of code and key.
func wantError(t *testing.T, what string, err error, code ruche.Code, key string) {
	t.Helper()
	var e *ruche.Error
	if !errors.As(err, &e) || e.Code != code || e.Key != key {
		t.Errorf("%s: error %v, want code %d %s", what, err, code, key)
	}
}

func TestListsBelongToTheirOwner(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	eve := user(t, h.store, "eve", ruche.RoleMember)
	ana := user(t, h.store, "ana", ruche.RoleMember)
	bob := user(t, h.store, "bob", ruche.RoleMember)

	bad := []struct {
		name string
		f    ruche.ListFields
		key  string
	}{
		{"blank title", ruche.ListFields{Title: "  \t"}, "error.list_title_invalid"},
		{"long title", ruche.ListFields{Title: strings.Repeat("é", ruche.MaxListTitleChars+1)}, "error.list_title_invalid"},
		{"bad policy", ruche.ListFields{Title: "x", RepliesPolicy: "all"}, "error.replies_policy_invalid"},
	}
	for _, tt := range bad {
		_, err := h.posts.CreateList(ctx, olga, tt.f)
		wantError(t, tt.name, err, ruche.CodeInvalid, tt.key)
	}

	team, err := h.posts.CreateList(ctx, olga, ruche.ListFields{Title: "  Team  "})
	if err != nil {
		t.Fatal(err)
	}
	if want := (ruche.List{ID: team.ID, Title: "Team", RepliesPolicy: ruche.RepliesList}); team != want {
		t.Errorf("created %+v, want %+v", team, want)
	}
	long, err := h.posts.CreateList(ctx, olga, ruche.ListFields{Title: strings.Repeat("é", ruche.MaxListTitleChars),
		RepliesPolicy: ruche.RepliesNone, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.posts.Lists(ctx, olga)
	if err != nil || len(got) != 2 || got[0].ID != team.ID || got[1] != long {
		t.Errorf("Lists = %+v, %v; want Team then the long one", got, err)
	}
	team, err = h.posts.UpdateList(ctx, olga, team.ID, ruche.ListFields{Title: "Core team", RepliesPolicy: ruche.RepliesFollowed})
	if err != nil || team.Title != "Core team" || team.RepliesPolicy != ruche.RepliesFollowed || team.Exclusive {
		t.Errorf("UpdateList = %+v, %v", team, err)
	}
	if l, err := h.posts.List(ctx, olga, team.ID); err != nil || l != team {
		t.Errorf("List = %+v, %v; want %+v", l, err, team)
	}

	if err := h.posts.AddToList(ctx, olga, team.ID, []int64{ana.ID, bob.ID, ana.ID}); err != nil {
		t.Fatal(err)
	}
	if err := h.posts.AddToList(ctx, olga, team.ID, []int64{ana.ID}); err != nil {
		t.Errorf("adding a member again: %v", err)
	}
	members, err := h.posts.ListAccounts(ctx, olga, team.ID, ruche.Page{})
	if err != nil || len(members) != 2 || members[0].ID != max(ana.ID, bob.ID) || members[1].ID != min(ana.ID, bob.ID) {
		t.Errorf("ListAccounts = %+v, %v; want bob and ana, highest id first", members, err)
	}
	page, err := h.posts.ListAccounts(ctx, olga, team.ID, ruche.Page{MaxID: members[0].ID, Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != members[1].ID {
		t.Errorf("ListAccounts below %d = %+v, %v", members[0].ID, page, err)
	}
	with, err := h.posts.ListsWith(ctx, olga, ana.ID)
	if err != nil || len(with) != 1 || with[0].ID != team.ID {
		t.Errorf("ListsWith(ana) = %+v, %v", with, err)
	}
	if err := h.posts.RemoveFromList(ctx, olga, team.ID, []int64{ana.ID, eve.ID}); err != nil {
		t.Fatal(err)
	}
	if with, err := h.posts.ListsWith(ctx, olga, ana.ID); err != nil || len(with) != 0 {
		t.Errorf("ListsWith(ana) after removal = %+v, %v", with, err)
	}

	// Someone else's list does not exist, as far as anyone else can tell.
	notFound := map[string]error{}
	_, notFound["List"] = h.posts.List(ctx, eve, team.ID)
	_, notFound["UpdateList"] = h.posts.UpdateList(ctx, eve, team.ID, ruche.ListFields{Title: "Mine"})
	_, notFound["ListAccounts"] = h.posts.ListAccounts(ctx, eve, team.ID, ruche.Page{})
	notFound["AddToList"] = h.posts.AddToList(ctx, eve, team.ID, []int64{ana.ID})
	notFound["RemoveFromList"] = h.posts.RemoveFromList(ctx, eve, team.ID, []int64{bob.ID})
	_, notFound["ListTimeline"] = h.posts.ListTimeline(ctx, eve, team.ID, ruche.Page{})
	notFound["DeleteList"] = h.posts.DeleteList(ctx, eve, team.ID)
	_, notFound["List of no list"] = h.posts.List(ctx, olga, 42)
	for what, err := range notFound {
		wantError(t, what, err, ruche.CodeNotFound, "error.list_not_found")
	}
	if l, err := h.posts.List(ctx, olga, team.ID); err != nil || l.Title != "Core team" {
		t.Errorf("after eve's attempts: %+v, %v", l, err)
	}
	if m, err := h.posts.ListAccounts(ctx, olga, team.ID, ruche.Page{}); err != nil || len(m) != 1 || m[0].ID != bob.ID {
		t.Errorf("after eve's attempts, members = %+v, %v; want bob", m, err)
	}
	if lists, err := h.posts.Lists(ctx, eve); err != nil || len(lists) != 0 {
		t.Errorf("eve's lists = %+v, %v", lists, err)
	}

	if err := h.posts.DeleteList(ctx, olga, team.ID); err != nil {
		t.Fatal(err)
	}
	_, err = h.posts.List(ctx, olga, team.ID)
	wantError(t, "deleted list", err, ruche.CodeNotFound, "error.list_not_found")
}

func TestListMembersArePeopleTheOwnerMayKnow(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	gina := user(t, h.store, "gina", ruche.RoleGuest)
	ana := user(t, h.store, "ana", ruche.RoleMember)
	bob := user(t, h.store, "bob", ruche.RoleMember)
	group, err := h.store.CreateGroup(ctx, ana.ID, "team", ruche.GroupFields{Name: "Team", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := h.posts.CreateList(ctx, olga, ruche.ListFields{Title: "Mine"})
	if err != nil {
		t.Fatal(err)
	}
	guests, err := h.posts.CreateList(ctx, gina, ruche.ListFields{Title: "Guest's"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		u    ruche.User
		list int64
		ids  []int64
		ok   bool
	}{
		{"member adds people", olga, mine.ID, []int64{ana.ID, bob.ID}, true},
		{"a group is not a person", olga, mine.ID, []int64{group}, false},
		{"no such account", olga, mine.ID, []int64{42}, false},
		{"all or none", olga, mine.ID, []int64{gina.ID, 42}, false},
		{"guest may not discover people", gina, guests.ID, []int64{ana.ID}, false},
		{"guest adds themselves", gina, guests.ID, []int64{gina.ID}, true},
	}
	for _, tt := range tests {
		err := h.posts.AddToList(ctx, tt.u, tt.list, tt.ids)
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok {
			wantError(t, tt.name, err, ruche.CodeNotFound, "error.member_not_found")
		}
	}
	if m, _ := h.posts.ListAccounts(ctx, olga, mine.ID, ruche.Page{}); len(m) != 2 {
		t.Errorf("olga's list holds %+v, want ana and bob only (a failed add adds nobody)", m)
	}
	// Once ana writes to the guest, the guest knows her.
	h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisDirect, MentionIDs: []int64{gina.ID}})
	if err := h.posts.AddToList(ctx, gina, guests.ID, []int64{ana.ID}); err != nil {
		t.Errorf("guest adds who wrote to them: %v", err)
	}
}

// TestListMembersFollowWhatTheOwnerMayKnowNow checks that a list is filled and read by
// knowable, the rule of every account read: a suspended member cannot be added and
// drops out of the lists that held them, and an owner made a guest sees only the
// people a guest may know (themself, and those who wrote to them).
func TestListMembersFollowWhatTheOwnerMayKnowNow(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	user(t, h.store, "root", ruche.RoleAdmin) // demotions and suspensions leave an admin
	olga := user(t, h.store, "olga", ruche.RoleMember)
	ana := user(t, h.store, "ana", ruche.RoleMember)
	bob := user(t, h.store, "bob", ruche.RoleMember)
	sue := user(t, h.store, "sue", ruche.RoleMember)
	zed := user(t, h.store, "zed", ruche.RoleMember)
	list, err := h.posts.CreateList(ctx, olga, ruche.ListFields{Title: "Colleagues"})
	if err != nil {
		t.Fatal(err)
	}
	members := func() []int64 {
		t.Helper()
		as, err := h.posts.ListAccounts(ctx, olga, list.ID, ruche.Page{})
		if err != nil {
			t.Fatalf("ListAccounts: %v", err)
		}
		out := []int64{}
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	desc := func(ids ...int64) []int64 {
		slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
		return ids
	}

	// A suspended member is not found, alone or among others (all or none).
	if err := h.store.SetSuspended(ctx, 0, zed.ID, true); err != nil {
		t.Fatal(err)
	}
	wantError(t, "adding a suspended member", h.posts.AddToList(ctx, olga, list.ID, []int64{zed.ID}),
		ruche.CodeNotFound, "error.member_not_found")
	wantError(t, "adding a suspended member among others", h.posts.AddToList(ctx, olga, list.ID, []int64{ana.ID, zed.ID}),
		ruche.CodeNotFound, "error.member_not_found")
	if got := members(); len(got) != 0 {
		t.Errorf("after refused adds, the list holds %v; want nobody", got)
	}

	// One suspended after being added drops out of the list, and is back when reinstated.
	if err := h.posts.AddToList(ctx, olga, list.ID, []int64{ana.ID, bob.ID, sue.ID, olga.ID}); err != nil {
		t.Fatal(err)
	}
	if got, want := members(), desc(ana.ID, bob.ID, sue.ID, olga.ID); !slices.Equal(got, want) {
		t.Fatalf("members = %v, want %v", got, want)
	}
	if err := h.store.SetSuspended(ctx, 0, sue.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, want := members(), desc(ana.ID, bob.ID, olga.ID); !slices.Equal(got, want) {
		t.Errorf("with sue suspended, members = %v, want %v", got, want)
	}
	if err := h.store.SetSuspended(ctx, 0, sue.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := members(), desc(ana.ID, bob.ID, sue.ID, olga.ID); !slices.Equal(got, want) {
		t.Errorf("with sue reinstated, members = %v, want %v", got, want)
	}

	// Made a guest, olga sees herself and ana, who wrote to her, and not the others.
	h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisDirect, MentionIDs: []int64{olga.ID}})
	if err := h.store.SetRole(ctx, 0, olga.ID, ruche.RoleGuest); err != nil {
		t.Fatal(err)
	}
	olga.Role = ruche.RoleGuest
	if got, want := members(), desc(ana.ID, olga.ID); !slices.Equal(got, want) {
		t.Errorf("to olga made a guest, members = %v, want %v (herself and who wrote to her)", got, want)
	}
	page, err := h.posts.ListAccounts(ctx, olga, list.ID, ruche.Page{Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != max(ana.ID, olga.ID) {
		t.Errorf("a page of one = %+v, %v; want the highest of ana and olga", page, err)
	}
	wantError(t, "a guest adding a colleague again", h.posts.AddToList(ctx, olga, list.ID, []int64{bob.ID}),
		ruche.CodeNotFound, "error.member_not_found")
}

// TestListStreamIsGatedLikeHome checks that a list's stream shows its members' posts
// and boosts exactly as the owner may see them, and only to the owner.
func TestListStreamIsGatedLikeHome(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	ana := user(t, h.store, "ana", ruche.RoleMember)   // in the list, not followed
	bob := user(t, h.store, "bob", ruche.RoleMember)   // in the list, followed
	carl := user(t, h.store, "carl", ruche.RoleMember) // not in the list
	eve := user(t, h.store, "eve", ruche.RoleMember)
	h.follow(olga, bob)
	theirs, err := h.store.CreateGroup(ctx, ana.ID, "theirs", ruche.GroupFields{Name: "Theirs", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := h.store.CreateGroup(ctx, ana.ID, "ours", ruche.GroupFields{Name: "Ours", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.SetMembership(ctx, ours, olga.ID, ruche.StateMember, ruche.GroupMember, "", 0); err != nil {
		t.Fatal(err)
	}
	list, err := h.posts.CreateList(ctx, olga, ruche.ListFields{Title: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.posts.AddToList(ctx, olga, list.ID, []int64{ana.ID, bob.ID}); err != nil {
		t.Fatal(err)
	}

	shown, hidden := map[int64]string{}, map[int64]string{}
	post := func(into map[int64]string, what string, d ruche.PostDraft) int64 {
		id := h.write(d)
		into[id] = what
		return id
	}
	post(shown, "ana company", ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany})
	post(shown, "ana quiet", ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisQuiet})
	post(hidden, "ana followers-only", ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisFollowers})
	post(hidden, "ana direct to carl", ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisDirect, MentionIDs: []int64{carl.ID}})
	post(shown, "ana direct to olga", ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisDirect, MentionIDs: []int64{olga.ID}})
	post(hidden, "ana in a group olga is not in", ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisGroup, GroupID: theirs})
	post(shown, "ana in olga's group", ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisGroup, GroupID: ours})
	post(shown, "bob followers-only", ruche.PostDraft{AuthorID: bob.ID, Visibility: ruche.VisFollowers})
	carlsPublic := post(hidden, "carl company", ruche.PostDraft{AuthorID: carl.ID, Visibility: ruche.VisCompany})
	carlsNarrow := post(hidden, "carl followers-only", ruche.PostDraft{AuthorID: carl.ID, Visibility: ruche.VisFollowers})
	h.follow(ana, carl)
	for _, b := range []struct {
		of   int64
		into map[int64]string
		what string
	}{{carlsPublic, shown, "ana's boost of carl's company post"}, {carlsNarrow, hidden, "ana's boost of carl's followers-only post"}} {
		id, err := h.store.Boost(ctx, ana.ID, b.of)
		if err != nil {
			t.Fatal(err)
		}
		b.into[id] = b.what
	}

	stream := ruche.Stream{Kind: ruche.StreamList, AccountID: list.ID}
	got := h.stream(olga, stream, ruche.Page{})
	for _, id := range got {
		if what, ok := hidden[id]; ok {
			t.Errorf("list stream shows %s", what)
		}
	}
	for id, what := range shown {
		if !slices.Contains(got, id) {
			t.Errorf("list stream lacks %s", what)
		}
	}
	if len(got) != len(shown) || !slices.IsSortedFunc(got, func(a, b int64) int { return cmp.Compare(b, a) }) {
		t.Errorf("list stream = %d posts %v, want the %d shown, newest first", len(got), got, len(shown))
	}
	// Paging through it finds the same posts.
	var paged []int64
	for p := (ruche.Page{Limit: 3}); ; {
		page := h.stream(olga, stream, p)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		p.MaxID = page[len(page)-1]
	}
	if !slices.Equal(paged, got) {
		t.Errorf("paged list stream = %v, want %v", paged, got)
	}
	// Anyone else gets nothing, and the use case says there is no such list.
	if got := h.stream(eve, stream, ruche.Page{}); len(got) != 0 {
		t.Errorf("eve reads olga's list: %v", got)
	}
	if posts, err := h.posts.ListTimeline(ctx, olga, list.ID, ruche.Page{}); err != nil || len(posts) != len(shown) {
		t.Errorf("ListTimeline = %d posts, %v; want %d", len(posts), err, len(shown))
	}
}

func TestListStreamRepliesPolicy(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	ana := user(t, h.store, "ana", ruche.RoleMember)
	bob := user(t, h.store, "bob", ruche.RoleMember)
	carl := user(t, h.store, "carl", ruche.RoleMember) // not in the list; olga follows him
	dan := user(t, h.store, "dan", ruche.RoleMember)   // a stranger to the list and to olga
	h.follow(olga, carl)
	list, err := h.posts.CreateList(ctx, olga, ruche.ListFields{Title: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.posts.AddToList(ctx, olga, list.ID, []int64{ana.ID, bob.ID}); err != nil {
		t.Fatal(err)
	}
	reply := func(to ruche.User) int64 {
		parent := h.write(ruche.PostDraft{AuthorID: to.ID, Visibility: ruche.VisCompany})
		return h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, InReplyToID: parent,
			InReplyToAccountID: to.ID, MentionIDs: withoutSelf([]int64{to.ID}, ana.ID)})
	}
	top := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany})
	toSelf, toOwner, toMember, toFollowed, toStranger := reply(ana), reply(olga), reply(bob), reply(carl), reply(dan)
	tests := []struct {
		policy ruche.RepliesPolicy
		want   []int64
	}{
		{ruche.RepliesNone, []int64{top, toSelf}},
		{ruche.RepliesList, []int64{top, toSelf, toOwner, toMember}},
		{ruche.RepliesFollowed, []int64{top, toSelf, toOwner, toFollowed}},
	}
	for _, tt := range tests {
		if _, err := h.posts.UpdateList(ctx, olga, list.ID, ruche.ListFields{Title: "Team", RepliesPolicy: tt.policy}); err != nil {
			t.Fatal(err)
		}
		got := h.stream(olga, ruche.Stream{Kind: ruche.StreamList, AccountID: list.ID}, ruche.Page{})
		for _, id := range []int64{top, toSelf, toOwner, toMember, toFollowed, toStranger} {
			if shown, want := slices.Contains(got, id), slices.Contains(tt.want, id); shown != want {
				t.Errorf("policy %s: post %d shown %v, want %v", tt.policy, id, shown, want)
			}
		}
	}
}

func withoutSelf(ids []int64, self int64) []int64 {
	return slices.DeleteFunc(ids, func(id int64) bool { return id == self })
}

func TestFavouritesNewestLikeFirstAndGated(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	ana := user(t, h.store, "ana", ruche.RoleMember)
	h.follow(olga, ana)
	p1 := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "one"})
	p2 := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "two"})
	p3 := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "three"})
	narrow := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisFollowers, Source: "followers"})
	for _, id := range []int64{p2, narrow, p3, p1} { // liked in this order
		if err := h.posts.SetLiked(ctx, olga, id, true); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	fav := ruche.Stream{Kind: ruche.StreamFavourites}
	if got, want := h.stream(olga, fav, ruche.Page{}), []int64{p1, p3, narrow, p2}; !slices.Equal(got, want) {
		t.Errorf("favourites = %v, want newest like first %v", got, want)
	}
	// Pages are bounded by the likes' ids.
	nextBounds := pagesByMark(t, func(pg ruche.Page) ([]ruche.Post, ruche.PageBounds, error) {
		return h.posts.Favourites(ctx, olga, pg)
	}, [4]int64{p1, p3, narrow, p2})
	since, _, err := h.posts.Favourites(ctx, olga, ruche.Page{SinceID: nextBounds.Newest, Limit: 1})
	if err != nil || !slices.Equal(ids(since), []int64{p1}) {
		t.Errorf("since %d = %v, %v; want [p1]", nextBounds.Newest, ids(since), err)
	}
	// A post olga may no longer see leaves her favourites.
	if err := h.store.SetFollowing(ctx, olga.ID, ana.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := h.stream(olga, fav, ruche.Page{}), []int64{p1, p3, p2}; !slices.Equal(got, want) {
		t.Errorf("favourites after unfollowing = %v, want %v", got, want)
	}
	// Unliking takes a post out; nobody else's likes are in it.
	if err := h.posts.SetLiked(ctx, olga, p3, false); err != nil {
		t.Fatal(err)
	}
	if got, want := h.stream(olga, fav, ruche.Page{}), []int64{p1, p2}; !slices.Equal(got, want) {
		t.Errorf("favourites after unliking = %v, want %v", got, want)
	}
	if got := h.stream(ana, fav, ruche.Page{}); len(got) != 0 {
		t.Errorf("ana's favourites = %v, want none", got)
	}
}

func TestMarkersCountTheirVersions(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	eve := user(t, h.store, "eve", ruche.RoleMember)
	both := []string{ruche.MarkerHome, ruche.MarkerNotifications}
	if got, err := h.posts.Markers(ctx, olga, both); err != nil || len(got) != 0 {
		t.Errorf("markers before any save = %+v, %v", got, err)
	}
	steps := []struct {
		timeline    string
		id          int64
		wantVersion int
	}{
		{ruche.MarkerHome, 100, 1},
		{ruche.MarkerHome, 200, 2},
		{ruche.MarkerNotifications, 7, 1},
		{ruche.MarkerHome, 150, 3}, // a client may step back; the version still moves on
	}
	for _, s := range steps {
		m, err := h.posts.SetMarker(ctx, olga, s.timeline, s.id)
		if err != nil || m.Timeline != s.timeline || m.LastReadID != s.id || m.Version != s.wantVersion || m.UpdatedAt.IsZero() {
			t.Errorf("SetMarker(%s, %d) = %+v, %v; want version %d", s.timeline, s.id, m, err, s.wantVersion)
		}
	}
	got, err := h.posts.Markers(ctx, olga, both)
	if err != nil || len(got) != 2 || got["home"].LastReadID != 150 || got["home"].Version != 3 ||
		got["notifications"].LastReadID != 7 || got["notifications"].Version != 1 {
		t.Errorf("Markers = %+v, %v", got, err)
	}
	if got, err := h.posts.Markers(ctx, olga, []string{ruche.MarkerNotifications}); err != nil || len(got) != 1 {
		t.Errorf("Markers(notifications) = %+v, %v", got, err)
	}
	if got, err := h.posts.Markers(ctx, eve, both); err != nil || len(got) != 0 {
		t.Errorf("eve's markers = %+v, %v", got, err)
	}
	_, err = h.posts.Markers(ctx, olga, []string{"home", "public"})
	wantError(t, "Markers(public)", err, ruche.CodeInvalid, "error.marker_timeline_invalid")
	_, err = h.posts.SetMarker(ctx, olga, "public", 1)
	wantError(t, "SetMarker(public)", err, ruche.CodeInvalid, "error.marker_timeline_invalid")
}

func countPosts(t *testing.T, s *postgres.Store, author int64) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM posts WHERE account_id = $1`, author).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateIdempotentPostsOnce(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	eve := user(t, h.store, "eve", ruche.RoleMember)
	n := ruche.NewPost{Source: "hello"}

	first, err := h.posts.CreateIdempotent(ctx, olga, "k1", n)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.posts.CreateIdempotent(ctx, olga, "k1", ruche.NewPost{Source: "hello, edited by a retry"})
	if err != nil || again.ID != first.ID || again.Source != "hello" {
		t.Errorf("retry = %d %q, %v; want post %d", again.ID, again.Source, err, first.ID)
	}
	if got := countPosts(t, h.store, olga.ID); got != 1 {
		t.Errorf("%d posts after a retry, want 1", got)
	}
	// The key is the member's own; other keys and no key post anew.
	if p, err := h.posts.CreateIdempotent(ctx, eve, "k1", n); err != nil || p.ID == first.ID {
		t.Errorf("eve's k1 = %d, %v; want a post of her own", p.ID, err)
	}
	if p, err := h.posts.CreateIdempotent(ctx, olga, "k2", n); err != nil || p.ID == first.ID {
		t.Errorf("k2 = %d, %v; want a new post", p.ID, err)
	}
	for range 2 {
		if _, err := h.posts.CreateIdempotent(ctx, olga, "", n); err != nil {
			t.Fatal(err)
		}
	}
	if got := countPosts(t, h.store, olga.ID); got != 4 {
		t.Errorf("%d posts, want 4", got)
	}

	_, err = h.posts.CreateIdempotent(ctx, olga, strings.Repeat("k", ruche.MaxIdempotencyKeyBytes+1), n)
	wantError(t, "long key", err, ruche.CodeInvalid, "error.idempotency_key_too_long")
	if _, err := h.posts.CreateIdempotent(ctx, olga, strings.Repeat("k", ruche.MaxIdempotencyKeyBytes), n); err != nil {
		t.Errorf("longest key: %v", err)
	}

	// A request that fails frees its key for the corrected one.
	_, err = h.posts.CreateIdempotent(ctx, olga, "k3", ruche.NewPost{Source: "  "})
	wantError(t, "empty post", err, ruche.CodeInvalid, "error.post_empty")
	if p, err := h.posts.CreateIdempotent(ctx, olga, "k3", n); err != nil || p.ID == 0 {
		t.Errorf("k3 after a failure = %+v, %v", p, err)
	}

	// A duplicate that arrives while the first is being written is told so.
	if _, claimed, err := h.store.ClaimIdempotencyKey(ctx, olga.ID, "k4"); err != nil || !claimed {
		t.Fatalf("claim k4: %v, %v", claimed, err)
	}
	_, err = h.posts.CreateIdempotent(ctx, olga, "k4", n)
	wantError(t, "duplicate in flight", err, ruche.CodeConflict, "error.post_in_progress")

	// A post deleted since is gone, not posted again.
	if err := h.posts.Delete(ctx, olga, first.ID); err != nil {
		t.Fatal(err)
	}
	_, err = h.posts.CreateIdempotent(ctx, olga, "k1", n)
	wantError(t, "retry of a deleted post", err, ruche.CodeNotFound, "error.post_not_found")

	// After a day the key is free again, and the purge forgets it.
	before := countPosts(t, h.store, olga.ID)
	if _, err := h.store.Pool().Exec(ctx, `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.posts.CreateIdempotent(ctx, olga, "k2", n); err != nil {
		t.Fatal(err)
	}
	if got := countPosts(t, h.store, olga.ID); got != before+1 {
		t.Errorf("k2 a day later: %d posts, want %d", got, before+1)
	}
	if _, err := h.store.Pool().Exec(ctx, `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k3'`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	rows, _ := h.store.Pool().Query(ctx, `SELECT key FROM idempotency_keys WHERE account_id = $1 AND key LIKE 'k_' ORDER BY key`, olga.ID)
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		left = append(left, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"k1", "k2", "k4"}; !slices.Equal(left, want) {
		t.Errorf("keys after the purge = %v, want %v", left, want)
	}
}

func TestCreateIdempotentUnderConcurrentDuplicates(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	const requests = 10
	var wg sync.WaitGroup
	posts := make([]ruche.Post, requests)
	errs := make([]error, requests)
	start := make(chan struct{})
	for i := range requests {
		wg.Go(func() {
			<-start
			posts[i], errs[i] = h.posts.CreateIdempotent(ctx, olga, "same", ruche.NewPost{Source: fmt.Sprintf("attempt %d", i)})
		})
	}
	close(start)
	wg.Wait()
	var created int64
	for i, err := range errs {
		switch {
		case err == nil && created == 0:
			created = posts[i].ID
		case err == nil && posts[i].ID != created:
			t.Errorf("request %d got post %d, another got %d", i, posts[i].ID, created)
		case err != nil:
			wantError(t, fmt.Sprintf("request %d", i), err, ruche.CodeConflict, "error.post_in_progress")
		}
	}
	if got := countPosts(t, h.store, olga.ID); got != 1 {
		t.Errorf("%d concurrent duplicates wrote %d posts, want 1", requests, got)
	}
	if created == 0 {
		t.Error("no request returned the post")
	}
	// Once written, every retry gets it.
	p, err := h.posts.CreateIdempotent(ctx, olga, "same", ruche.NewPost{Source: "late retry"})
	if err != nil || (created != 0 && p.ID != created) {
		t.Errorf("late retry = %d, %v; want %d", p.ID, err, created)
	}
}

func TestSinceIDReadsFromTheTop(t *testing.T) {
	h := newClientHive(t)
	ana := user(t, h.store, "ana", ruche.RoleMember)
	bob := user(t, h.store, "bob", ruche.RoleMember)
	var c []int64
	for i := range 5 {
		c = append(c, h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: fmt.Sprint(i)}))
	}
	company := ruche.Stream{Kind: ruche.StreamCompany}
	tests := []struct {
		name string
		p    ruche.Page
		want []int64
	}{
		{"since", ruche.Page{SinceID: c[0], Limit: 2}, []int64{c[4], c[3]}},
		{"min", ruche.Page{MinID: c[0], Limit: 2}, []int64{c[2], c[1]}},
		{"since and max", ruche.Page{SinceID: c[1], MaxID: c[4], Limit: 5}, []int64{c[3], c[2]}},
		{"since the newest", ruche.Page{SinceID: c[4]}, []int64{}},
		{"since all", ruche.Page{SinceID: 1}, []int64{c[4], c[3], c[2], c[1], c[0]}},
	}
	for _, tt := range tests {
		if got := h.stream(bob, company, tt.p); !slices.Equal(got, tt.want) {
			t.Errorf("%s (%+v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
	// Every stream honours it; home, which builds its page in branches, too.
	h.follow(bob, ana)
	if got, want := h.stream(bob, ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{SinceID: c[2], Limit: 1}), []int64{c[4]}; !slices.Equal(got, want) {
		t.Errorf("home since = %v, want %v", got, want)
	}
	if got, want := h.stream(bob, ruche.Stream{Kind: ruche.StreamProfile, AccountID: ana.ID}, ruche.Page{SinceID: c[3]}), []int64{c[4]}; !slices.Equal(got, want) {
		t.Errorf("profile since = %v, want %v", got, want)
	}
}

// pagesByMark checks a stream paged by the ids of its marks (likes, bookmarks), whose
// posts are want, newest mark first: two pages of two, then the page just above the
// second page. It returns the second page's bounds.
func pagesByMark(t *testing.T, read func(ruche.Page) ([]ruche.Post, ruche.PageBounds, error), want [4]int64) ruche.PageBounds {
	t.Helper()
	first, bounds, err := read(ruche.Page{Limit: 2})
	if err != nil || !slices.Equal(ids(first), want[:2]) || bounds.Newest <= bounds.Oldest {
		t.Fatalf("first page = %v %+v, %v", ids(first), bounds, err)
	}
	next, nextBounds, err := read(ruche.Page{MaxID: bounds.Oldest, Limit: 2})
	if err != nil || !slices.Equal(ids(next), want[2:]) || nextBounds.Newest >= bounds.Oldest {
		t.Errorf("second page = %v %+v, %v", ids(next), nextBounds, err)
	}
	above, _, err := read(ruche.Page{MinID: nextBounds.Newest, Limit: 1})
	if err != nil || !slices.Equal(ids(above), want[1:2]) {
		t.Errorf("page above %d = %v, %v; want [%d]", nextBounds.Newest, ids(above), err, want[1])
	}
	return nextBounds
}

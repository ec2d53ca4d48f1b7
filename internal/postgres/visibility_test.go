package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// world is a small hive: authors, viewers in every relation to them, and posts of
// every visibility mentioning every subset of viewers.
type world struct {
	store   *postgres.Store
	viewers []ruche.User
	posts   []int64
	facts   map[int64]fact // ground truth per post
	follows map[[2]int64]bool
	inGroup map[int64]bool // members of the one group
	group   int64
}

type fact struct {
	author     int64
	visibility ruche.Visibility
	mentions   map[int64]bool
}

func (w *world) relation(v ruche.User, postID int64) ruche.Relation {
	f := w.facts[postID]
	return ruche.Relation{
		Author:      v.ID == f.author,
		Follower:    w.follows[[2]int64{v.ID, f.author}],
		Mentioned:   f.mentions[v.ID],
		Guest:       v.Role == ruche.RoleGuest,
		GroupMember: f.visibility == ruche.VisGroup && w.inGroup[v.ID],
		Admin:       v.Role == ruche.RoleAdmin,
	}
}

func user(t *testing.T, s *postgres.Store, name string, role ruche.Role) ruche.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), 0, ruche.NewUser{Username: name, Email: name + "@example.com", Role: role}, "x")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// buildWorld makes two authors and, for each of them, viewers who follow or not and
// are members or guests; every author writes one post of every visibility for every
// subset of those viewers it mentions.
func buildWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	s := testdb.NewStore(t)
	w := &world{store: s, facts: map[int64]fact{}, follows: map[[2]int64]bool{}, inGroup: map[int64]bool{}}
	a1 := user(t, s, "author1", ruche.RoleMember)
	a2 := user(t, s, "author2", ruche.RoleGuest)
	w.viewers = append(w.viewers, a1, a2)
	var others []ruche.User
	for _, follows := range []bool{false, true} {
		for _, role := range []ruche.Role{ruche.RoleMember, ruche.RoleGuest, ruche.RoleAdmin} {
			v := user(t, s, fmt.Sprintf("v_%s_%v", role, follows), role)
			if follows {
				if err := s.SetFollowing(ctx, v.ID, a1.ID, true); err != nil {
					t.Fatal(err)
				}
				w.follows[[2]int64{v.ID, a1.ID}] = true
			}
			others = append(others, v)
		}
	}
	w.viewers = append(w.viewers, others...)
	// One group: author1 owns it; a guest, a follower and author2 are members; one
	// viewer only asked to join, and one was a member, posted, and was removed.
	group, err := s.CreateGroup(ctx, a1.ID, "team", ruche.GroupFields{Name: "Team", Kind: ruche.GroupSecret})
	if err != nil {
		t.Fatal(err)
	}
	w.inGroup[a1.ID], w.group = true, group
	for _, m := range []ruche.User{others[1], others[3], a2} {
		if err := s.SetMembership(ctx, group, m.ID, ruche.StateMember, ruche.GroupMember, "", 0); err != nil {
			t.Fatal(err)
		}
		w.inGroup[m.ID] = true
	}
	if err := s.SetMembership(ctx, group, others[0].ID, ruche.StateRequested, ruche.GroupMember, "", 0); err != nil {
		t.Fatal(err)
	}
	removed := others[5]
	if err := s.SetMembership(ctx, group, removed.ID, ruche.StateMember, ruche.GroupMember, "", 0); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: removed.ID, Visibility: ruche.VisGroup, GroupID: group,
		Source: "x", HTML: "<p>x</p>", Tags: []string{"gate"}})
	if err != nil {
		t.Fatal(err)
	}
	w.posts = append(w.posts, id)
	w.facts[id] = fact{author: removed.ID, visibility: ruche.VisGroup, mentions: map[int64]bool{}}
	if err := s.RemoveMembership(ctx, group, removed.ID); err != nil {
		t.Fatal(err)
	}
	for _, author := range []ruche.User{a1, a2} {
		for _, vis := range ruche.AllVisibilities {
			// Mention nobody, one follower and one non-follower guest, or everyone.
			for _, mentioned := range [][]ruche.User{nil, {others[0], others[4]}, others} {
				d := ruche.PostDraft{AuthorID: author.ID, Visibility: vis, Source: "x", HTML: "<p>x</p>", Tags: []string{"gate"}}
				if vis == ruche.VisGroup {
					d.GroupID = group
				}
				f := fact{author: author.ID, visibility: vis, mentions: map[int64]bool{}}
				for _, m := range mentioned {
					d.MentionIDs = append(d.MentionIDs, m.ID)
					f.mentions[m.ID] = true
				}
				id, err := s.CreatePost(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				w.posts = append(w.posts, id)
				w.facts[id] = f
			}
		}
	}
	return w
}

// TestGateSQLMatchesRule checks the SQL gate against ruche.CanSee for every viewer and
// post, through single reads, the facts the rules use, and every stream.
func TestGateSQLMatchesRule(t *testing.T) {
	ctx := context.Background()
	w := buildWorld(t)
	cases, seen := 0, 0
	for _, v := range w.viewers {
		viewer := ruche.ViewerOf(v)
		visible := map[int64]bool{}
		for _, id := range w.posts {
			rel := w.relation(v, id)
			want := ruche.CanSee(w.facts[id].visibility, rel)
			_, err := w.store.Post(ctx, viewer, id)
			got := err == nil
			if err != nil && !errors.Is(err, ruche.ErrNotFound) {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s sees %s post by %d (%+v): SQL %v, rule %v", v.Username, w.facts[id].visibility, w.facts[id].author, rel, got, want)
			}
			f, err := w.store.Access(ctx, viewer, id)
			if err != nil || f.Relation != rel || f.Visibility != w.facts[id].visibility {
				t.Errorf("Access(%s, %d) = %+v, %v; want relation %+v", v.Username, id, f, err, rel)
			}
			visible[id] = want
			cases++
			if want {
				seen++
			}
		}
		// Every stream shows exactly the visible posts that belong in it.
		streams := []ruche.Stream{{Kind: ruche.StreamTag, Tag: "gate"}, {Kind: ruche.StreamCompany}, {Kind: ruche.StreamHome},
			{Kind: ruche.StreamGroup, AccountID: w.group}}
		for _, a := range w.viewers[:2] {
			streams = append(streams, ruche.Stream{Kind: ruche.StreamProfile, AccountID: a.ID})
		}
		for _, st := range streams {
			got, err := w.store.Timeline(ctx, viewer, st, ruche.Page{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range got {
				if !visible[p.ID] {
					t.Errorf("%s stream of %s shows post %d that the rule hides", st.Kind, v.Username, p.ID)
				}
			}
			wantN := 0
			for _, id := range w.posts {
				f := w.facts[id]
				in := visible[id]
				switch st.Kind {
				case ruche.StreamCompany:
					in = in && f.visibility == ruche.VisCompany
				case ruche.StreamHome:
					in = in && (f.author == v.ID || w.follows[[2]int64{v.ID, f.author}] ||
						(f.visibility == ruche.VisDirect && f.mentions[v.ID]) || (f.visibility == ruche.VisGroup && w.inGroup[v.ID]))
				case ruche.StreamGroup:
					in = in && f.visibility == ruche.VisGroup
				case ruche.StreamProfile:
					in = in && f.author == st.AccountID
				}
				if in {
					wantN++
				}
			}
			if len(got) != wantN {
				t.Errorf("%s stream of %s (%v): %d posts, want %d", st.Kind, v.Username, st, len(got), wantN)
			}
		}
	}
	// Both outcomes must occur often, or the test proves nothing.
	if cases != len(w.viewers)*len(w.posts) || seen < cases/4 || seen > cases*3/4 {
		t.Fatalf("%d cases, %d visible: the world is too lopsided to test the gate", cases, seen)
	}
}

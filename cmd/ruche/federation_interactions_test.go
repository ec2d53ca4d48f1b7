package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// notified reports whether u has a notification of kind from the person whose handle
// starts with from, about a post whose text contains about.
func (s *fedSite) notified(u ruche.User, kind ruche.NotificationKind, from, about string) bool {
	ns, err := s.posts.Notifications(context.Background(), u, ruche.Page{Limit: 40})
	if err != nil {
		return false
	}
	for _, n := range ns {
		if n.Kind == kind && strings.HasPrefix(n.From.Handle(), from) && n.Post != nil && strings.Contains(n.Post.Source, about) {
			return true
		}
	}
	return false
}

// find returns the post of group g that u reads with text in it.
func (s *fedSite) find(u ruche.User, groupID int64, text string) (ruche.Post, bool) {
	posts, err := s.posts.Timeline(context.Background(), u, ruche.Stream{Kind: ruche.StreamGroup, AccountID: groupID}, ruche.Page{Limit: 40})
	if err != nil {
		return ruche.Post{}, false
	}
	for _, p := range posts {
		if strings.Contains(p.Source, text) {
			return p, true
		}
	}
	return ruche.Post{}, false
}

// sharedDesign makes owner's open group design at acme, shared with hub, and has
// joiner of hub join it; it returns the group at acme, its copy at hub and its handle.
func sharedDesign(t *testing.T, acme, hub *fedSite, owner, joiner ruche.User) (ruche.Group, ruche.Group, string) {
	t.Helper()
	design, err := acme.groups.Create(context.Background(), owner, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	copy, handle := shareAndJoin(t, acme, hub, design, joiner)
	return design, copy, handle
}

// shareAndJoin shares acme's group with hub and has joiner of hub join it; it returns
// the group's copy at hub and its handle.
func shareAndJoin(t *testing.T, acme, hub *fedSite, design ruche.Group, joiner ruche.User) (ruche.Group, string) {
	t.Helper()
	ctx := context.Background()
	if err := acme.m.db.store.ShareGroup(ctx, 0, design.ID, hostOf(hub.base)); err != nil {
		t.Fatal(err)
	}
	handle := "design@" + hostOf(acme.base)
	if _, err := hub.m.fed.ResolveGroup(ctx, "@"+handle); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.groups.Join(ctx, joiner, handle); err != nil {
		t.Fatal(err)
	}
	var copy ruche.Group
	eventually(t, 20*time.Second, joiner.Username+" never became a member", func() bool {
		var err error
		copy, err = hub.groups.Get(ctx, joiner, handle)
		return err == nil && copy.ViewerState == ruche.StateMember
	})
	return copy, handle
}

// Across instances, people of a shared group act on each other's posts as they would
// at home: a like counts on every instance and its author is told; a reply tells
// whom it answers; an @name@host mention tells whom it names; and a moderator's
// deletion at the group's home reaches the author's own instance.
func TestFederationGroupInteractions(t *testing.T) {
	ctx := context.Background()
	acme, hub := newFedSite(t, "acme"), newFedSite(t, "hub")
	partner(t, acme.m, hub.base)
	partner(t, hub.m, acme.base)
	ana, bob, zoe, yan := acme.user(t, "ana"), acme.user(t, "bob"), hub.user(t, "zoe"), hub.user(t, "yan")
	if err := hub.posts.SetFollowing(ctx, yan, "zoe", true); err != nil {
		t.Fatal(err)
	}
	design, hubDesign, handle := sharedDesign(t, acme, hub, ana, zoe)
	if _, err := acme.groups.Join(ctx, bob, "design"); err != nil {
		t.Fatal(err)
	}
	anaAt, zoeAt := "ana@"+hostOf(acme.base), "zoe@"+hostOf(hub.base)

	// zoe writes; ana and bob like it at acme: zoe is told at hub, and hub counts 2.
	zoePost, err := hub.posts.Create(ctx, zoe, ruche.NewPost{GroupHandle: handle, Source: "Zoe's sketch"})
	if err != nil {
		t.Fatal(err)
	}
	var atAcme ruche.Post
	eventually(t, 30*time.Second, "zoe's post never reached acme", func() bool {
		var ok bool
		atAcme, ok = acme.find(ana, design.ID, "Zoe's sketch")
		return ok
	})
	for _, u := range []ruche.User{ana, bob} {
		if err := acme.posts.SetLiked(ctx, u, atAcme.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "zoe was never told of ana's like", func() bool {
		return hub.notified(zoe, ruche.NotifyLike, anaAt, "Zoe's sketch")
	})
	eventually(t, 30*time.Second, "hub never counted both likes", func() bool {
		p, err := hub.posts.Post(ctx, zoe, zoePost.ID)
		return err == nil && p.Likes == 2
	})
	// ana takes hers back: hub follows.
	if err := acme.posts.SetLiked(ctx, ana, atAcme.ID, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "hub never dropped ana's like", func() bool {
		p, err := hub.posts.Post(ctx, zoe, zoePost.ID)
		return err == nil && p.Likes == 1
	})

	// ana replies to zoe: zoe is told at hub.
	if _, err := acme.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", InReplyToID: atAcme.ID, Source: "Love the colours"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe was never told of ana's reply", func() bool {
		return hub.notified(zoe, ruche.NotifyReply, anaAt, "Love the colours")
	})

	// zoe answers ana's reply, then edits her answer without naming her: ana stays told.
	var replyAtHub ruche.Post
	eventually(t, 30*time.Second, "ana's reply never reached hub", func() bool {
		var ok bool
		replyAtHub, ok = hub.find(zoe, hubDesign.ID, "Love the colours")
		return ok
	})
	answer, err := hub.posts.Create(ctx, zoe, ruche.NewPost{InReplyToID: replyAtHub.ID, Source: "Thanks!"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "ana was never told of zoe's answer", func() bool {
		return acme.notified(ana, ruche.NotifyReply, zoeAt, "Thanks!")
	})
	if _, err := hub.posts.Edit(ctx, zoe, answer.ID, "Thanks, edited", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe's edit never reached acme", func() bool {
		_, ok := acme.find(ana, design.ID, "Thanks, edited")
		return ok
	})
	if !acme.notified(ana, ruche.NotifyReply, zoeAt, "Thanks, edited") {
		t.Error("zoe's edit took ana's reply notification away")
	}

	// Mentions by @name@host, both ways. zoe knows bob from his like.
	if _, err := acme.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "@" + zoeAt + " can you review?"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe was never told of ana's mention", func() bool {
		return hub.notified(zoe, ruche.NotifyMention, anaAt, "can you review?")
	})
	if _, err := hub.posts.Create(ctx, zoe, ruche.NewPost{GroupHandle: handle, Source: "@" + anaAt + " done, and @bob@" + hostOf(acme.base) + " too"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "ana was never told of zoe's mention", func() bool {
		return acme.notified(ana, ruche.NotifyMention, zoeAt, "done, and")
	})
	if !acme.notified(bob, ruche.NotifyMention, zoeAt, "done, and") {
		t.Error("bob was not told of zoe's mention")
	}

	// Boosts inside the group, both ways: bob boosts zoe's post at acme, zoe boosts
	// ana's at hub. Each count agrees and each author is told at home.
	if err := acme.posts.SetBoosted(ctx, bob, atAcme.ID, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe was never told of bob's boost", func() bool {
		return hub.notified(zoe, ruche.NotifyBoost, "bob@"+hostOf(acme.base), "Zoe's sketch")
	})
	anaPost, err := acme.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "Moodboard is up"})
	if err != nil {
		t.Fatal(err)
	}
	var anaAtHub ruche.Post
	eventually(t, 30*time.Second, "ana's post never reached hub", func() bool {
		var ok bool
		anaAtHub, ok = hub.find(zoe, hubDesign.ID, "Moodboard is up")
		return ok
	})
	if err := hub.posts.SetBoosted(ctx, zoe, anaAtHub.ID, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "ana was never told of zoe's boost", func() bool {
		return acme.notified(ana, ruche.NotifyBoost, zoeAt, "Moodboard is up")
	})
	// yan follows zoe at hub but is not in the group: her boost never shows him the post.
	if home, err := hub.posts.Timeline(ctx, yan, ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{Limit: 40}); err != nil || len(home) != 0 {
		t.Errorf("yan's home: %d posts (%v), want none", len(home), err)
	}
	if p, err := acme.posts.Post(ctx, bob, anaPost.ID); err != nil || p.Boosts != 1 {
		t.Errorf("acme counts %d boosts of ana's post (%v), want 1", p.Boosts, err)
	}
	// The boost is the group's: bob reads it in the group's stream.
	if got := acme.stream(bob, design.ID); !strings.Contains(got, zoeAt+": ") {
		t.Errorf("acme's group stream has no boost by zoe:\n%s", got)
	}
	if err := hub.posts.SetBoosted(ctx, zoe, anaAtHub.ID, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe's unboost never reached acme", func() bool {
		p, err := acme.posts.Post(ctx, bob, anaPost.ID)
		return err == nil && p.Boosts == 0
	})

	// zoe likes ana's post, takes it back, and likes it again: acme counts one.
	for _, on := range []bool{true, false, true} {
		if err := hub.posts.SetLiked(ctx, zoe, anaAtHub.ID, on); err != nil {
			t.Fatal(err)
		}
		want := 0
		if on {
			want = 1
		}
		eventually(t, 30*time.Second, "acme's like count never followed zoe's", func() bool {
			p, err := acme.posts.Post(ctx, bob, anaPost.ID)
			return err == nil && p.Likes == want
		})
	}

	// ana, who owns the group, deletes zoe's first post at acme: it goes at hub too.
	if err := acme.posts.Delete(ctx, ana, atAcme.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the moderator's deletion never reached hub", func() bool {
		return count(t, hub.m, `SELECT count(*) FROM posts WHERE source = 'Zoe''s sketch'`) == 0
	})

	// ana removes zoe: the group's Reject and its Remove from the members collection
	// reach hub, where zoe is out.
	if err := acme.groups.Remove(ctx, ana, "design", zoeAt); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "hub never processed the Remove", func() bool {
		return count(t, hub.m, `SELECT count(*) FROM incoming_activities WHERE processed_at IS NOT NULL
			AND convert_from(body, 'UTF8') LIKE '%"type":"Remove"%'`) == 1
	})
	if g, err := hub.groups.Get(ctx, zoe, handle); err == nil && g.ViewerState == ruche.StateMember {
		t.Error("zoe is still a member at hub")
	}
}

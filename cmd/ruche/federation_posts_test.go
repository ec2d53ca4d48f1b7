package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Posts in a shared group, across two real instances: ana (acme) writes in design and
// zoe (hub) reads it; zoe writes from hub and acme's members read it, with no second
// copy at hub; an edit and a delete follow. Nobody else at hub sees any of it, and
// nothing enters hub's company stream.
func TestFederationGroupPosts(t *testing.T) {
	ctx := context.Background()
	acme, hub := newFedSite(t, "acme"), newFedSite(t, "hub")
	partner(t, acme.m, hub.base)
	partner(t, hub.m, acme.base)
	a, h := acme.base, hub.base
	ana, zoe, yan := acme.user(t, "ana"), hub.user(t, "zoe"), hub.user(t, "yan")
	acmeGroups, hubGroups := acme.groups, hub.groups
	acmePosts, hubPosts := acme.posts, hub.posts
	design, err := acmeGroups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.m.db.store.ShareGroup(ctx, 0, design.ID, hostOf(h)); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.m.fed.ResolveGroup(ctx, "@design@"+hostOf(a)); err != nil {
		t.Fatal(err)
	}
	handle := "design@" + hostOf(a)
	if _, err := hubGroups.Join(ctx, zoe, handle); err != nil {
		t.Fatal(err)
	}
	var hubDesign ruche.Group
	eventually(t, 20*time.Second, "zoe never became a member of the open group", func() bool {
		hubDesign, err = hubGroups.Get(ctx, zoe, handle)
		return err == nil && hubDesign.ViewerState == ruche.StateMember
	})

	// texts is what u reads in a group's stream.
	texts := func(ps *ruche.Posts, u ruche.User, groupID int64) []string {
		posts, err := ps.Timeline(ctx, u, ruche.Stream{Kind: ruche.StreamGroup, AccountID: groupID}, ruche.Page{Limit: 40})
		if err != nil {
			return nil
		}
		var out []string
		for _, p := range posts {
			out = append(out, p.Author.Handle()+": "+p.Source)
		}
		return out
	}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if strings.Contains(x, s) {
				return true
			}
		}
		return false
	}

	// ana writes; zoe reads it at hub, by ana@acme.
	p1, err := acmePosts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "Hello freelancers"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "ana's post never reached zoe", func() bool {
		return has(texts(hubPosts, zoe, hubDesign.ID), "ana@"+hostOf(a)+": Hello freelancers")
	})

	// zoe writes from hub; ana reads it at acme; hub keeps one copy.
	if _, err := hubPosts.Create(ctx, zoe, ruche.NewPost{GroupHandle: handle, Source: "Hi from hub"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe's post never reached ana", func() bool {
		return has(texts(acmePosts, ana, design.ID), "zoe@"+hostOf(h)+": Hi from hub")
	})
	time.Sleep(2 * time.Second) // the relay back to hub, if any, has had time
	if n := count(t, hub.m, `SELECT count(*) FROM posts WHERE source LIKE '%Hi from hub%'`); n != 1 {
		t.Errorf("hub holds %d copies of zoe's post", n)
	}

	// ana edits, then deletes: hub follows.
	if _, err := acmePosts.Edit(ctx, ana, p1.ID, "Hello freelancers, edited", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the edit never reached hub", func() bool {
		return has(texts(hubPosts, zoe, hubDesign.ID), "Hello freelancers, edited")
	})
	if err := acmePosts.Delete(ctx, ana, p1.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the delete never reached hub", func() bool {
		return !has(texts(hubPosts, zoe, hubDesign.ID), "Hello freelancers")
	})

	// Nobody else at hub sees the group's posts, and the company stream has none.
	if got := texts(hubPosts, yan, hubDesign.ID); len(got) != 0 {
		t.Errorf("yan, not a member, reads %v", got)
	}
	company, err := hubPosts.Timeline(ctx, yan, ruche.Stream{Kind: ruche.StreamCompany}, ruche.Page{Limit: 40})
	if err != nil || len(company) != 0 {
		t.Errorf("hub's company stream: %v %v", company, err)
	}
}

package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// fedBrowser creates username with role on node m (base URL base, a *.localhost name)
// and signs them in through the web UI, with a client that reaches *.localhost.
func fedBrowser(t *testing.T, m *Main, base, username string, role ruche.Role) *browser {
	t.Helper()
	if _, err := (&ruche.Accounts{Store: m.db.store}).CreateUser(context.Background(), nil, ruche.NewUser{Username: username,
		Email: username + "@example.com", Password: "a long password", Role: role}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, base)
	b.c.Transport = loopback.Transport
	wantRedirect(t, b.submit("/login", "/login", url.Values{"login": {username}, "password": {"a long password"}}), "/")
	return b
}

// TestRemoteGroupWeb is the member's side in the web UI, with real instances: zoe, on
// hub, finds acme's shared closed group design with the form on /groups, lands on its
// page, which says where it lives and who reads it, asks to join, and is a member once
// an acme moderator approves. A group acme did not share, a group of an instance that
// is not hub's partner, and nonsense all get the one message; a guest cannot look
// groups up; an admin of hub gets no management forms for a partner's group.
func TestRemoteGroupWeb(t *testing.T) {
	ctx := context.Background()
	acme, a := fedNode(t, "acme", "", "")
	hub, h := fedNode(t, "hub", "", "")
	globex, g := fedNode(t, "globex", "", "")
	partner(t, acme, h)
	partner(t, hub, a)
	partner(t, globex, h) // globex lists hub, but hub does not list globex

	// group creates a closed group owned by a new ana on m, shared with hub if asked.
	group := func(m *Main, handle string, shared bool) (*ruche.Groups, ruche.User) {
		t.Helper()
		ana, err := (&ruche.Accounts{Store: m.db.store}).CreateUser(ctx, nil, ruche.NewUser{Username: "ana_" + handle, Email: handle + "@example.com",
			Password: "a long password", Role: ruche.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		groups := &ruche.Groups{Store: m.db.store, Shares: m.db.store, Remote: m.fed}
		gr, err := groups.Create(ctx, ana, handle, ruche.GroupFields{Name: strings.ToUpper(handle[:1]) + handle[1:], Kind: ruche.GroupClosed})
		if err != nil {
			t.Fatal(err)
		}
		if shared {
			if err := m.db.store.ShareGroup(ctx, 0, gr.ID, hostOf(h)); err != nil {
				t.Fatal(err)
			}
		}
		return groups, ana
	}
	acmeGroups, ana := group(acme, "design", true)
	group(acme, "private", false)
	group(globex, "mobile", true)

	zoe := fedBrowser(t, hub, h, "zoe", ruche.RoleMember)
	gus := fedBrowser(t, hub, h, "gus", ruche.RoleGuest)
	ida := fedBrowser(t, hub, h, "ida", ruche.RoleAdmin)
	acct := "design@" + hostOf(a)

	// The form is there for members, not for guests; what nobody shares with hub is
	// not found, whatever the reason, and hub keeps nothing of it.
	want(t, zoe.get("/groups"), 200, "Join a group of a partner instance")
	if strings.Contains(gus.get("/groups").body, `action="/groups/find"`) {
		t.Error("a guest is offered the look-up form")
	}
	want(t, gus.submit("/groups", "/groups/find", url.Values{"acct": {"@" + acct}}), 403, "")
	for _, typed := range []string{"@private@" + hostOf(a), "@mobile@" + hostOf(g), "@nobody@" + hostOf(a), "not an address", "@" + hostOf(a)} {
		p := zoe.submit("/groups", "/groups/find", url.Values{"acct": {typed}})
		want(t, p, 404, "No group by that name is shared with this instance.")
		if !strings.Contains(p.body, `value="`+typed+`"`) {
			t.Errorf("the form lost what was typed (%q)", typed)
		}
	}
	if n := count(t, hub, `SELECT count(*) FROM accounts WHERE domain IS NOT NULL AND username IN ('private', 'mobile')`); n != 0 {
		t.Errorf("hub kept %d groups it may not know", n)
	}

	// zoe finds design and lands on its page: where it lives, who reads it, and a
	// request to make, addressed by the group's whole acct.
	found := zoe.submit("/groups", "/groups/find", url.Values{"acct": {"@" + acct}})
	wantRedirect(t, found, "/groups/"+acct)
	home := found.location
	p := zoe.get(home)
	want(t, p, 200, "This group lives on "+hostOf(a)+". Its members there and on the instances it is shared with read what you write in it.")
	want(t, p, 200, "@"+acct)
	want(t, p, 200, `action="/groups/`+acct+`/join"`)
	want(t, p, 200, "Ask to join")
	// An escaped address, and /@acct, lead to the same group.
	want(t, zoe.get("/groups/design%40"+strings.ReplaceAll(hostOf(a), ":", "%3A")), 200, "This group lives on")
	wantRedirect(t, zoe.get("/@"+acct), "/groups/"+acct)

	// hub's admin sees it too, but runs nothing of it here.
	adminPage := ida.get(home)
	want(t, adminPage, 200, "This group lives on")
	for _, form := range []string{"/edit", "/invite", "/share", "/members/"} {
		if strings.Contains(adminPage.body, `action="/groups/`+acct+form) {
			t.Errorf("an admin of hub is offered %s for a partner's group", form)
		}
	}

	wantRedirect(t, zoe.submit(home, "/groups/"+acct+"/join", url.Values{}), "/groups/"+acct+"?done=group_remote_requested")
	want(t, zoe.get(home), 200, "Requested: waiting for "+hostOf(a)+" to answer.")
	list := zoe.get("/groups")
	want(t, list, 200, `href="/groups/`+acct+`"`)
	want(t, list, 200, `<span class="badge instance">`+hostOf(a)+`</span>`)

	// acme's owner approves zoe; hub shows her as a member.
	remoteZoe := "zoe@" + hostOf(h)
	eventually(t, 20*time.Second, "acme never recorded zoe's request", func() bool {
		ms, err := acmeGroups.Members(ctx, ana, "design", ruche.StateRequested)
		return err == nil && len(ms) == 1 && ms[0].Handle() == remoteZoe
	})
	if err := acmeGroups.Approve(ctx, ana, "design", remoteZoe); err != nil {
		t.Fatalf("ana approves: %v", err)
	}
	eventually(t, 20*time.Second, "zoe's page never showed her a member", func() bool {
		return strings.Contains(zoe.get(home).body, `Leave</button>`)
	})
	want(t, zoe.get("/groups"), 200, "you are a member")
}

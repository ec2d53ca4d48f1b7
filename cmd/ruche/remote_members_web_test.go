package main

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// remoteRequest makes username of the partner instance hub ask to join the group, as
// federation records a Follow: their account, their cached actor, and the request.
func remoteRequest(t *testing.T, m *Main, group, username, hub string) int64 {
	t.Helper()
	ctx, s := context.Background(), m.db.store
	iri := "https://" + hub + "/users/" + username
	var id int64
	if err := s.Pool().QueryRow(ctx, `INSERT INTO accounts (username, domain, ap_id, display_name) VALUES ($1, $2, $3, $4) RETURNING id`,
		username, hub, iri, "Remote "+username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRemoteActor(ctx, ruche.RemoteActor{IRI: iri, Host: hub, KeyID: iri + "#main-key", Inbox: iri + "/inbox",
		SharedInbox: "https://" + hub + "/inbox", Document: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO group_members (group_id, account_id, state, role, follow_id)
		SELECT account_id, $2, 'requested', 'member', $3 FROM groups g JOIN accounts a ON a.id = g.account_id WHERE a.username = $1`,
		group, id, "https://"+hub+"/follows/"+username); err != nil {
		t.Fatal(err)
	}
	return id
}

// sharedDesignWeb has admin ana add the partner hub, olga make the closed group design,
// and ana share it with hub, through the pages.
func sharedDesignWeb(t *testing.T, ana, olga *browser, hub string) {
	t.Helper()
	wantRedirect(t, ana.submit("/admin/partners", "/admin/partners", url.Values{"domain": {hub}}), "/admin/partners")
	wantRedirect(t, olga.submit("/groups", "/groups", url.Values{"name": {"Design"}, "handle": {"design"}, "kind": {"closed"}}), "/groups/design")
	wantRedirect(t, ana.submit("/groups/design", "/groups/design/share", url.Values{"partner": {hub}}), "/groups/design?done=group_shared")
}

var approveRE = regexp.MustCompile(`action="(/groups/design/members/[^"]+/approve)"`)

// TestRemoteMembersWeb: a moderator sees a partner's zoe, with her instance, among the
// requests to join, approves her through the page, and removes her; the local zoe, who
// asked nothing, is never touched. The group's JSON names each by their acct, and a
// decision addressed by an escaped handle reaches the right person.
func TestRemoteMembersWeb(t *testing.T) {
	const hub = "hub.example:8443"
	m, base := bootWith(t, testdb.New(t), nil)
	ana := signedIn(t, m, base, "ana", "admin")
	olga := signedIn(t, m, base, "olga", "member")
	zoe := signedIn(t, m, base, "zoe", "member")
	sharedDesignWeb(t, ana, olga, hub)
	remote := remoteRequest(t, m, "design", "zoe", hub)
	remoteRequest(t, m, "design", "max", hub)
	local := count(t, m, `SELECT id FROM accounts WHERE username = 'zoe' AND domain IS NULL`)
	standing := func(id int) string {
		t.Helper()
		var st string
		m.db.store.Pool().QueryRow(context.Background(), `SELECT coalesce((SELECT state FROM group_members
			WHERE group_id = (SELECT id FROM accounts WHERE username = 'design') AND account_id = $1), 'none')`, id).Scan(&st)
		return st
	}

	// The request shows her whole handle and her instance; the form addresses her so.
	p := olga.get("/groups/design")
	want(t, p, 200, "@zoe@"+hub)
	want(t, p, 200, `<span class="badge instance">`+hub+`</span>`)
	var action string
	for _, a := range approveRE.FindAllStringSubmatch(p.body, -1) {
		if u := html.UnescapeString(a[1]); u == "/groups/design/members/zoe@"+hub+"/approve" {
			action = u
		}
	}
	if action == "" {
		t.Fatalf("no approve form for zoe@%s:\n%s", hub, p.body)
	}
	wantRedirect(t, olga.submit("/groups/design", action, url.Values{}), "/groups/design")
	if got := standing(int(remote)); got != "member" {
		t.Errorf("remote zoe after approval: %s, want member", got)
	}
	if got := standing(local); got != "none" {
		t.Errorf("local zoe after approving the remote one: %s, want none", got)
	}
	// The local zoe asking by the bare name decides nothing about the remote one.
	want(t, olga.submit("/groups/design", "/groups/design/members/zoe/approve", url.Values{}), 422, "")

	// The members list marks her too, and the local zoe, once in, is told apart.
	wantRedirect(t, zoe.submit("/groups/design", "/groups/design/join", url.Values{}), "/groups/design")
	wantRedirect(t, olga.submit("/groups/design", "/groups/design/members/zoe/approve", url.Values{}), "/groups/design")
	p = olga.get("/groups/design")
	want(t, p, 200, `action="/groups/design/members/zoe@`+hub+`/remove"`)
	want(t, p, 200, `action="/groups/design/members/zoe/remove"`)

	// The API names each by acct; a client that escapes the handle reaches max.
	code, v := olga.api("GET", "/api/ruche/v1/groups/design/members", "", true)
	accts := map[string]bool{}
	for _, it := range v.([]any) {
		accts[field(it, "acct")] = true
	}
	if code != 200 || !accts["zoe@"+hub] || !accts["zoe"] || !accts["olga"] {
		t.Errorf("members' accts: %d %v", code, v)
	}
	code, v = olga.api("GET", "/api/ruche/v1/groups/design/members?state=requested", "", true)
	if items, _ := v.([]any); code != 200 || len(items) != 1 || field(items[0], "acct") != "max@"+hub || field(items[0], "username") != "max" {
		t.Errorf("requests: %d %v, want max@%s alone", code, v, hub)
	}
	if code, v := olga.api("POST", "/api/ruche/v1/groups/design/members/max%40hub.example%3A8443/reject", "", true); code != 200 {
		t.Errorf("reject by an escaped handle: %d %v", code, v)
	}
	if n := count(t, m, `SELECT count(*) FROM group_members m JOIN accounts a ON a.id = m.account_id WHERE a.username = 'max'`); n != 0 {
		t.Errorf("max's request stands after the rejection")
	}

	// Removing the remote zoe leaves the local one a member.
	wantRedirect(t, olga.submit("/groups/design", "/groups/design/members/zoe@"+hub+"/remove", url.Values{}), "/groups/design")
	if got := standing(int(remote)); got != "none" {
		t.Errorf("remote zoe after removal: %s, want none", got)
	}
	if got := standing(local); got != "member" {
		t.Errorf("local zoe after removing the remote one: %s, want member", got)
	}
	if p := olga.get("/groups/design"); regexp.MustCompile(`@zoe@hub`).MatchString(p.body) {
		t.Errorf("the removed remote zoe is still listed")
	}
}

// TestRemoteProfileWeb: a partner's member has a page here, /@zoe@hub, for those who
// may know of her (her group's members); to anyone else, and once she is out of the
// group, it is not found. It offers no follow: following is within the company.
func TestRemoteProfileWeb(t *testing.T) {
	const hub = "hub.example:8443"
	m, base := bootWith(t, testdb.New(t), nil)
	ana := signedIn(t, m, base, "ana", "admin")
	olga := signedIn(t, m, base, "olga", "member")
	carl := signedIn(t, m, base, "carl", "member")
	sharedDesignWeb(t, ana, olga, hub)
	remoteRequest(t, m, "design", "zoe", hub)
	wantRedirect(t, olga.submit("/groups/design", "/groups/design/members/zoe@"+hub+"/approve", url.Values{}), "/groups/design")

	p := olga.get("/@zoe@" + hub)
	want(t, p, 200, "@zoe@"+hub)
	if strings.Contains(p.body, "/follow\"") {
		t.Errorf("a partner's member's page offers a follow form")
	}
	want(t, carl.get("/@zoe@"+hub), 404, "")
	want(t, olga.get("/@zoe@elsewhere.example"), 404, "")

	wantRedirect(t, olga.submit("/groups/design", "/groups/design/members/zoe@"+hub+"/remove", url.Values{}), "/groups/design")
	want(t, olga.get("/@zoe@"+hub), 404, "")
}

// TestRemoveMemberOfSuspendedPartner: a moderator removes a partner's member while the
// partner is suspended: nothing can be told to it, but the removal stands, so that the
// person is not back in the group when the partner is reactivated.
func TestRemoveMemberOfSuspendedPartner(t *testing.T) {
	const hub = "hub.example:8443"
	m, base := bootWith(t, testdb.New(t), nil)
	ana := signedIn(t, m, base, "ana", "admin")
	olga := signedIn(t, m, base, "olga", "member")
	sharedDesignWeb(t, ana, olga, hub)
	zoe := remoteRequest(t, m, "design", "zoe", hub)
	wantRedirect(t, olga.submit("/groups/design", "/groups/design/members/zoe@"+hub+"/approve", url.Values{}), "/groups/design")
	admin, err := m.db.store.UserByUsername(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.fed.SetPartnerState(context.Background(), &admin, hub, ruche.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, olga.submit("/groups/design", "/groups/design/members/zoe@"+hub+"/remove", url.Values{}), "/groups/design")
	if n := count(t, m, `SELECT count(*) FROM group_members WHERE account_id = $1`, zoe); n != 0 {
		t.Errorf("zoe is still in the group after her removal")
	}
}

package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestGroups walks issue 4 with four accounts: owner, member, non-member, guest.
func TestGroups(t *testing.T) {
	m, base := boot(t)
	owner := signedIn(t, m, base, "olga", "member")
	mia := signedIn(t, m, base, "mia", "member")
	nina := signedIn(t, m, base, "nina", "member")
	gus := signedIn(t, m, base, "gus", "guest")
	create := func(handle, kind string) {
		t.Helper()
		wantRedirect(t, owner.submit("/groups", "/groups", url.Values{"name": {strings.ToUpper(handle)}, "handle": {handle}, "kind": {kind}}), "/groups/"+handle)
	}
	create("ops", "secret")
	create("design", "closed")
	create("lunch", "open")
	want(t, owner.submit("/groups", "/groups", url.Values{"name": {"X"}, "handle": {"mia"}, "kind": {"open"}}), 409, "already taken")

	// A group's @handle in a post stays text (a link would tell readers who may not know
	// of a group that it exists); /@handle leads to a group one may know of.
	wantRedirect(t, owner.submit("/", "/posts", url.Values{"source": {"Join @lunch today"}, "back": {"/"}}), "/")
	if strings.Contains(nina.get("/company").body, `/groups/lunch"`) {
		t.Error("a group mention was linked")
	}
	wantRedirect(t, nina.get("/@lunch"), "/groups/lunch")
	want(t, nina.get("/@ops"), 404, "")

	// A secret group does not exist for non-members: the same answer as for nothing.
	missing := nina.get("/groups/nothing_here")
	secret := nina.get("/groups/ops")
	want(t, secret, 404, "There is no such group")
	if missing.status != secret.status || strings.Contains(nina.get("/groups").body, "@ops") {
		t.Error("a non-member can tell the secret group exists")
	}
	want(t, nina.submit("/groups", "/groups/ops/join", url.Values{}), 404, "There is no such group")

	// Invitations: Mia and the guest join the secret group.
	wantRedirect(t, owner.submit("/groups/ops", "/groups/ops/invite", url.Values{"username": {"mia"}}), "/groups/ops")
	wantRedirect(t, owner.submit("/groups/ops", "/groups/ops/invite", url.Values{"username": {"gus"}}), "/groups/ops")
	want(t, mia.get("/notifications"), 200, "invites you to")
	wantRedirect(t, mia.submit("/groups/ops", "/groups/ops/join", url.Values{}), "/groups/ops?done=group_joined")
	wantRedirect(t, gus.submit("/groups/ops", "/groups/ops/join", url.Values{}), "/groups/ops?done=group_joined")

	// A post starting with @ops goes to the group; so does one from the group page.
	wantRedirect(t, mia.submit("/", "/posts", url.Values{"source": {"@ops the deploy is at 5 #release"}, "back": {"/"}}), "/")
	wantRedirect(t, owner.submit("/groups/ops", "/posts", url.Values{"source": {"Runbook updated"}, "group": {"ops"}, "back": {"/groups/ops"}}), "/groups/ops")
	page := owner.get("/groups/ops")
	want(t, page, 200, "the deploy is at 5")
	id := firstPostID(t, page)
	want(t, gus.get("/groups/ops"), 200, "Runbook updated")
	want(t, gus.get("/"), 200, "the deploy is at 5") // members' home streams
	for _, path := range []string{"/", "/company", "/tags/release", "/@mia", "/posts/" + id, "/notifications"} {
		if p := nina.get(path); strings.Contains(p.body, "Runbook") || strings.Contains(p.body, "deploy is at 5") {
			t.Errorf("the non-member sees a secret group's post on %s", path)
		}
	}
	want(t, nina.get("/posts/"+id), 404, "")
	want(t, nina.submit("/", "/posts", url.Values{"source": {"me too"}, "in_reply_to_id": {id}}), 404, "")
	want(t, nina.submit("/", "/posts", url.Values{"source": {"sneak"}, "group": {"ops"}}), 404, "There is no such group")
	// Replies stay in the group, and so do boosts: a member's boost is the group's, and
	// a non-member neither makes one nor sees one.
	wantRedirect(t, gus.submit("/posts/"+id, "/posts", url.Values{"source": {"ack"}, "in_reply_to_id": {id}}), "/posts/"+id)
	want(t, mia.get("/groups/ops"), 200, "ack")
	want(t, mia.submit("/posts/"+id, "/posts/"+id+"/boost", url.Values{}), 303, "")
	if n := count(t, m, `SELECT count(*) FROM posts b JOIN posts o ON o.id = b.reblog_of_id
		WHERE o.id = $1 AND b.group_id = o.group_id AND b.visibility = 'group'`, id); n != 1 {
		t.Errorf("%d boosts in the group, want 1", n)
	}
	want(t, nina.submit("/posts/"+id, "/posts/"+id+"/boost", url.Values{}), 404, "")
	want(t, nina.get("/@mia"), 200, "")
	if strings.Contains(nina.get("/@mia").body, "Runbook updated") {
		t.Error("mia's boost shows the group's post to a non-member on her profile")
	}

	// The guest sees only the groups they belong to: no company stream, no directory.
	wantRedirect(t, owner.submit("/", "/posts", url.Values{"source": {"Company news"}, "back": {"/"}}), "/")
	if strings.Contains(gus.get("/company").body, "Company news") || strings.Contains(gus.get("/people").body, "@nina") {
		t.Error("the guest sees company posts or the directory")
	}
	if g := gus.get("/groups"); strings.Contains(g.body, "@lunch") || strings.Contains(g.body, "@design") {
		t.Error("the guest sees groups they are not in")
	}
	want(t, gus.get("/groups/lunch"), 404, "")

	// Closed group: Nina asks, the owner approves.
	want(t, nina.get("/groups/design"), 200, "Ask to join")
	wantRedirect(t, nina.submit("/groups/design", "/groups/design/join", url.Values{}), "/groups/design?done=group_requested")
	want(t, owner.get("/notifications"), 200, "asks to join")
	want(t, owner.get("/groups/design"), 200, "Requests to join")
	wantRedirect(t, owner.submit("/groups/design", "/groups/design/members/nina/approve", url.Values{}), "/groups/design")
	want(t, nina.get("/groups/design"), 200, "Leave")
	want(t, nina.submit("/groups/design", "/groups/design/members/olga/remove", url.Values{}), 403, "")
	// A rejected request is told.
	wantRedirect(t, mia.submit("/groups/design", "/groups/design/join", url.Values{}), "/groups/design?done=group_requested")
	wantRedirect(t, owner.submit("/groups/design", "/groups/design/members/mia/reject", url.Values{}), "/groups/design")
	want(t, mia.get("/notifications"), 200, "turned down your request")
	want(t, mia.get("/groups"), 200, "My groups")

	// Pins and notifications of new posts.
	wantRedirect(t, owner.submit("/groups/ops", "/posts/"+id+"/pin", url.Values{"back": {"/groups/ops"}}), "/groups/ops")
	want(t, gus.get("/groups/ops"), 200, "Pinned posts")
	want(t, mia.submit("/groups/ops", "/posts/"+id+"/unpin", url.Values{}), 403, "")
	wantRedirect(t, mia.submit("/groups/ops", "/groups/ops/notify", url.Values{"on": {"1"}}), "/groups/ops")
	wantRedirect(t, gus.submit("/groups/ops", "/posts", url.Values{"source": {"new runbook step"}, "group": {"ops"}, "back": {"/groups/ops"}}), "/groups/ops")
	want(t, mia.get("/notifications"), 200, "posted in")
	wantRedirect(t, owner.submit("/groups/ops", "/posts/"+id+"/unpin", url.Values{"back": {"/groups/ops"}}), "/groups/ops")
	if strings.Contains(owner.get("/groups/ops").body, "Pinned posts") {
		t.Error("unpinned post still pinned")
	}

	// The group's owner moderates its posts; a plain member does not.
	wantRedirect(t, gus.submit("/groups/ops", "/posts", url.Values{"source": {"oops, wrong group"}, "group": {"ops"}, "back": {"/groups/ops"}}), "/groups/ops")
	oops := firstPostID(t, owner.get("/groups/ops"))
	want(t, mia.submit("/groups/ops", "/posts/"+oops+"/delete", url.Values{}), 403, "")
	wantRedirect(t, owner.submit("/groups/ops", "/posts/"+oops+"/delete", url.Values{}), "/?done=deleted")

	// Removal takes effect at once, on past posts too.
	wantRedirect(t, owner.submit("/groups/ops", "/groups/ops/members/mia/remove", url.Values{}), "/groups/ops")
	want(t, mia.get("/posts/"+id), 404, "")
	if p := mia.get("/"); strings.Contains(p.body, "Runbook") || strings.Contains(p.body, "deploy is at 5") {
		t.Error("a removed member still sees the group's posts at home")
	}
	want(t, mia.get("/groups/ops"), 404, "")
	if strings.Contains(mia.get("/notifications").body, "/groups/ops") {
		t.Error("a removed member keeps notifications naming the secret group")
	}

	// The last owner cannot leave without handing over.
	want(t, owner.submit("/groups/lunch", "/groups/lunch/leave", url.Values{}), 422, "keep an owner")
}

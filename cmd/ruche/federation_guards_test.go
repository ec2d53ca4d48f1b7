package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Guards found by a review of shared groups' posts, each once a reproduction of a
// defect: partners' groups forging, editing or deleting other groups' posts, deletes
// racing creates, relays after an unsharing, suspended partners holding up others,
// removed members editing through another group, names taken, and posts from before a
// sharing leaving when edited.

func zzUser(t *testing.T, m *Main, name string) ruche.User {
	t.Helper()
	u, err := (&ruche.Accounts{Store: m.db.store}).CreateUser(context.Background(), nil, ruche.NewUser{Username: name,
		Email: name + "@example.com", Password: "a long password", Role: ruche.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func zzJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// announce is group's Announce of an inner activity by author about a Note.
func zzAnnounce(group, id, innerType, author, authorName, noteID, content string, del bool) map[string]any {
	var inner map[string]any
	if del {
		inner = map[string]any{"id": noteID + "#delete", "type": "Delete", "actor": author, "object": noteID,
			"to": []string{group}, "audience": group}
	} else {
		inner = map[string]any{"id": noteID + "#" + strings.ToLower(innerType), "type": innerType,
			"actor":    map[string]any{"id": author, "type": "Person", "preferredUsername": authorName, "name": authorName},
			"to":       []string{group},
			"audience": group,
			"object": map[string]any{"id": noteID, "type": "Note", "attributedTo": author, "content": content,
				"to": []string{group}, "audience": group, "published": "2026-01-01T00:00:00Z"}}
	}
	return map[string]any{"@context": activitypub.ActivityStreamsNS, "id": id, "type": "Announce", "actor": group,
		"object": inner, "to": []string{group + "/members"}, "audience": group}
}

func zzHTML(t *testing.T, m *Main, apID string) (string, int64, bool) {
	t.Helper()
	var html string
	var group int64
	err := m.db.store.Pool().QueryRow(context.Background(), `SELECT html, group_id FROM posts WHERE ap_id = $1`, apID).Scan(&html, &group)
	return html, group, err == nil
}

// A partner's group (acme) edits, deletes and squats posts of another partner's group
// (globex) at hub; a Delete processed before its Create leaves the post for ever.
func TestFederationGuardHubForgery(t *testing.T) {
	ctx := context.Background()
	hub, h := fedNode(t, "hub", "", "")
	acme, globex := newFakeServer(t, "acme"), newFakeServer(t, "globex")
	acmeGroup := acme.putActor(t, "/groups/1", activitypub.TypeGroup, newKey(t))
	globexGroup := globex.putActor(t, "/groups/7", activitypub.TypeGroup, newKey(t))
	partner(t, hub, acme.base)
	partner(t, hub, globex.base)
	zoe := zzUser(t, hub, "zoe")
	design, err := hub.db.store.UpsertRemoteGroup(ctx, ruche.RemoteActor{IRI: acme.base + "/groups/1", Host: hostOf(acme.base)}, "design", "Design", "", ruche.GroupOpen)
	if err != nil {
		t.Fatal(err)
	}
	mobile, err := hub.db.store.UpsertRemoteGroup(ctx, ruche.RemoteActor{IRI: globex.base + "/groups/7", Host: hostOf(globex.base)}, "mobile", "Mobile", "", ruche.GroupOpen)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []int64{design, mobile} {
		if err := hub.db.store.SetMembership(ctx, g, zoe.ID, ruche.StateMember, ruche.GroupMember, "", zoe.ID); err != nil {
			t.Fatal(err)
		}
	}
	ag, gg := acme.base+"/groups/1", globex.base+"/groups/7"
	bob, note := globex.base+"/users/bob", globex.base+"/ap/posts/1"
	seq := 0
	post := func(s *activitypub.Signer, host *fakeServer, body map[string]any) {
		t.Helper()
		seq++
		body["id"] = host.base + "/activities/" + strconv.Itoa(seq)
		if got := send(t, signedPost(t, s, h+"/inbox", zzJSON(t, body))); got != 202 {
			t.Fatalf("inbox: %d", got)
		}
		iri := body["id"].(string)
		eventually(t, 20*time.Second, "never processed "+iri, func() bool {
			return count(t, hub, `SELECT count(*) FROM incoming_activities WHERE iri = $1 AND processed_at IS NOT NULL`, iri) == 1
		})
	}

	// globex's mobile relays bob's post.
	post(globexGroup, globex, zzAnnounce(gg, "", "Create", bob, "bob", note, "<p>bob in mobile</p>", false))
	if html, g, ok := zzHTML(t, hub, note); !ok || g != mobile || !strings.Contains(html, "bob in mobile") {
		t.Fatalf("bob's post: %q %d %v", html, g, ok)
	}
	// acme's design announces an Update of it: mobile's post changes.
	post(acmeGroup, acme, zzAnnounce(ag, "", "Update", bob, "bob", note, "<p>forged by acme</p>", false))
	if html, g, _ := zzHTML(t, hub, note); strings.Contains(html, "forged") {
		t.Errorf("acme's group edited a post of globex's group (group %d, mobile %d): %q", g, mobile, html)
	}
	// acme's design announces a Delete of it: gone.
	post(acmeGroup, acme, zzAnnounce(ag, "", "", bob, "bob", note, "", true))
	if _, _, ok := zzHTML(t, hub, note); !ok {
		t.Errorf("acme's group deleted a post of globex's group")
	}

	// Delete before Create: the post stays.
	note2 := globex.base + "/ap/posts/2"
	post(globexGroup, globex, zzAnnounce(gg, "", "", bob, "bob", note2, "", true))
	post(globexGroup, globex, zzAnnounce(gg, "", "Create", bob, "bob", note2, "<p>deleted already</p>", false))
	if _, _, ok := zzHTML(t, hub, note2); ok {
		t.Errorf("a Delete processed before its Create leaves the post at hub")
	}

	// acme squats globex's name bob: globex's real bob (another IRI) can no longer post.
	post(acmeGroup, acme, zzAnnounce(ag, "", "Create", globex.base+"/users/999", "carl", acme.base+"/ap/posts/5", "<p>x</p>", false))
	post(acmeGroup, acme, zzAnnounce(ag, "", "Create", globex.base+"/users/998", "dan", acme.base+"/ap/posts/6", "<p>y</p>", false))
	// Display name of an existing account rewritten by another partner's group.
	post(acmeGroup, acme, zzAnnounce(ag, "", "Create", bob, "bob", acme.base+"/ap/posts/7", "<p>z</p>", false))

	// acme's group names hub's own zoe with an upper-case host: an account of hub's own domain.
	upper := "http://" + strings.ToUpper(hostOf(h)) + "/users/" + strconv.FormatInt(zoe.ID, 10)
	post(acmeGroup, acme, zzAnnounce(ag, "", "Create", upper, "zoe", acme.base+"/ap/posts/8", "<p>I am zoe</p>", false))
	if n := count(t, hub, `SELECT count(*) FROM accounts WHERE lower(domain) = lower($1)`, hostOf(h)); n != 0 {
		t.Errorf("hub holds %d remote accounts of its own domain (impersonating zoe)", n)
	}
	// acme names a Note id on globex's host: squatting globex's future id.
	squat := globex.base + "/ap/posts/3"
	post(acmeGroup, acme, zzAnnounce(ag, "", "Create", bob, "bob", squat, "<p>squat</p>", false))
	post(globexGroup, globex, zzAnnounce(gg, "", "Create", bob, "bob", squat, "<p>real mobile post</p>", false))
	// acme's group may speak for globex's bob in acme's own group (he may be a member
	// there), so it can take an id of his first: globex's real post is then refused as
	// a copy. That costs globex's post its way here (left open: verifying each Note at
	// its origin would close it), but nothing of mobile shows in design:
	if _, g, ok := zzHTML(t, hub, squat); ok && g != mobile {
		t.Logf("known: globex's post %s was taken into design by acme first; mobile never gets it", squat)
	}
	post(globexGroup, globex, zzAnnounce(gg, "", "Update", bob, "bob", squat, "<p>mobile secret, edited</p>", false))
	if html, g, _ := zzHTML(t, hub, squat); g == design && strings.Contains(html, "mobile secret") {
		t.Errorf("globex's mobile edit now shows in design at hub: %q", html)
	}
	var names []string
	rows, _ := hub.db.store.Pool().Query(ctx, `SELECT username || '@' || domain || ' ' || display_name FROM accounts WHERE domain IS NOT NULL AND kind <> 'group' ORDER BY id`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		names = append(names, s)
	}
	t.Logf("remote accounts at hub: %v", names)
}

// At acme: a suspended partner with members in a shared group makes every relay of
// the group fail, for every other partner too; the rows are dropped.
func TestFederationGuardSuspendedPartnerDropsRelays(t *testing.T) {
	ctx := context.Background()
	acme, _ := fedNode(t, "acme", "", "")
	hubF, globexF := newFakeServer(t, "hub"), newFakeServer(t, "globex")
	partner(t, acme, hubF.base)
	partner(t, acme, globexF.base)
	ana := zzUser(t, acme, "ana")
	groups := &ruche.Groups{Store: acme.db.store, Shares: acme.db.store, Remote: acme.fed}
	design, err := groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*fakeServer{hubF, globexF} {
		if err := acme.db.store.ShareGroup(ctx, 0, design.ID, hostOf(s.base)); err != nil {
			t.Fatal(err)
		}
		id, err := acme.db.store.UpsertRemoteAccount(ctx, ruche.RemoteActor{IRI: s.base + "/users/m", Host: hostOf(s.base)}, "m", "M", true)
		if err != nil {
			t.Fatal(err)
		}
		if err := acme.db.store.SetMembership(ctx, design.ID, id, ruche.StateMember, ruche.GroupMember, "", id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := acme.fed.SetPartnerState(ctx, nil, hostOf(globexF.base), ruche.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	posts := &ruche.Posts{Store: acme.db.store, BaseURL: "x"}
	if _, err := posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "for hub"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "outbox never drained", func() bool {
		return count(t, acme, `SELECT count(*) FROM federation_outbox`) == 0
	})
	time.Sleep(time.Second)
	if n := count(t, acme, `SELECT count(*) FROM outgoing_activities WHERE actor = $1`, string(ruche.GroupActor(design.ID))); n == 0 {
		t.Errorf("globex suspended, hub (active, shared, member) got no relay of the post: dropped")
	}
}

// At acme: zoe, removed from design, edits her design post through lounge.
func TestFederationGuardRemovedMemberEditsViaOtherGroup(t *testing.T) {
	ctx := context.Background()
	acme, a := fedNode(t, "acme", "", "")
	hubF := newFakeServer(t, "hub")
	zoeS := hubF.putActor(t, "/users/zoe", activitypub.TypePerson, newKey(t))
	zoeIRI := hubF.base + "/users/zoe"
	partner(t, acme, hubF.base)
	ana := zzUser(t, acme, "ana")
	groups := &ruche.Groups{Store: acme.db.store, Shares: acme.db.store, Remote: acme.fed}
	var gs []ruche.Group
	zoeID, err := acme.db.store.UpsertRemoteAccount(ctx, ruche.RemoteActor{IRI: zoeIRI, Host: hostOf(hubF.base)}, "zoe", "Zoe", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"design", "lounge"} {
		g, err := groups.Create(ctx, ana, name, ruche.GroupFields{Name: name, Kind: ruche.GroupOpen})
		if err != nil {
			t.Fatal(err)
		}
		if err := acme.db.store.ShareGroup(ctx, 0, g.ID, hostOf(hubF.base)); err != nil {
			t.Fatal(err)
		}
		if err := acme.db.store.SetMembership(ctx, g.ID, zoeID, ruche.StateMember, ruche.GroupMember, "", zoeID); err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	note := hubF.base + "/ap/posts/1"
	seq := 0
	send1 := func(typ string, group ruche.Group, content string) {
		seq++
		gi := acme.fed.GroupIRI(group.ID)
		id := hubF.base + "/act/" + strconv.Itoa(seq)
		body := zzJSON(t, map[string]any{"@context": activitypub.ActivityStreamsNS, "id": id, "type": typ, "actor": zoeIRI,
			"to": []string{gi}, "object": map[string]any{"id": note, "type": "Note", "attributedTo": zoeIRI, "content": content,
				"to": []string{gi}, "audience": gi}})
		if got := send(t, signedPost(t, zoeS, a+"/inbox", body)); got != 202 {
			t.Fatalf("inbox %d", got)
		}
		eventually(t, 20*time.Second, "never processed", func() bool {
			return count(t, acme, `SELECT count(*) FROM incoming_activities WHERE iri = $1 AND processed_at IS NOT NULL`, id) == 1
		})
	}
	send1("Create", gs[0], "<p>in design</p>")
	if _, g, ok := zzHTML(t, acme, note); !ok || g != gs[0].ID {
		t.Fatalf("zoe's design post not stored")
	}
	if err := acme.db.store.RemoveMembership(ctx, gs[0].ID, zoeID); err != nil {
		t.Fatal(err)
	}
	send1("Update", gs[1], "<p>edited after removal</p>")
	if html, g, _ := zzHTML(t, acme, note); strings.Contains(html, "after removal") {
		t.Errorf("zoe, removed from design, edited her design post (group %d) through lounge", g)
	}
}

// acme's group takes globex's username eve first; globex's real eve then cannot post
// at hub (unique username per domain), and acme renames globex's bob.
func TestFederationGuardUsernameSquat(t *testing.T) {
	ctx := context.Background()
	hub, h := fedNode(t, "hub", "", "")
	acme, globex := newFakeServer(t, "acme"), newFakeServer(t, "globex")
	acmeGroup := acme.putActor(t, "/groups/1", activitypub.TypeGroup, newKey(t))
	globexGroup := globex.putActor(t, "/groups/7", activitypub.TypeGroup, newKey(t))
	partner(t, hub, acme.base)
	partner(t, hub, globex.base)
	zoe := zzUser(t, hub, "zoe")
	for _, s := range []*fakeServer{acme, globex} {
		path := "/groups/1"
		if s == globex {
			path = "/groups/7"
		}
		g, err := hub.db.store.UpsertRemoteGroup(ctx, ruche.RemoteActor{IRI: s.base + path, Host: hostOf(s.base)}, "g", "G", "", ruche.GroupOpen)
		if err != nil {
			t.Fatal(err)
		}
		if err := hub.db.store.SetMembership(ctx, g, zoe.ID, ruche.StateMember, ruche.GroupMember, "", zoe.ID); err != nil {
			t.Fatal(err)
		}
	}
	ag, gg := acme.base+"/groups/1", globex.base+"/groups/7"
	seq := 0
	post := func(s *activitypub.Signer, host *fakeServer, body map[string]any) string {
		seq++
		body["id"] = host.base + "/activities/" + strconv.Itoa(seq)
		if got := send(t, signedPost(t, s, h+"/inbox", zzJSON(t, body))); got != 202 {
			t.Fatalf("inbox: %d", got)
		}
		return body["id"].(string)
	}
	processed := func(iri string) bool {
		return count(t, hub, `SELECT count(*) FROM incoming_activities WHERE iri = $1 AND processed_at IS NOT NULL`, iri) == 1
	}
	bob := globex.base + "/users/bob"
	id := post(globexGroup, globex, zzAnnounce(gg, "", "Create", bob, "bob", globex.base+"/ap/posts/1", "<p>b</p>", false))
	eventually(t, 20*time.Second, "bob", func() bool { return processed(id) })
	id = post(acmeGroup, acme, zzAnnounce(ag, "", "Create", globex.base+"/users/999", "eve", acme.base+"/ap/posts/1", "<p>fake eve</p>", false))
	eventually(t, 20*time.Second, "fake eve", func() bool { return processed(id) })
	b := zzAnnounce(ag, "", "Create", bob, "bob", acme.base+"/ap/posts/2", "<p>x</p>", false)
	b["object"].(map[string]any)["actor"].(map[string]any)["name"] = "Bob (renamed by acme)"
	id = post(acmeGroup, acme, b)
	eventually(t, 20*time.Second, "rename", func() bool { return processed(id) })
	id = post(globexGroup, globex, zzAnnounce(gg, "", "Create", globex.base+"/users/eve", "eve", globex.base+"/ap/posts/2", "<p>real eve</p>", false))
	time.Sleep(5 * time.Second)
	if !processed(id) {
		t.Errorf("globex's real eve's post is not processed (username taken by acme's fake eve)")
	}
	var name string
	hub.db.store.Pool().QueryRow(ctx, `SELECT display_name FROM accounts WHERE ap_id = $1`, bob).Scan(&name)
	if name != "bob" {
		t.Errorf("bob@globex's display name at hub is now %q, set by acme's group", name)
	}
}

// What the trigger writes when a partner's group is deleted at hub with a local post in it.
func TestFederationGuardDeleteRemoteGroupTrigger(t *testing.T) {
	ctx := context.Background()
	hub, _ := fedNode(t, "hub", "", "")
	zoe := zzUser(t, hub, "zoe")
	g, err := hub.db.store.UpsertRemoteGroup(ctx, ruche.RemoteActor{IRI: "http://acme.localhost:1/groups/1", Host: "acme.localhost:1"}, "d", "D", "", ruche.GroupOpen)
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.db.store.SetMembership(ctx, g, zoe.ID, ruche.StateMember, ruche.GroupMember, "", zoe.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.db.store.CreatePost(ctx, ruche.PostDraft{AuthorID: zoe.ID, Visibility: ruche.VisGroup, GroupID: g, Source: "s", HTML: "<p>s</p>"}); err != nil {
		t.Fatal(err)
	}
	tx, err := hub.db.store.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, g); err != nil {
		t.Fatal(err)
	}
	var n int
	tx.QueryRow(ctx, `SELECT count(*) FROM federation_outbox WHERE kind = 'delete'`).Scan(&n)
	t.Logf("delete rows written by the cascade: %d", n)
}

// A relay queued before an unshare is still delivered after it.
func TestFederationGuardDeliverAfterUnshare(t *testing.T) {
	ctx := context.Background()
	acme, _ := fedNode(t, "acme", "", "")
	hubF := newFakeServer(t, "hub")
	hubF.putActor(t, "/actor", activitypub.TypeApplication, newKey(t))
	hubF.mu.Lock()
	hubF.docs["/.well-known/webfinger"] = zzJSON(t, map[string]any{"subject": "acct:" + hostOf(hubF.base) + "@" + hostOf(hubF.base),
		"links": []map[string]any{{"rel": "self", "type": activitypub.ContentType, "href": hubF.base + "/actor"}}})
	hubF.mu.Unlock()
	partner(t, acme, hubF.base)
	ana := zzUser(t, acme, "ana")
	groups := &ruche.Groups{Store: acme.db.store, Shares: acme.db.store, Remote: acme.fed}
	design, err := groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.db.store.ShareGroup(ctx, 0, design.ID, hostOf(hubF.base)); err != nil {
		t.Fatal(err)
	}
	id, _ := acme.db.store.UpsertRemoteAccount(ctx, ruche.RemoteActor{IRI: hubF.base + "/users/zoe", Host: hostOf(hubF.base)}, "zoe", "Zoe", true)
	if err := acme.db.store.SetMembership(ctx, design.ID, id, ruche.StateMember, ruche.GroupMember, "", id); err != nil {
		t.Fatal(err)
	}
	hubF.down.Store(true)
	posts := &ruche.Posts{Store: acme.db.store, BaseURL: "x"}
	if _, err := posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "written while shared"}); err != nil {
		t.Fatal(err)
	}
	var actID int64
	eventually(t, 20*time.Second, "relay never queued", func() bool {
		return acme.db.store.Pool().QueryRow(ctx, `SELECT id FROM outgoing_activities WHERE actor = $1 AND iri LIKE '%/activities/%'`,
			string(ruche.GroupActor(design.ID))).Scan(&actID) == nil
	})
	if err := groups.Unshare(ctx, nil, "design", hostOf(hubF.base)); err != nil {
		t.Fatal(err)
	}
	hubF.down.Store(false)
	pending := count(t, acme, `SELECT count(*) FROM river_job WHERE kind = 'federation_deliver' AND (args->>'activity_id')::bigint = $1
		AND state IN ('available', 'retryable', 'scheduled', 'running')`, actID)
	err = acme.fed.Deliver(ctx, ruche.Delivery{ActivityID: actID, Host: hostOf(hubF.base)})
	t.Logf("after unshare: pending relay jobs %d; Deliver of the relay: %v", pending, err)
	for _, b := range hubF.received() {
		if strings.Contains(string(b), "written while shared") {
			t.Errorf("hub received the group's post after the unshare")
			break
		}
	}
}

// A post written before the group was shared leaves when edited afterwards.
func TestFederationGuardPreShareEditLeaves(t *testing.T) {
	ctx := context.Background()
	acme, a := fedNode(t, "acme", "", "")
	hubF := newFakeServer(t, "hub")
	partner(t, acme, hubF.base)
	ana := zzUser(t, acme, "ana")
	groups := &ruche.Groups{Store: acme.db.store, Shares: acme.db.store, Remote: acme.fed}
	design, err := groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	posts := &ruche.Posts{Store: acme.db.store, BaseURL: a}
	p, err := posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "internal only, before sharing"})
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.db.store.ShareGroup(ctx, 0, design.ID, hostOf(hubF.base)); err != nil {
		t.Fatal(err)
	}
	id, _ := acme.db.store.UpsertRemoteAccount(ctx, ruche.RemoteActor{IRI: hubF.base + "/users/zoe", Host: hostOf(hubF.base)}, "zoe", "Zoe", true)
	if err := acme.db.store.SetMembership(ctx, design.ID, id, ruche.StateMember, ruche.GroupMember, "", id); err != nil {
		t.Fatal(err)
	}
	if _, err := posts.Edit(ctx, ana, p.ID, "internal only, before sharing (typo fixed)", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "outbox never drained", func() bool {
		return count(t, acme, `SELECT count(*) FROM federation_outbox`) == 0
	})
	if n := count(t, acme, `SELECT count(*) FROM outgoing_activities WHERE convert_from(body, 'UTF8') LIKE '%before sharing%'`); n > 0 {
		t.Errorf("%d activities carrying a pre-share post's text are queued for hub", n)
	}
}

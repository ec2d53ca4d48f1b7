package ruche_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
	"github.com/ruche-hive/ruche/web"
)

var allKinds = []ruche.NotificationKind{ruche.NotifyMention, ruche.NotifyReply, ruche.NotifyLike, ruche.NotifyBoost,
	ruche.NotifyFollow, ruche.NotifyGroupRequest, ruche.NotifyGroupApproved, ruche.NotifyGroupInvite,
	ruche.NotifyGroupRejected, ruche.NotifyGroupPost}

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load(web.FS)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEveryKindIsPushedWithATitle: each notification kind has an alert and a title
// in every language.
func TestEveryKindIsPushedWithATitle(t *testing.T) {
	c := catalog(t)
	for _, k := range allKinds {
		if _, ok := ruche.PushAlertOf(k); !ok {
			t.Errorf("kind %s is never pushed", k)
		}
		for _, l := range c.Languages() {
			if p := c.Printer(l.Code, ""); p.T("push."+string(k), "A", "G") == "push."+string(k) {
				t.Errorf("no push title for %s in %s", k, l.Code)
			}
		}
	}
}

func TestPushAlertsJSON(t *testing.T) {
	var as ruche.PushAlerts
	if err := json.Unmarshal([]byte(`{"mention": true, "admin.sign_up": true, "favourite": false, "unknown": true}`), &as); err != nil {
		t.Fatal(err)
	}
	if as != (ruche.PushAlerts{Mention: true, AdminSignUp: true}) {
		t.Errorf("unmarshalled %+v", as)
	}
	b, _ := json.Marshal(as)
	var m map[string]bool
	json.Unmarshal(b, &m)
	if len(m) != len(ruche.PushAlertNames) || !m["mention"] || !m["admin.sign_up"] || m["favourite"] {
		t.Errorf("marshalled %s", b)
	}
}

// sender records messages and answers with err.
type sender struct {
	mu   sync.Mutex
	got  []ruche.PushMessage
	errs []error // answered in turn; nil when exhausted
}

func (s *sender) Send(_ context.Context, m ruche.PushMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, m)
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

func (s *sender) take() []ruche.PushMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.got
	s.got = nil
	return got
}

// pushHive is a store with one subscribed member, bob, and two others.
type pushHive struct {
	t         *testing.T
	s         *postgres.Store
	push      *ruche.Push
	sender    *sender
	now       time.Time
	ana, bob  ruche.User
	carl, adm ruche.User
	sub       ruche.PushSubscription
}

func newPushHive(t *testing.T) *pushHive {
	t.Helper()
	ctx := context.Background()
	s := testdb.NewStore(t)
	h := &pushHive{t: t, s: s, sender: &sender{}, now: time.Now()}
	h.push = &ruche.Push{Store: s, Sender: h.sender, Catalog: catalog(t),
		Icon: func(a ruche.Author) string { return "https://hive.example/@" + a.Username + "/avatar" },
		Now:  func() time.Time { return h.now }}
	mk := func(name string, role ruche.Role) ruche.User {
		u, err := s.CreateUser(ctx, 0, ruche.NewUser{Username: name, Email: name + "@example.com", Role: role}, "x")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	h.adm, h.ana, h.bob, h.carl = mk("adm", ruche.RoleAdmin), mk("ana", ruche.RoleMember), mk("bob", ruche.RoleMember), mk("carl", ruche.RoleMember)
	var appID, tokenID int64
	if err := s.Pool().QueryRow(ctx, `INSERT INTO oauth_apps (client_id, client_secret_hash, name, redirect_uris, scopes)
		VALUES ('phone', '\x00', 'Phone', '{urn:ietf:wg:oauth:2.0:oob}', '{push}') RETURNING id`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `INSERT INTO oauth_tokens (token_hash, app_id, account_id, scopes)
		VALUES ('\x01', $1, $2, '{push}') RETURNING id`, appID, h.bob.ID).Scan(&tokenID); err != nil {
		t.Fatal(err)
	}
	k, _ := ecdh.P256().GenerateKey(rand.Reader)
	secret := make([]byte, 16)
	rand.Read(secret)
	sub, err := h.push.Subscribe(ctx, h.bob, tokenID, ruche.PushSubscription{
		Endpoint: "https://push.example.net/bob",
		P256dh:   base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(secret),
		Alerts: ruche.PushAlerts{Mention: true, Favourite: true, Reblog: true, Follow: true, Status: true,
			FollowRequest: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.sub = sub
	return h
}

// latest is the id of bob's newest notification.
func (h *pushHive) latest() int64 {
	h.t.Helper()
	var id int64
	if err := h.s.Pool().QueryRow(context.Background(), `SELECT id FROM notifications WHERE account_id = $1 ORDER BY id DESC LIMIT 1`,
		h.bob.ID).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *pushHive) post(author ruche.User, d ruche.PostDraft) int64 {
	h.t.Helper()
	d.AuthorID = author.ID
	if d.Visibility == "" {
		d.Visibility = ruche.VisCompany
	}
	id, err := h.s.CreatePost(context.Background(), d)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// deliver pushes notification nid to bob's subscription and returns the payload
// sent, or nil if nothing was.
func (h *pushHive) deliver(nid int64) map[string]string {
	h.t.Helper()
	if err := h.push.Deliver(context.Background(), ruche.PushDelivery{NotificationID: nid, SubscriptionID: h.sub.ID}); err != nil {
		h.t.Fatalf("Deliver: %v", err)
	}
	got := h.sender.take()
	if len(got) == 0 {
		return nil
	}
	if len(got) > 1 {
		h.t.Fatalf("%d messages sent, want at most 1", len(got))
	}
	m := got[0]
	if m.Endpoint != h.sub.Endpoint || m.P256dh != h.sub.P256dh || m.Auth != h.sub.Auth || m.TTL != ruche.PushTTL ||
		m.Urgency != "normal" || len(m.VAPID.Public) != 65 || len(m.VAPID.Private) != 32 {
		h.t.Errorf("message %+v", m)
	}
	var pl map[string]string
	if err := json.Unmarshal(m.Payload, &pl); err != nil {
		h.t.Fatalf("payload %s: %v", m.Payload, err)
	}
	return pl
}

func TestDeliverWritesMastodonsPayload(t *testing.T) {
	ctx := context.Background()
	h := newPushHive(t)
	long := strings.Repeat("word ", 60)
	p := h.post(h.bob, ruche.PostDraft{Source: "x", HTML: "<p>Lunch &amp; <strong>learn</strong></p><p>" + long + "</p>"})
	if err := h.s.SetLiked(ctx, h.ana.ID, p, true); err != nil {
		t.Fatal(err)
	}
	nid := h.latest()
	pl := h.deliver(nid)
	body := pl["body"]
	delete(pl, "body")
	want := map[string]string{"notification_id": itoa(nid), "notification_type": "favourite", "preferred_locale": "en",
		"icon": "https://hive.example/@ana/avatar", "title": "ana liked your post"}
	if !equal(pl, want) {
		t.Errorf("payload %v, want %v", pl, want)
	}
	if !strings.HasPrefix(body, "Lunch & learn word word") || !strings.HasSuffix(body, "…") || len([]rune(body)) > 140 {
		t.Errorf("body %q: want plain text, on one line, cut at 140 characters", body)
	}

	// In the recipient's language; a content warning stands for the text.
	if err := h.s.SetLocale(ctx, h.bob.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	h.post(h.carl, ruche.PostDraft{Source: "x", HTML: "<p>spoiled</p>", SpoilerText: "Fin de la série", MentionIDs: []int64{h.bob.ID}})
	pl = h.deliver(h.latest())
	if pl["title"] != "carl vous a mentionné" || pl["body"] != "Fin de la série" || pl["notification_type"] != "mention" ||
		pl["preferred_locale"] != "fr" {
		t.Errorf("French mention: %v", pl)
	}

	if err := h.s.SetFollowing(ctx, h.carl.ID, h.bob.ID, true); err != nil {
		t.Fatal(err)
	}
	pl = h.deliver(h.latest())
	if pl["title"] != "carl vous suit" || pl["body"] != "@carl" || pl["notification_type"] != "follow" {
		t.Errorf("follow: %v", pl)
	}
}

func TestDeliverDropsWhatShouldNotBePushed(t *testing.T) {
	ctx := context.Background()
	h := newPushHive(t)
	likeBy := func(u ruche.User) int64 {
		t.Helper()
		p := h.post(h.bob, ruche.PostDraft{Source: "x", HTML: "<p>x</p>"})
		if err := h.s.SetLiked(ctx, u.ID, p, true); err != nil {
			t.Fatal(err)
		}
		return h.latest()
	}
	update := func(a ruche.PushAlerts, p ruche.PushPolicy) {
		t.Helper()
		var err error
		if h.sub, err = h.push.UpdateAlerts(ctx, h.bob, h.sub.TokenID, a, p); err != nil {
			t.Fatal(err)
		}
	}

	nid := likeBy(h.ana)
	update(ruche.PushAlerts{Mention: true}, ruche.PolicyAll)
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("favourites off, pushed %v", pl)
	}

	update(ruche.PushAlerts{Favourite: true}, ruche.PolicyFollowed)
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("policy followed, from someone bob does not follow: pushed %v", pl)
	}
	if err := h.s.SetFollowing(ctx, h.bob.ID, h.ana.ID, true); err != nil {
		t.Fatal(err)
	}
	if pl := h.deliver(nid); pl == nil {
		t.Error("policy followed, from someone bob follows: nothing pushed")
	}

	update(ruche.PushAlerts{Favourite: true}, ruche.PolicyFollower)
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("policy follower, from someone who does not follow bob: pushed %v", pl)
	}
	if err := h.s.SetFollowing(ctx, h.ana.ID, h.bob.ID, true); err != nil {
		t.Fatal(err)
	}
	nid = likeBy(h.ana)
	if pl := h.deliver(nid); pl == nil {
		t.Error("policy follower, from a follower: nothing pushed")
	}

	update(ruche.PushAlerts{Favourite: true}, ruche.PolicyNone)
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("policy none: pushed %v", pl)
	}
	update(ruche.PushAlerts{Favourite: true}, ruche.PolicyAll)

	// Too old.
	h.now = time.Now().Add(ruche.PushTTL + time.Minute)
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("a notification older than the TTL was pushed: %v", pl)
	}
	h.now = time.Now()
	if pl := h.deliver(nid); pl == nil {
		t.Fatal("nothing pushed once back within the TTL")
	}

	// Withdrawn: the unlike deletes the notification.
	nid = likeBy(h.carl)
	var postID int64
	h.s.Pool().QueryRow(ctx, `SELECT post_id FROM notifications WHERE id = $1`, nid).Scan(&postID)
	if err := h.s.SetLiked(ctx, h.carl.ID, postID, false); err != nil {
		t.Fatal(err)
	}
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("a withdrawn notification was pushed: %v", pl)
	}

	// Suspended.
	nid = likeBy(h.carl)
	if err := h.s.SetSuspended(ctx, h.adm.ID, h.bob.ID, true); err != nil {
		t.Fatal(err)
	}
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("pushed to a suspended member: %v", pl)
	}
}

// TestDeliverHidesPostsNoLongerVisible: the gate is applied when the message is sent.
func TestDeliverHidesPostsNoLongerVisible(t *testing.T) {
	ctx := context.Background()
	h := newPushHive(t)
	h.post(h.ana, ruche.PostDraft{Source: "x", HTML: "<p>secret plans</p>", MentionIDs: []int64{h.bob.ID}})
	nid := h.latest()
	// Bob becomes a guest: company-wide posts are not for guests.
	if err := h.s.SetRole(ctx, h.adm.ID, h.bob.ID, ruche.RoleGuest); err != nil {
		t.Fatal(err)
	}
	if pl := h.deliver(nid); pl != nil {
		t.Errorf("pushed a post bob may no longer see: %v", pl)
	}
	if err := h.s.SetRole(ctx, h.adm.ID, h.bob.ID, ruche.RoleMember); err != nil {
		t.Fatal(err)
	}
	if pl := h.deliver(nid); pl == nil || pl["body"] != "secret plans" {
		t.Errorf("pushed %v, want the post", pl)
	}
}

func TestDeliverForgetsGoneSubscriptions(t *testing.T) {
	ctx := context.Background()
	h := newPushHive(t)
	h.post(h.ana, ruche.PostDraft{Source: "x", HTML: "<p>hi</p>", MentionIDs: []int64{h.bob.ID}})
	nid := h.latest()
	d := ruche.PushDelivery{NotificationID: nid, SubscriptionID: h.sub.ID}

	h.sender.errs = []error{&ruche.PushRefusedError{Status: 503}}
	var refused *ruche.PushRefusedError
	if err := h.push.Deliver(ctx, d); !errors.As(err, &refused) || refused.Status != 503 {
		t.Errorf("503: err = %v, want it returned for a retry", err)
	}
	if _, err := h.push.Subscription(ctx, h.bob, h.sub.TokenID); err != nil {
		t.Errorf("a 503 lost the subscription: %v", err)
	}

	h.sender.errs = []error{&ruche.PushRefusedError{Status: 410}}
	if err := h.push.Deliver(ctx, d); err != nil {
		t.Errorf("410: err = %v, want nil (nothing more to do)", err)
	}
	if _, err := h.push.Subscription(ctx, h.bob, h.sub.TokenID); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("after a 410 the subscription is still there: %v", err)
	}
	h.sender.take()
	if err := h.push.Deliver(ctx, d); err != nil || len(h.sender.take()) != 0 {
		t.Errorf("a retry after the subscription went sent again: %v", err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

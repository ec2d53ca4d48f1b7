package postgres_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// accessToken gives accountID an OAuth access token, as signing in through an app
// would, and returns its id.
func accessToken(t *testing.T, s *postgres.Store, accountID int64) int64 {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 16)
	rand.Read(b)
	var appID, tokenID int64
	if err := s.Pool().QueryRow(ctx, `INSERT INTO oauth_apps (client_id, client_secret_hash, name, redirect_uris, scopes)
		VALUES ($1, '\x00', 'Phone app', '{urn:ietf:wg:oauth:2.0:oob}', '{read,write,push}') RETURNING id`,
		base64.RawURLEncoding.EncodeToString(b)).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `INSERT INTO oauth_tokens (token_hash, app_id, account_id, scopes)
		VALUES ($1, $2, $3, '{read,write,push}') RETURNING id`, b, appID, accountID).Scan(&tokenID); err != nil {
		t.Fatal(err)
	}
	return tokenID
}

// appKeys returns a p256dh key and auth secret as an app sends them.
func appKeys(t *testing.T) (p256dh, auth string) {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(secret)
}

func subscribe(t *testing.T, p *ruche.Push, u ruche.User, tokenID int64, endpoint string) ruche.PushSubscription {
	t.Helper()
	key, auth := appKeys(t)
	sub, err := p.Subscribe(context.Background(), u, tokenID, ruche.PushSubscription{
		Endpoint: endpoint, P256dh: key, Auth: auth, Alerts: ruche.PushAlerts{Mention: true, Favourite: true},
	})
	if err != nil {
		t.Fatalf("subscribe %s: %v", u.Username, err)
	}
	return sub
}

func wantErrCode(t *testing.T, err error, code ruche.Code, key string) {
	t.Helper()
	var e *ruche.Error
	if !errors.As(err, &e) || e.Code != code || (key != "" && e.Key != key) {
		t.Errorf("err = %v, want code %d key %s", err, code, key)
	}
}

func TestPushSubscribeReplaceUnsubscribe(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	p := &ruche.Push{Store: s}
	ana := user(t, s, "ana", ruche.RoleMember)
	bob := user(t, s, "bob", ruche.RoleMember)
	tok := accessToken(t, s, ana.ID)

	if _, err := p.Subscription(ctx, ana, tok); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("Subscription before subscribing: err = %v, want not found", err)
	}
	key, auth := appKeys(t)
	first, err := p.Subscribe(ctx, ana, tok, ruche.PushSubscription{
		Endpoint: "https://push.example.net/wpush/v2/one", P256dh: key + "=", Auth: auth + "==",
		Alerts: ruche.PushAlerts{Mention: true, Reblog: true, AdminSignUp: true, AdminReport: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := ruche.PushSubscription{ID: first.ID, TokenID: tok, AccountID: ana.ID, Endpoint: "https://push.example.net/wpush/v2/one",
		P256dh: key, Auth: auth, Alerts: ruche.PushAlerts{Mention: true, Reblog: true}, Policy: ruche.PolicyAll, CreatedAt: first.CreatedAt}
	if first != want {
		t.Errorf("Subscribe =\n %+v, want\n %+v (padding dropped, admin alerts off for a member, policy all)", first, want)
	}
	if got, err := p.Subscription(ctx, ana, tok); err != nil || got != first {
		t.Errorf("Subscription = %+v, %v; want %+v", got, err, first)
	}

	// A new subscription through the same token replaces the old one, with a new id.
	second := subscribe(t, p, ana, tok, "https://push.example.net/wpush/v2/two")
	if second.ID == first.ID || second.Endpoint != "https://push.example.net/wpush/v2/two" {
		t.Errorf("replacement = %+v, want a new id and the new endpoint", second)
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM push_subscriptions`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d subscriptions (%v), want 1", n, err)
	}

	got, err := p.UpdateAlerts(ctx, ana, tok, ruche.PushAlerts{Follow: true}, ruche.PolicyFollowed)
	if err != nil || got.Alerts != (ruche.PushAlerts{Follow: true}) || got.Policy != ruche.PolicyFollowed || got.Endpoint != second.Endpoint {
		t.Errorf("UpdateAlerts = %+v, %v", got, err)
	}
	if _, err := p.UpdateAlerts(ctx, ana, tok, ruche.PushAlerts{}, "friends"); ruche.ErrorCode(err) != ruche.CodeInvalid {
		t.Errorf("bad policy: err = %v", err)
	}

	// Someone else's token is nobody's business.
	if _, err := p.Subscribe(ctx, bob, tok, second); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("subscribing through another's token: err = %v, want not found", err)
	}
	if _, err := p.Subscription(ctx, bob, tok); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("reading another's subscription: err = %v, want not found", err)
	}
	if err := p.Unsubscribe(ctx, bob, tok); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("deleting another's subscription: err = %v, want not found", err)
	}
	if _, err := p.Subscribe(ctx, ana, 12345, second); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("subscribing through no token: err = %v, want not found", err)
	}

	if err := p.Unsubscribe(ctx, ana, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Subscription(ctx, ana, tok); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("Subscription after Unsubscribe: err = %v, want not found", err)
	}
	if err := p.Unsubscribe(ctx, ana, tok); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("second Unsubscribe: err = %v, want not found", err)
	}
	if _, err := p.UpdateAlerts(ctx, ana, tok, ruche.PushAlerts{}, ""); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("UpdateAlerts without a subscription: err = %v, want not found", err)
	}

	// Revoking the token ends its subscription.
	subscribe(t, p, ana, tok, "https://push.example.net/wpush/v2/three")
	if _, err := s.Pool().Exec(ctx, `DELETE FROM oauth_tokens WHERE id = $1`, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Subscription(ctx, ana, tok); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("Subscription after the token was revoked: err = %v, want not found", err)
	}
}

func TestPushSubscribeRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	ana := user(t, s, "ana", ruche.RoleMember)
	tok := accessToken(t, s, ana.ID)
	key, auth := appKeys(t)
	raw, _ := base64.RawURLEncoding.DecodeString(key)
	compressed := append([]byte{2 + raw[64]&1}, raw[1:33]...)
	offCurve := append([]byte(nil), raw...)
	offCurve[64] ^= 1
	std := base64.StdEncoding.EncodeToString(raw)
	if !strings.ContainsAny(std, "+/") { // make sure the standard alphabet shows
		std = strings.Repeat("+", 87) + "="
	}
	b64 := base64.RawURLEncoding.EncodeToString
	const ep = "https://push.example.net/x"

	tests := []struct {
		name                string
		endpoint, key, auth string
		policy              ruche.PushPolicy
		wantKey             string
	}{
		{"http endpoint", "http://push.example.net/x", key, auth, "", "error.push_endpoint_invalid"},
		{"no scheme", "push.example.net/x", key, auth, "", "error.push_endpoint_invalid"},
		{"ftp", "ftp://push.example.net/x", key, auth, "", "error.push_endpoint_invalid"},
		{"too long", ep + strings.Repeat("a", ruche.MaxPushEndpointLen), key, auth, "", "error.push_endpoint_invalid"},
		{"loopback", "https://127.0.0.1/x", key, auth, "", "error.push_endpoint_invalid"},
		{"loopback v6", "https://[::1]:8443/x", key, auth, "", "error.push_endpoint_invalid"},
		{"mapped loopback", "https://[::ffff:127.0.0.1]/x", key, auth, "", "error.push_endpoint_invalid"},
		{"private", "https://10.1.2.3/x", key, auth, "", "error.push_endpoint_invalid"},
		{"link-local", "https://169.254.169.254/latest/meta-data", key, auth, "", "error.push_endpoint_invalid"},
		{"localhost", "https://localhost/x", key, auth, "", "error.push_endpoint_invalid"},
		{"intranet name", "https://pushgw/x", key, auth, "", "error.push_endpoint_invalid"},
		{"user info", "https://user:pw@push.example.net/x", key, auth, "", "error.push_endpoint_invalid"},
		{"empty key", ep, "", auth, "", "error.push_key_invalid"},
		{"short key", ep, b64(raw[:64]), auth, "", "error.push_key_invalid"},
		{"compressed key", ep, b64(compressed), auth, "", "error.push_key_invalid"},
		{"key off the curve", ep, b64(offCurve), auth, "", "error.push_key_invalid"},
		{"standard base64 key", ep, std, auth, "", "error.push_key_invalid"},
		{"short auth", ep, key, b64(make([]byte, 15)), "", "error.push_auth_invalid"},
		{"long auth", ep, key, b64(make([]byte, 17)), "", "error.push_auth_invalid"},
		{"bad policy", ep, key, auth, "everyone", "error.push_policy_invalid"},
	}
	p := &ruche.Push{Store: s}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Subscribe(ctx, ana, tok, ruche.PushSubscription{Endpoint: tt.endpoint, P256dh: tt.key, Auth: tt.auth, Policy: tt.policy})
			wantErrCode(t, err, ruche.CodeInvalid, tt.wantKey)
		})
	}
	if _, err := p.Subscription(ctx, ana, tok); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("bad input stored a subscription: %v", err)
	}

	// Development lets a loopback push service in.
	dev := &ruche.Push{Store: s, AllowPrivate: true}
	if _, err := dev.Subscribe(ctx, ana, tok, ruche.PushSubscription{Endpoint: "http://127.0.0.1:9999/x", P256dh: key, Auth: auth}); err != nil {
		t.Errorf("development, loopback: %v", err)
	}
}

// TestVAPIDKeyMadeOnce: nodes starting together, each with its own Push, agree on one key.
func TestVAPIDKeyMadeOnce(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	keys := make([]string, 16)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := (&ruche.Push{Store: s}).VAPIDPublicKey(ctx)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k != keys[0] {
			t.Fatalf("VAPID public keys differ: %s and %s", keys[0], k)
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ecdh.P256().NewPublicKey(raw); err != nil || len(raw) != 65 {
		t.Errorf("public key of %d bytes is not an uncompressed P-256 point: %v", len(raw), err)
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM vapid_key`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d VAPID keys stored (%v), want 1", n, err)
	}
	var priv []byte
	if err := s.Pool().QueryRow(ctx, `SELECT private_key FROM vapid_key`).Scan(&priv); err != nil {
		t.Fatal(err)
	}
	k, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil || base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()) != keys[0] {
		t.Errorf("the stored private key does not match the public key: %v", err)
	}
}

func outbox(t *testing.T, s *postgres.Store) map[int64]int64 {
	t.Helper()
	rows, _ := s.Pool().Query(context.Background(), `SELECT o.notification_id, n.account_id FROM push_outbox o
		JOIN notifications n ON n.id = o.notification_id`)
	m := map[int64]int64{}
	var nid, acc int64
	_, err := pgx.ForEachRow(rows, []any{&nid, &acc}, func() error { m[nid] = acc; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPushOutbox: a notification reaches the outbox only when its recipient has a
// subscription, whatever inserts it, and a drain hands each one over once, with a
// delivery per subscription.
func TestPushOutbox(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	p := &ruche.Push{Store: s}
	ana := user(t, s, "ana", ruche.RoleMember) // two apps
	bob := user(t, s, "bob", ruche.RoleMember) // none
	cat := user(t, s, "cat", ruche.RoleMember)
	sub1 := subscribe(t, p, ana, accessToken(t, s, ana.ID), "https://push.example.net/1")
	sub2 := subscribe(t, p, ana, accessToken(t, s, ana.ID), "https://push.example.net/2")
	accessToken(t, s, bob.ID) // a token, but no subscription

	anaPost, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "a", HTML: "<p>a</p>"})
	if err != nil {
		t.Fatal(err)
	}
	bobPost, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: bob.ID, Visibility: ruche.VisCompany, Source: "b", HTML: "<p>b</p>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{anaPost, bobPost} {
		if err := s.SetLiked(ctx, cat.ID, id, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetFollowing(ctx, cat.ID, ana.ID, true); err != nil {
		t.Fatal(err)
	}
	// A post mentioning both: one statement per mention, two notifications.
	if _, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: cat.ID, Visibility: ruche.VisCompany, Source: "@ana @bob",
		HTML: "<p>@ana @bob</p>", MentionIDs: []int64{ana.ID, bob.ID}}); err != nil {
		t.Fatal(err)
	}
	got := outbox(t, s)
	if len(got) != 3 {
		t.Errorf("outbox has %d notifications, want ana's like, follow and mention", len(got))
	}
	for nid, acc := range got {
		if acc != ana.ID {
			t.Errorf("notification %d for account %d is in the outbox; only ana subscribed", nid, acc)
		}
	}

	// A withdrawn notification leaves the outbox.
	if err := s.SetLiked(ctx, cat.ID, anaPost, false); err != nil {
		t.Fatal(err)
	}
	if got := outbox(t, s); len(got) != 2 {
		t.Errorf("after the unlike, the outbox has %d notifications, want 2", len(got))
	}

	// A failing enqueue leaves the rows where they were.
	boom := errors.New("queue down")
	if _, err := s.DrainPushOutbox(ctx, 10, func(context.Context, pgx.Tx, []ruche.PushDelivery) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("drain: err = %v, want the enqueue's", err)
	}
	if got := outbox(t, s); len(got) != 2 {
		t.Errorf("after a failed drain, the outbox has %d notifications, want 2", len(got))
	}

	var ds []ruche.PushDelivery
	collect := func(_ context.Context, _ pgx.Tx, batch []ruche.PushDelivery) error {
		ds = append(ds, batch...)
		return nil
	}
	n, err := s.DrainPushOutbox(ctx, 1, collect)
	if err != nil || n != 1 {
		t.Fatalf("first drain took %d (%v), want 1", n, err)
	}
	if n, err = s.DrainPushOutbox(ctx, 10, collect); err != nil || n != 1 {
		t.Fatalf("second drain took %d (%v), want the last 1", n, err)
	}
	if n, err = s.DrainPushOutbox(ctx, 10, collect); err != nil || n != 0 {
		t.Fatalf("third drain took %d (%v), want 0", n, err)
	}
	if len(ds) != 4 {
		t.Fatalf("deliveries %v, want 2 notifications × 2 subscriptions", ds)
	}
	perSub := map[int64]int{}
	for _, d := range ds {
		perSub[d.SubscriptionID]++
		if _, err := s.PushNotice(ctx, d.NotificationID, d.SubscriptionID); err != nil {
			t.Errorf("PushNotice(%v): %v", d, err)
		}
	}
	if perSub[sub1.ID] != 2 || perSub[sub2.ID] != 2 {
		t.Errorf("deliveries per subscription %v, want 2 each for %d and %d", perSub, sub1.ID, sub2.ID)
	}
}

// TestPushNoticeReadsThroughTheGate: a post the recipient may no longer see is not
// handed to the push, though the notification still exists.
func TestPushNoticeReadsThroughTheGate(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	p := &ruche.Push{Store: s}
	user(t, s, "boss", ruche.RoleAdmin)
	ana := user(t, s, "ana", ruche.RoleMember)
	bob := user(t, s, "bob", ruche.RoleMember)
	sub := subscribe(t, p, bob, accessToken(t, s, bob.ID), "https://push.example.net/1")
	if _, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "hi @bob",
		HTML: "<p>hi @bob</p>", SpoilerText: "cw", MentionIDs: []int64{bob.ID}}); err != nil {
		t.Fatal(err)
	}
	var nid int64
	for id := range outbox(t, s) {
		nid = id
	}
	n, err := s.PushNotice(ctx, nid, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n.Notification.Kind != ruche.NotifyMention || n.Notification.From.Username != "ana" || n.Recipient.ID != bob.ID ||
		n.Notification.Post == nil || n.Notification.Post.HTML != "<p>hi @bob</p>" || n.Notification.Post.SpoilerText != "cw" ||
		n.Subscription.ID != sub.ID || n.FollowsSender || n.FollowedBySender {
		t.Errorf("PushNotice = %+v", n)
	}

	// Bob becomes a guest: a company-wide post is no longer for him.
	if err := s.SetRole(ctx, 0, bob.ID, ruche.RoleGuest); err != nil {
		t.Fatal(err)
	}
	n, err = s.PushNotice(ctx, nid, sub.ID)
	if err != nil || n.Notification.Post != nil || n.PostID == 0 {
		t.Errorf("after bob became a guest: post %+v (id %d), %v; want no post but its id", n.Notification.Post, n.PostID, err)
	}

	if _, err := s.PushNotice(ctx, nid+1, sub.ID); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("PushNotice of no notification: err = %v, want not found", err)
	}
}

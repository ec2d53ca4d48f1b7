package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/jobs"
	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
	"github.com/ruche-hive/ruche/internal/webpush"
	"github.com/ruche-hive/ruche/internal/webpush/webpushtest"
	"github.com/ruche-hive/ruche/web"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startQueue starts a River client with the push workers, as the server wires it.
func startQueue(t *testing.T, store *postgres.Store, push *ruche.Push) {
	t.Helper()
	workers := river.NewWorkers()
	drain := jobs.AddPush(workers, push, store)
	client, err := river.NewClient(riverpgxv5.New(store.Pool()), &river.Config{
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}, jobs.PushQueue: {MaxWorkers: 4}},
		Workers:       workers,
		PeriodicJobs:  []*river.PeriodicJob{drain},
		FetchCooldown: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Stop(context.Background()) })
}

// TestPushEndToEnd: a like made while no queue runs (as if the process had died right
// after) reaches the phone once the queue starts, through a retry; a push service that
// says the subscription is gone gets it deleted.
func TestPushEndToEnd(t *testing.T) {
	ctx := context.Background()
	store := testdb.NewStore(t)
	catalog, err := i18n.Load(web.FS)
	if err != nil {
		t.Fatal(err)
	}
	service := webpushtest.NewService(t)
	phone := webpushtest.NewPhone(t)
	push := &ruche.Push{Store: store, Sender: webpush.New("https://hive.example", true), Catalog: catalog, AllowPrivate: true}

	user := func(name string) ruche.User {
		u, err := store.CreateUser(ctx, 0, ruche.NewUser{Username: name, Email: name + "@example.com", Role: ruche.RoleMember}, "x")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ana, bob := user("ana"), user("bob")
	var appID, tokenID int64
	if err := store.Pool().QueryRow(ctx, `INSERT INTO oauth_apps (client_id, client_secret_hash, name, redirect_uris, scopes)
		VALUES ('phone', '\x00', 'Phone', '{urn:ietf:wg:oauth:2.0:oob}', '{push}') RETURNING id`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := store.Pool().QueryRow(ctx, `INSERT INTO oauth_tokens (token_hash, app_id, account_id, scopes)
		VALUES ('\x01', $1, $2, '{push}') RETURNING id`, appID, bob.ID).Scan(&tokenID); err != nil {
		t.Fatal(err)
	}
	_, err = push.Subscribe(ctx, bob, tokenID, ruche.PushSubscription{Endpoint: service.URL + "/wpush/bob",
		P256dh: phone.P256dh(), Auth: phone.Auth(), Alerts: ruche.PushAlerts{Favourite: true, Reblog: true}})
	if err != nil {
		t.Fatal(err)
	}
	post, err := store.CreatePost(ctx, ruche.PostDraft{AuthorID: bob.ID, Visibility: ruche.VisCompany, Source: "Ship it",
		HTML: "<p>Ship <em>it</em></p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetLiked(ctx, ana.ID, post, true); err != nil {
		t.Fatal(err)
	}
	var nid int64
	if err := store.Pool().QueryRow(ctx, `SELECT id FROM notifications WHERE account_id = $1`, bob.ID).Scan(&nid); err != nil {
		t.Fatal(err)
	}

	service.Answer(http.StatusServiceUnavailable, nil) // the first attempt fails
	startQueue(t, store, push)
	waitFor(t, "first attempt", func() bool { return len(service.Received()) >= 1 })
	service.Answer(http.StatusCreated, nil)
	waitFor(t, "retry", func() bool { return len(service.Received()) >= 2 })

	got := service.Received()[1]
	if got.Path != "/wpush/bob" || got.Header.Get("Content-Encoding") != "aes128gcm" || got.Header.Get("TTL") != "172800" {
		t.Errorf("push request %s %v", got.Path, got.Header)
	}
	plain, err := phone.Decrypt(got.Body)
	if err != nil {
		t.Fatalf("the phone cannot decrypt the push: %v", err)
	}
	var payload map[string]string
	if err := json.Unmarshal(plain, &payload); err != nil {
		t.Fatalf("payload %s: %v", plain, err)
	}
	want := map[string]string{"notification_id": itoa(nid), "notification_type": "favourite", "preferred_locale": "en",
		"icon": "", "title": "ana liked your post", "body": "Ship it"}
	for k, v := range want {
		if payload[k] != v {
			t.Errorf("payload[%s] = %q, want %q (payload %s)", k, payload[k], v, plain)
		}
	}
	time.Sleep(3 * jobs.PushDrainInterval) // more drains find nothing more to send
	if n := len(service.Received()); n != 2 {
		t.Errorf("push service got %d requests, want 2 (one failure, one success)", n)
	}

	// The phone's app is uninstalled: the push service answers 410 Gone.
	service.Answer(http.StatusGone, nil)
	if _, err := store.Boost(ctx, ana.ID, post); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the subscription deleted after 410", func() bool {
		_, err := push.Subscription(ctx, bob, tokenID)
		return err != nil
	})
	if n := len(service.Received()); n != 3 {
		t.Errorf("push service got %d requests, want 3", n)
	}
	waitFor(t, "no push job left to retry", func() bool {
		var left int
		if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'push_send' AND state <> 'completed'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left == 0
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

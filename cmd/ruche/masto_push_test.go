package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/webpush/webpushtest"
)

// TestMastoPush is Web Push as a phone sees it: its app subscribes through the API,
// a colleague likes its member's post, and the push service on loopback receives a
// message that only the phone can decrypt (RFC 8291), naming the notification.
func TestMastoPush(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	phone := webpushtest.NewPhone(t)
	service := webpushtest.NewService(t)

	alice.want(http.StatusNotFound, "GET", "/api/v1/push/subscription", nil)
	form := url.Values{
		"subscription[endpoint]":     {service.URL + "/push/alice"},
		"subscription[keys][p256dh]": {phone.P256dh()},
		"subscription[keys][auth]":   {phone.Auth()},
		"data[alerts][mention]":      {"true"},
		"data[policy]":               {"all"},
	}
	var sub struct {
		ID        string          `json:"id"`
		Endpoint  string          `json:"endpoint"`
		ServerKey string          `json:"server_key"`
		Alerts    map[string]bool `json:"alerts"`
	}
	alice.ok("POST", "/api/v1/push/subscription", form).into(t, &sub)
	if sub.Endpoint != service.URL+"/push/alice" || !sub.Alerts["mention"] || sub.Alerts["favourite"] {
		t.Fatalf("subscription = %+v", sub)
	}
	var inst struct {
		Configuration struct {
			Vapid struct {
				PublicKey string `json:"public_key"`
			} `json:"vapid"`
		} `json:"configuration"`
	}
	alice.get("/api/v2/instance", &inst)
	if inst.Configuration.Vapid.PublicKey == "" || inst.Configuration.Vapid.PublicKey != sub.ServerKey {
		t.Fatalf("instance VAPID key %q, subscription's %q", inst.Configuration.Vapid.PublicKey, sub.ServerKey)
	}
	// Turn favourites on, keeping mentions (alerts not sent keep their value).
	alice.ok("PUT", "/api/v1/push/subscription", map[string]any{"data": map[string]any{"alerts": map[string]any{"favourite": true}}}).into(t, &sub)
	if !sub.Alerts["mention"] || !sub.Alerts["favourite"] {
		t.Fatalf("after update: %+v", sub.Alerts)
	}
	alice.get("/api/v1/push/subscription", &sub)

	// Bad input changes nothing.
	bad := url.Values{"subscription[endpoint]": {"javascript:alert(1)"}, "subscription[keys][p256dh]": {phone.P256dh()}, "subscription[keys][auth]": {phone.Auth()}}
	alice.want(http.StatusUnprocessableEntity, "POST", "/api/v1/push/subscription", bad)
	bad = url.Values{"subscription[endpoint]": {service.URL + "/x"}, "subscription[keys][p256dh]": {"AAAA"}, "subscription[keys][auth]": {phone.Auth()}}
	alice.want(http.StatusUnprocessableEntity, "POST", "/api/v1/push/subscription", bad)

	var st struct{ ID string }
	alice.ok("POST", "/api/v1/statuses", url.Values{"status": {"Coffee is ready"}}).into(t, &st)
	bob.ok("POST", "/api/v1/statuses/"+st.ID+"/favourite", nil)

	deadline := time.Now().Add(30 * time.Second)
	for len(service.Received()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no push within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := service.Received()[0]
	if got.Path != "/push/alice" || got.Header.Get("Content-Encoding") != "aes128gcm" {
		t.Fatalf("push request %s with headers %v", got.Path, got.Header)
	}
	plain, err := phone.Decrypt(got.Body)
	if err != nil {
		t.Fatalf("the phone cannot decrypt the push: %v", err)
	}
	var payload struct {
		NotificationID   string `json:"notification_id"`
		NotificationType string `json:"notification_type"`
		Title, Body      string
	}
	if err := json.Unmarshal(plain, &payload); err != nil {
		t.Fatalf("payload %s: %v", plain, err)
	}
	if payload.NotificationType != "favourite" || payload.NotificationID == "" || payload.Body != "Coffee is ready" {
		t.Fatalf("payload = %s", plain)
	}
	// The notification it names is the member's, through the API.
	alice.ok("GET", "/api/v1/notifications/"+payload.NotificationID, nil)

	alice.ok("DELETE", "/api/v1/push/subscription", nil)
	alice.want(http.StatusNotFound, "GET", "/api/v1/push/subscription", nil)
	// Bob's token has no subscription of Alice's.
	bob.want(http.StatusNotFound, "GET", "/api/v1/push/subscription", nil)
}

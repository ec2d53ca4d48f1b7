package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestMastoInstance reads what apps read first, before and after signing in, and
// checks it says what apps need and nothing about the company's people.
func TestMastoInstance(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	anon := oaAnon(t, base)

	var v2 struct {
		Domain  string
		Version string
		Usage   struct {
			Users struct {
				ActiveMonth int `json:"active_month"`
			}
		}
		Configuration struct {
			URLs struct{ Streaming string }
		}
		Contact struct{ Email string }
	}
	anon.get("/api/v2/instance", &v2)
	if !strings.HasPrefix(v2.Version, "4.3.0 (compatible; Ruche ") {
		t.Errorf("version %q: apps switch features off unless it reads as Mastodon's", v2.Version)
	}
	if v2.Configuration.URLs.Streaming != "ws://"+m.Config.Host {
		t.Errorf("streaming URL %q for %s", v2.Configuration.URLs.Streaming, base)
	}
	if v2.Usage.Users.ActiveMonth != 0 || v2.Contact.Email != "" {
		t.Errorf("the public instance document tells about people: %+v", v2)
	}
	var v1 struct {
		URLs  map[string]string
		Stats map[string]int
	}
	anon.get("/api/v1/instance", &v1)
	if v1.URLs["streaming_api"] == "" || v1.Stats["user_count"] != 0 {
		t.Errorf("v1 instance = %+v", v1)
	}
	var ni struct {
		Links []struct{ Href string }
	}
	anon.get("/.well-known/nodeinfo", &ni)
	if len(ni.Links) != 1 || ni.Links[0].Href != m.Config.BaseURL()+"/nodeinfo/2.0" {
		t.Fatalf("nodeinfo index = %+v", ni)
	}
	r := anon.ok("GET", "/nodeinfo/2.0", nil)
	if strings.Contains(string(r.body), "total") || !strings.Contains(string(r.body), `"openRegistrations":false`) {
		t.Errorf("nodeinfo tells about people, or opens registrations: %s", r.body)
	}
	var meta struct {
		CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
		TokenEndpoint        string   `json:"token_endpoint"`
	}
	anon.get("/.well-known/oauth-authorization-server", &meta)
	if len(meta.CodeChallengeMethods) != 1 || meta.CodeChallengeMethods[0] != "S256" || meta.TokenEndpoint != m.Config.BaseURL()+"/oauth/token" {
		t.Errorf("OAuth metadata = %+v", meta)
	}

	// Signed-in reads.
	for _, p := range []string{"/api/v1/instance/rules", "/api/v1/custom_emojis", "/api/v1/announcements"} {
		var list []any
		alice.get(p, &list)
		anon.want(http.StatusUnauthorized, "GET", p, nil)
	}
	var prefs map[string]any
	alice.get("/api/v1/preferences", &prefs)
	if prefs["posting:default:visibility"] != "public" {
		t.Errorf("preferences = %v", prefs)
	}
	var who map[string]string
	alice.get("/oauth/userinfo", &who)
	if who["preferred_username"] != "alice" {
		t.Errorf("userinfo = %v", who)
	}
	anon.want(http.StatusUnauthorized, "GET", "/oauth/userinfo", nil)
	// A guest's default is a post to the people mentioned.
	guest := member(t, m, base, "gina", ruche.RoleGuest)
	guest.get("/api/v1/preferences", &prefs)
	if prefs["posting:default:visibility"] != "direct" {
		t.Errorf("guest preferences = %v", prefs)
	}
	// An invalid token is 401 with Mastodon's body, even on a public route.
	bad := oaToken(t, base, "not-a-token")
	bad.want(http.StatusUnauthorized, "GET", "/api/v1/timelines/home", nil)
	bad.want(http.StatusUnauthorized, "GET", "/api/v2/instance", nil)
}

// TestMastoInstanceCounts: with RUCHE_PUBLISH_COUNTS the operator chooses to tell how
// many members the hive has; the public documents then say so.
func TestMastoInstanceCounts(t *testing.T) {
	m, base := bootWith(t, testdb.New(t), map[string]string{"RUCHE_PUBLISH_COUNTS": "true"})
	member(t, m, base, "alice", ruche.RoleMember)
	member(t, m, base, "bob", ruche.RoleMember)
	anon := oaAnon(t, base)
	var v2 struct {
		Usage struct {
			Users struct {
				ActiveMonth int `json:"active_month"`
			}
		}
	}
	anon.get("/api/v2/instance", &v2)
	if v2.Usage.Users.ActiveMonth != 2 {
		t.Errorf("active_month = %d, want 2", v2.Usage.Users.ActiveMonth)
	}
	var ni struct {
		Usage struct{ Users struct{ Total int } }
	}
	anon.get("/nodeinfo/2.0", &ni)
	if ni.Usage.Users.Total != 2 {
		t.Errorf("nodeinfo users = %d, want 2", ni.Usage.Users.Total)
	}
}

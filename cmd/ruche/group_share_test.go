package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestGroupShareCommands: the operator shares a group with a partner and stops, with
// the same refusals as anyone (a secret group, an unknown partner), said in words.
func TestGroupShareCommands(t *testing.T) {
	m, base := boot(t)
	olga := signedIn(t, m, base, "olga", "member")
	for handle, kind := range map[string]string{"design": "closed", "ops": "secret"} {
		wantRedirect(t, olga.submit("/groups", "/groups", url.Values{"name": {handle}, "handle": {handle}, "kind": {kind}}), "/groups/"+handle)
	}
	env := map[string]string{"RUCHE_DEV": "true", "DATABASE_URL": m.Config.DatabaseURL}
	if _, err := run(t, env, "", "partner", "add", "hub.example.com"); err != nil {
		t.Fatal(err)
	}
	group := func(args ...string) (string, error) {
		t.Helper()
		return run(t, env, "", append([]string{"group"}, args...)...)
	}

	bad := []struct {
		args []string
		want string
	}{
		{nil, "give a subcommand"},
		{[]string{"frobnicate"}, "unknown subcommand"},
		{[]string{"share", "--partner", "hub.example.com"}, "--group is required"},
		{[]string{"share", "--group", "design"}, "--partner is required"},
		{[]string{"shares", "--group", "design", "--partner", "hub.example.com"}, "flag provided but not defined"},
		{[]string{"share", "--group", "ops", "--partner", "hub.example.com"}, "A secret group cannot be shared: make it closed first."},
		{[]string{"share", "--group", "design", "--partner", "nowhere.example.com"}, "nowhere.example.com is not an active partner instance."},
		{[]string{"share", "--group", "design", "--partner", "https://hub.example.com/"}, "is not a partner's domain"},
		{[]string{"share", "--group", "nothing", "--partner", "hub.example.com"}, "There is no such group."},
		{[]string{"unshare", "--group", "design", "--partner", "hub.example.com"}, "This group is not shared with hub.example.com."},
	}
	for _, tt := range bad {
		_, err := group(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("group %v: error %v, want one saying %q", tt.args, err, tt.want)
		}
	}

	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"shares", "--group", "design"}, "@design is not shared: it stays on this instance"},
		{[]string{"share", "--group", "@Design", "--partner", "HUB.example.com"}, "@design is shared with: hub.example.com"},
		{[]string{"share", "--group", "design", "--partner", "hub.example.com"}, "@design is shared with: hub.example.com"},
		{[]string{"shares", "--group", "design"}, "@design is shared with: hub.example.com"},
	} {
		if out, err := group(step.args...); err != nil || !strings.Contains(out, step.want) {
			t.Fatalf("group %v: %q, %v; want %q", step.args, out, err, step.want)
		}
	}
	// Members see it at once.
	want(t, olga.get("/groups/design"), 200, "Shared with partner instances: hub.example.com.")

	if out, err := group("unshare", "--group", "design", "--partner", "hub.example.com"); err != nil || !strings.Contains(out, "not shared") {
		t.Fatalf("unshare: %q, %v", out, err)
	}
	if strings.Contains(olga.get("/groups/design").body, "Shared with partner instances") {
		t.Error("the group is still marked shared after unsharing")
	}
	if n := count(t, m, `SELECT count(*) FROM audit_log WHERE action IN ('group.share', 'group.unshare') AND detail->>'via' = 'console'`); n != 2 {
		t.Errorf("console audit entries = %d, want 2 (one share, one unshare)", n)
	}
}

package main

import (
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/testdb"
)

func TestPartnerCommands(t *testing.T) {
	env := map[string]string{"RUCHE_DEV": "true", "RUCHE_HOST": "hive.example.com", "DATABASE_URL": testdb.New(t)}
	list := func() string {
		t.Helper()
		out, err := run(t, env, "", "partner", "list")
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		return out
	}
	if out := list(); !strings.Contains(out, "does not federate") {
		t.Errorf("list with no partner = %q", out)
	}

	// Bad input: a clear message, nothing added.
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"add", "https://x/y"}, "https://x/y” is not a partner's domain. Type its host name, such as partner.example.com"},
		{[]string{"add", "hive.example.com"}, "its own partner"},
		{[]string{"add", "x.example.com", "--note", strings.Repeat("n", 501)}, "500 characters at most"},
		{[]string{"add", "--note", "first", "x.example.com"}, "give the partner's domain first"},
		{[]string{"add"}, "give the partner's domain first"},
		{[]string{"add", "x.example.com", "y.example.com"}, "unexpected argument"},
		{[]string{"list", "x.example.com"}, "unexpected argument"},
		{[]string{"frobnicate", "x.example.com"}, "unknown subcommand"},
	}
	for _, tt := range bad {
		_, err := run(t, env, "", append([]string{"partner"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("partner %v: error %v, want one saying %q", tt.args, err, tt.want)
		}
	}
	if out := list(); !strings.Contains(out, "does not federate") {
		t.Errorf("a refused add changed the list:\n%s", out)
	}

	out, err := run(t, env, "", "partner", "add", "Partner.Example.com:443", "--note", "Acme's hive,\nrun by IT")
	if err != nil || !strings.Contains(out, "partner.example.com is a partner (active)") {
		t.Fatalf("add: %q, %v", out, err)
	}
	if out := list(); !strings.Contains(out, "partner.example.com") || !strings.Contains(out, "active") || !strings.Contains(out, "Acme's hive, run by IT") {
		t.Errorf("list after add:\n%s", out)
	}
	for _, step := range []struct{ sub, want string }{
		{"suspend", "partner.example.com is suspended"},
		{"activate", "partner.example.com is active"},
		{"suspend", "partner.example.com is suspended"},
	} {
		out, err := run(t, env, "", "partner", step.sub, "partner.example.com")
		if err != nil || !strings.Contains(out, step.want) {
			t.Fatalf("%s: %q, %v", step.sub, out, err)
		}
	}
	if out := list(); !strings.Contains(out, "suspended") {
		t.Errorf("list after suspend:\n%s", out)
	}
	if out, err := run(t, env, "", "partner", "remove", "partner.example.com"); err != nil || !strings.Contains(out, "no longer a partner") {
		t.Fatalf("remove: %q, %v", out, err)
	}
	if out := list(); strings.Contains(out, "partner.example.com") {
		t.Errorf("list after remove:\n%s", out)
	}
	for _, sub := range []string{"remove", "suspend", "activate"} {
		if _, err := run(t, env, "", "partner", sub, "partner.example.com"); err == nil || !strings.Contains(err.Error(), "partner.example.com is not a partner") {
			t.Errorf("%s of an unknown partner: %v", sub, err)
		}
	}
}

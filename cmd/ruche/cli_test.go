package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/testdb"
)

// run calls Run as the command line would, with env as the whole environment.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestBadSettingsFailClearly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"invalid address", map[string]string{"RUCHE_DEV": "true", "RUCHE_ADDR": "localhost"}, "RUCHE_ADDR"},
		{"data directory is a file", map[string]string{"RUCHE_DEV": "true", "RUCHE_ADDR": "127.0.0.1:0", "RUCHE_DATA": file}, "RUCHE_DATA"},
		{"data directory cannot be made", map[string]string{"RUCHE_DEV": "true", "RUCHE_ADDR": "127.0.0.1:0", "RUCHE_DATA": "/proc/ruche"}, "RUCHE_DATA"},
		{"http in production", map[string]string{"RUCHE_HOST": "hive.example.com", "RUCHE_PROTOCOL": "http"}, "RUCHE_PROTOCOL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.env, "", "serve")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve error = %v, want one naming %s", err, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Error("the file given as data directory was changed")
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	out, err := run(t, nil, "", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"RUCHE_ADDR", "RUCHE_DATA", "DATABASE_URL", "RUCHE_HOST", "RUCHE_PROTOCOL", "RUCHE_DEV",
		"RUCHE_TLS_CERT", "RUCHE_TLS_KEY", "RUCHE_TRUSTED_PROXIES", "RUCHE_LOG_LEVEL", "user create", "set-password"} {
		if !strings.Contains(out, s) {
			t.Errorf("--help lacks %s", s)
		}
	}
}

func TestUserCommands(t *testing.T) {
	env := map[string]string{"RUCHE_DEV": "true", "DATABASE_URL": testdb.New(t)}
	out, err := run(t, env, "a long password\n", "user", "create", "--username", "Ana", "--email", "ana@example.com", "--role", "admin", "--password-stdin")
	if err != nil || !strings.Contains(out, "created @ana (admin)") {
		t.Fatalf("create: %q, %v", out, err)
	}
	if _, err := run(t, env, "another password\n", "user", "create", "--username", "ana", "--email", "x@example.com", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "already taken") {
		t.Errorf("duplicate create: %v", err)
	}
	if _, err := run(t, env, "", "user", "create", "--username", "bad name", "--email", "x@example.com"); err == nil || !strings.Contains(err.Error(), "username") {
		t.Errorf("bad username: %v", err)
	}
	if _, err := run(t, env, "\n", "user", "set-password", "--username", "ana", "--password-stdin"); err == nil {
		t.Error("an empty password from stdin was accepted")
	}
	out, err = run(t, env, "", "user", "set-password", "--username", "ana")
	if err != nil || !strings.Contains(out, "password: ") {
		t.Errorf("generated password: %q, %v", out, err)
	}
	if _, err := run(t, env, "", "user", "create", "--username", "bob", "--email", "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"user", "suspend", "--username", "bob"},
		{"user", "unsuspend", "--username", "bob"},
		{"user", "set-role", "--username", "bob", "--role", "moderator"},
	} {
		if _, err := run(t, env, "", args...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := run(t, env, "", "user", "suspend", "--username", "ana"); err == nil || !strings.Contains(err.Error(), "at least one active administrator") {
		t.Errorf("suspending the last admin: %v", err)
	}
	if _, err := run(t, env, "", "user", "suspend", "--username", "nobody"); err == nil || !strings.Contains(err.Error(), "no member @nobody") {
		t.Errorf("unknown member: %v", err)
	}
	if _, err := run(t, env, "", "user", "set-role", "--username", "bob", "--role", "boss"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("bad role: %v", err)
	}
	if _, err := run(t, env, "", "user", "frobnicate", "--username", "bob"); err == nil {
		t.Error("unknown subcommand accepted")
	}
}

package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestDevSeedThenSignInAndBench seeds a small hive through the command line (with a
// group for every 20 members unless told), refuses to seed it twice, benchmarks its
// streams, and signs in as the seeded admin in a browser.
func TestDevSeedThenSignInAndBench(t *testing.T) {
	db := testdb.New(t)
	env := map[string]string{"RUCHE_DEV": "true", "DATABASE_URL": db}
	out, err := run(t, env, "", "dev", "seed", "--users", "40", "--posts", "600", "--password", "a seeded password")
	if err != nil || !strings.Contains(out, "posts") || !strings.Contains(out, "2 groups") || !strings.Contains(out, "seeded in") {
		t.Fatalf("dev seed: %v\n%s", err, out)
	}
	if _, err := run(t, env, "", "dev", "seed", "--users", "40", "--posts", "600"); err == nil || !strings.Contains(err.Error(), "already has accounts") {
		t.Errorf("seeding a hive twice: %v, want a refusal", err)
	}
	out, err = run(t, env, "", "dev", "bench", "--requests", "20", "--warmup", "5")
	if err != nil || !strings.Contains(out, "home ") || !strings.Contains(out, "company ") || !strings.Contains(out, "group ") ||
		!strings.Contains(out, "p95=") {
		t.Fatalf("dev bench: %v\n%s", err, out)
	}
	_, base := bootOn(t, db)
	b := newBrowser(t, base)
	wantRedirect(t, b.submit("/login", "/login", url.Values{"login": {"admin"}, "password": {"a seeded password"}}), "/")
	want(t, b.get("/company"), 200, `<article class="post"`)
}

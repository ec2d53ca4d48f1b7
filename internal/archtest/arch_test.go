package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/ruche-hive/ruche/"

// frontDoors are the packages that face people or other servers. Later front doors
// are added here as they arrive.
var frontDoors = []string{mod + "internal/webui", mod + "internal/rucheapi", mod + "internal/mastoapi", mod + "internal/federation"}

// deps maps each package of the module to everything it imports, directly or not.
func deps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		m[f[0]] = f[1:]
	}
	return m
}

func TestDependencyDirection(t *testing.T) {
	all := deps(t)
	if len(all) < 10 {
		t.Fatalf("go list found only %d packages", len(all))
	}
	forbid := func(pkg string, bad func(dep string) bool, why string) {
		t.Helper()
		ds, ok := all[pkg]
		if !ok {
			t.Errorf("package %s not found", pkg)
			return
		}
		for _, d := range ds {
			if bad(d) {
				t.Errorf("%s imports %s: %s", pkg, d, why)
			}
		}
	}
	isFrontDoor := func(p string) bool {
		for _, f := range frontDoors {
			if p == f {
				return true
			}
		}
		return false
	}
	for _, fd := range frontDoors {
		forbid(fd, func(d string) bool { return d == mod+"internal/postgres" }, "front doors reach the store only through the domain")
		forbid(fd, func(d string) bool { return isFrontDoor(d) && d != fd }, "front doors do not import each other")
		forbid(fd, func(d string) bool { return strings.HasPrefix(d, "github.com/jackc/pgx") }, "no SQL outside the store")
	}
	forbid(mod+"internal/ruche", func(d string) bool {
		return d == mod+"internal/postgres" || isFrontDoor(d) || d == mod+"internal/server" || strings.HasPrefix(d, "github.com/jackc/pgx")
	}, "the domain depends on nothing but its own interfaces")
	for pkg := range all {
		if strings.HasPrefix(pkg, mod+"activitypub") {
			forbid(pkg, func(d string) bool { return strings.HasPrefix(d, mod+"internal/") }, "activitypub/ imports nothing of ours")
		}
	}
}

// Package testdb gives every test its own freshly migrated database on a real
// PostgreSQL server, so test packages and tests run in parallel without sharing state.
//
// The server is DATABASE_URL when set (make test sets it to a throwaway cluster it
// starts once); otherwise Main starts a throwaway embedded cluster for the package.
// Each database is cloned from a migrated template, which is much faster than
// migrating each one.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/pgcluster"
	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/migrations"
)

var serverURL string

// Main runs the package's tests against DATABASE_URL or, when unset, a throwaway
// cluster that it stops afterwards. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m, nil))
}

// MainThen is Main with a check run after the tests, while the database is still up;
// it may turn a pass into a failure (for checks over the whole suite).
func MainThen(m *testing.M, after func(code int) int) {
	os.Exit(run(m, after))
}

func run(m *testing.M, after func(int) int) int {
	serverURL = os.Getenv("DATABASE_URL")
	if serverURL == "" {
		dir, err := os.MkdirTemp("", "ruche-testpg-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "testdb:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		// MkdirTemp makes it 0700; when we are root the cluster runs as another user,
		// who must be able to pass through it.
		if err := os.Chmod(dir, 0o711); err != nil {
			fmt.Fprintln(os.Stderr, "testdb:", err)
			return 1
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir + "/pg", Throwaway: true})
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "testdb: no DATABASE_URL and no embedded PostgreSQL:", err)
			return 1
		}
		defer c.Stop(context.Background()) //nolint:errcheck // the directory goes anyway
		serverURL = c.ConnString("postgres")
	}
	code := m.Run()
	if after != nil {
		code = after(code)
	}
	return code
}

// URL returns the connection string of database name on the test server.
func URL(name string) string {
	if strings.Contains(serverURL, "://") {
		u, err := url.Parse(serverURL)
		if err != nil {
			panic(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return serverURL + " dbname=" + name
}

// New creates a fresh migrated database for t, dropped when t ends, and returns its URL.
func New(t testing.TB) string {
	t.Helper()
	if serverURL == "" {
		t.Fatal("testdb: call testdb.Main(m) from the package's TestMain")
	}
	ctx := context.Background()
	tmpl, err := template(ctx)
	if err != nil {
		t.Fatalf("testdb: template: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "ruche_test_" + hex.EncodeToString(b)
	if err := admin(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl))
		return err
	}); err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		_ = admin(ctx, func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
			return err
		})
	})
	return URL(name)
}

// NewStore returns a store on a fresh database, closed when t ends.
func NewStore(t testing.TB) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), New(t))
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func admin(ctx context.Context, fn func(*pgx.Conn) error) error {
	c, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return fn(c)
}

// template returns the name of a database migrated to the current schema, creating it
// once per schema version. An advisory lock keeps parallel test packages from building
// it twice.
func template(ctx context.Context) (string, error) {
	name := "ruche_tmpl_" + schemaHash()
	err := admin(ctx, func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(7270)`); err != nil {
			return err
		}
		defer c.Exec(ctx, `SELECT pg_advisory_unlock(7270)`) //nolint:errcheck // released with the session anyway
		var exists bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil || exists {
			return err
		}
		building := name + "_wip"
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, `CREATE DATABASE `+building); err != nil {
			return err
		}
		s, err := postgres.Open(ctx, URL(building))
		if err != nil {
			return err
		}
		_, err = s.Migrate(ctx)
		s.Close()
		if err != nil {
			return err
		}
		// Renamed only once complete, so a crash mid-way never leaves a half template.
		_, err = c.Exec(ctx, `ALTER DATABASE `+building+` RENAME TO `+name)
		return err
	})
	return name, err
}

// schemaHash identifies the schema: our migrations and River's version.
func schemaHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(migrations.FS, path)
			fmt.Fprintf(h, "%s\n%s\n", path, b)
		}
		return nil
	})
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if strings.HasPrefix(d.Path, "github.com/riverqueue/river") {
				fmt.Fprintln(h, d.Path, d.Version)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Drop deletes database name from the test server.
func Drop(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	if err := admin(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
		return err
	}); err != nil {
		t.Errorf("testdb: drop %s: %v", name, err)
	}
}

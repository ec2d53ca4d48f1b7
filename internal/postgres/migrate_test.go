package postgres_test

import (
	"context"
	"testing"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestMigrateFromEmptyThenIdempotent(t *testing.T) {
	ctx := context.Background()
	// An empty database: the template's clone is migrated, so make an empty one.
	url := testdb.New(t)
	if err := postgres.EnsureDatabase(ctx, url, "ruche_migrate_test_empty"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testdb.Drop(t, "ruche_migrate_test_empty") })
	s, err := postgres.Open(ctx, testdb.URL("ruche_migrate_test_empty"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping is ready on an unmigrated database")
	}
	applied, err := s.Migrate(ctx)
	if err != nil || len(applied) == 0 {
		t.Fatalf("Migrate = %v, %v", applied, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after Migrate: %v", err)
	}
	again, err := s.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", again, err)
	}
	if err := postgres.EnsureDatabase(ctx, url, "ruche_migrate_test_empty"); err != nil {
		t.Errorf("EnsureDatabase on an existing database: %v", err)
	}
}

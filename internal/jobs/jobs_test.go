package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/jobs"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestPurgeRunsOnStart starts the real queue and waits for the periodic purge to
// delete an expired session.
func TestPurgeRunsOnStart(t *testing.T) {
	ctx := context.Background()
	store := testdb.NewStore(t)
	accounts := &ruche.Accounts{Store: store}
	u, err := accounts.CreateUser(ctx, nil, ruche.NewUser{Username: "bob", Email: "bob@example.com", Password: "long enough pw"})
	if err != nil {
		t.Fatal(err)
	}
	token, hash := ruche.NewToken()
	if err := store.CreateSession(ctx, hash, u.ID, ruche.SessionInfo{}, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	client, err := jobs.New(store.Pool(), accounts, nil, nil, nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Stop(context.Background()) })

	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired session was not purged within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := accounts.Authenticate(ctx, token); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/pgcluster"
	"github.com/ruche-hive/ruche/internal/postgres"
)

// database is an open store and, when ruche manages it, the embedded cluster.
type database struct {
	store   *postgres.Store
	cluster *pgcluster.Cluster
	lock    *os.File // an operator command's hold on the data directory, if it took one
}

func (d *database) Close(ctx context.Context) error {
	if d.store != nil {
		d.store.Close()
	}
	var err error
	if d.cluster != nil {
		err = d.cluster.Stop(ctx)
	}
	if d.lock != nil {
		d.lock.Close()
	}
	return err
}

// checkDataDir creates the data directory if needed and proves it writable, so a bad
// RUCHE_DATA fails at once with a sentence rather than deep inside initdb.
func checkDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("RUCHE_DATA: %w", err)
	}
	// 0711: when ruche runs as root, the cluster's user must pass through to its
	// own subdirectory; nobody else may list what is here.
	if err := os.MkdirAll(abs, 0o711); err != nil {
		return "", fmt.Errorf("RUCHE_DATA: cannot create data directory %s: %w", abs, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(abs, ".write-test-*")
	if err != nil {
		return "", fmt.Errorf("RUCHE_DATA: data directory %s is not writable: %w", abs, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return abs, nil
}

// openDatabase opens DATABASE_URL or, when it is empty, starts (or attaches to) the
// embedded cluster in the data directory. adopt: this process owns the cluster and
// stops it on Close (serve); operator commands leave a running cluster running.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, adopt bool) (*database, error) {
	if cfg.DatabaseURL != "" {
		s, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return &database{store: s}, nil
	}
	data, err := checkDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	db := &database{}
	if !adopt {
		// An operator command holds the data directory while it runs, so a serve that
		// starts meanwhile waits instead of attaching to a cluster this command will
		// stop. When serve already holds it, the command attaches and stops nothing.
		db.lock, _ = tryLock(data)
	}
	dir := filepath.Join(data, "postgres")
	if os.Geteuid() == 0 {
		if err := pgcluster.Reachable(dir, cfg.PGUser); err != nil {
			// PostgreSQL runs as cfg.PGUser, who cannot reach a data directory under, say,
			// /root. Keep the cluster in a place it can reach, tied to this data directory.
			sum := sha256.Sum256([]byte(data))
			alt := filepath.Join("/var/lib/ruche", hex.EncodeToString(sum[:6]), "postgres")
			log.Warn("data directory not reachable by the PostgreSQL user; the cluster lives elsewhere",
				"reason", err.Error(), "cluster", alt)
			if err := os.MkdirAll(filepath.Dir(alt), 0o755); err != nil {
				return nil, fmt.Errorf("RUCHE_DATA: %w", err)
			}
			dir = alt
		}
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := pgcluster.Start(startCtx, pgcluster.Options{Dir: dir, RunAs: cfg.PGUser, Adopt: adopt, Logger: log})
	if err != nil {
		db.Close(ctx)
		return nil, fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	db.cluster = c
	if err := postgres.EnsureDatabase(ctx, c.ConnString("postgres"), "ruche"); err != nil {
		db.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if db.store, err = postgres.Open(ctx, c.ConnString("ruche")); err != nil {
		db.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return db, nil
}

// lockDataDir makes sure one ruche serve at a time owns an embedded cluster. An
// operator command may hold the lock for a few seconds; serve waits for it. The lock
// goes with the process, even on kill -9.
func lockDataDir(ctx context.Context, dir string) (*os.File, error) {
	abs, err := checkDataDir(dir)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		f, err := tryLock(abs)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, errLocked) || time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("RUCHE_DATA: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var errLocked = errors.New("another ruche (serve, or an operator command) is using this data directory")

// tryLock takes the data directory's lock without waiting.
func tryLock(abs string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(abs, "serve.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s", errLocked, abs)
	}
	return f, nil
}

// openForOperator opens the database for an operator command (leaving a running
// cluster running) and brings the schema up to date.
func openForOperator(ctx context.Context, cfg config.Config, stderr io.Writer) (*database, *slog.Logger, error) {
	log := newLogger(cfg, stderr)
	db, err := openDatabase(ctx, cfg, log, false)
	if err != nil {
		return nil, nil, err
	}
	if err := migrate(ctx, db.store, log); err != nil {
		db.Close(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return db, log, nil
}

// migrate brings the schema up to date.
func migrate(ctx context.Context, s *postgres.Store, log *slog.Logger) error {
	applied, err := s.Migrate(ctx)
	for _, name := range applied {
		log.Info("migration applied", "name", name)
	}
	return err
}

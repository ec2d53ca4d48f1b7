package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/jobs"
	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// secretKeyFile is where the secret that seals private keys is kept when
// RUCHE_SECRET_KEY is not set: made once, readable by ruche only.
const secretKeyFile = "secret_key"

// loadSecrets returns the sealing secrets: RUCHE_SECRET_KEY (and the previous one
// during a rotation), or else the one in the data directory, made on first need. Several
// nodes must share one secret; with an external database, say so when it is not set.
func loadSecrets(cfg config.Config, log *slog.Logger) (*ruche.Secrets, error) {
	secret, err := readSecret(cfg, log)
	if err != nil {
		return nil, err
	}
	s, err := ruche.NewSecrets(secret, cfg.SecretPrevious)
	if err != nil && cfg.SecretKey == "" {
		return nil, fmt.Errorf("RUCHE_SECRET_KEY is not set and %s: %w", filepath.Join(cfg.DataDir, secretKeyFile), err)
	}
	if err != nil {
		return nil, fmt.Errorf("RUCHE_SECRET_KEY: %w", err)
	}
	return s, nil
}

// readSecret returns RUCHE_SECRET_KEY, or the one made once in the data directory.
func readSecret(cfg config.Config, log *slog.Logger) (string, error) {
	secret := cfg.SecretKey
	if secret == "" {
		path := filepath.Join(cfg.DataDir, secretKeyFile)
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := writeSecretFile(cfg.DataDir, path); err != nil {
				return "", fmt.Errorf("RUCHE_SECRET_KEY is not set and %s cannot be made: %w", path, err)
			}
			return readSecret(cfg, log)
		case err != nil:
			return "", fmt.Errorf("RUCHE_SECRET_KEY is not set and %s cannot be read: %w", path, err)
		default:
			secret = strings.TrimSpace(string(b))
		}
		if cfg.DatabaseURL != "" && log != nil {
			log.Warn("RUCHE_SECRET_KEY is not set: private keys are sealed with " + path + "; every node sharing this database needs the same secret, so set RUCHE_SECRET_KEY on each")
		}
	}
	return secret, nil
}

// writeSecretFile makes the secret file whole or not at all: written and synced under
// another name, then linked into place, which fails if another process was first (its
// file then wins).
func writeSecretFile(dir, path string) error {
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".secret_key-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(ruche.NewSecretKey() + "\n")
	if err == nil {
		err = f.Sync()
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// newFederation wires federation for a node or an operator command.
func newFederation(cfg config.Config, store *postgres.Store, log *slog.Logger) (*ruche.Federation, error) {
	secrets, err := loadSecrets(cfg, log)
	if err != nil {
		return nil, err
	}
	return &ruche.Federation{Store: store, Shares: store, Secrets: secrets, BaseURL: cfg.BaseURL(), AccountDomain: cfg.AccountDomain,
		Dev: cfg.Dev, UserAgent: "Ruche (+" + cfg.BaseURL() + ")", Log: log}, nil
}

// runFederation runs the operator's federation commands. Activities they make are
// queued (an insert-only job client) for the serving nodes to deliver.
func runFederation(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("federation: give a subcommand: announce, rotate-key, reseal, failed (see ruche --help)")
	}
	sub := args[0]
	switch sub {
	case "announce", "rotate-key", "reseal", "failed":
	default:
		return fmt.Errorf("federation: unknown subcommand %q", sub)
	}
	cfg, _, err := loadConfig("federation "+sub, args[1:], getenv, stderr, nil)
	if err != nil {
		return err
	}
	db, log, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	inserter, err := river.NewClient(riverpgxv5.New(db.store.Pool()), &river.Config{Logger: log})
	if err != nil {
		return err
	}
	db.store.SetQueue(jobs.Inserter{Client: inserter})
	fed, err := newFederation(cfg, db.store, log)
	if err != nil {
		return err
	}
	switch sub {
	case "announce":
		n, err := fed.AnnounceInstanceActor(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "an Update of the instance actor is queued for %d partner(s)\n", n)
	case "rotate-key":
		if err := fed.RotateKey(ctx, ruche.InstanceActor); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "the instance actor has a new key; active partners are told with an Update")
	case "reseal":
		n, err := fed.Reseal(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d private key(s) resealed under the current RUCHE_SECRET_KEY\n", n)
	case "failed":
		ds, err := fed.FailedDeliveries(ctx, nil, 100)
		if err != nil {
			return err
		}
		for _, d := range ds {
			fmt.Fprintf(stdout, "%s\t%s\t%s\tattempts=%d\t%s\t%s\n", d.At.Format("2006-01-02 15:04"), d.State, d.Host, d.Attempts, d.ActivityIRI, d.LastError)
		}
		if len(ds) == 0 {
			fmt.Fprintln(stdout, "no failed deliveries")
		}
	}
	return nil
}

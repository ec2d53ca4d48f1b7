package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/ruche-hive/ruche/internal/pgcluster"
)

// runDev runs development helpers. with-postgres starts a throwaway PostgreSQL cluster
// in a temporary directory, runs a command with DATABASE_URL pointing at it, then stops
// and deletes the cluster: make test is `ruche dev with-postgres -- go test ./...`.
// seed and bench make up a hive and measure its streams (seed.go).
func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "seed" {
		return runSeed(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "bench" {
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) < 3 || args[0] != "with-postgres" || args[1] != "--" {
		return errors.New("usage: ruche dev with-postgres -- CMD [ARGS] | dev seed [--users N --posts M] | dev bench")
	}
	cmdArgs := args[2:]
	env := os.Environ()
	if getenv("DATABASE_URL") == "" {
		dir, err := os.MkdirTemp("", "ruche-pg-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		// MkdirTemp makes it 0700; when we are root the cluster runs as another user,
		// who must be able to pass through it.
		if err := os.Chmod(dir, 0o711); err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		c, err := pgcluster.Start(startCtx, pgcluster.Options{Dir: dir + "/pg", Throwaway: true, RunAs: pgUser(getenv), Logger: log})
		cancel()
		if err != nil {
			return fmt.Errorf("throwaway PostgreSQL: %w", err)
		}
		defer c.Stop(context.WithoutCancel(ctx)) //nolint:errcheck // the directory goes anyway
		env = append(env, "DATABASE_URL="+c.ConnString("postgres"))
	}
	cmd := exec.CommandContext(ctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee.ExitCode())
	}
	return err
}

func pgUser(getenv func(string) string) string {
	if u := getenv("RUCHE_PG_USER"); u != "" {
		return u
	}
	return "postgres"
}

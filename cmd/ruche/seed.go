package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/seed"
)

// seedPassword is every seeded member's password unless --password says otherwise.
// Seeded hives are for development, so a known password is the point.
const seedPassword = "ruche-seed-password"

// runSeed fills an empty database with a made-up hive (ruche dev seed), on the same
// database as serve. It refuses a database that has any account.
func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var users, groups, posts int
	var rnd uint64
	var password string
	cfg, _, err := loadConfig("dev seed", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&users, "users", 1000, "members to make up")
		fs.IntVar(&groups, "groups", -1, "groups to make up (default: one per 20 members)")
		fs.IntVar(&posts, "posts", 50000, "posts to make up (boosts come on top, about 4%)")
		fs.Uint64Var(&rnd, "seed", 1, "random seed: the same seed makes the same hive")
		fs.StringVar(&password, "password", seedPassword, "every member's password")
	})
	if err != nil {
		return err
	}
	if groups < 0 {
		groups = seed.DefaultGroups(users)
	}
	began := time.Now()
	db, _, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	if n, err := db.store.CountUsers(ctx); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("dev seed: %w", postgres.ErrNotEmpty)
	}
	hash, err := ruche.HashPassword(password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "making up %d members, %d groups and %d posts (seed %d)…\n", users, groups, posts, rnd)
	t := time.Now()
	plan, err := seed.Generate(seed.Options{Users: users, Groups: groups, Posts: posts, Seed: rnd, BaseURL: cfg.BaseURL(), PasswordHash: hash})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "made up in %s: %s\n", since(t), seed.Summary(plan))
	err = db.store.Seed(ctx, plan, func(table string, rows int, took time.Duration) {
		if rows > 0 {
			fmt.Fprintf(stdout, "  %-14s %9d rows  %s\n", table, rows, took.Round(10*time.Millisecond))
		} else {
			fmt.Fprintf(stdout, "  %-29s %s\n", table, took.Round(10*time.Millisecond))
		}
	})
	if err != nil {
		return fmt.Errorf("dev seed: %w", err)
	}
	fmt.Fprintf(stdout, "seeded in %s. Sign in as @admin (or any member) with the password %q.\n", since(began), password)
	return nil
}

// runBench measures how long building the home, company and group streams takes for
// members drawn at random (ruche dev bench), through the same use case as the web UI;
// for the group stream, one of the member's groups at random.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var o seed.BenchOptions
	var api, federation bool
	ab := apiBench{}
	fb := fedBench{}
	cfg, _, err := loadConfig("dev bench", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&api, "api", false, "measure the client API over HTTP instead: GET /api/v1/timelines/home")
		fs.BoolVar(&federation, "federation", false, "measure federation instead: signed inbox POSTs, and deliveries to a local partner")
		fs.IntVar(&fb.Deliveries, "deliveries", 2000, "with --federation: activities delivered")
		fs.IntVar(&ab.Concurrency, "connections", 32, "with --api and --federation: connections in use at once")
		fs.IntVar(&ab.Members, "members", 10000, "with --api: members drawn, each with a token of their own")
		fs.StringVar(&ab.CPUProfile, "cpuprofile", "", "with --api or --federation: write a CPU profile of the measured requests to this file")
		fs.IntVar(&o.Requests, "requests", 2000, "measured requests per stream, each as a different random member")
		fs.IntVar(&o.Concurrency, "concurrency", 1, "requests in flight at once")
		fs.IntVar(&o.Warmup, "warmup", 200, "requests per stream made first and not measured")
		fs.Uint64Var(&o.Seed, "seed", 1, "random seed for drawing members")
	})
	if err != nil {
		return err
	}
	db, _, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	all, err := db.store.Users(ctx)
	if err != nil {
		return err
	}
	var users []ruche.User
	for _, u := range all {
		if u.SuspendedAt == nil {
			users = append(users, u)
		}
	}
	if federation {
		fb.Requests, fb.Connections, fb.CPUProfile = o.Requests, ab.Concurrency, ab.CPUProfile
		fmt.Fprintf(stdout, "federation: %d inbox requests, %d deliveries; %d CPUs\n", fb.Requests, fb.Deliveries, runtime.NumCPU())
		res, err := fb.run(ctx, cfg, db, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res)
		return nil
	}
	if api {
		ab.Requests, ab.Warmup, ab.Seed = o.Requests, o.Warmup, o.Seed
		fmt.Fprintf(stdout, "%d members; %d requests after %d warm-up; %d CPUs\n", len(users), ab.Requests, ab.Warmup, runtime.NumCPU())
		res, err := ab.run(ctx, cfg, db, users, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res)
		return nil
	}
	if o.Groups, err = db.store.BenchMemberships(ctx); err != nil {
		return err
	}
	kinds := []ruche.StreamKind{ruche.StreamHome, ruche.StreamCompany, ruche.StreamGroup}
	if len(o.Groups) == 0 {
		kinds = kinds[:2] // a hive seeded without groups
	}
	posts := &ruche.Posts{Store: db.store, BaseURL: cfg.BaseURL()}
	fmt.Fprintf(stdout, "%d members (%d in groups); %d requests per stream after %d warm-up, %d at a time; %d CPUs\n",
		len(users), len(o.Groups), o.Requests, o.Warmup, o.Concurrency, runtime.NumCPU())
	for _, kind := range kinds {
		res, err := seed.Bench(ctx, posts, users, kind, o)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res)
	}
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// Package jobs runs Ruche's background work on River, a job queue that lives in the
// same PostgreSQL database, so a job enqueued in a transaction exists exactly when the
// change that caused it does, and several nodes share one queue.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// PurgeArgs asks for expired sessions, setup links and sign-in counters to be deleted.
type PurgeArgs struct{}

// Kind names the job in the queue.
func (PurgeArgs) Kind() string { return "purge_expired" }

// InsertOpts makes the periodic purge unique per hour, so several nodes scheduling it
// run it once.
func (PurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

type purgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	accounts *ruche.Accounts
	log      *slog.Logger
}

func (w *purgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	n, err := w.accounts.PurgeExpired(ctx)
	if err == nil && n > 0 {
		w.log.Info("purged expired rows", "rows", n)
	}
	return err
}

// RescueStuckJobsAfter is how long a job may stay running before River takes it for
// the job of a dead node (kill -9, power loss) and runs it again: longer than any job's
// timeout (deliveries: one minute), short enough that a crash delays little.
var RescueStuckJobsAfter = 2 * time.Minute

// New returns a River client with Ruche's workers and periodic jobs. Start it with
// Start(ctx) and stop it with Stop(ctx), which waits for running jobs. push may be nil
// (no Web Push), and fed, media and previews too (no federation, no uploads, no link
// previews), as in tests of other jobs.
func New(pool *pgxpool.Pool, accounts *ruche.Accounts, push *ruche.Push, outbox PushOutbox, fed *ruche.Federation, media *ruche.Media, previews *ruche.Previews, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &purgeWorker{accounts: accounts, log: log})
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
	if push != nil {
		periodic = append(periodic, AddPush(workers, push, outbox))
	}
	if fed != nil {
		periodic = append(periodic, AddFederation(workers, fed))
	}
	if media != nil {
		periodic = append(periodic, AddMedia(workers, media))
	}
	if previews != nil {
		AddPreviews(workers, previews)
	}
	return river.NewClient(riverpgxv5.New(pool), &river.Config{
		// A queue fetches at most MaxWorkers jobs per fetch and at most once per cooldown:
		// at River's default (100 ms) deliveries could not pass ~320/s however fast
		// partners answer.
		FetchCooldown:        20 * time.Millisecond,
		RescueStuckJobsAfter: RescueStuckJobsAfter,
		JobTimeout:           min(river.JobTimeoutDefault, RescueStuckJobsAfter),
		Logger:               slog.New(atLeast{log.Handler(), slog.LevelWarn}),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}, PushQueue: {MaxWorkers: 20}, FederationQueue: {MaxWorkers: 32}, MediaQueue: {MaxWorkers: 2}},
		Workers:              workers,
		PeriodicJobs:         periodic,
	})
}

// atLeast passes on records of level or above: River reports its producers' counts at
// info every few seconds, which would drown an operator's log; its warnings and errors
// still show.
type atLeast struct {
	slog.Handler
	level slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(as), h.level}
}
func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{h.Handler.WithGroup(name), h.level}
}

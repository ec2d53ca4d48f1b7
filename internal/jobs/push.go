package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Web Push runs in two kinds of job. A database trigger puts every notification of a
// member with a push subscription into an outbox, in the notification's own
// transaction; a periodic drain turns outbox rows into one push job per notification
// and subscription, in the transaction that deletes them. So a notification is pushed
// even if the process dies right after making it, and is turned into jobs once.

// PushQueue is the queue of push jobs, apart from the others so that slow push services
// cannot hold up other work.
const PushQueue = "push"

// PushDrainInterval is how often the outbox is drained: the longest a notification
// waits for its push job to exist.
const PushDrainInterval = 2 * time.Second

const (
	pushDrainBatch      = 500
	pushDrainMaxBatches = 20 // per run; the next run takes the rest
	// With River's default retry policy (attempt⁴ seconds), eight attempts span
	// about an hour and a half; after that the push is dropped.
	pushMaxAttempts = 8
	// A push service that keeps rate-limiting gets this many snoozes (which River
	// does not count as attempts) before its answers count as failures.
	pushMaxSnoozes  = 5
	pushSendTimeout = 45 * time.Second // the sender's own timeout is 30 s
)

// PushOutbox is the store's side of the outbox (postgres.Store.DrainPushOutbox): it
// takes up to limit notifications and calls enqueue in the same transaction with
// their deliveries, returning how many notifications it took.
type PushOutbox interface {
	DrainPushOutbox(ctx context.Context, limit int, enqueue func(context.Context, pgx.Tx, []ruche.PushDelivery) error) (int, error)
}

// PushDrainArgs asks for the push outbox to be turned into push jobs.
type PushDrainArgs struct{}

// Kind names the job in the queue.
func (PushDrainArgs) Kind() string { return "push_drain" }

// InsertOpts: a failed drain is not retried; the next periodic one takes its rows.
func (PushDrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1}
}

// PushArgs asks for one notification to be pushed to one subscription.
type PushArgs struct {
	NotificationID int64 `json:"notification_id"`
	SubscriptionID int64 `json:"subscription_id"`
}

// Kind names the job in the queue.
func (PushArgs) Kind() string { return "push_send" }

// InsertOpts puts push jobs in their queue with a bounded number of attempts.
func (PushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: PushQueue, MaxAttempts: pushMaxAttempts}
}

type pushDrainWorker struct {
	river.WorkerDefaults[PushDrainArgs]
	outbox PushOutbox
}

func (w *pushDrainWorker) Work(ctx context.Context, _ *river.Job[PushDrainArgs]) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	enqueue := func(ctx context.Context, tx pgx.Tx, ds []ruche.PushDelivery) error {
		params := make([]river.InsertManyParams, len(ds))
		for i, d := range ds {
			params[i] = river.InsertManyParams{Args: PushArgs{NotificationID: d.NotificationID, SubscriptionID: d.SubscriptionID}}
		}
		_, err := client.InsertManyTx(ctx, tx, params)
		return err
	}
	for range pushDrainMaxBatches {
		n, err := w.outbox.DrainPushOutbox(ctx, pushDrainBatch, enqueue)
		if err != nil || n < pushDrainBatch {
			return err
		}
	}
	return nil
}

type pushWorker struct {
	river.WorkerDefaults[PushArgs]
	push *ruche.Push
}

func (w *pushWorker) Timeout(*river.Job[PushArgs]) time.Duration { return pushSendTimeout }

// Work pushes; the domain drops what should no longer be pushed and deletes
// subscriptions the push service says are gone. A refusal that retrying cannot help
// cancels the job; rate limiting snoozes it for as long as the push service asks.
func (w *pushWorker) Work(ctx context.Context, job *river.Job[PushArgs]) error {
	err := w.push.Deliver(ctx, ruche.PushDelivery{NotificationID: job.Args.NotificationID, SubscriptionID: job.Args.SubscriptionID})
	var refused *ruche.PushRefusedError
	if errors.As(err, &refused) {
		switch {
		case refused.Status == 429 && snoozes(job.Metadata) < pushMaxSnoozes:
			return river.JobSnooze(min(max(refused.RetryAfter, 30*time.Second), time.Hour))
		case refused.Permanent():
			return river.JobCancel(err)
		}
	}
	return err
}

// snoozes reads how often River snoozed a job (its metadata's "snoozes").
func snoozes(metadata []byte) int {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(metadata, &m) // absent or unreadable: none
	return m.Snoozes
}

// AddPush registers the push workers on workers and returns the periodic job that
// drains the outbox, for river.Config.PeriodicJobs. The client's Queues must include
// PushQueue.
func AddPush(workers *river.Workers, push *ruche.Push, outbox PushOutbox) *river.PeriodicJob {
	river.AddWorker(workers, &pushDrainWorker{outbox: outbox})
	river.AddWorker(workers, &pushWorker{push: push})
	return river.NewPeriodicJob(river.PeriodicInterval(PushDrainInterval),
		func() (river.JobArgs, *river.InsertOpts) { return PushDrainArgs{}, nil },
		&river.PeriodicJobOpts{ID: "push_drain", RunOnStart: true})
}

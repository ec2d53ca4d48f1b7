package jobs

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Federation runs in two kinds of job, each pointing at a row the store wrote in the
// same transaction as the job: a delivery (one activity to one inbox) and the
// processing of one received activity. A crash at any point leaves either the row and
// its job, or neither.

// FederationQueue is the queue of deliveries, apart from the others so that slow
// partners cannot hold up other work.
const FederationQueue = "federation"

// DeliverArgs asks for one outgoing activity to be delivered to one inbox.
type DeliverArgs struct {
	ruche.Delivery
}

// Kind names the job in the queue; the store's list of failed deliveries reads it.
func (DeliverArgs) Kind() string { return DeliverKind }

// DeliverKind is the kind of delivery jobs.
const DeliverKind = "federation_deliver"

// ProcessArgs asks for one received activity to be applied.
type ProcessArgs struct {
	IncomingID int64 `json:"incoming_id"`
}

// Kind names the job in the queue.
func (ProcessArgs) Kind() string { return "federation_process" }

// Inserter puts federation jobs in the queue inside the store's transactions
// (postgres.Store.SetQueue). An insert-only River client is enough: operator commands
// that queue activities use one, and the serving node's workers run the jobs.
type Inserter struct {
	Client *river.Client[pgx.Tx]
}

// InsertDeliveries inserts one delivery job per delivery, in tx.
func (q Inserter) InsertDeliveries(ctx context.Context, tx pgx.Tx, ds []ruche.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		params[i] = river.InsertManyParams{Args: DeliverArgs{Delivery: d}, InsertOpts: deliverInsertOpts()}
	}
	_, err := q.Client.InsertManyTx(ctx, tx, params)
	return err
}

// InsertProcessing inserts one processing job per received activity, in tx.
func (q Inserter) InsertProcessing(ctx context.Context, tx pgx.Tx, incomingIDs []int64) error {
	if len(incomingIDs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(incomingIDs))
	for i, id := range incomingIDs {
		params[i] = river.InsertManyParams{Args: ProcessArgs{IncomingID: id}}
	}
	_, err := q.Client.InsertManyTx(ctx, tx, params)
	return err
}

// deliverMaxAttempts, with deliverBackoff, keeps trying for about three days.
const deliverMaxAttempts = 20

func deliverInsertOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: FederationQueue, MaxAttempts: deliverMaxAttempts}
}

// Delivery retries back off from 30 s, doubling, to at most 6 h between attempts:
// twenty attempts span about three days, so a partner down for a long weekend still
// gets everything.
const (
	deliverFirstRetry = 30 * time.Second
	deliverMaxRetry   = 6 * time.Hour
	deliverTimeout    = 60 * time.Second // the client's own timeout is shorter
	// deliverPerHost bounds the deliveries in flight to one partner from one node, so a
	// burst of activities does not hammer a partner (nor a slow one take every worker).
	deliverPerHost = 4
	// deliverAuthAttempts is how many attempts a 401 or 403 gets (see notYetTrusted).
	deliverAuthAttempts = 10
	// deliverMaxSnoozes bounds the snoozes a delivery takes, busy partner slots and
	// Retry-After together, so one cannot be put off for ever.
	deliverMaxSnoozes = 50
	// deliverSlotWait is how long a delivery waits for one of its partner's slots
	// before it snoozes for deliverBusySnooze.
	deliverSlotWait   = time.Second
	deliverBusySnooze = 2 * time.Second
)

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	fed   *ruche.Federation
	hosts *hostSlots
}

// Timeout is also when River may take a delivery left running by a dead node for one
// to run again, so it stays within RescueStuckJobsAfter.
func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return min(deliverTimeout, RescueStuckJobsAfter)
}

// NextRetry: exponential backoff with up to 10 % jitter, so deliveries to a partner
// that was down do not all come back at once.
func (w *deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	d := deliverFirstRetry << min(job.Attempt-1, 20)
	if d > deliverMaxRetry || d <= 0 {
		d = deliverMaxRetry
	}
	d += time.Duration(rand.Int64N(int64(d / 10)))
	return time.Now().Add(d)
}

// Work delivers. A permanent refusal (4xx other than 408/429, 410 Gone, a partner no
// longer active) cancels the job, which then shows among failed deliveries; a partner
// that asks to wait (Retry-After) is waited for; anything else is retried.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	release, ok := w.hosts.acquire(ctx, job.Args.Host)
	if !ok {
		return river.JobSnooze(deliverBusySnooze)
	}
	defer release()
	err := w.fed.Deliver(ctx, job.Args.Delivery)
	var de *ruche.DeliveryError
	if errors.As(err, &de) {
		switch {
		case de.Permanent && notYetTrusted(err) && job.Attempt < deliverAuthAttempts:
			return err // retried with the usual backoff
		case de.Permanent:
			return river.JobCancel(err)
		case de.RetryAfter > 0 && snoozes(job.Metadata) < deliverMaxSnoozes:
			return river.JobSnooze(min(max(de.RetryAfter, 30*time.Second), deliverMaxRetry))
		}
	}
	return err
}

// notYetTrusted reports whether a partner refused a delivery as unauthenticated or
// forbidden (401, 403). Between two partners that is most often a matter of time: the
// other admin has not added this instance yet, or the partner has not yet fetched the
// instance actor's new key after a rotation. So these are retried for a while
// (deliverAuthAttempts, about eight hours) before they count as final.
func notYetTrusted(err error) bool {
	var he *activitypub.HTTPError
	return errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden)
}

// hostSlots bounds the deliveries in flight per partner host on this node. A delivery
// waits a moment for a slot (deliveries to one partner are short, so a burst flows
// through its slots), and snoozes if none frees up, so that a slow partner's jobs do not
// hold every worker of the queue.
type hostSlots struct {
	mu    sync.Mutex
	hosts map[string]chan struct{}
}

func (h *hostSlots) acquire(ctx context.Context, host string) (release func(), ok bool) {
	h.mu.Lock()
	sem, found := h.hosts[host]
	if !found {
		sem = make(chan struct{}, deliverPerHost)
		h.hosts[host] = sem
	}
	h.mu.Unlock()
	t := time.NewTimer(deliverSlotWait)
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

type processWorker struct {
	river.WorkerDefaults[ProcessArgs]
	fed *ruche.Federation
}

func (w *processWorker) Work(ctx context.Context, job *river.Job[ProcessArgs]) error {
	return w.fed.Process(ctx, job.Args.IncomingID)
}

// OutboxDrainArgs asks for the federation outbox (changes to posts of shared groups,
// written by a trigger in each post's transaction) to be turned into deliveries.
type OutboxDrainArgs struct{}

// Kind names the job in the queue.
func (OutboxDrainArgs) Kind() string { return "federation_outbox_drain" }

// InsertOpts: a failed drain is not retried; the next periodic one takes its rows.
func (OutboxDrainArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// OutboxDrainInterval is how often the outbox is drained: the longest a post waits
// before its deliveries exist.
const OutboxDrainInterval = time.Second

type outboxDrainWorker struct {
	river.WorkerDefaults[OutboxDrainArgs]
	fed *ruche.Federation
}

func (w *outboxDrainWorker) Work(ctx context.Context, _ *river.Job[OutboxDrainArgs]) error {
	for range 20 { // per run; the next run takes the rest
		n, err := w.fed.DrainOutbox(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
	return nil
}

// AddFederation registers the federation workers and returns the periodic job that
// drains the outbox. The client's Queues must include FederationQueue.
func AddFederation(workers *river.Workers, fed *ruche.Federation) *river.PeriodicJob {
	river.AddWorker(workers, &deliverWorker{fed: fed, hosts: &hostSlots{hosts: map[string]chan struct{}{}}})
	river.AddWorker(workers, &processWorker{fed: fed})
	river.AddWorker(workers, &outboxDrainWorker{fed: fed})
	return river.NewPeriodicJob(river.PeriodicInterval(OutboxDrainInterval),
		func() (river.JobArgs, *river.InsertOpts) { return OutboxDrainArgs{}, nil },
		&river.PeriodicJobOpts{ID: "federation_outbox_drain", RunOnStart: true})
}

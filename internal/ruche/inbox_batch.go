package ruche

import (
	"context"
	"time"
)

// Group commit for the inbox. Every accepted activity must be stored, with its job,
// before the 202 goes out (nothing acknowledged is lost); one transaction per request
// spends most of its time in the commit and in the queue's insert. So requests that
// arrive while a transaction is running wait for the next one and share it: at low load
// each request is alone and waits for nothing more; under load a transaction carries
// many. ReceiveActivities dedupes within a batch, so a batch behaves as its requests
// would one by one.

const (
	receiveFlushers = 4   // transactions in flight at once
	receiveMaxBatch = 128 // activities per transaction
	receiveTimeout  = 30 * time.Second
)

type pendingReceive struct {
	a    IncomingActivity
	done chan error
}

type receiveBatcher struct {
	store FederationStore
	ch    chan *pendingReceive
}

// receiver returns the instance's batcher, started on first use. Its goroutines live
// as long as the process, like the connection pool they use.
func (f *Federation) receiver() *receiveBatcher {
	f.receiverOnce.Do(func() {
		f.batcher = &receiveBatcher{store: f.Store, ch: make(chan *pendingReceive, receiveMaxBatch*receiveFlushers)}
		for range receiveFlushers {
			go f.batcher.loop()
		}
	})
	return f.batcher
}

// add stores a with the next transaction and returns once it is committed (or not).
func (b *receiveBatcher) add(ctx context.Context, a IncomingActivity) error {
	p := &pendingReceive{a: a, done: make(chan error, 1)}
	select {
	case b.ch <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The activity may still be stored; the sender will retry and find it there.
		return ctx.Err()
	}
}

func (b *receiveBatcher) loop() {
	batch := make([]*pendingReceive, 0, receiveMaxBatch)
	in := make([]IncomingActivity, 0, receiveMaxBatch)
	for p := range b.ch {
		batch = append(batch[:0], p)
	more:
		for len(batch) < receiveMaxBatch {
			select {
			case q := <-b.ch:
				batch = append(batch, q)
			default:
				break more
			}
		}
		in = in[:0]
		for _, q := range batch {
			in = append(in, q.a)
		}
		ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
		_, err := b.store.ReceiveActivities(ctx, in)
		if err != nil && len(batch) > 1 {
			// One bad activity must not fail the others: each alone, then.
			for _, q := range batch {
				_, err := b.store.ReceiveActivities(ctx, []IncomingActivity{q.a})
				q.done <- err
			}
			cancel()
			continue
		}
		cancel()
		for _, q := range batch {
			q.done <- err
		}
	}
}

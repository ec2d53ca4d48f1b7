package ruche

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/ruche-hive/ruche/activitypub"
)

// Fetching the key of an incoming signature. Anyone can send a request whose keyId
// names a partner's host, so what such a request makes Ruche do is bounded: a key is
// fetched by one request at a time (others wait for its answer), a key that could not
// be fetched is not asked for again for keyFailureTTL, and each partner host gets at
// most keyFetchBurst fetches at once and keyFetchRate a minute after that. Nothing
// fetched is stored until a signature made with it has verified (Authenticate).

const (
	keyFailureTTL  = 5 * time.Minute
	keyRetryTTL    = 30 * time.Second
	keyFetchBurst  = 20
	keyFetchRate   = 20 // per minute, per partner host
	keyFetchWindow = time.Minute
)

// errFetchBudget is a fetch refused because the partner's budget is spent; the
// request that needed it may try again later.
var errFetchBudget = errors.New("federation: too many key fetches from this partner; try again later")

type keyFetcher struct {
	group    singleflight.Group
	mu       sync.Mutex
	failures map[string]keyFailure // key id → last failure
	budgets  map[string]*budget    // partner host → its fetch budget
}

type keyFailure struct {
	err error
	at  time.Time
}

// budget is a token bucket: tokens refill at keyFetchRate per keyFetchWindow.
type budget struct {
	tokens float64
	at     time.Time
}

// fetchKey fetches the actor holding keyID, within the bounds above, and returns it
// unstored. It is an error if that actor's key is not keyID.
func (f *Federation) fetchKey(ctx context.Context, keyID string) (RemoteActor, error) {
	kf := &f.keyFetch
	now := f.now()
	kf.mu.Lock()
	if e, ok := kf.failures[keyID]; ok && now.Sub(e.at) < failureTTL(e.err) {
		kf.mu.Unlock()
		return RemoteActor{}, e.err
	}
	kf.mu.Unlock()
	v, err, _ := kf.group.Do(keyID, func() (any, error) {
		host, err := activitypub.KeyHost(keyID)
		if err != nil {
			return RemoteActor{}, err
		}
		if !kf.take(host, now) {
			return RemoteActor{}, errFetchBudget
		}
		a, err := f.fetchActorDoc(context.WithoutCancel(ctx), keyID)
		if err == nil && a.KeyID != keyID {
			err = fmt.Errorf("the actor at %s has key %s, not %s", a.IRI, a.KeyID, keyID)
		}
		if err != nil {
			kf.fail(keyID, err, now)
			return RemoteActor{}, err
		}
		return a, nil
	})
	return v.(RemoteActor), err
}

// failureTTL is how long a failed fetch is not tried again: a partner that is down for
// a moment gets another chance sooner than a key that does not exist.
func failureTTL(err error) time.Duration {
	if isTransient(err) {
		return keyRetryTTL
	}
	return keyFailureTTL
}

// take spends one fetch of host's budget, reporting whether there was one.
func (kf *keyFetcher) take(host string, now time.Time) bool {
	kf.mu.Lock()
	defer kf.mu.Unlock()
	if kf.budgets == nil || len(kf.budgets) > 10000 {
		kf.budgets = map[string]*budget{}
	}
	b, ok := kf.budgets[host]
	if !ok {
		b = &budget{tokens: keyFetchBurst, at: now}
		kf.budgets[host] = b
	}
	b.tokens = min(keyFetchBurst, b.tokens+now.Sub(b.at).Seconds()*keyFetchRate/keyFetchWindow.Seconds())
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (kf *keyFetcher) fail(keyID string, err error, now time.Time) {
	kf.mu.Lock()
	defer kf.mu.Unlock()
	if kf.failures == nil || len(kf.failures) > 10000 {
		kf.failures = map[string]keyFailure{}
	}
	kf.failures[keyID] = keyFailure{err: err, at: now}
}

package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/jobs"
	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

const fedBase = "https://a.example"

// federation returns a store whose federation jobs go to River through an insert-only
// client, as an operator command wires it, and the federation service over it.
func federation(t testing.TB) (*postgres.Store, *ruche.Federation) {
	t.Helper()
	s := testdb.NewStore(t)
	client, err := river.NewClient(riverpgxv5.New(s.Pool()), &river.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.SetQueue(jobs.Inserter{Client: client})
	secrets, err := ruche.NewSecrets(ruche.NewSecretKey())
	if err != nil {
		t.Fatal(err)
	}
	return s, &ruche.Federation{Store: s, Shares: s, Secrets: secrets, BaseURL: fedBase}
}

// failingQueue refuses every job, as a queue whose insert fails mid-transaction.
type failingQueue struct{}

var errQueueDown = errors.New("queue down")

func (failingQueue) InsertDeliveries(context.Context, pgx.Tx, []ruche.Delivery) error {
	return errQueueDown
}

func (failingQueue) InsertProcessing(context.Context, pgx.Tx, []int64) error {
	return errQueueDown
}

func (failingQueue) InsertMediaProcessing(context.Context, pgx.Tx, int64) error {
	return errQueueDown
}

func (failingQueue) InsertCardFetch(context.Context, pgx.Tx, string) error {
	return errQueueDown
}

func count(t *testing.T, s *postgres.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// instanceUpdate is the one activity the gate lets out today: the instance actor's
// Update of itself.
// instanceUpdate is a fresh Update of f's instance actor, the one kind of activity the
// gate clears today.
func instanceUpdate(t testing.TB, f *ruche.Federation) *activitypub.Object {
	t.Helper()
	a, err := f.InstanceActorUpdate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFederationPartners(t *testing.T) {
	ctx := context.Background()
	s, f := federation(t)
	admin := user(t, s, "admin", ruche.RoleAdmin)

	if _, err := f.AddPartner(ctx, &admin, "Zeta.example", "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddPartner(ctx, nil, "beta.example:8443", ""); err != nil {
		t.Fatal(err)
	}
	p, err := f.SetPartnerState(ctx, &admin, "zeta.example", ruche.PartnerSuspended)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != ruche.PartnerSuspended || p.Note != "first" || !p.UpdatedAt.After(p.CreatedAt) {
		t.Errorf("suspended partner = %+v", p)
	}
	ps, err := s.Partners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Domain+" "+string(p.State))
	}
	if want := "[beta.example:8443 active zeta.example suspended]"; fmt.Sprint(got) != want {
		t.Errorf("partners = %v, want %s", got, want)
	}

	if err := f.RemovePartner(ctx, &admin, "beta.example:8443"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Partner(ctx, "beta.example:8443"); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("removed partner: %v", err)
	}
	if err := s.RemovePartner(ctx, admin.ID, "beta.example:8443"); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("removing it again: %v, want not found", err)
	}

	rows, _ := s.Pool().Query(ctx, `SELECT coalesce(actor_id, 0), action, detail->>'domain', detail->>'state', coalesce(detail->>'via', '')
		FROM audit_log WHERE action LIKE 'partner.%' ORDER BY id`)
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var actor int64
		var action, domain, state, via string
		err := r.Scan(&actor, &action, &domain, &state, &via)
		return fmt.Sprintf("%v %s %s %s %s", actor == admin.ID, action, domain, state, via), err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"true partner.add zeta.example active ",
		"false partner.add beta.example:8443 active console",
		"true partner.update zeta.example suspended ",
		"true partner.remove beta.example:8443 active ",
	}
	if fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Errorf("audit =\n%q\nwant\n%q", entries, want)
	}
}

func TestFederationActorKeys(t *testing.T) {
	ctx := context.Background()
	s, _ := federation(t)
	if _, err := s.ActorKey(ctx, ruche.InstanceActor); !errors.Is(err, ruche.ErrNotFound) {
		t.Fatalf("no key yet: %v", err)
	}

	// Two nodes make the instance key at once: both end up with the same one.
	var wg sync.WaitGroup
	got := make([]ruche.ActorKey, 8)
	errs := make([]error, len(got))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.AddActorKey(ctx, ruche.ActorKey{
				Actor: ruche.InstanceActor, PublicPEM: fmt.Sprintf("pem %d", i), PrivateSealed: []byte{byte(i)},
			})
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i].PublicPEM != got[0].PublicPEM || string(got[i].PrivateSealed) != string(got[0].PrivateSealed) {
			t.Errorf("adder %d got %q, adder 0 got %q", i, got[i].PublicPEM, got[0].PublicPEM)
		}
	}
	if k, err := s.ActorKey(ctx, ruche.InstanceActor); err != nil || k.PublicPEM != got[0].PublicPEM {
		t.Errorf("stored key = %q, %v; want %q", k.PublicPEM, err, got[0].PublicPEM)
	}

	// Resealing applies only over the sealed key it read.
	old := got[0].PrivateSealed
	if err := s.ResealActorKey(ctx, ruche.InstanceActor, []byte("stale"), []byte("lost")); err != nil {
		t.Fatal(err)
	}
	if err := s.ResealActorKey(ctx, ruche.InstanceActor, old, []byte("resealed")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddActorKey(ctx, ruche.ActorKey{Actor: "group:1", PublicPEM: "g", PrivateSealed: []byte("g")}); err != nil {
		t.Fatal(err)
	}
	keys, err := s.ActorKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Actor != "group:1" || keys[1].Actor != ruche.InstanceActor || string(keys[1].PrivateSealed) != "resealed" {
		t.Errorf("keys = %+v", keys)
	}
}

func TestFederationQueueRefusesWhatTheGateDidNotClear(t *testing.T) {
	ctx := context.Background()
	s, _ := federation(t)
	if _, err := s.QueueActivities(ctx, []ruche.Outbound{{}}); !errors.Is(err, ruche.ErrNotFederated) {
		t.Errorf("zero Outbound: %v, want refused", err)
	}
	k := ruche.ActorKey{Actor: ruche.InstanceActor, PublicPEM: "new", PrivateSealed: []byte("new")}
	if err := s.ReplaceActorKey(ctx, k, []ruche.Outbound{{}}); !errors.Is(err, ruche.ErrNotFederated) {
		t.Errorf("key with a zero Outbound: %v, want refused", err)
	}
	if n := count(t, s, `SELECT count(*) FROM outgoing_activities`); n != 0 {
		t.Errorf("%d activities stored", n)
	}
	if n := count(t, s, `SELECT count(*) FROM actor_keys`); n != 0 {
		t.Errorf("%d keys stored", n)
	}
}

// deliveries lists the delivery jobs in the queue as activity id, host and inbox.
func deliveries(t *testing.T, s *postgres.Store) []string {
	t.Helper()
	rows, _ := s.Pool().Query(context.Background(), `SELECT args, queue FROM river_job WHERE kind = $1 ORDER BY id`, jobs.DeliverKind)
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var args []byte
		var queue string
		if err := r.Scan(&args, &queue); err != nil {
			return "", err
		}
		var d ruche.Delivery
		err := json.Unmarshal(args, &d)
		return fmt.Sprintf("%d %s %q %s", d.ActivityID, d.Host, d.Inbox, queue), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestFederationQueueActivities(t *testing.T) {
	ctx := context.Background()
	s, f := federation(t)
	for _, d := range []string{"b.example", "c.example", "d.example"} {
		if _, err := f.AddPartner(ctx, nil, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.SetPartnerState(ctx, nil, "d.example", ruche.PartnerSuspended); err != nil {
		t.Fatal(err)
	}

	// The gate, reading partners from the store, refuses a suspended or unknown one.
	for _, to := range []string{"d.example", "e.example"} {
		if _, err := f.Clear(ctx, ruche.Departure{Actor: ruche.InstanceActor, Activity: instanceUpdate(t, f), To: []string{to}}); !errors.Is(err, ruche.ErrNotFederated) {
			t.Errorf("clear to %s: %v, want refused", to, err)
		}
	}

	var stored []ruche.OutgoingActivity
	for i := 1; i <= 3; i++ {
		o, err := f.Clear(ctx, ruche.Departure{
			Actor: ruche.InstanceActor, Activity: instanceUpdate(t, f), To: []string{"b.example", "C.example", "b.example"},
		})
		if err != nil {
			t.Fatal(err)
		}
		as, err := s.QueueActivities(ctx, []ruche.Outbound{o})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 || as[0].ID == 0 || as[0].IRI != o.IRI() || string(as[0].Body) != string(o.Body()) || as[0].Actor != ruche.InstanceActor {
			t.Fatalf("stored = %+v", as)
		}
		stored = append(stored, as[0])
	}

	var want []string
	for _, a := range stored {
		want = append(want, fmt.Sprintf(`%d b.example "" federation`, a.ID), fmt.Sprintf(`%d c.example "" federation`, a.ID))
	}
	if got := deliveries(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivery jobs =\n%q\nwant\n%q", got, want)
	}

	a, err := s.OutgoingActivity(ctx, stored[1].ID)
	if err != nil || a.IRI != stored[1].IRI || string(a.Body) != string(stored[1].Body) {
		t.Errorf("activity = %+v, %v", a, err)
	}
	if _, err := s.OutgoingActivity(ctx, 1); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("missing activity: %v", err)
	}
	page, err := s.OutgoingActivities(ctx, ruche.InstanceActor, 0, 2)
	if err != nil || len(page) != 2 || page[0].ID != stored[2].ID || page[1].ID != stored[1].ID {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	page, err = s.OutgoingActivities(ctx, ruche.InstanceActor, page[1].ID, 2)
	if err != nil || len(page) != 1 || page[0].ID != stored[0].ID {
		t.Errorf("second page = %+v, %v", page, err)
	}
	if n, err := s.CountOutgoingActivities(ctx, ruche.InstanceActor); err != nil || n != 3 {
		t.Errorf("count = %d, %v", n, err)
	}
	if n, err := s.CountOutgoingActivities(ctx, "group:1"); err != nil || n != 0 {
		t.Errorf("count of another actor = %d, %v", n, err)
	}
}

// TestFederationRotateKey: a rotation stores the new key and queues its Update in one
// transaction; when the queue fails, neither happens.
func TestFederationRotateKey(t *testing.T) {
	ctx := context.Background()
	s, f := federation(t)
	if _, err := f.AddPartner(ctx, nil, "b.example", ""); err != nil {
		t.Fatal(err)
	}
	first, err := f.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}

	s.SetQueue(failingQueue{})
	if err := f.RotateKey(ctx, ruche.InstanceActor); !errors.Is(err, errQueueDown) {
		t.Errorf("rotate with the queue down: %v", err)
	}
	if n, err := f.AnnounceInstanceActor(ctx); !errors.Is(err, errQueueDown) {
		t.Errorf("announce with the queue down: %d, %v", n, err)
	}
	if k, err := s.ActorKey(ctx, ruche.InstanceActor); err != nil || k.PublicPEM != first.PublicKey.PublicKeyPem {
		t.Errorf("key changed though its Update was not queued (%v)", err)
	}
	if n := count(t, s, `SELECT count(*) FROM outgoing_activities`); n != 0 {
		t.Errorf("%d activities stored without their jobs", n)
	}

	s.SetQueue(nil)
	if err := f.RotateKey(ctx, ruche.InstanceActor); err == nil {
		t.Error("rotate with no queue: no error")
	}

	client, err := river.NewClient(riverpgxv5.New(s.Pool()), &river.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.SetQueue(jobs.Inserter{Client: client})
	if err := f.RotateKey(ctx, ruche.InstanceActor); err != nil {
		t.Fatal(err)
	}
	k, err := s.ActorKey(ctx, ruche.InstanceActor)
	if err != nil || k.PublicPEM == first.PublicKey.PublicKeyPem {
		t.Fatalf("key not replaced (%v)", err)
	}
	as, err := s.OutgoingActivities(ctx, ruche.InstanceActor, 0, 10)
	if err != nil || len(as) != 1 {
		t.Fatalf("activities = %+v, %v", as, err)
	}
	update, err := activitypub.Decode(as[0].Body)
	if err != nil || update.Object.Object == nil || update.Object.Object.PublicKey.PublicKeyPem != k.PublicPEM {
		t.Errorf("the Update does not carry the new key (%v)", err)
	}
	if got, want := deliveries(t, s), []string{fmt.Sprintf(`%d b.example "" federation`, as[0].ID)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivery jobs = %q, want %q", got, want)
	}
}

func incoming(iri string) ruche.IncomingActivity {
	return ruche.IncomingActivity{IRI: iri, Actor: "https://b.example/actor", Host: "b.example", Type: "Update", Body: []byte(`{"id":"` + iri + `"}`)}
}

// processJobs lists the incoming ids of processing jobs, sorted.
func processJobs(t *testing.T, s *postgres.Store) []int64 {
	t.Helper()
	rows, _ := s.Pool().Query(context.Background(), `SELECT (args->>'incoming_id')::bigint FROM river_job WHERE kind = 'federation_process' ORDER BY 1`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestFederationReceiveActivities(t *testing.T) {
	ctx := context.Background()
	s, _ := federation(t)
	const b = "https://b.example/activities/"

	got, err := s.ReceiveActivities(ctx, []ruche.IncomingActivity{incoming(b + "1"), incoming(b + "2"), incoming(b + "1")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[true true false]"; fmt.Sprint(got) != want {
		t.Errorf("first batch new = %v, want %s", got, want)
	}
	got, err = s.ReceiveActivities(ctx, []ruche.IncomingActivity{incoming(b + "3"), incoming(b + "2"), incoming(b + "3")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[true false false]"; fmt.Sprint(got) != want {
		t.Errorf("second batch new = %v, want %s", got, want)
	}
	if got, err = s.ReceiveActivities(ctx, []ruche.IncomingActivity{incoming(b + "1")}); err != nil || got[0] {
		t.Errorf("a known activity alone: %v, %v", got, err)
	}

	rows, _ := s.Pool().Query(ctx, `SELECT id FROM incoming_activities ORDER BY id`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("%d rows, want 3", len(ids))
	}
	jobIDs := processJobs(t, s)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if fmt.Sprint(jobIDs) != fmt.Sprint(ids) {
		t.Errorf("processing jobs for %v, want one for each of %v", jobIDs, ids)
	}

	a, err := s.IncomingActivity(ctx, ids[0])
	if err != nil || a.Host != "b.example" || a.Type != "Update" || a.ProcessedAt != nil || string(a.Body) != `{"id":"`+a.IRI+`"}` {
		t.Fatalf("activity = %+v, %v", a, err)
	}
	if err := s.MarkProcessed(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	a, err = s.IncomingActivity(ctx, a.ID)
	if err != nil || a.ProcessedAt == nil {
		t.Fatalf("processed activity = %+v, %v", a, err)
	}
	at := *a.ProcessedAt
	time.Sleep(10 * time.Millisecond)
	if err := s.MarkProcessed(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if a, _ = s.IncomingActivity(ctx, a.ID); !a.ProcessedAt.Equal(at) {
		t.Errorf("marked twice: processed at %v, then %v", at, a.ProcessedAt)
	}
	if _, err := s.IncomingActivity(ctx, 1); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("missing activity: %v", err)
	}

	// The inbox's cost does not grow with the batch: the same statements for 1 as for 50.
	statements := func(n int, prefix string) int64 {
		in := make([]ruche.IncomingActivity, n)
		for i := range in {
			in[i] = incoming(fmt.Sprintf("%s%s%d", b, prefix, i))
		}
		cctx, c := postgres.CountQueries(ctx)
		if _, err := s.ReceiveActivities(cctx, in); err != nil {
			t.Fatal(err)
		}
		return c.Load()
	}
	if one, fifty := statements(1, "x"), statements(50, "y"); one != fifty {
		t.Errorf("%d statements for one activity, %d for fifty", one, fifty)
	}

	// When the queue fails, nothing is stored: the activity will come again.
	s.SetQueue(failingQueue{})
	if _, err := s.ReceiveActivities(ctx, []ruche.IncomingActivity{incoming(b + "4")}); !errors.Is(err, errQueueDown) {
		t.Errorf("queue down: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM incoming_activities WHERE iri = $1`, b+"4"); n != 0 {
		t.Errorf("stored without its job")
	}
	s.SetQueue(nil)
	if _, err := s.ReceiveActivities(ctx, []ruche.IncomingActivity{incoming(b + "4")}); err == nil {
		t.Error("no queue: no error")
	}
}

func TestFederationRemoteActors(t *testing.T) {
	ctx := context.Background()
	s, _ := federation(t)
	old := ruche.RemoteActor{
		IRI: "https://b.example/users/old", Host: "b.example", KeyID: "https://b.example/key", PublicPEM: "old pem",
		Inbox: "https://b.example/users/old/inbox", Document: []byte(`{"id": "https://b.example/users/old"}`),
		FetchedAt: time.Now().Add(-time.Hour),
	}
	if err := s.PutRemoteActor(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Another actor now holds the same key id, fetched later, with no time given.
	cur := ruche.RemoteActor{
		IRI: "https://b.example/users/cur", Host: "b.example", KeyID: old.KeyID, PublicPEM: "pem",
		Inbox: "https://b.example/users/cur/inbox", SharedInbox: "https://b.example/inbox", Document: []byte(`{}`),
	}
	if err := s.PutRemoteActor(ctx, cur); err != nil {
		t.Fatal(err)
	}
	got, err := s.RemoteActorByKeyID(ctx, old.KeyID)
	if err != nil || got.IRI != cur.IRI || got.SharedInbox != cur.SharedInbox || time.Since(got.FetchedAt) > time.Minute {
		t.Errorf("by key id = %+v, %v; want %s fetched now", got, err, cur.IRI)
	}

	old.PublicPEM, old.FetchedAt = "new pem", time.Now()
	if err := s.PutRemoteActor(ctx, old); err != nil {
		t.Fatal(err)
	}
	got, err = s.RemoteActor(ctx, old.IRI)
	if err != nil || got.PublicPEM != "new pem" || !got.FetchedAt.Equal(old.FetchedAt.Truncate(time.Microsecond)) {
		t.Errorf("replaced actor = %+v, %v", got, err)
	}
	var doc map[string]string
	if err := json.Unmarshal(got.Document, &doc); err != nil || doc["id"] != old.IRI {
		t.Errorf("document = %s, %v", got.Document, err)
	}
	if got, err = s.RemoteActorByKeyID(ctx, old.KeyID); err != nil || got.IRI != old.IRI {
		t.Errorf("by key id after refetch = %s, %v; want %s", got.IRI, err, old.IRI)
	}

	if err := s.ForgetRemoteActor(ctx, old.IRI); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoteActor(ctx, old.IRI); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("forgotten actor: %v", err)
	}
	if err := s.ForgetRemoteActor(ctx, old.IRI); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
	if _, err := s.RemoteActorByKeyID(ctx, "https://c.example/key"); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestFederationFailedDeliveries(t *testing.T) {
	ctx := context.Background()
	s, f := federation(t)
	if _, err := f.AddPartner(ctx, nil, "b.example", ""); err != nil {
		t.Fatal(err)
	}
	o, err := f.Clear(ctx, ruche.Departure{Actor: ruche.InstanceActor, Activity: instanceUpdate(t, f), To: []string{"b.example"}})
	if err != nil {
		t.Fatal(err)
	}
	as, err := s.QueueActivities(ctx, []ruche.Outbound{o})
	if err != nil {
		t.Fatal(err)
	}

	// Jobs as River leaves them: one given up on, one waiting for a retry, one done, one
	// given up on whose activity is gone, and a job of another kind.
	now := time.Now().Truncate(time.Microsecond)
	job := func(kind, state string, activityID int64, finalized *time.Time, scheduled time.Time, errs ...string) {
		t.Helper()
		var es []string
		for i, e := range errs {
			b, _ := json.Marshal(map[string]any{"at": now, "attempt": i + 1, "error": e})
			es = append(es, string(b))
		}
		args := fmt.Sprintf(`{"activity_id":%d,"host":"b.example","inbox":"https://b.example/inbox"}`, activityID)
		if _, err := s.Pool().Exec(ctx, `INSERT INTO river_job (kind, state, attempt, max_attempts, args, errors, finalized_at, scheduled_at, queue)
			VALUES ($1, $2, $3, 20, $4, $5::jsonb[], $6, $7, 'federation')`,
			kind, state, len(errs), args, es, finalized, scheduled); err != nil {
			t.Fatal(err)
		}
	}
	// The job QueueActivities made is available: not a failure.
	earlier, later := now.Add(-time.Hour), now.Add(-time.Minute)
	job(jobs.DeliverKind, "discarded", as[0].ID, &earlier, earlier, "timeout", "502 Bad Gateway")
	job(jobs.DeliverKind, "retryable", as[0].ID, nil, now.Add(time.Hour), "connection refused")
	job(jobs.DeliverKind, "completed", as[0].ID, &later, later)
	job(jobs.DeliverKind, "cancelled", 42, &later, later, "partner removed")
	job("federation_process", "discarded", as[0].ID, &later, later, "bad")

	fs, err := s.FailedDeliveries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range fs {
		got = append(got, fmt.Sprintf("%s %s %s %d %q %v", fd.State, fd.ActivityIRI, fd.Host, fd.Attempts, fd.LastError, fd.At.Sub(now).Round(time.Minute)))
		if fd.Inbox != "https://b.example/inbox" || fd.JobID == 0 {
			t.Errorf("failed delivery %+v", fd)
		}
	}
	iri := as[0].IRI
	want := []string{
		// Its last failure is the latest; At is when it runs next.
		fmt.Sprintf(`retryable %s b.example 1 "connection refused" 1h0m0s`, iri),
		`cancelled  b.example 1 "partner removed" -1m0s`, // its activity is gone
		fmt.Sprintf(`discarded %s b.example 2 "502 Bad Gateway" -1h0m0s`, iri),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failed deliveries =\n%q\nwant\n%q", got, want)
	}
	if fs, err := s.FailedDeliveries(ctx, 1); err != nil || len(fs) != 1 {
		t.Errorf("limit 1: %d, %v", len(fs), err)
	}
}

// BenchmarkFederationReceive stores inbox POSTs one activity at a time, from parallel
// requests, as the shared inbox does: each is a row and its processing job.
func BenchmarkFederationReceive(b *testing.B) {
	ctx := context.Background()
	s, _ := federation(b)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a := incoming(fmt.Sprintf("https://b.example/activities/%d", n.Add(1)))
			if _, err := s.ReceiveActivities(ctx, []ruche.IncomingActivity{a}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.FederationStore = (*Store)(nil)

// Queue puts federation jobs in the job queue inside the store's transactions, so that
// a stored activity and its jobs commit together. jobs.Inserter is the real one.
type Queue interface {
	InsertDeliveries(ctx context.Context, tx pgx.Tx, ds []ruche.Delivery) error
	InsertProcessing(ctx context.Context, tx pgx.Tx, incomingIDs []int64) error
	InsertMediaProcessing(ctx context.Context, tx pgx.Tx, mediaID int64) error
	InsertCardFetch(ctx context.Context, tx pgx.Tx, url string) error
}

// SetQueue gives the store the job queue federation and media writes need. Call it once, while
// wiring, before the store serves: it is read without a lock.
func (s *Store) SetQueue(q Queue) { s.queue = q }

// errNoQueue is a wiring mistake, not a user's: the store cannot keep its promise that
// an activity and its jobs are written together.
var errNoQueue = errors.New("postgres: no job queue set (Store.SetQueue) for federation")

// Partners lists every partner, by domain.
func (s *Store) Partners(ctx context.Context) ([]ruche.Partner, error) {
	rows, _ := s.pool.Query(ctx, `SELECT domain, state, note, created_at, updated_at FROM partners ORDER BY domain`)
	ps, err := pgx.CollectRows(rows, scanPartner)
	return ps, interpret(err)
}

// Partner returns one partner; ruche.ErrNotFound when domain is not one.
func (s *Store) Partner(ctx context.Context, domain string) (ruche.Partner, error) {
	rows, _ := s.pool.Query(ctx, `SELECT domain, state, note, created_at, updated_at FROM partners WHERE domain = $1`, domain)
	p, err := pgx.CollectExactlyOneRow(rows, scanPartner)
	return p, interpret(err)
}

func scanPartner(row pgx.CollectableRow) (ruche.Partner, error) {
	var p ruche.Partner
	err := row.Scan(&p.Domain, &p.State, &p.Note, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// PutPartner creates a partner or updates its state and note, with an audit entry
// that says which of the two it was.
func (s *Store) PutPartner(ctx context.Context, actorID int64, p ruche.Partner) (ruche.Partner, error) {
	var out ruche.Partner
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// xmax is 0 on a row this statement inserted, and set on one it updated.
		var inserted bool
		err := tx.QueryRow(ctx, `INSERT INTO partners (domain, state, note) VALUES ($1, $2, $3)
			ON CONFLICT (domain) DO UPDATE SET state = excluded.state, note = excluded.note, updated_at = now()
			RETURNING domain, state, note, created_at, updated_at, xmax = 0`, p.Domain, p.State, p.Note).
			Scan(&out.Domain, &out.State, &out.Note, &out.CreatedAt, &out.UpdatedAt, &inserted)
		if err != nil {
			return err
		}
		action := "partner.update"
		if inserted {
			action = "partner.add"
		}
		return audit(ctx, tx, actorID, action, 0, map[string]any{"domain": out.Domain, "state": out.State})
	})
	return out, interpret(err)
}

// RemovePartner deletes a partner, with an audit entry; ruche.ErrNotFound if none.
func (s *Store) RemovePartner(ctx context.Context, actorID int64, domain string) error {
	return interpret(s.tx(ctx, func(tx pgx.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, `DELETE FROM partners WHERE domain = $1 RETURNING state`, domain).Scan(&state); err != nil {
			return err
		}
		// Its shares go (foreign key), its people leave our groups, and the groups it
		// hosted go with everything in them.
		if _, err := tx.Exec(ctx, `DELETE FROM group_members m USING accounts a
			WHERE a.id = m.account_id AND a.domain = $1`, domain); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM accounts WHERE domain = $1 AND kind = 'group'`, domain); err != nil {
			return err
		}
		return audit(ctx, tx, actorID, "partner.remove", 0, map[string]any{"domain": domain, "state": state})
	}))
}

const actorKeyColumns = `actor, public_pem, private_sealed, created_at`

func scanActorKey(row pgx.CollectableRow) (ruche.ActorKey, error) {
	var k ruche.ActorKey
	err := row.Scan(&k.Actor, &k.PublicPEM, &k.PrivateSealed, &k.CreatedAt)
	return k, err
}

// ActorKey returns a local actor's key; ruche.ErrNotFound when it has none yet.
func (s *Store) ActorKey(ctx context.Context, actor ruche.LocalActor) (ruche.ActorKey, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+actorKeyColumns+` FROM actor_keys WHERE actor = $1`, actor)
	k, err := pgx.CollectExactlyOneRow(rows, scanActorKey)
	return k, interpret(err)
}

// AddActorKey stores k unless the actor has a key, and returns the actor's key. The
// insert waits for a concurrent one and then does nothing; the select, a new
// statement, sees whichever committed first, so two nodes agree on one key.
func (s *Store) AddActorKey(ctx context.Context, k ruche.ActorKey) (ruche.ActorKey, error) {
	var out ruche.ActorKey
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO actor_keys (actor, public_pem, private_sealed) VALUES ($1, $2, $3)
			ON CONFLICT (actor) DO NOTHING`, k.Actor, k.PublicPEM, k.PrivateSealed); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT `+actorKeyColumns+` FROM actor_keys WHERE actor = $1`, k.Actor)
		var err error
		out, err = pgx.CollectExactlyOneRow(rows, scanActorKey)
		return err
	})
	return out, interpret(err)
}

// ReplaceActorKey stores k in place of the actor's key, or as its first, and queues
// out (the Update announcing the new key) in the same transaction: partners hear of
// every key Ruche signs with, or the key does not change.
func (s *Store) ReplaceActorKey(ctx context.Context, k ruche.ActorKey, out []ruche.Outbound) error {
	if err := s.checkOutbound(out); err != nil {
		return err
	}
	return interpret(s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO actor_keys (actor, public_pem, private_sealed) VALUES ($1, $2, $3)
			ON CONFLICT (actor) DO UPDATE SET public_pem = excluded.public_pem,
				private_sealed = excluded.private_sealed, created_at = now()`,
			k.Actor, k.PublicPEM, k.PrivateSealed); err != nil {
			return err
		}
		_, err := s.queueActivities(ctx, tx, out)
		return err
	}))
}

// ActorKeys lists every local key, by actor.
func (s *Store) ActorKeys(ctx context.Context) ([]ruche.ActorKey, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+actorKeyColumns+` FROM actor_keys ORDER BY actor`)
	ks, err := pgx.CollectRows(rows, scanActorKey)
	return ks, interpret(err)
}

// ResealActorKey replaces actor's sealed private key with sealed if it is still old;
// a key rotated meanwhile is left alone (it was sealed under the current secret).
func (s *Store) ResealActorKey(ctx context.Context, actor ruche.LocalActor, old, sealed []byte) error {
	_, err := s.pool.Exec(ctx, `UPDATE actor_keys SET private_sealed = $3 WHERE actor = $1 AND private_sealed = $2`,
		actor, old, sealed)
	return interpret(err)
}

const remoteActorColumns = `iri, host, key_id, public_pem, inbox, shared_inbox, document, fetched_at`

func scanRemoteActor(row pgx.CollectableRow) (ruche.RemoteActor, error) {
	var a ruche.RemoteActor
	err := row.Scan(&a.IRI, &a.Host, &a.KeyID, &a.PublicPEM, &a.Inbox, &a.SharedInbox, &a.Document, &a.FetchedAt)
	return a, err
}

// RemoteActor returns a cached remote actor by IRI; ruche.ErrNotFound if not cached.
func (s *Store) RemoteActor(ctx context.Context, iri string) (ruche.RemoteActor, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE iri = $1`, iri)
	a, err := pgx.CollectExactlyOneRow(rows, scanRemoteActor)
	return a, interpret(err)
}

// RemoteActorByKeyID returns the cached remote actor whose key is keyID. Should two
// cached actors claim one key (one moved it), the latest fetched is the one that holds
// it now.
func (s *Store) RemoteActorByKeyID(ctx context.Context, keyID string) (ruche.RemoteActor, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE key_id = $1
		ORDER BY fetched_at DESC LIMIT 1`, keyID)
	a, err := pgx.CollectExactlyOneRow(rows, scanRemoteActor)
	return a, interpret(err)
}

// PutRemoteActor inserts or replaces a remote actor; a zero FetchedAt is now.
func (s *Store) PutRemoteActor(ctx context.Context, a ruche.RemoteActor) error {
	var fetched *time.Time
	if !a.FetchedAt.IsZero() {
		fetched = &a.FetchedAt
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO remote_actors (`+remoteActorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, now()))
		ON CONFLICT (iri) DO UPDATE SET host = excluded.host, key_id = excluded.key_id, public_pem = excluded.public_pem,
			inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, document = excluded.document,
			fetched_at = excluded.fetched_at`,
		a.IRI, a.Host, a.KeyID, a.PublicPEM, a.Inbox, a.SharedInbox, a.Document, fetched)
	return interpret(err)
}

// ForgetRemoteActor deletes a cached remote actor; forgetting one not cached is no error.
func (s *Store) ForgetRemoteActor(ctx context.Context, iri string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM remote_actors WHERE iri = $1`, iri)
	return interpret(err)
}

// checkOutbound refuses, before anything is written, activities the gate did not
// clear, and activities with no queue to deliver them.
func (s *Store) checkOutbound(out []ruche.Outbound) error {
	for _, o := range out {
		if !o.Cleared() {
			return fmt.Errorf("%w: the federation gate did not clear this activity", ruche.ErrNotFederated)
		}
	}
	if len(out) > 0 && s.queue == nil {
		return errNoQueue
	}
	return nil
}

// QueueActivities stores each cleared activity and, in the same transaction, one
// delivery job per destination. It refuses the lot if one was not cleared by the gate.
func (s *Store) QueueActivities(ctx context.Context, out []ruche.Outbound) ([]ruche.OutgoingActivity, error) {
	if err := s.checkOutbound(out); err != nil {
		return nil, err
	}
	var stored []ruche.OutgoingActivity
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		stored, err = s.queueActivities(ctx, tx, out)
		return err
	})
	return stored, interpret(err)
}

// queueActivities writes out (checked by checkOutbound) and its delivery jobs in tx.
func (s *Store) queueActivities(ctx context.Context, tx pgx.Tx, out []ruche.Outbound) ([]ruche.OutgoingActivity, error) {
	if len(out) == 0 {
		return nil, nil
	}
	stored := make([]ruche.OutgoingActivity, len(out))
	var ds []ruche.Delivery
	for i, o := range out {
		a := ruche.OutgoingActivity{IRI: o.IRI(), Actor: o.Actor(), Body: o.Body()}
		if err := tx.QueryRow(ctx, `INSERT INTO outgoing_activities (iri, actor, body) VALUES ($1, $2, $3)
			RETURNING id, created_at`, a.IRI, a.Actor, a.Body).Scan(&a.ID, &a.CreatedAt); err != nil {
			return nil, err
		}
		stored[i] = a
		for _, d := range o.Destinations() {
			ds = append(ds, ruche.Delivery{ActivityID: a.ID, Host: d.Host, Inbox: d.Inbox})
		}
	}
	if err := s.queue.InsertDeliveries(ctx, tx, ds); err != nil {
		return nil, fmt.Errorf("queueing deliveries: %w", err)
	}
	return stored, nil
}

const outgoingColumns = `id, iri, actor, body, created_at`

func scanOutgoing(row pgx.CollectableRow) (ruche.OutgoingActivity, error) {
	var a ruche.OutgoingActivity
	err := row.Scan(&a.ID, &a.IRI, &a.Actor, &a.Body, &a.CreatedAt)
	return a, err
}

// OutgoingActivity returns a sent activity by id; ruche.ErrNotFound if none.
func (s *Store) OutgoingActivity(ctx context.Context, id int64) (ruche.OutgoingActivity, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+outgoingColumns+` FROM outgoing_activities WHERE id = $1`, id)
	a, err := pgx.CollectExactlyOneRow(rows, scanOutgoing)
	return a, interpret(err)
}

// OutgoingActivities pages actor's activities, newest first, with ids below before
// (0: from the newest).
func (s *Store) OutgoingActivities(ctx context.Context, actor ruche.LocalActor, before int64, limit int) ([]ruche.OutgoingActivity, error) {
	// One condition, not "$2 = 0 OR id < $2": the generic plan then walks the index
	// from the right place.
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+outgoingColumns+` FROM outgoing_activities
		WHERE actor = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, actor, before, limit)
	as, err := pgx.CollectRows(rows, scanOutgoing)
	return as, interpret(err)
}

// CountOutgoingActivities counts actor's activities.
func (s *Store) CountOutgoingActivities(ctx context.Context, actor ruche.LocalActor) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outgoing_activities WHERE actor = $1`, actor).Scan(&n)
	return n, interpret(err)
}

// ReceiveActivities stores each activity whose IRI is new, and one processing job for
// each in the same transaction, and reports which were new, in the order of in. Within
// in, the first of several with one IRI is the new one.
//
// Every inbox POST comes through here, so the batch is one statement whatever its
// size, with one text (arrays, not a VALUES list per size) that stays prepared.
func (s *Store) ReceiveActivities(ctx context.Context, in []ruche.IncomingActivity) ([]bool, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if s.queue == nil {
		return nil, errNoQueue
	}
	iris := make([]string, len(in))
	actors := make([]string, len(in))
	hosts := make([]string, len(in))
	types := make([]string, len(in))
	bodies := make([][]byte, len(in))
	for i, a := range in {
		iris[i], actors[i], hosts[i], types[i], bodies[i] = a.IRI, a.Actor, a.Host, a.Type, a.Body
	}
	isNew := make([]bool, len(in))
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// DISTINCT ON keeps one row per IRI, the first, so duplicates in one batch
		// neither conflict with each other nor depend on the order rows are tried in.
		rows, _ := tx.Query(ctx, `INSERT INTO incoming_activities (iri, actor, host, type, body)
			SELECT DISTINCT ON (iri) iri, actor, host, type, body
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) WITH ORDINALITY AS t(iri, actor, host, type, body, n)
			ORDER BY iri, n
			ON CONFLICT (iri) DO NOTHING
			RETURNING iri, id`, iris, actors, hosts, types, bodies)
		ids := map[string]int64{}
		var iri string
		var id int64
		if _, err := pgx.ForEachRow(rows, []any{&iri, &id}, func() error {
			ids[iri] = id
			return nil
		}); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		newIDs := make([]int64, 0, len(ids))
		for i, a := range in {
			if id, ok := ids[a.IRI]; ok {
				isNew[i] = true
				newIDs = append(newIDs, id)
				delete(ids, a.IRI) // a later duplicate is not new
			}
		}
		if err := s.queue.InsertProcessing(ctx, tx, newIDs); err != nil {
			return fmt.Errorf("queueing processing: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, interpret(err)
	}
	return isNew, nil
}

// IncomingActivity returns a received activity by its row id; ruche.ErrNotFound if none.
func (s *Store) IncomingActivity(ctx context.Context, id int64) (ruche.IncomingActivity, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, iri, actor, host, type, body, received_at, processed_at
		FROM incoming_activities WHERE id = $1`, id)
	a, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (ruche.IncomingActivity, error) {
		var a ruche.IncomingActivity
		err := row.Scan(&a.ID, &a.IRI, &a.Actor, &a.Host, &a.Type, &a.Body, &a.ReceivedAt, &a.ProcessedAt)
		return a, err
	})
	return a, interpret(err)
}

// MarkProcessed records that the activity's effect is applied; marking it again keeps
// the first time.
func (s *Store) MarkProcessed(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE incoming_activities SET processed_at = now() WHERE id = $1 AND processed_at IS NULL`, id)
	return interpret(err)
}

// FailedDeliveries lists the latest deliveries that failed, newest failure first:
// those the queue gave up on or that were cancelled, and those waiting to be retried.
// It reads River's own table, as the queue is the record of deliveries; the activity
// may be gone (its IRI is then "").
func (s *Store) FailedDeliveries(ctx context.Context, limit int) ([]ruche.FailedDelivery, error) {
	rows, _ := s.pool.Query(ctx, `SELECT j.id, coalesce(o.iri, ''), coalesce(j.args->>'host', ''), coalesce(j.args->>'inbox', ''),
			j.state::text, j.attempt, coalesce(j.errors[array_upper(j.errors, 1)]->>'error', ''),
			CASE WHEN j.state = 'retryable' THEN j.scheduled_at ELSE j.finalized_at END
		FROM river_job j
		LEFT JOIN outgoing_activities o ON o.id = (j.args->>'activity_id')::bigint
		WHERE j.kind = 'federation_deliver' AND j.state IN ('discarded', 'cancelled', 'retryable')
		ORDER BY coalesce(j.finalized_at, j.attempted_at, j.created_at) DESC, j.id DESC
		LIMIT $1`, limit)
	fs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ruche.FailedDelivery, error) {
		var f ruche.FailedDelivery
		err := row.Scan(&f.JobID, &f.ActivityIRI, &f.Host, &f.Inbox, &f.State, &f.Attempts, &f.LastError, &f.At)
		return f, err
	})
	return fs, interpret(err)
}

// CountGroupMembersFrom counts groupID's members whose accounts live on domain.
func (s *Store) CountGroupMembersFrom(ctx context.Context, groupID int64, domain string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1 AND m.state = 'member' AND lower(a.domain) = lower($2)`, groupID, domain).Scan(&n)
	return n, err
}

// InGroupSharedWith reports whether the local account accountID, not suspended, takes
// part in a group that involves domain, an active partner: a member of a local group
// (not secret) shared with domain in which domain has members too, or a member of (or
// asking to join) a group hosted by domain.
func (s *Store) InGroupSharedWith(ctx context.Context, accountID int64, domain string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users u WHERE u.account_id = $1 AND u.suspended_at IS NULL)
		AND EXISTS (SELECT 1 FROM partners p WHERE p.domain = lower($2) AND p.state = 'active')
		AND (EXISTS (SELECT 1 FROM group_members m
				JOIN group_shares sh ON sh.group_id = m.group_id AND sh.domain = lower($2)
				JOIN groups g ON g.account_id = m.group_id AND g.kind <> 'secret'
			WHERE m.account_id = $1 AND m.state = 'member'
				AND EXISTS (SELECT 1 FROM group_members o JOIN accounts oa ON oa.id = o.account_id
					WHERE o.group_id = m.group_id AND o.state = 'member' AND oa.domain = lower($2)))
		OR EXISTS (SELECT 1 FROM group_members m JOIN accounts ga ON ga.id = m.group_id
			WHERE m.account_id = $1 AND m.state IN ('member', 'requested') AND ga.domain = lower($2)))`, accountID, domain).Scan(&ok)
	return ok, err
}

// GroupMemberIRIs lists groupID's members: local ones by account id, remote ones by
// actor id, each in the order they joined.
func (s *Store) GroupMemberIRIs(ctx context.Context, groupID int64) (local []int64, remote []string, err error) {
	// Suspended members are not named: inside the instance nobody may know them either.
	rows, _ := s.pool.Query(ctx, `SELECT a.id, a.ap_id FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1 AND m.state = 'member'
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.account_id = a.id AND u.suspended_at IS NOT NULL)
		ORDER BY m.created_at, a.id`, groupID)
	var id int64
	var apID *string
	_, err = pgx.ForEachRow(rows, []any{&id, &apID}, func() error {
		if apID == nil {
			local = append(local, id)
		} else {
			remote = append(remote, *apID)
		}
		return nil
	})
	return local, remote, err
}

// UpsertRemoteAccount stores the account of a partner's actor (by actor id), refreshing
// its name, and returns its id.
// A name taken on that domain by another actor (a rename there, or a name another
// partner's group made up) gets a suffix rather than failing. With rename false, an
// existing account keeps its name (only the author's own instance is believed about it).
func (s *Store) UpsertRemoteAccount(ctx context.Context, a ruche.RemoteActor, username, displayName string, rename bool) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM accounts WHERE ap_id = $1 AND kind = 'person'`, a.IRI).Scan(&id)
	switch {
	case err == nil:
		if rename {
			_, err = s.pool.Exec(ctx, `UPDATE accounts SET display_name = $2 WHERE id = $1`, id, displayName)
		}
		return id, err
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, err
	}
	for i := range 3 {
		name := username
		if i > 0 {
			name = fmt.Sprintf("%s_%d", username, next())
		}
		err = s.pool.QueryRow(ctx, `INSERT INTO accounts (username, domain, ap_id, display_name) VALUES ($1, $2, $3, $4)
			ON CONFLICT (ap_id) WHERE ap_id IS NOT NULL DO UPDATE SET ap_id = excluded.ap_id
			RETURNING id`, name, a.Host, a.IRI, displayName).Scan(&id)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.ConstraintName != "accounts_username_domain" {
			return id, interpret(err)
		}
	}
	return 0, interpret(err)
}

// next is a small random number for name suffixes.
func next() int { return int(time.Now().UnixNano()/1000) % 100000 }

const remoteMemberSelect = `SELECT m.group_id, a.id, a.ap_id, a.domain, coalesce(m.follow_id, ''), m.state
	FROM group_members m JOIN accounts a ON a.id = m.account_id AND a.ap_id IS NOT NULL `

func (s *Store) oneRemoteMember(ctx context.Context, q string, args ...any) (ruche.RemoteMember, error) {
	var r ruche.RemoteMember
	err := s.pool.QueryRow(ctx, remoteMemberSelect+q, args...).Scan(&r.GroupID, &r.AccountID, &r.APID, &r.Domain, &r.FollowID, &r.State)
	return r, interpret(err)
}

// RemoteMember returns a remote account's standing in a group.
func (s *Store) RemoteMember(ctx context.Context, groupID, accountID int64) (ruche.RemoteMember, error) {
	return s.oneRemoteMember(ctx, `WHERE m.group_id = $1 AND m.account_id = $2`, groupID, accountID)
}

// RemoteMemberByActor returns a remote account's standing in a group by its actor id.
func (s *Store) RemoteMemberByActor(ctx context.Context, groupID int64, apID string) (ruche.RemoteMember, error) {
	return s.oneRemoteMember(ctx, `WHERE m.group_id = $1 AND a.ap_id = $2`, groupID, apID)
}

// SetFollowID records the Follow a membership started with. With no standing yet, it
// makes a request carrying it, so that a moderator never sees a request whose Follow is
// not known yet (the group's answer must name it).
func (s *Store) SetFollowID(ctx context.Context, groupID, accountID int64, followID string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO group_members (group_id, account_id, state, follow_id) VALUES ($1, $2, 'requested', $3)
		ON CONFLICT (group_id, account_id) DO UPDATE SET follow_id = excluded.follow_id`, groupID, accountID, followID)
	return interpret(err)
}

// UpsertRemoteGroup stores (or refreshes) a partner's group, as a group account of that
// domain, and returns its id.
func (s *Store) UpsertRemoteGroup(ctx context.Context, a ruche.RemoteActor, handle, name, description string, kind ruche.GroupKind) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO accounts (username, domain, ap_id, display_name, kind) VALUES ($1, $2, $3, $4, 'group')
			ON CONFLICT (ap_id) WHERE ap_id IS NOT NULL DO UPDATE SET display_name = excluded.display_name
			RETURNING id`, handle, a.Host, a.IRI, name).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO groups (account_id, description, kind) VALUES ($1, $2, $3)
			ON CONFLICT (account_id) DO UPDATE SET description = excluded.description, kind = excluded.kind`, id, description, kind)
		return err
	})
	return id, interpret(err)
}

// RemoteGroup returns the actor id and instance of a partner's group; ErrNotFound for a
// local group.
func (s *Store) RemoteGroup(ctx context.Context, groupID int64) (apID, domain string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT a.ap_id, a.domain FROM groups g JOIN accounts a ON a.id = g.account_id
		WHERE g.account_id = $1 AND a.ap_id IS NOT NULL`, groupID).Scan(&apID, &domain)
	return apID, domain, interpret(err)
}

// GroupByActor returns the id of the partner's group with that actor id.
func (s *Store) GroupByActor(ctx context.Context, apID string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT g.account_id FROM groups g JOIN accounts a ON a.id = g.account_id WHERE a.ap_id = $1`, apID).Scan(&id)
	return id, interpret(err)
}

// LocalMembership returns a local account's standing in a group and the Follow it sent
// to join it ("" if none).
func (s *Store) LocalMembership(ctx context.Context, groupID, accountID int64) (ruche.MembershipState, string, error) {
	var st ruche.MembershipState
	var follow string
	err := s.pool.QueryRow(ctx, `SELECT m.state, coalesce(m.follow_id, '') FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1 AND m.account_id = $2 AND a.domain IS NULL`, groupID, accountID).Scan(&st, &follow)
	return st, follow, interpret(err)
}

// DeleteRemoteGroup deletes a partner's group and everything of it here: its posts and
// memberships go with it, and the activities it relayed.
func (s *Store) DeleteRemoteGroup(ctx context.Context, groupID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var apID string
		if err := tx.QueryRow(ctx, `DELETE FROM accounts WHERE id = $1 AND domain IS NOT NULL AND kind = 'group' RETURNING ap_id`, groupID).Scan(&apID); err != nil {
			return interpret(err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM incoming_activities WHERE actor = $1`, apID)
		return err
	})
}

// outboxLock is the advisory lock key that lets one drain of the federation outbox
// run at a time, across nodes.
const outboxLock = 0x7275636865_02 // "ruche", 2

// LockFederationOutbox takes the outbox drain's lock if it is free: ok is false when
// another drain holds it. release gives it back.
func (s *Store) LockFederationOutbox(ctx context.Context) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, outboxLock).Scan(&ok); err != nil || !ok {
		conn.Release()
		return nil, false, err
	}
	return func() {
		// A lock that cannot be released here goes with the session: the connection is
		// closed rather than returned to the pool still holding it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, outboxLock); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) //nolint:errcheck // closing is the fallback
		}
		conn.Release()
	}, true, nil
}

// FederationOutbox returns the oldest changes to group posts partners must hear of.
func (s *Store) FederationOutbox(ctx context.Context, limit int) ([]ruche.OutboxItem, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, post_id, group_id, author_id, kind, coalesce(ap_id, '')
		FROM federation_outbox ORDER BY id LIMIT $1`, limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ruche.OutboxItem, error) {
		var o ruche.OutboxItem
		err := row.Scan(&o.ID, &o.PostID, &o.GroupID, &o.AuthorID, &o.Kind, &o.APID)
		return o, err
	})
}

// DoneFederationOutbox deletes an outbox row whose activities are queued.
func (s *Store) DoneFederationOutbox(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM federation_outbox WHERE id = $1`, id)
	return err
}

// FederatedPost returns a group post with what its Note needs.
func (s *Store) FederatedPost(ctx context.Context, postID int64) (ruche.FedPost, error) {
	var p ruche.FedPost
	err := s.pool.QueryRow(ctx, `SELECT p.id, coalesce(p.ap_id, ''), a.id, a.username, a.display_name, coalesce(a.domain, ''),
			coalesce(a.ap_id, ''), p.group_id, coalesce(g.ap_id, ''), coalesce(g.domain, ''), p.html, p.spoiler_text,
			coalesce(p.in_reply_to_id, 0), coalesce(r.ap_id, ''), p.created_at, p.edited_at,
			CASE WHEN ra.domain IS NULL THEN coalesce(r.account_id, 0) ELSE 0 END
		FROM posts p JOIN accounts a ON a.id = p.account_id JOIN accounts g ON g.id = p.group_id
		LEFT JOIN posts r ON r.id = p.in_reply_to_id LEFT JOIN accounts ra ON ra.id = r.account_id
		WHERE p.id = $1 AND p.group_id IS NOT NULL AND p.reblog_of_id IS NULL`, postID).Scan(
		&p.ID, &p.APID, &p.Author.ID, &p.Author.Username, &p.Author.DisplayName, &p.Author.Domain, &p.AuthorAPID,
		&p.GroupID, &p.GroupAPID, &p.GroupDomain, &p.HTML, &p.SpoilerText, &p.ParentID, &p.ParentAPID, &p.CreatedAt, &p.EditedAt,
		&p.ParentLocalAuthor)
	if err != nil {
		return p, interpret(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.username, coalesce(a.domain, ''), coalesce(a.ap_id, '')
		FROM mentions m JOIN accounts a ON a.id = m.account_id
		WHERE m.post_id = $1 AND (a.domain IS NOT NULL OR EXISTS (SELECT 1 FROM group_members gm
			WHERE gm.group_id = $2 AND gm.account_id = a.id AND gm.state = 'member'))
		ORDER BY a.id`, postID, p.GroupID)
	if err != nil {
		return p, err
	}
	p.Mentions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ruche.FedMention, error) {
		var m ruche.FedMention
		return m, r.Scan(&m.AccountID, &m.Username, &m.Domain, &m.APID)
	})
	if err != nil {
		return p, err
	}
	rows, _ = s.pool.Query(ctx, `SELECT `+mediaColumns+` FROM media WHERE post_id = $1 ORDER BY position`, postID)
	recs, err := pgx.CollectRows(rows, scanMedia)
	for _, r := range recs {
		p.Media = append(p.Media, r.Attachment)
	}
	return p, err
}

// PostByAPID returns the id, author and group of the post with that ActivityPub id in
// groupID (0: in any group, the oldest copy).
func (s *Store) PostByAPID(ctx context.Context, apID string, groupID int64) (postID, authorID, group int64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT id, account_id, coalesce(group_id, 0) FROM posts
		WHERE ap_id = $1 AND ($2::bigint = 0 OR group_id = $2) ORDER BY id LIMIT 1`, apID, groupID).Scan(&postID, &authorID, &group)
	return postID, authorID, group, interpret(err)
}

// PostsByAPID returns every copy of the post with that ActivityPub id, one per group
// that brought it, oldest first.
func (s *Store) PostsByAPID(ctx context.Context, apID string) ([]ruche.APPost, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, account_id, coalesce(group_id, 0) FROM posts WHERE ap_id = $1 ORDER BY id`, apID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ruche.APPost, error) {
		var p ruche.APPost
		return p, r.Scan(&p.ID, &p.AuthorID, &p.GroupID)
	})
}

// Tombstone records that the partner's post apID was deleted here, in groupID (0: by
// its author's instance, in every group).
func (s *Store) Tombstone(ctx context.Context, apID string, groupID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockAPID(ctx, tx, apID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO ap_tombstones (ap_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, apID, groupID)
		return err
	})
}

// lockAPID serializes, for one partner's post id, its tombstone and the storing of a
// copy: a Delete handled while its Create was fetching files must not be overtaken.
func lockAPID(ctx context.Context, tx pgx.Tx, apID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ap_id:' || $1))`, apID)
	return err
}

// Tombstoned reports whether the partner's post apID was deleted here, in groupID or
// everywhere.
func (s *Store) Tombstoned(ctx context.Context, apID string, groupID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ap_tombstones WHERE ap_id = $1 AND group_id IN (0, $2::bigint))`, apID, groupID).Scan(&ok)
	return ok, err
}

// ShareCreatedAt returns when groupID was shared with domain.
func (s *Store) ShareCreatedAt(ctx context.Context, groupID int64, domain string) (time.Time, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT created_at FROM group_shares WHERE group_id = $1 AND domain = $2`, groupID, domain).Scan(&at)
	return at, interpret(err)
}

// HasLocalMembers reports whether anyone of this instance is a member of groupID.
func (s *Store) HasLocalMembers(ctx context.Context, groupID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1 AND m.state = 'member' AND a.domain IS NULL)`, groupID).Scan(&ok)
	return ok, err
}

// AccountByAPID returns the id of the account with that actor id.
func (s *Store) AccountByAPID(ctx context.Context, apID string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM accounts WHERE ap_id = $1`, apID).Scan(&id)
	return id, interpret(err)
}

// FederationOutboxItem returns one outbox row.
func (s *Store) FederationOutboxItem(ctx context.Context, id int64) (ruche.OutboxItem, error) {
	var o ruche.OutboxItem
	err := s.pool.QueryRow(ctx, `SELECT id, post_id, group_id, author_id, kind, coalesce(ap_id, '') FROM federation_outbox WHERE id = $1`, id).
		Scan(&o.ID, &o.PostID, &o.GroupID, &o.AuthorID, &o.Kind, &o.APID)
	return o, interpret(err)
}

// GroupMemberDomains lists the partner instances with members in a group, sorted.
func (s *Store) GroupMemberDomains(ctx context.Context, groupID int64) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT DISTINCT a.domain FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1 AND m.state = 'member' AND a.domain IS NOT NULL ORDER BY a.domain`, groupID)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// AccountAPID returns the actor id of a remote account ("" for a local one).
func (s *Store) AccountAPID(ctx context.Context, accountID int64) (string, error) {
	var apID string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(ap_id, '') FROM accounts WHERE id = $1`, accountID).Scan(&apID)
	return apID, interpret(err)
}

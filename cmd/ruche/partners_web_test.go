package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// TestPartnersPage walks the admin's partners page: a bad domain is refused with what
// to type, a partner is added, suspended, reactivated and removed; a member gets the
// refusal /admin gives; failed deliveries are listed.
func TestPartnersPage(t *testing.T) {
	m, base := boot(t)
	ana := signedIn(t, m, base, "ana", "admin")
	bob := signedIn(t, m, base, "bob", "member")
	const row = "<strong>hive.acme.test</strong>" // the partner's row, not the form's example

	want(t, ana.get("/admin"), 200, `href="/admin/partners"`)
	want(t, ana.get("/admin/partners"), 200, "No partner yet")

	// A URL instead of a domain: the error says what to type, keeps what was typed,
	// and nothing is added.
	p := ana.submit("/admin/partners", "/admin/partners", url.Values{"domain": {"https://x/y"}, "note": {"Acme's hive"}})
	want(t, p, 422, "“https://x/y” is not a partner's domain. Type its host name, such as partner.example.com")
	want(t, p, 422, `value="Acme's hive"`)
	want(t, ana.get("/admin/partners"), 200, "No partner yet")

	wantRedirect(t, ana.submit("/admin/partners", "/admin/partners", url.Values{"domain": {"Hive.Acme.test"}, "note": {"Acme's hive"}}),
		"/admin/partners?done=partner_added")
	p = ana.get("/admin/partners?done=partner_added")
	want(t, p, 200, "The partner was saved.")
	want(t, p, 200, row)
	want(t, p, 200, "Acme's hive")

	wantRedirect(t, ana.submit("/admin/partners", "/admin/partners/hive.acme.test/state", url.Values{"state": {"suspended"}}),
		"/admin/partners?done=partner_suspended")
	want(t, ana.get("/admin/partners"), 200, "Reactivate")
	want(t, ana.submit("/admin/partners", "/admin/partners/hive.acme.test/state", url.Values{"state": {"gone"}}), 422, "either active or suspended")
	wantRedirect(t, ana.submit("/admin/partners", "/admin/partners/hive.acme.test/state", url.Values{"state": {"active"}}),
		"/admin/partners?done=partner_activated")
	want(t, ana.get("/admin/partners"), 200, "Suspend")

	// A member gets the answer /admin gives, on every partners address, and changes
	// nothing.
	refusal := bob.get("/admin")
	want(t, refusal, 403, "not allowed")
	want(t, bob.get("/admin/partners"), refusal.status, "not allowed")
	for _, action := range []string{"/admin/partners", "/admin/partners/hive.acme.test/state", "/admin/partners/hive.acme.test/remove"} {
		want(t, bob.submit("/", action, url.Values{"domain": {"evil.example"}, "state": {"suspended"}}), refusal.status, "not allowed")
	}
	p = ana.get("/admin/partners")
	if !strings.Contains(p.body, row) || strings.Contains(p.body, "evil.example") || !strings.Contains(p.body, "Suspend") {
		t.Fatalf("a member changed the partners:\n%s", p.body)
	}

	// Deliveries the queue gave up on or will retry, one of whose activity is gone.
	ctx := context.Background()
	if _, err := m.db.store.Pool().Exec(ctx, `
		WITH a AS (INSERT INTO outgoing_activities (iri, actor, body) VALUES ($1, 'instance', '{}') RETURNING id)
		INSERT INTO river_job (kind, queue, args, state, attempt, max_attempts, errors, attempted_at, finalized_at, scheduled_at)
		SELECT 'federation_deliver', 'federation', jsonb_build_object('activity_id', a.id, 'host', 'hive.acme.test'),
			'discarded'::river_job_state, 8, 8, ARRAY['{"at": "2024-01-01T00:00:00Z", "attempt": 8, "error": "connection refused"}'::jsonb], now(), now(), now()
		FROM a
		UNION ALL
		SELECT 'federation_deliver', 'federation', '{"activity_id": 1, "host": "hive.acme.test"}',
			'retryable'::river_job_state, 2, 8, ARRAY['{"at": "2024-01-01T00:00:00Z", "attempt": 2, "error": "status 503"}'::jsonb], now(), NULL, now() + interval '1 hour'`,
		"http://localhost/actor/activities/abc"); err != nil {
		t.Fatal(err)
	}
	p = ana.get("/admin/partners")
	for _, s := range []string{"http://localhost/actor/activities/abc", "connection refused", "Given up", "status 503", "Will be retried", "no longer stored"} {
		want(t, p, 200, s)
	}

	wantRedirect(t, ana.submit("/admin/partners", "/admin/partners/hive.acme.test/remove", url.Values{}), "/admin/partners?done=partner_removed")
	p = ana.get("/admin/partners?done=partner_removed")
	want(t, p, 200, "The partner was removed.")
	if strings.Contains(p.body, row) {
		t.Fatalf("the partner is still listed:\n%s", p.body)
	}
	want(t, ana.submit("/admin/partners", "/admin/partners/hive.acme.test/remove", url.Values{}), 404, "")

	// The audit log says what happened to partners.
	audit := ana.get("/admin")
	for _, s := range []string{"partner instance added", "partner instance changed", "partner instance removed"} {
		want(t, audit, 200, s)
	}

	// In French too.
	ana.lang = "fr"
	want(t, ana.submit("/admin/partners", "/admin/partners", url.Values{"domain": {"hive.acme.test/path"}}), 422, "n'est pas le domaine d'un partenaire")
}

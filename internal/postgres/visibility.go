package postgres

import "fmt"

// gate is the visibility rule (ruche.CanSee) in SQL, for the post row aliased p and
// the viewer whose account id and role are the query parameters $viewer and $role. A
// boost row carries its original's visibility, and its mentions are its original's,
// hence coalesce(p.reblog_of_id, p.id). A group post is for the group's members (and
// company admins) only: not even its author sees it once out of the group.
//
// A generated test (visibility_test.go) checks this against ruche.CanSee for every
// visibility and relation; change both together or not at all.
func gate(p string, viewer, role int) string {
	return fmt.Sprintf(`((%[1]s.account_id = $%[2]d AND %[1]s.visibility <> 'group')
	OR (%[1]s.visibility IN ('company', 'quiet') AND $%[3]d::text <> 'guest')
	OR (%[1]s.visibility IN ('followers', 'direct') AND EXISTS (SELECT 1 FROM mentions gm
		WHERE gm.post_id = coalesce(%[1]s.reblog_of_id, %[1]s.id) AND gm.account_id = $%[2]d))
	OR (%[1]s.visibility = 'followers' AND $%[3]d::text <> 'guest' AND EXISTS (SELECT 1 FROM follows gf
		WHERE gf.follower_id = $%[2]d AND gf.followee_id = %[1]s.account_id))
	OR (%[1]s.visibility = 'group' AND ($%[3]d::text = 'admin' OR EXISTS (SELECT 1 FROM group_members gg
		WHERE gg.group_id = %[1]s.group_id AND gg.account_id = $%[2]d AND gg.state = 'member'))))`, p, viewer, role)
}

// horizonSQL finds the smallest id that a transaction still open in this database
// might give a row that clients page by id (posts, likes, bookmarks, notifications).
// Streams only show rows below it, so a client polling for newer ones never skips one
// that commits after a newer one was already shown: ids come from the clock at insert
// (next_id), and no insert can get an id below the start of its transaction.
//
// Only transactions that write such rows count: they name themselves (postWriter)
// before inserting, so the job queue's many short transactions never hold a stream back.
// The query runs as its own autocommit statement before the stream's (inside a
// transaction, pg_stat_activity is a snapshot and would miss new writers): any writer
// open then is
// counted, and any that ended before it is in the query's snapshot; a writer that names
// itself after this look gets an id above the horizon. Transactions older than ten
// seconds are ignored so that one stuck session cannot freeze every stream; writers
// set a statement timeout far below that.
const horizonSQL = horizonSelect + horizonFrom

// heldHorizonSQL is horizonSQL and whether a writer held it back (the read model keeps
// no stream read while one did: see Store.loadHotViewer).
const heldHorizonSQL = horizonSelect + `, count(*) > 0` + horizonFrom

const horizonSelect = `SELECT (floor(extract(epoch FROM least(clock_timestamp(), min(xact_start))) * 1000)::bigint) << 16`

const horizonFrom = `
	FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
	AND application_name = '` + postWriter + `'
	AND xact_start IS NOT NULL AND xact_start > now() - interval '10 seconds'`

package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// authorColumns selects the author card of the account aliased a, in the order
// authorDest scans it. Reads that show a person beside what they did go through the two,
// so that the account of someone on a partner instance always comes with its domain and
// is never shown (or addressed) as the local member of the same name.
func authorColumns(a string) string {
	return fmt.Sprintf(`%[1]s.id, %[1]s.username, coalesce(%[1]s.domain, ''), %[1]s.display_name,
	%[1]s.presence_emoji, %[1]s.presence_text, %[1]s.presence_expires_at, %[1]s.created_at, coalesce(%[1]s.avatar_media_id, 0)`, a)
}

// authorDest is where a row's authorColumns go.
func authorDest(a *ruche.Author) []any {
	return []any{&a.ID, &a.Username, &a.Domain, &a.DisplayName, &a.Presence.Emoji, &a.Presence.Text, &a.Presence.ExpiresAt, &a.CreatedAt, &a.Avatar}
}

// knowableRemote says that the account a, of a partner instance, is one the viewer
// ($viewer, role $role) may know of. Such people reach this instance only through shared
// groups, so one knows them as one knows a group's people: a member knows the group's
// members; those who run it (its owners and moderators, and company admins, who run every
// group) also know who asks to join or is invited; and, as with guests (knowable),
// whoever's post one can see is no secret, nor who liked it (its likers are listed).
func knowableRemote(a string, viewer, role int) string {
	return fmt.Sprintf(`(%[1]s.domain IS NOT NULL AND %[1]s.kind = 'person' AND (
	($%[3]d::text = 'admin' AND EXISTS (SELECT 1 FROM group_members rm WHERE rm.account_id = %[1]s.id))
	OR EXISTS (SELECT 1 FROM group_members rm JOIN group_members vm ON vm.group_id = rm.group_id
		AND vm.account_id = $%[2]d AND vm.state = 'member'
		WHERE rm.account_id = %[1]s.id AND (rm.state = 'member' OR vm.role IN ('owner', 'moderator')))
	OR EXISTS (SELECT 1 FROM posts rp WHERE rp.account_id = %[1]s.id AND %[4]s)
	OR EXISTS (SELECT 1 FROM likes rl JOIN posts rp ON rp.id = rl.post_id WHERE rl.account_id = %[1]s.id AND %[4]s)))`,
		a, viewer, role, gate("rp", viewer, role))
}

// scanAuthor scans a row of authorColumns alone.
func scanAuthor(row pgx.CollectableRow) (ruche.Author, error) {
	var a ruche.Author
	err := row.Scan(authorDest(&a)...)
	return a, err
}

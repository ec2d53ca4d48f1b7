package mastoapi

import "github.com/ruche-hive/ruche/internal/ruche"

// Relationship is Mastodon's Relationship: where the member stands with one account.
// Ruche has no blocks, mutes, endorsements or private notes, so those are always
// false (or empty); for a group, following is being a member and requested is a
// pending request to join.
type Relationship struct {
	ID                  string   `json:"id"`
	Following           bool     `json:"following"`
	ShowingReblogs      bool     `json:"showing_reblogs"`
	Notifying           bool     `json:"notifying"`
	Languages           []string `json:"languages"` // null: every language
	FollowedBy          bool     `json:"followed_by"`
	Blocking            bool     `json:"blocking"`
	BlockedBy           bool     `json:"blocked_by"`
	Muting              bool     `json:"muting"`
	MutingNotifications bool     `json:"muting_notifications"`
	Requested           bool     `json:"requested"`
	RequestedBy         bool     `json:"requested_by"`
	DomainBlocking      bool     `json:"domain_blocking"`
	Endorsed            bool     `json:"endorsed"`
	Note                string   `json:"note"`
}

// relationship maps the domain's relationship. Boosts of those one follows are always
// shown in the home stream, so showing_reblogs is true wherever it applies: as in
// Mastodon, for an account one follows or asked to follow.
func relationship(r ruche.Relationship) Relationship {
	return Relationship{
		ID:             idString(r.ID),
		Following:      r.Following,
		FollowedBy:     r.FollowedBy,
		Requested:      r.Requested,
		ShowingReblogs: r.Following || r.Requested,
	}
}

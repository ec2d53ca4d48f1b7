package ruche

import "context"

// Boost boosts a post u may see and returns the boost itself as u sees it, the boosted
// post in its Reblog. Boosting twice changes nothing and returns the same boost. The
// client API answers a reblog with the boost (Mastodon's wrapper status), where
// SetBoosted, for the web UI, only says it was done. The post's not-found when u may
// not see it; CodeInvalid (error.cannot_boost) for a post that may not be boosted
// (anything but company-wide posts).
func (ps *Posts) Boost(ctx context.Context, u User, id int64) (Post, error) {
	v := ViewerOf(u)
	f, err := ps.access(ctx, v, id, ActBoost)
	if err != nil {
		return Post{}, err
	}
	boostID, err := ps.Store.Boost(ctx, u.ID, f.ID)
	if err != nil {
		return Post{}, notFound(err)
	}
	p, err := ps.Store.Post(ctx, v, boostID)
	return p, notFound(err)
}

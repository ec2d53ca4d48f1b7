package ruche

// SocialStore is what the client API's reads of people and notifications need from
// persistence: accounts by id, followers, relationships, who liked or boosted a post,
// notification filters, conversations and search. Reads of posts apply the gate in SQL.
type SocialStore interface {
}

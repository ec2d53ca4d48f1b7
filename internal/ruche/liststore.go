package ruche

// ListStore is what lists, favourites, markers and idempotent posting need from
// persistence (the client API's words for them). Reads of posts apply the gate in SQL.
type ListStore interface {
}

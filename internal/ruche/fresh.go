package ruche

import "context"

type freshKey struct{}

// FreshReads marks ctx for reads that a change woke: a live stream reads right after
// PostgreSQL announces a new post, and must find it. The store then reads the database
// itself rather than a copy it keeps in memory, since a node's copies hear of the same
// change on another connection, possibly a moment later.
func FreshReads(ctx context.Context) context.Context { return context.WithValue(ctx, freshKey{}, true) }

// WantsFresh reports whether ctx was marked by FreshReads.
func WantsFresh(ctx context.Context) bool { return ctx.Value(freshKey{}) != nil }

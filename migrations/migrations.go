// Package migrations holds Ruche's schema as numbered SQL files, embedded in the binary
// so that a node can bring any database up to date at start-up without extra files.
package migrations

import "embed"

// FS holds the files NNN_name.sql; each is applied once, in its own transaction, in
// number order, by the store.
//
//go:embed *.sql
var FS embed.FS

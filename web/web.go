// Package web holds the web UI's templates, static assets and the message catalogues
// (English, French), embedded in the binary. It holds no logic.
package web

import "embed"

// FS is templates/*.html, static/* and locales/*.json.
//
//go:embed templates static locales
var FS embed.FS

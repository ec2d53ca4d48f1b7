package server

import (
	"net/http"
	"strings"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/federation"
)

// signed verifies server-to-server signatures (authn.Signed) when the node federates.
func (s *Server) signed() func(http.Handler) http.Handler {
	if s.opts.Federation == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	return authn.Signed(s.opts.Federation, federation.Exempt, func(w http.ResponseWriter, r *http.Request, err error) {
		s.fed.Error(w, r, err)
	})
}

// fedRoutes are the federation front door's routes, none when the node does not
// federate (tests of other parts).
func (s *Server) fedRoutes() []federation.Route {
	if s.opts.Federation == nil {
		return nil
	}
	return s.fed.Routes()
}

// isFederationPath reports whether path belongs to the federation front door, whose
// refusals are JSON for servers, never a sign-in page.
func isFederationPath(path string) bool {
	return path == "/inbox" || path == "/actor" || strings.HasPrefix(path, "/actor/") || strings.HasPrefix(path, "/ap/")
}

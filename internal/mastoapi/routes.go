package mastoapi

import "net/http"

// Routes lists every address of the client API with its scope. Each file of the
// package contributes the routes of its part.
func (a *API) Routes() []Route {
	var out []Route
	for _, part := range [][]Route{a.instanceRoutes(), a.accountRoutes(), a.statusRoutes(), a.timelineRoutes(),
		a.notificationRoutes(), a.streamingRoutes(), a.pushRoutes(), a.compatRoutes(),
		a.followRequestRoutes(), a.mediaRoutes()} {
		out = append(out, part...)
	}
	return out
}

func (a *API) instanceRoutes() []Route {
	public := func(method, pattern string, h http.Handler, reason string) Route {
		return Route{Method: method, Pattern: pattern, Handler: h, PublicReason: reason}
	}
	return []Route{
		public("GET", "/api/v1/instance", a.anyone(a.instanceV1), "apps read what the server can do before anyone signs in"),
		public("GET", "/api/v2/instance", a.anyone(a.instanceV2), "apps read what the server can do before anyone signs in"),
		public("GET", "/.well-known/nodeinfo", a.anyone(a.nodeinfoIndex), "discovery: where the NodeInfo document is"),
		public("GET", "/nodeinfo/2.0", a.anyone(a.nodeinfo), "discovery: the software and protocols, without counts"),
		public("GET", "/.well-known/oauth-authorization-server", a.anyone(a.authServerMetadata), "OAuth discovery (RFC 8414)"),
		public("POST", "/api/v1/apps", a.anyone(a.createApp), "OAuth: an app registers before anyone signs in"),
		public("POST", "/oauth/token", http.HandlerFunc(a.token), "OAuth: exchanging a code or client credentials for a token"),
		public("POST", "/oauth/revoke", http.HandlerFunc(a.revoke), "OAuth: an app gives its token back"),
		{Method: "GET", Pattern: "/oauth/userinfo", Handler: a.h(a.userinfo), Scope: "read:accounts:self"},
		{Method: "GET", Pattern: "/api/v1/apps/verify_credentials", Handler: a.anyone(a.verifyApp), AppToken: true},
		{Method: "GET", Pattern: "/api/v1/instance/rules", Handler: a.anyone(a.rules), Scope: "read", AppToken: true},
		{Method: "GET", Pattern: "/api/v1/custom_emojis", Handler: a.anyone(a.customEmojis), Scope: "read", AppToken: true},
		{Method: "GET", Pattern: "/api/v1/announcements", Handler: a.h(a.announcements), Scope: "read"},
		{Method: "GET", Pattern: "/api/v1/preferences", Handler: a.h(a.preferences), Scope: "read:accounts"},
	}
}

package server

import "net/http"

// route is one address the server answers.
type route struct {
	Method  string
	Pattern string
	Handler http.Handler
	Reason  string // public routes only: why an anonymous person may reach it
}

// publicRoutes is the one declared list of routes served without authentication, each
// with its reason. Everything else requires a signed-in member (privacy model, rule 1).
// Add to it only what sign-in, OAuth and discovery strictly need.
func (s *Server) publicRoutes() []route {
	ui := s.ui
	out := []route{
		{"GET", "/login", http.HandlerFunc(ui.LoginForm), "the sign-in form"},
		{"POST", "/login", http.HandlerFunc(ui.Login), "signing in"},
		{"GET", "/setup/{token}", ui.H(ui.SetupForm), "the owner's one-time setup link (dead once an account exists)"},
		{"POST", "/setup/{token}", ui.H(ui.Setup), "creating the owner account through that link"},
		{"GET", "/invite/{token}", ui.H(ui.JoinForm), "an invite link's sign-up form (the token is the credential)"},
		{"POST", "/invite/{token}", ui.H(ui.Join), "joining through an invite link"},
		{"GET", "/static/*", s.static(), "stylesheets and scripts of the pages above; no member content"},
		{"GET", "/healthz", http.HandlerFunc(s.healthz), "load balancers: the process is alive"},
		{"GET", "/readyz", http.HandlerFunc(s.readyz), "load balancers: the database answers and is migrated"},
		{"GET", "/media/{id}/{variant}", http.HandlerFunc(s.mediaFile), "attachments under capability URLs: the signature is the credential, and only viewers who may see the post are handed one (apps load images without credentials)"},
	}
	for _, rt := range s.masto.Routes() {
		if rt.PublicReason != "" {
			out = append(out, route{rt.Method, rt.Pattern, rt.Handler, rt.PublicReason})
		}
	}
	for _, rt := range s.fedRoutes() {
		if rt.PublicReason != "" {
			out = append(out, route{rt.Method, rt.Pattern, rt.Handler, rt.PublicReason})
		}
	}
	return out
}

// privateRoutes need a signed-in member.
func (s *Server) privateRoutes() []route {
	ui := s.ui
	return []route{
		{Method: "GET", Pattern: "/", Handler: ui.H(ui.Home)},
		{Method: "GET", Pattern: "/company", Handler: ui.H(ui.Company)},
		{Method: "GET", Pattern: "/tags/{tag}", Handler: ui.H(ui.Tag)},
		{Method: "GET", Pattern: "/bookmarks", Handler: ui.H(ui.Bookmarks)},
		{Method: "GET", Pattern: "/events", Handler: ui.H(ui.Events)},
		{Method: "GET", Pattern: "/people", Handler: ui.H(ui.People)},
		{Method: "GET", Pattern: "/@{username}", Handler: ui.H(ui.Profile)},
		{Method: "POST", Pattern: "/@{username}/follow", Handler: ui.H(ui.Follow)},
		{Method: "POST", Pattern: "/@{username}/unfollow", Handler: ui.H(ui.Unfollow)},
		{Method: "POST", Pattern: "/posts", Handler: ui.H(ui.CreatePost)},
		{Method: "GET", Pattern: "/posts/{id}", Handler: ui.H(ui.Thread)},
		{Method: "GET", Pattern: "/posts/{id}/history", Handler: ui.H(ui.History)},
		{Method: "GET", Pattern: "/posts/{id}/edit", Handler: ui.H(ui.EditForm)},
		{Method: "POST", Pattern: "/posts/{id}/edit", Handler: ui.H(ui.Edit)},
		{Method: "POST", Pattern: "/posts/{id}/{action}", Handler: ui.H(ui.Act)},
		{Method: "GET", Pattern: "/groups", Handler: ui.H(ui.GroupList)},
		{Method: "POST", Pattern: "/groups", Handler: ui.H(ui.CreateGroup)},
		{Method: "POST", Pattern: "/groups/find", Handler: ui.H(ui.FindGroup)},
		{Method: "POST", Pattern: "/groups/pictures", Handler: ui.H(ui.SetGroupPictures)},
		{Method: "GET", Pattern: "/groups/{handle}", Handler: ui.H(ui.Group)},
		{Method: "POST", Pattern: "/groups/{handle}/join", Handler: ui.H(ui.JoinGroup)},
		{Method: "POST", Pattern: "/groups/{handle}/leave", Handler: ui.H(ui.LeaveGroup)},
		{Method: "POST", Pattern: "/groups/{handle}/invite", Handler: ui.H(ui.InviteToGroup)},
		{Method: "POST", Pattern: "/groups/{handle}/notify", Handler: ui.H(ui.NotifyGroup)},
		{Method: "POST", Pattern: "/groups/{handle}/edit", Handler: ui.H(ui.EditGroup)},
		{Method: "POST", Pattern: "/groups/{handle}/share", Handler: ui.H(ui.ShareGroup)},
		{Method: "POST", Pattern: "/groups/{handle}/unshare", Handler: ui.H(ui.UnshareGroup)},
		{Method: "POST", Pattern: "/groups/{handle}/members/{username}/{action}", Handler: ui.H(ui.GroupMember)},
		{Method: "GET", Pattern: "/notifications", Handler: ui.H(ui.Notifications)},
		{Method: "GET", Pattern: "/live", Handler: ui.H(ui.Live)},
		{Method: "POST", Pattern: "/notifications/read", Handler: ui.H(ui.MarkRead)},
		{Method: "GET", Pattern: "/settings/profile", Handler: ui.H(ui.ProfileForm)},
		{Method: "POST", Pattern: "/settings/profile", Handler: ui.H(ui.SaveProfile)},
		{Method: "POST", Pattern: "/settings/profile/pictures", Handler: ui.H(ui.SetPictures)},
		{Method: "POST", Pattern: "/settings/presence", Handler: ui.H(ui.SavePresence)},
		{Method: "POST", Pattern: "/logout", Handler: http.HandlerFunc(ui.Logout)},
		{Method: "GET", Pattern: "/settings", Handler: http.HandlerFunc(ui.Settings)},
		{Method: "POST", Pattern: "/settings/language", Handler: ui.H(ui.SetLanguage)},
		{Method: "POST", Pattern: "/settings/password", Handler: ui.H(ui.ChangePassword)},
		{Method: "GET", Pattern: "/settings/apps", Handler: ui.H(ui.Apps)},
		{Method: "POST", Pattern: "/settings/apps/{id}/revoke", Handler: ui.H(ui.RevokeApp)},
		{Method: "GET", Pattern: "/settings/development", Handler: ui.H(ui.Development)},
		{Method: "POST", Pattern: "/settings/development", Handler: ui.H(ui.CreateToken)},
		{Method: "POST", Pattern: "/settings/development/{id}/delete", Handler: ui.H(ui.DeleteOwnApp)},
		// OAuth consent: a member must be signed in; an anonymous visitor is sent to
		// /login and comes back with the whole request.
		{Method: "GET", Pattern: "/oauth/authorize", Handler: ui.H(ui.AuthorizeForm)},
		{Method: "POST", Pattern: "/oauth/authorize", Handler: ui.H(ui.Authorize)},
		{Method: "GET", Pattern: "/admin", Handler: ui.H(ui.Admin)},
		{Method: "POST", Pattern: "/admin/invites", Handler: ui.H(ui.CreateInvite)},
		{Method: "POST", Pattern: "/admin/invites/{id}/revoke", Handler: ui.H(ui.RevokeInvite)},
		{Method: "POST", Pattern: "/admin/users/{username}/role", Handler: ui.H(ui.SetRole)},
		{Method: "POST", Pattern: "/admin/users/{username}/suspend", Handler: ui.H(ui.Suspend)},
		{Method: "POST", Pattern: "/admin/users/{username}/unsuspend", Handler: ui.H(ui.Unsuspend)},
		{Method: "GET", Pattern: "/admin/partners", Handler: ui.H(ui.AdminPartners)},
		{Method: "POST", Pattern: "/admin/partners", Handler: ui.H(ui.AddPartner)},
		{Method: "POST", Pattern: "/admin/partners/{domain}/state", Handler: ui.H(ui.SetPartnerState)},
		{Method: "POST", Pattern: "/admin/partners/{domain}/remove", Handler: ui.H(ui.RemovePartner)},
	}
}

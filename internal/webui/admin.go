package webui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

type adminData struct {
	NewLink string
	Invites []ruche.Invite
	Users   []ruche.User
	Audit   []ruche.AuditEntry
	Roles   []ruche.Role
	now     time.Time
}

// Live is used by the template to tell live invites from spent ones.
func (d adminData) Live(i ruche.Invite) bool { return i.Live(d.now) }

func (ui *UI) adminPage(w http.ResponseWriter, r *http.Request, status int, newLink, errMsg string) error {
	u := viewer(r)
	ctx := r.Context()
	d := adminData{NewLink: newLink, now: time.Now(),
		Roles: []ruche.Role{ruche.RoleAdmin, ruche.RoleModerator, ruche.RoleMember, ruche.RoleGuest}}
	var err error
	if d.Invites, err = ui.Accounts.Invites(ctx, u); err != nil {
		return err
	}
	if d.Users, err = ui.Accounts.Users(ctx, u); err != nil {
		return err
	}
	if d.Audit, err = ui.Accounts.AuditLog(ctx, u, 50); err != nil {
		return err
	}
	ui.render(w, r, status, "admin", "admin.title", d, errMsg)
	return nil
}

// Admin shows invites, members and the audit log to admins.
func (ui *UI) Admin(w http.ResponseWriter, r *http.Request) error {
	return ui.adminPage(w, r, http.StatusOK, "", "")
}

// CreateInvite makes an invite and shows its link once.
func (ui *UI) CreateInvite(w http.ResponseWriter, r *http.Request) error {
	uses, err1 := strconv.Atoi(r.PostFormValue("max_uses"))
	days, err2 := strconv.Atoi(r.PostFormValue("days"))
	if err1 != nil || err2 != nil {
		return ui.adminFormError(w, r, ruche.Errorf(ruche.CodeInvalid, "error.number_invalid"))
	}
	_, token, err := ui.Accounts.CreateInvite(r.Context(), viewer(r), ruche.Role(r.PostFormValue("role")), uses, time.Duration(days)*24*time.Hour)
	if err != nil {
		return ui.adminFormError(w, r, err)
	}
	return ui.adminPage(w, r, http.StatusOK, ui.BaseURL+"/invite/"+token, "")
}

// adminFormError shows the admin page again with a form's error, or fails the request
// for errors that are not about the form.
func (ui *UI) adminFormError(w http.ResponseWriter, r *http.Request, err error) error {
	switch ruche.ErrorCode(err) {
	case ruche.CodeInvalid, ruche.CodeConflict:
		return ui.adminPage(w, r, ruche.ErrorCode(err).HTTPStatus(), "", ui.message(r, err))
	}
	return err
}

// RevokeInvite stops an invite.
func (ui *UI) RevokeInvite(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	if err := ui.Accounts.RevokeInvite(r.Context(), viewer(r), id); err != nil {
		return ui.adminFormError(w, r, err)
	}
	http.Redirect(w, r, "/admin?done=invite_revoked", http.StatusSeeOther)
	return nil
}

// SetRole changes a member's role.
func (ui *UI) SetRole(w http.ResponseWriter, r *http.Request) error {
	err := ui.Accounts.SetRole(r.Context(), viewer(r), r.PathValue("username"), ruche.Role(r.PostFormValue("role")))
	if err != nil {
		return ui.adminFormError(w, r, err)
	}
	http.Redirect(w, r, "/admin?done=role_changed", http.StatusSeeOther)
	return nil
}

// Suspend suspends a member, ending their sessions.
func (ui *UI) Suspend(w http.ResponseWriter, r *http.Request) error {
	return ui.setSuspended(w, r, true)
}

// Unsuspend reinstates a member.
func (ui *UI) Unsuspend(w http.ResponseWriter, r *http.Request) error {
	return ui.setSuspended(w, r, false)
}

func (ui *UI) setSuspended(w http.ResponseWriter, r *http.Request, suspended bool) error {
	if err := ui.Accounts.SetSuspended(r.Context(), viewer(r), r.PathValue("username"), suspended); err != nil {
		return ui.adminFormError(w, r, err)
	}
	done := "unsuspended"
	if suspended {
		done = "suspended"
	}
	http.Redirect(w, r, "/admin?done="+done, http.StatusSeeOther)
	return nil
}

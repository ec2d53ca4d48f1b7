package webui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/clientaddr"
	"github.com/ruche-hive/ruche/internal/ruche"
)

type loginData struct {
	Login string
	Next  string
}

// LoginForm shows the sign-in form (or goes home when already signed in).
func (ui *UI) LoginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := authn.UserFrom(r.Context()); ok {
		http.Redirect(w, r, authn.SafeNext(r.URL.Query().Get("next")), http.StatusFound)
		return
	}
	ui.render(w, r, http.StatusOK, "login", "login.title", loginData{Next: authn.SafeNext(r.URL.Query().Get("next"))}, "")
}

// Login checks the credentials and opens a session.
func (ui *UI) Login(w http.ResponseWriter, r *http.Request) {
	data := loginData{Login: r.PostFormValue("login"), Next: authn.SafeNext(r.PostFormValue("next"))}
	if err := ui.signIn(w, r, data.Login, r.PostFormValue("password")); err != nil {
		ui.render(w, r, ruche.ErrorCode(err).HTTPStatus(), "login", "login.title", data, ui.message(r, err))
		return
	}
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

// signIn opens a session and sets its cookie, ending the session the browser had.
func (ui *UI) signIn(w http.ResponseWriter, r *http.Request, login, password string) error {
	info := ruche.SessionInfo{UserAgent: r.UserAgent(), IP: clientaddr.From(r.Context()).IP}
	token, _, err := ui.Accounts.SignIn(r.Context(), login, password, info)
	if err != nil {
		return err
	}
	if err := ui.Accounts.SignOut(r.Context(), authn.SessionToken(r, ui.Secure)); err != nil {
		ui.Log.Warn("ending the previous session", "err", err)
	}
	http.SetCookie(w, authn.SessionCookie(ui.Secure, token))
	return nil
}

// Logout ends the session.
func (ui *UI) Logout(w http.ResponseWriter, r *http.Request) {
	if err := ui.Accounts.SignOut(r.Context(), authn.SessionToken(r, ui.Secure)); err != nil {
		ui.fail(w, r, err)
		return
	}
	http.SetCookie(w, authn.SessionCookie(ui.Secure, ""))
	// Signing out to sign in as someone else (the consent page's "use another
	// account") comes back where it started.
	to := "/login"
	if next := authn.SafeNext(r.PostFormValue("next")); next != "/" {
		to += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type accountData struct {
	Token string
	Role  ruche.Role
	Form  ruche.NewUser
}

func accountForm(r *http.Request) ruche.NewUser {
	return ruche.NewUser{
		Username:    r.PostFormValue("username"),
		DisplayName: r.PostFormValue("display_name"),
		Email:       r.PostFormValue("email"),
		Password:    r.PostFormValue("password"),
	}
}

// SetupForm shows the owner's account form behind the one-time setup link.
func (ui *UI) SetupForm(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if err := ui.Accounts.CheckSetupLink(r.Context(), token); err != nil {
		return err
	}
	ui.render(w, r, http.StatusOK, "setup", "setup.title", accountData{Token: token}, "")
	return nil
}

// Setup creates the owner account and signs them in.
func (ui *UI) Setup(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	form := accountForm(r)
	if _, err := ui.Accounts.Setup(r.Context(), token, form); err != nil {
		if ruche.ErrorCode(err) == ruche.CodeNotFound {
			return err
		}
		form.Password = ""
		ui.render(w, r, ruche.ErrorCode(err).HTTPStatus(), "setup", "setup.title", accountData{Token: token, Form: form}, ui.message(r, err))
		return nil
	}
	return ui.welcome(w, r, form)
}

// JoinForm shows the sign-up form behind an invite link.
func (ui *UI) JoinForm(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	inv, err := ui.Accounts.Invite(r.Context(), token)
	if err != nil {
		return err
	}
	ui.render(w, r, http.StatusOK, "join", "join.title", accountData{Token: token, Role: inv.Role}, "")
	return nil
}

// Join creates an account through an invite and signs the person in.
func (ui *UI) Join(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	form := accountForm(r)
	if _, err := ui.Accounts.Join(r.Context(), token, form); err != nil {
		if ruche.ErrorCode(err) == ruche.CodeNotFound {
			return err
		}
		form.Password = ""
		inv, ierr := ui.Accounts.Invite(r.Context(), token)
		if ierr != nil {
			return ierr
		}
		ui.render(w, r, ruche.ErrorCode(err).HTTPStatus(), "join", "join.title", accountData{Token: token, Role: inv.Role, Form: form}, ui.message(r, err))
		return nil
	}
	return ui.welcome(w, r, form)
}

// welcome signs a just-created account in and goes home.
func (ui *UI) welcome(w http.ResponseWriter, r *http.Request, form ruche.NewUser) error {
	if err := ui.signIn(w, r, form.Username, form.Password); err != nil {
		if errors.Is(err, ruche.ErrNotFound) {
			return err
		}
		// The account exists; only the automatic sign-in failed (e.g. rate limit).
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/?done=welcome", http.StatusSeeOther)
	return nil
}

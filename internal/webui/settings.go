package webui

import (
	"net/http"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
)

type settingsData struct {
	Languages []i18n.Language
}

func (ui *UI) settingsPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	ui.render(w, r, status, "settings", "settings.title", settingsData{Languages: ui.Catalog.Languages()}, errMsg)
}

// Settings shows the member's own settings.
func (ui *UI) Settings(w http.ResponseWriter, r *http.Request) {
	ui.settingsPage(w, r, http.StatusOK, "")
}

// SetLanguage records the interface language ("" follows the browser).
func (ui *UI) SetLanguage(w http.ResponseWriter, r *http.Request) error {
	locale := r.PostFormValue("locale")
	if locale != "" && !ui.Catalog.Has(locale) {
		ui.settingsPage(w, r, http.StatusUnprocessableEntity, ui.message(r, ruche.Errorf(ruche.CodeInvalid, "error.language_invalid")))
		return nil
	}
	if err := ui.Accounts.SetLocale(r.Context(), *viewer(r), locale); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings?done=saved", http.StatusSeeOther)
	return nil
}

// ChangePassword replaces the member's password after checking the current one.
func (ui *UI) ChangePassword(w http.ResponseWriter, r *http.Request) error {
	err := ui.Accounts.ChangePassword(r.Context(), *viewer(r), r.PostFormValue("current"), r.PostFormValue("password"),
		authn.SessionToken(r, ui.Secure))
	switch ruche.ErrorCode(err) {
	case ruche.CodeInvalid:
		ui.settingsPage(w, r, http.StatusUnprocessableEntity, ui.message(r, err))
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/settings?done=password_changed", http.StatusSeeOther)
	return nil
}

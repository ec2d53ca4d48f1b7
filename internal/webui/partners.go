package webui

import (
	"net/http"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// The partners page: which instances this one federates with, and the deliveries to
// them that failed. Only admins reach it; the domain refuses everyone else.

// failedShown bounds the failed deliveries listed: enough to see a pattern.
const failedShown = 50

type partnersData struct {
	Partners []ruche.Partner
	Failed   []ruche.FailedDelivery
	// Domain and Note are the add form's values, given back after an error.
	Domain, Note string
	MaxNote      int
}

func (ui *UI) partnersPage(w http.ResponseWriter, r *http.Request, status int, domain, note, errMsg string) error {
	if ui.Federation == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	u := viewer(r)
	ctx := r.Context()
	d := partnersData{Domain: domain, Note: note, MaxNote: ruche.MaxPartnerNote}
	var err error
	if d.Partners, err = ui.Federation.Partners(ctx, u); err != nil {
		return err
	}
	if d.Failed, err = ui.Federation.FailedDeliveries(ctx, u, failedShown); err != nil {
		return err
	}
	ui.render(w, r, status, "admin_partners", "partners.title", d, errMsg)
	return nil
}

// AdminPartners lists the partner instances and the failed deliveries, to admins.
func (ui *UI) AdminPartners(w http.ResponseWriter, r *http.Request) error {
	return ui.partnersPage(w, r, http.StatusOK, "", "", "")
}

// AddPartner makes a domain a partner (or updates its note).
func (ui *UI) AddPartner(w http.ResponseWriter, r *http.Request) error {
	if ui.Federation == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	domain, note := r.PostFormValue("domain"), r.PostFormValue("note")
	if _, err := ui.Federation.AddPartner(r.Context(), viewer(r), domain, note); err != nil {
		return ui.partnersFormError(w, r, err, domain, note)
	}
	http.Redirect(w, r, "/admin/partners?done=partner_added", http.StatusSeeOther)
	return nil
}

// SetPartnerState suspends or reactivates a partner (form field state).
func (ui *UI) SetPartnerState(w http.ResponseWriter, r *http.Request) error {
	if ui.Federation == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	state := ruche.PartnerState(r.PostFormValue("state"))
	if _, err := ui.Federation.SetPartnerState(r.Context(), viewer(r), r.PathValue("domain"), state); err != nil {
		return ui.partnersFormError(w, r, err, "", "")
	}
	done := "partner_activated"
	if state == ruche.PartnerSuspended {
		done = "partner_suspended"
	}
	http.Redirect(w, r, "/admin/partners?done="+done, http.StatusSeeOther)
	return nil
}

// RemovePartner ends federation with a partner.
func (ui *UI) RemovePartner(w http.ResponseWriter, r *http.Request) error {
	if ui.Federation == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	if err := ui.Federation.RemovePartner(r.Context(), viewer(r), r.PathValue("domain")); err != nil {
		return ui.partnersFormError(w, r, err, "", "")
	}
	http.Redirect(w, r, "/admin/partners?done=partner_removed", http.StatusSeeOther)
	return nil
}

// partnersFormError shows the page again with a form's error and what was typed, or
// fails the request for errors that are not about the form (forbidden, not found).
func (ui *UI) partnersFormError(w http.ResponseWriter, r *http.Request, err error, domain, note string) error {
	switch ruche.ErrorCode(err) {
	case ruche.CodeInvalid, ruche.CodeConflict:
		return ui.partnersPage(w, r, ruche.ErrorCode(err).HTTPStatus(), domain, note, ui.message(r, err))
	}
	return err
}

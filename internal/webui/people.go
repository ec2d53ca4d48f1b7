package webui

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Follow and Unfollow change whom the member follows.
func (ui *UI) Follow(w http.ResponseWriter, r *http.Request) error {
	return ui.setFollowing(w, r, true)
}
func (ui *UI) Unfollow(w http.ResponseWriter, r *http.Request) error {
	return ui.setFollowing(w, r, false)
}

func (ui *UI) setFollowing(w http.ResponseWriter, r *http.Request, follow bool) error {
	username := r.PathValue("username")
	if err := ui.Posts.SetFollowing(r.Context(), *viewer(r), username, follow); err != nil {
		return err
	}
	http.Redirect(w, r, "/@"+url.PathEscape(username), http.StatusSeeOther)
	return nil
}

type peopleData struct {
	Query  string
	People []ruche.Profile
}

// People is the member directory, searchable by name, title and department.
func (ui *UI) People(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	people, err := ui.Posts.Directory(r.Context(), *viewer(r), q)
	if err != nil {
		return err
	}
	ui.render(w, r, http.StatusOK, "people", "people.title", peopleData{Query: q, People: people}, "")
	return nil
}

type notificationsData struct {
	Notifications []ruche.Notification
	Older         string
}

// Notifications lists what concerns the member, newest first.
func (ui *UI) Notifications(w http.ResponseWriter, r *http.Request) error {
	pg := pageParam(r)
	ns, err := ui.Posts.Notifications(r.Context(), *viewer(r), pg)
	if err != nil {
		return err
	}
	d := notificationsData{Notifications: ns}
	if len(ns) == pg.Limit {
		d.Older = "/notifications?max_id=" + strconv.FormatInt(ns[len(ns)-1].ID, 10)
	}
	ui.render(w, r, http.StatusOK, "notifications", "notifications.title", d, "")
	return nil
}

// MarkRead marks every notification read.
func (ui *UI) MarkRead(w http.ResponseWriter, r *http.Request) error {
	if err := ui.Posts.MarkNotificationsRead(r.Context(), *viewer(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

type profileFormData struct {
	Fields   ruche.ProfileFields
	Presence ruche.Presence
	// Pictures is the picture form, nil when the server stores no files.
	Pictures *pictureFormView
}

// ProfileForm shows the member's profile, pictures and presence editors.
func (ui *UI) ProfileForm(w http.ResponseWriter, r *http.Request) error {
	return ui.profileForm(w, r, http.StatusOK, "")
}

func (ui *UI) profileForm(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	u := viewer(r)
	p, err := ui.Posts.Profile(r.Context(), *u, u.Username)
	if err != nil {
		return err
	}
	d := profileFormData{Fields: p.ProfileFields, Presence: p.Presence}
	if ui.Media != nil {
		d.Pictures = &pictureFormView{Action: "/settings/profile/pictures", Avatar: p.Avatar, Header: p.Header}
	}
	ui.render(w, r, status, "profile_edit", "profile_edit.title", d, errMsg)
	return nil
}

// SaveProfile saves the profile fields.
func (ui *UI) SaveProfile(w http.ResponseWriter, r *http.Request) error {
	f := ruche.ProfileFields{
		DisplayName: r.PostFormValue("display_name"), JobTitle: r.PostFormValue("job_title"),
		Department: r.PostFormValue("department"), Location: r.PostFormValue("location"), Bio: r.PostFormValue("bio"),
	}
	if err := ui.Posts.UpdateProfile(r.Context(), *viewer(r), f); err != nil {
		if ruche.ErrorCode(err) == ruche.CodeInvalid {
			ui.render(w, r, ruche.CodeInvalid.HTTPStatus(), "profile_edit", "profile_edit.title", profileFormData{Fields: f}, ui.message(r, err))
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/settings/profile?done=saved", http.StatusSeeOther)
	return nil
}

// presenceDurations are the choices of the presence form, in minutes (0: until cleared).
var presenceDurations = map[string]time.Duration{
	"": 0, "30m": 30 * time.Minute, "1h": time.Hour, "4h": 4 * time.Hour, "today": 0, "week": 7 * 24 * time.Hour,
}

// SavePresence sets or clears the member's status line.
func (ui *UI) SavePresence(w http.ResponseWriter, r *http.Request) error {
	choice := r.PostFormValue("lasts")
	d, ok := presenceDurations[choice]
	if !ok {
		return ruche.Errorf(ruche.CodeInvalid, "error.presence_duration")
	}
	if choice == "today" {
		now := time.Now().UTC()
		d = now.Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now)
	}
	emoji, text := r.PostFormValue("emoji"), r.PostFormValue("text")
	if r.PostFormValue("clear") != "" {
		emoji, text, d = "", "", 0
	}
	if err := ui.Posts.SetPresence(r.Context(), *viewer(r), emoji, text, d); err != nil {
		return err
	}
	http.Redirect(w, r, localPath(r.PostFormValue("back"))+"?done=presence", http.StatusSeeOther)
	return nil
}

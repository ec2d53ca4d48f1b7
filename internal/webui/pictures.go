package webui

import (
	"mime"
	"net/http"
	"net/url"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Members set their avatar and header image from their profile settings, a group's
// managers the group's from its page. The picture form is multipart/form-data with a
// file field for each picture, either or both chosen; each "remove" button is a form
// of its own naming the picture to take down.
//
// Both forms post to fixed addresses (the group is named in the form): the server
// allows bodies the size of photos on the addresses it lists, and lists paths, not
// patterns.

// pictures are the pictures a form sets, in the order they are applied.
var pictures = []ruche.Picture{ruche.PictureAvatar, ruche.PictureHeader}

// pictureFormView is the picture form as a page shows it.
type pictureFormView struct {
	Root           page
	Action         string
	Group          string // the group's handle; "" for the member's own pictures
	Avatar, Header int64  // the pictures as they are (0: none)
}

// removeForm deletes the temporary files of r's parsed form: net/http does so only
// for forms parsed on the request it made, not on the copies handlers receive.
func removeForm(r *http.Request) {
	if r.MultipartForm != nil {
		r.MultipartForm.RemoveAll() //nolint:errcheck // nothing to do about a file that will not go
	}
}

// readPictureForm reads the form, its files spooled to disk past a small bound.
// Browsers send the CSRF token in the form, so the CSRF check parsed it already.
func readPictureForm(r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return bodyError(r.ParseForm())
	}
	if r.MultipartForm != nil {
		return nil
	}
	if err := r.ParseMultipartForm(64 << 10); err != nil {
		if err = bodyError(err); ruche.ErrorCode(err) == ruche.CodeInvalid {
			return err
		}
		return ruche.Errorf(ruche.CodeInvalid, "error.upload_unreadable")
	}
	return nil
}

// applyPictures applies a form read by readPictureForm with set: the picture named by
// "remove" is removed, or else each file chosen becomes its picture. A file refused,
// or none chosen, is a CodeInvalid error saying why; the pictures set before a refused
// one stay set.
func applyPictures(r *http.Request, set func(ruche.Picture, ruche.Upload) error) (removed bool, err error) {
	if rm := r.PostFormValue("remove"); rm != "" {
		for _, which := range pictures {
			if string(which) == rm {
				return true, set(which, ruche.Upload{})
			}
		}
		return false, ruche.Errorf(ruche.CodeInvalid, "error.picture_none")
	}
	chosen := false
	if f := r.MultipartForm; f != nil {
		for _, which := range pictures {
			fhs := f.File[string(which)]
			if len(fhs) == 0 || fhs[0].Filename == "" && fhs[0].Size == 0 {
				continue // the file field, left empty
			}
			fh := fhs[0]
			body, err := fh.Open()
			if err != nil {
				return false, err
			}
			err = set(which, ruche.Upload{Body: body, Type: fh.Header.Get("Content-Type"), Name: fh.Filename})
			body.Close()
			if err != nil {
				return false, err
			}
			chosen = true
		}
	}
	if !chosen {
		return false, ruche.Errorf(ruche.CodeInvalid, "error.picture_none")
	}
	return false, nil
}

// picturesDone is the flash after a picture form.
func picturesDone(removed bool) string {
	if removed {
		return "picture_removed"
	}
	return "pictures_saved"
}

// SetPictures sets or removes the member's own avatar and header image. A file
// refused brings the profile settings back with the reason (422).
func (ui *UI) SetPictures(w http.ResponseWriter, r *http.Request) error {
	if ui.Media == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	ctx, u := r.Context(), *viewer(r)
	err := readPictureForm(r)
	defer removeForm(r)
	removed := false
	if err == nil {
		removed, err = applyPictures(r, func(which ruche.Picture, up ruche.Upload) error {
			_, err := ui.Media.SetOwnPicture(ctx, u, which, up)
			return err
		})
	}
	if ruche.ErrorCode(err) == ruche.CodeInvalid {
		return ui.profileForm(w, r, ruche.CodeInvalid.HTTPStatus(), ui.message(r, err))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/profile?done="+picturesDone(removed), http.StatusSeeOther)
	return nil
}

// SetGroupPictures sets or removes the pictures of the group named in the form: its
// managers' business (forbidden to its other members, not found for whoever may not
// know the group). A file refused brings the group's page back with the reason (422).
func (ui *UI) SetGroupPictures(w http.ResponseWriter, r *http.Request) error {
	if ui.Media == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	err := readPictureForm(r)
	defer removeForm(r)
	if err != nil {
		return err // the group is not known yet: the error page says why
	}
	ctx, u, handle := r.Context(), *viewer(r), r.PostFormValue("group")
	if handle == "" {
		return ruche.Errorf(ruche.CodeNotFound, "error.group_not_found")
	}
	removed, err := applyPictures(r, func(which ruche.Picture, up ruche.Upload) error {
		_, err := ui.Groups.SetGroupPicture(ctx, ui.Media, u, handle, which, up)
		return err
	})
	if ruche.ErrorCode(err) == ruche.CodeInvalid {
		// The page comes back as if at its own address, where its buttons return.
		back := r.Clone(ctx)
		back.URL = &url.URL{Path: "/groups/" + handle}
		return ui.groupPage(w, back, handle, ruche.CodeInvalid.HTTPStatus(), ui.message(r, err))
	}
	if err != nil {
		return err
	}
	return groupBack(w, r, handle, picturesDone(removed))
}

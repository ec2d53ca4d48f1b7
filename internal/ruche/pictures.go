package ruche

import (
	"bytes"
	"context"

	"github.com/ruche-hive/ruche/internal/media"
)

// Picture names which picture of an account: its avatar or its header image.
type Picture string

// The pictures of an account.
const (
	PictureAvatar Picture = "avatar"
	PictureHeader Picture = "header"
)

// AvatarSide is the size of avatars, square, in pixels (apps show them at 48 to 120
// px, on screens up to 3x).
const AvatarSide = 400

// SetPicture makes up, cleaned and cropped (a square avatar, a 3:1 header), the
// picture of accountID, or with a nil Body removes it. The caller has checked that u
// may change that account's pictures (their own; a group's, as its manager). Only
// images are taken (CodeInvalid otherwise).
func (m *Media) SetPicture(ctx context.Context, accountID int64, which Picture, up Upload) (Attachment, error) {
	if up.Body == nil {
		return Attachment{}, m.Store.SetPicture(ctx, accountID, which, 0)
	}
	head, all, err := media.ReadHead(up.Body)
	if err != nil {
		return Attachment{}, m.refusal(err, 0)
	}
	kind, err := media.Detect(head, up.Type, up.Name)
	if err != nil {
		return Attachment{}, m.refusal(err, 0)
	}
	if kind.Family() != media.FamilyImage {
		return Attachment{}, Errorf(CodeInvalid, "error.picture_not_image")
	}
	limit := m.Limits.For(kind)
	opts := media.ImageOptions{MaxBytes: limit}
	var img *media.Image
	if which == PictureHeader {
		img, err = opts.Header(all)
	} else {
		img, err = opts.Avatar(all, AvatarSide)
	}
	if err != nil {
		return Attachment{}, m.refusal(err, limit)
	}
	rec := MediaRecord{Attachment: Attachment{AccountID: accountID, Kind: MediaImage, State: MediaReady, MIME: string(img.MIME),
		Name: string(which) + extOf(img.MIME), Size: int64(len(img.Bytes)), Width: img.Width, Height: img.Height, Blurhash: img.Blurhash}}
	rec.Key = "media/" + randomKey() + "/" + string(which) + extOf(img.MIME)
	if err := m.Blobs.Put(ctx, rec.Key, bytes.NewReader(img.Bytes), rec.Size, rec.MIME); err != nil {
		return Attachment{}, err
	}
	id, err := m.Store.CreateMedia(ctx, rec)
	if err != nil {
		m.deleteKeys(ctx, rec.Key)
		return Attachment{}, err
	}
	if err := m.Store.SetPicture(ctx, accountID, which, id); err != nil {
		return Attachment{}, err
	}
	rec.ID = id
	return rec.Attachment, nil
}

// SetOwnPicture sets (or, with a nil Body, removes) u's own avatar or header.
func (m *Media) SetOwnPicture(ctx context.Context, u User, which Picture, up Upload) (Attachment, error) {
	return m.SetPicture(ctx, u.ID, which, up)
}

// SetGroupPicture sets (or removes) the avatar or header of a group u manages.
func (gs *Groups) SetGroupPicture(ctx context.Context, m *Media, u User, handle string, which Picture, up Upload) (Attachment, error) {
	g, err := gs.managed(ctx, u, handle)
	if err != nil {
		return Attachment{}, err
	}
	return m.SetPicture(ctx, g.ID, which, up)
}

// PictureURL is the capability URL of an account's picture (upload id), for a viewer
// who may know of the account; "" for none.
func (m *Media) PictureURL(id int64) string {
	if id == 0 || m == nil {
		return ""
	}
	return m.URL(Attachment{ID: id}, VariantOriginal)
}

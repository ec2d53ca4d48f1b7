package ruche

import (
	"context"
	"errors"
	"path"
	"strconv"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
)

// Files of shared groups' posts on the wire. A Note names its attachments at
// /ap/media/<id> on the instance that wrote the Note, which serves them to partners
// under Reveal's rule for posts (no capability URLs between servers: each request is
// signed). A receiver fetches each file from the instance that sent it the Note, the
// one whose signature it checked, and keeps its own cleaned copy: so an instance that
// is not the author's partner gets the files from the group's home, as it gets the
// post.

// MediaIRI is the id of a file attached to a post here.
func (f *Federation) MediaIRI(id int64) string {
	return f.BaseURL + apMediaPath + strconv.FormatInt(id, 10)
}

// attachments are a post's files as AS2 objects.
func (f *Federation) attachments(p FedPost) activitypub.Refs {
	var out activitypub.Refs
	for _, a := range p.Media {
		typ := activitypub.TypeDocument
		switch a.Kind {
		case MediaImage, MediaGIFV:
			typ = activitypub.TypeImage
		case MediaVideo:
			typ = activitypub.TypeVideo
		case MediaAudio:
			typ = activitypub.TypeAudio
		}
		out = append(out, activitypub.Embed(&activitypub.Object{Type: typ, MediaType: a.MIME, Name: a.Description,
			URL: activitypub.Refs{activitypub.IRI(f.MediaIRI(a.ID))}, Width: a.Width, Height: a.Height, Blurhash: a.Blurhash}))
	}
	return out
}

// MediaFile opens a file attached to a post here, for a partner Reveal lets see it.
func (f *Federation) MediaFile(ctx context.Context, peer Peer, id int64) (Served, error) {
	if f.Media == nil {
		return Served{}, ErrNotFound
	}
	if err := f.Reveal(ctx, peer, f.MediaIRI(id)); err != nil {
		return Served{}, err
	}
	return f.Media.openRecord(ctx, id, VariantOriginal)
}

// maxNoteAttachments bounds the files of a Note that are fetched.
const maxNoteAttachments = 4

// attachmentTimeout bounds the fetch of one file: a large video between two
// companies' servers.
const attachmentTimeout = 5 * time.Minute

// fetchAttachments fetches and cleans the files of a partner's Note, from host only
// (the instance whose signature brought the Note), as uploads of authorID, and returns
// their ids. A file that cannot be had or cleaned is left out; the post still shows.
func (f *Federation) fetchAttachments(ctx context.Context, n *activitypub.Object, host string, authorID int64) []int64 {
	if f.Media == nil {
		return nil
	}
	var ids []int64
	for i, ref := range n.Attachment {
		a := ref.Object
		if i == maxNoteAttachments || a == nil || len(a.URL) == 0 {
			continue
		}
		url := a.URL[0].IRI
		if !idOn(url, host) {
			continue
		}
		id, err := f.fetchAttachment(ctx, url, a, authorID)
		if err != nil {
			if f.Log != nil {
				f.Log.Warn("federation: attachment not fetched", "url", url, "err", err)
			}
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

func (f *Federation) fetchAttachment(ctx context.Context, url string, a *activitypub.Object, authorID int64) (int64, error) {
	c, err := f.client(ctx, InstanceActor)
	if err != nil {
		return 0, err
	}
	body, err := c.Open(ctx, url, "*/*", attachmentTimeout)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	description := a.Name
	if len([]rune(description)) > MaxMediaDescription {
		description = string([]rune(description)[:MaxMediaDescription])
	}
	// The partner's word on the type and name is only a hint: the bytes decide, and
	// the file is cleaned as any upload.
	got, err := f.Media.Upload(ctx, User{ID: authorID}, Upload{Body: body, Type: a.MediaType, Name: path.Base(url), Description: description}, true)
	if err != nil {
		return 0, err
	}
	if got.State != MediaReady {
		return 0, errors.New("federation: attachment not ready")
	}
	return got.ID, nil
}

package ruche

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/blob"
	"github.com/ruche-hive/ruche/internal/capurl"
	"github.com/ruche-hive/ruche/internal/media"
)

// Media takes uploads in, has them cleaned (media: nothing of their metadata
// survives), keeps their bytes in a blob store, and hands them out under capability
// URLs. Who may be handed a URL is decided where posts are read, by the visibility
// gate: a post's attachments come with the post, and a front door signs their URLs
// only for a viewer who sees it. The URL then works for anyone holding it until it
// expires (apps load images without credentials and cache timelines for days), while
// a deleted post's files go at once.
type Media struct {
	Store  MediaStore
	Blobs  blob.Store
	URLs   capurl.Signer
	Limits media.Limits
	// BaseURL prefixes the URLs handed out.
	BaseURL string
	// TempDir holds uploads while they are read and cleaned ("" for the system's).
	TempDir string
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// MediaStore is what Media needs of the store.
type MediaStore interface {
	// CreateMedia records an upload; one still processing gets its job in the same
	// transaction.
	CreateMedia(ctx context.Context, m MediaRecord) (int64, error)
	// Media returns an upload by id, whoever owns it.
	Media(ctx context.Context, id int64) (MediaRecord, error)
	// MediaProcessed records the outcome of processing (ErrNotFound if the row is no
	// longer processing) and sends the raw upload's key to the garbage.
	MediaProcessed(ctx context.Context, m MediaRecord) error
	// SetPicture makes upload mediaID (0: none) an account's avatar or header.
	SetPicture(ctx context.Context, accountID int64, which Picture, mediaID int64) error
	// DescribeMedia sets an unattached upload's alt text and focal point.
	DescribeMedia(ctx context.Context, accountID, id int64, description string, fx, fy float64) error
	// DeleteUpload deletes an upload of accountID not attached to anything.
	DeleteUpload(ctx context.Context, accountID, id int64) error
	// DeleteStaleMedia deletes uploads never attached within maxAge.
	DeleteStaleMedia(ctx context.Context, maxAge time.Duration) (int, error)
	// MediaGarbage lists blob keys to delete; ForgetMediaGarbage drops deleted ones.
	MediaGarbage(ctx context.Context, limit int) ([]string, error)
	ForgetMediaGarbage(ctx context.Context, keys []string) error
}

// MediaRecord is an upload as stored: an Attachment and its blob keys.
type MediaRecord struct {
	Attachment
	RawKey, Key, ThumbKey string
}

// Upload is a file as a member sends it.
type Upload struct {
	Body           io.Reader
	Type, Name     string // what the client says; the bytes decide (media.Detect)
	Description    string
	FocusX, FocusY float64
}

// InlineMIME reports whether files of that type may be shown in a page: only the
// types Ruche's cleaners write (media.Kind.Inline). Everything else is served as a
// download.
func InlineMIME(mime string) bool { return media.Kind(mime).Inline() }

// MediaURLKeys derives the capability URLs' signing key from RUCHE_SECRET_KEY, and the
// previous keys from previous secrets, so that URLs survive a rotation until expiry.
func MediaURLKeys(current string, previous ...string) (key []byte, prev [][]byte, err error) {
	derive := func(s string) ([]byte, error) {
		s = strings.TrimSpace(s)
		if len(s) < MinSecretLength {
			return nil, fmt.Errorf("the secret key must be at least %d characters", MinSecretLength)
		}
		return hkdf.Key(sha256.New, []byte(s), nil, "ruche media urls v1", 32)
	}
	if key, err = derive(current); err != nil {
		return nil, nil, err
	}
	for _, p := range previous {
		if strings.TrimSpace(p) == "" {
			continue
		}
		k, err := derive(p)
		if err != nil {
			return nil, nil, err
		}
		prev = append(prev, k)
	}
	return key, prev, nil
}

func (m *Media) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// The variants of an upload that URLs name.
const (
	VariantOriginal = "original"
	VariantSmall    = "small"
)

// URL is the capability URL of a variant of a, for a viewer the caller has let see
// it: the same for every request within a period, so caches keep working.
func (m *Media) URL(a Attachment, variant string) string {
	return m.BaseURL + m.URLs.Sign(mediaPath(a.ID, variant), m.now())
}

// Expires is when URLs signed now stop working.
func (m *Media) Expires() time.Time { return m.URLs.Expires(m.now()) }

func mediaPath(id int64, variant string) string {
	return "/media/" + strconv.FormatInt(id, 10) + "/" + variant
}

// Served is a file to send: its bytes and how to send them.
type Served struct {
	blob.Object
	MIME    string
	Name    string
	Inline  bool
	Expires time.Time
}

// Open checks a capability URL's path and query and opens the file it names. Any
// failure, a forged or expired signature as a deleted post's file, is ErrNotFound: the
// caller answers 404 and learns nothing more.
func (m *Media) Open(ctx context.Context, path string, q url.Values) (Served, error) {
	rest, ok := strings.CutPrefix(path, "/media/")
	idText, variant, ok2 := strings.Cut(rest, "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || !ok2 || err != nil || m.URLs.Check(path, q, m.now()) != nil {
		return Served{}, ErrNotFound
	}
	s, err := m.openRecord(ctx, id, variant)
	if e, perr := strconv.ParseInt(q.Get("e"), 10, 64); perr == nil {
		s.Expires = time.Unix(e, 0) // caches keep it no longer than the URL lives
	}
	return s, err
}

// openRecord opens a variant of a ready upload.
func (m *Media) openRecord(ctx context.Context, id int64, variant string) (Served, error) {
	rec, err := m.Store.Media(ctx, id)
	if err != nil || rec.State != MediaReady {
		return Served{}, cmpErr(err, ErrNotFound)
	}
	key, mime := rec.Key, rec.MIME
	if variant == VariantSmall && rec.ThumbKey != "" {
		key, mime = rec.ThumbKey, thumbMIME(rec)
	} else if variant != VariantOriginal {
		return Served{}, ErrNotFound
	}
	obj, err := m.Blobs.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return Served{}, ErrNotFound
	}
	if err != nil {
		return Served{}, err
	}
	return Served{Object: obj, MIME: mime, Name: rec.Name, Inline: InlineMIME(mime), Expires: m.URLs.Expires(m.now())}, nil
}

// thumbMIME is the type of a record's thumbnail, by its key's extension.
func thumbMIME(rec MediaRecord) string {
	if strings.HasSuffix(rec.ThumbKey, ".png") {
		return "image/png"
	}
	return "image/jpeg"
}

// Get returns u's upload id (and ErrNotFound for anyone else's).
func (m *Media) Get(ctx context.Context, u User, id int64) (Attachment, error) {
	rec, err := m.Store.Media(ctx, id)
	if err != nil || rec.AccountID != u.ID {
		return Attachment{}, Errorf(CodeNotFound, "error.media_not_found")
	}
	return rec.Attachment, nil
}

// Delete deletes u's upload id, until it is attached (then it goes with its post):
// CodeNotFound for someone else's, CodeInvalid once attached.
func (m *Media) Delete(ctx context.Context, u User, id int64) error {
	if _, err := m.Get(ctx, u, id); err != nil {
		return err
	}
	if err := m.Store.DeleteUpload(ctx, u.ID, id); errors.Is(err, ErrNotFound) {
		return Errorf(CodeInvalid, "error.media_attached")
	} else if err != nil {
		return err
	}
	return nil
}

// Describe sets the alt text and focal point of u's upload id, until it is attached.
func (m *Media) Describe(ctx context.Context, u User, id int64, description string, fx, fy float64) (Attachment, error) {
	description, fx, fy, err := validDescription(description, fx, fy)
	if err != nil {
		return Attachment{}, err
	}
	if err := m.Store.DescribeMedia(ctx, u.ID, id, description, fx, fy); errors.Is(err, ErrNotFound) {
		if _, gerr := m.Get(ctx, u, id); gerr != nil {
			return Attachment{}, gerr
		}
		return Attachment{}, Errorf(CodeInvalid, "error.media_attached")
	} else if err != nil {
		return Attachment{}, err
	}
	return m.Get(ctx, u, id)
}

func validDescription(d string, fx, fy float64) (string, float64, float64, error) {
	d = strings.TrimSpace(d)
	if len([]rune(d)) > MaxMediaDescription {
		return "", 0, 0, Errorf(CodeInvalid, "error.media_description_too_long", MaxMediaDescription)
	}
	if fx < -1 || fx > 1 || fy < -1 || fy > 1 || fx != fx || fy != fy {
		return "", 0, 0, Errorf(CodeInvalid, "error.media_focus")
	}
	return d, fx, fy, nil
}

package ruche

import "time"

// MediaKind is how an attachment is shown: the client API's types, plus "file" for
// documents, which are offered as downloads.
type MediaKind string

// The kinds of attachments.
const (
	MediaImage MediaKind = "image"
	MediaGIFV  MediaKind = "gifv"
	MediaVideo MediaKind = "video"
	MediaAudio MediaKind = "audio"
	MediaFile  MediaKind = "file"
)

// MediaState is where an upload's processing is.
type MediaState string

// The states of an upload.
const (
	MediaProcessing MediaState = "processing"
	MediaReady      MediaState = "ready"
	MediaFailed     MediaState = "failed"
)

// Attachment is a photo, video, sound or file: uploaded by a member, attached to at
// most one of their posts, and seen by whoever may see that post. Its bytes are handed
// out only under capability URLs (Media.URL).
type Attachment struct {
	ID        int64
	AccountID int64 // who uploaded it
	PostID    int64 // 0 until attached
	Kind      MediaKind
	State     MediaState
	Error     string // the message key of a failed processing
	MIME      string // of the clean file
	// Inline says the file may be shown in a page (a re-encoded image, a cleaned video
	// or sound); anything else is only ever served as a download.
	Inline                  bool
	Name                    string // the uploaded file's name, for downloads
	Size                    int64
	Width, Height           int
	ThumbWidth, ThumbHeight int // 0: no thumbnail
	Duration                time.Duration
	Blurhash                string
	FocusX, FocusY          float64 // -1..1, Mastodon's focal point
	Description             string  // alt text
	CreatedAt               time.Time
}

// MaxMediaDescription bounds an attachment's alt text (Mastodon's limit).
const MaxMediaDescription = 1500

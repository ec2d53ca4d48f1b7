package mastoapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/media"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// The instance documents are public (apps read them before anyone signs in, to know
// what the server can do), so they say what an app needs and nothing about the
// company's people: no counts, no contact account, no e-mail address.

func (a *API) host() string {
	u, err := url.Parse(a.BaseURL)
	if err != nil {
		return a.BaseURL
	}
	return u.Host
}

// streamingURL is the bare ws(s)://host apps open /api/v1/streaming on.
func (a *API) streamingURL() string {
	if strings.HasPrefix(a.BaseURL, "https://") {
		return "wss://" + a.host()
	}
	return "ws://" + a.host()
}

// members is the number the public documents give: 0 unless the operator publishes
// counts, and then read at most every five minutes (these routes are public).
func (a *API) members(r *http.Request) int {
	if !a.PublishCounts || a.Accounts == nil {
		return 0
	}
	a.countMu.Lock()
	defer a.countMu.Unlock()
	if time.Since(a.countedAt) > 5*time.Minute {
		a.countedAt = time.Now() // after an error too: try again in five minutes, not on every request
		n, err := a.Accounts.CountMembers(r.Context())
		if err != nil {
			a.Log.Warn("counting members", "err", err)
			return a.count
		}
		a.count = n
	}
	return a.count
}

func (a *API) version() string {
	return MastodonVersion + " (compatible; Ruche " + RucheVersion + ")"
}

func (a *API) languages() []string {
	var out []string
	for _, l := range a.Catalog.Languages() {
		out = append(out, l.Code)
	}
	return out
}

// What the composer may offer. Apps show attach and poll buttons by these numbers, so
// they say what Ruche takes: attachments when uploads are set up, no polls. The keys
// stay, as some apps (Ice Cubes) require them.
const (
	maxMedia       = 4
	maxPollOptions = 0
)

// mediaTypes are the types apps may offer to attach: those Ruche can make a clean copy
// of, or keep as downloads. Apps pick files by them; the bytes still decide.
var mediaTypes = []string{
	"image/jpeg", "image/png", "image/gif", "image/webp",
	"video/mp4", "video/quicktime", "video/webm",
	"audio/mpeg", "audio/mp3", "audio/mp4", "audio/aac", "audio/wav", "audio/x-wav", "audio/wave", "audio/ogg", "audio/webm",
	"application/pdf", "text/csv", "text/plain", "application/zip",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text",
	"application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
}

// mediaConfiguration is configuration.media_attachments, and the number of
// attachments a status may carry: none, and no types, without uploads.
func (a *API) mediaConfiguration() (config map[string]any, perStatus int) {
	types, image, video := []string{}, media.DefaultLimits().Image, media.DefaultLimits().Video
	if a.Media != nil {
		types, perStatus = mediaTypes, maxMedia
		image, video = a.Media.Limits.For(media.KindJPEG), a.Media.Limits.For(media.KindMP4)
	}
	return map[string]any{"supported_mime_types": types, "image_size_limit": image, "image_matrix_limit": 4096 * 4096,
		"video_size_limit": video, "video_frame_rate_limit": 60, "video_matrix_limit": 2304000}, perStatus
}

// vapidKey is the public key phones verify pushes with ("" without Web Push).
func (a *API) vapidKey(r *http.Request) (string, error) {
	if a.Push == nil {
		return "", nil
	}
	return a.Push.VAPIDPublicKey(r.Context())
}

func (a *API) instanceV2(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	vapid, err := a.vapidKey(r)
	if err != nil {
		return nil, err
	}
	mediaConfig, perStatus := a.mediaConfiguration()
	w.Header().Set("Cache-Control", "public, max-age=300")
	return map[string]any{
		"domain":       a.host(),
		"title":        a.Title,
		"version":      a.version(),
		"source_url":   "https://github.com/ruche-hive/ruche",
		"description":  "",
		"usage":        map[string]any{"users": map[string]any{"active_month": a.members(r)}},
		"thumbnail":    map[string]any{"url": a.BaseURL + "/static/header.png"},
		"icon":         []any{},
		"languages":    a.languages(),
		"api_versions": map[string]any{"mastodon": 2},
		"configuration": map[string]any{
			"urls":              map[string]any{"streaming": a.streamingURL()},
			"vapid":             map[string]any{"public_key": vapid},
			"accounts":          map[string]any{"max_featured_tags": 0, "max_pinned_statuses": 0},
			"statuses":          map[string]any{"max_characters": ruche.MaxPostChars, "max_media_attachments": perStatus, "characters_reserved_per_url": 23},
			"media_attachments": mediaConfig,
			"polls":             map[string]any{"max_options": maxPollOptions, "max_characters_per_option": 50, "min_expiration": 300, "max_expiration": 2629746},
			"translation":       map[string]any{"enabled": false},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": true, "message": nil},
		"contact":       map[string]any{"email": "", "account": nil},
		"rules":         []any{},
	}, nil
}

func (a *API) instanceV1(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	mediaConfig, perStatus := a.mediaConfiguration()
	w.Header().Set("Cache-Control", "public, max-age=300")
	return map[string]any{
		"uri":               a.host(),
		"title":             a.Title,
		"short_description": "",
		"description":       "",
		"email":             "",
		"version":           a.version(),
		"urls":              map[string]any{"streaming_api": a.streamingURL()},
		"stats":             map[string]any{"user_count": a.members(r), "status_count": 0, "domain_count": 0},
		"thumbnail":         a.BaseURL + "/static/header.png",
		"languages":         a.languages(),
		"registrations":     false,
		"approval_required": true,
		"invites_enabled":   true,
		"configuration": map[string]any{
			"accounts":          map[string]any{"max_featured_tags": 0},
			"statuses":          map[string]any{"max_characters": ruche.MaxPostChars, "max_media_attachments": perStatus, "characters_reserved_per_url": 23},
			"media_attachments": mediaConfig,
			"polls":             map[string]any{"max_options": maxPollOptions, "max_characters_per_option": 50, "min_expiration": 300, "max_expiration": 2629746},
		},
		"contact_account": nil,
		"rules":           []any{},
	}, nil
}

func (a *API) rules(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return []any{}, nil
}

func (a *API) customEmojis(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return []any{}, nil
}

func (a *API) announcements(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return []any{}, nil
}

// preferences are the defaults apps apply when composing and reading.
func (a *API) preferences(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	vis := "public"
	if u.Role == ruche.RoleGuest {
		vis = "direct" // guests write to the people they mention
	}
	var lang any
	if u.Locale != "" {
		lang = u.Locale
	}
	return map[string]any{
		"posting:default:visibility": vis,
		"posting:default:sensitive":  false,
		"posting:default:language":   lang,
		"reading:expand:media":       "default",
		"reading:expand:spoilers":    false,
	}, nil
}

// nodeinfoIndex is /.well-known/nodeinfo: where the document is.
func (a *API) nodeinfoIndex(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return map[string]any{"links": []any{map[string]any{
		"rel":  "http://nodeinfo.diaspora.software/ns/schema/2.0",
		"href": a.BaseURL + "/nodeinfo/2.0",
	}}}, nil
}

// nodeinfoUsage gives no numbers unless the operator publishes counts.
func (a *API) nodeinfoUsage(r *http.Request) map[string]any {
	if !a.PublishCounts {
		return map[string]any{"users": map[string]any{}}
	}
	n := a.members(r)
	return map[string]any{"users": map[string]any{"total": n, "activeMonth": n, "activeHalfyear": n}}
}

// nodeinfo is NodeInfo 2.0. It reports no people unless RUCHE_PUBLISH_COUNTS says so:
// counts say how big a company is, which is the company's business.
func (a *API) nodeinfo(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	w.Header().Set("Content-Type", `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"`)
	return map[string]any{
		"version":           "2.0",
		"software":          map[string]any{"name": "ruche", "version": RucheVersion},
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []any{}, "outbound": []any{}},
		"openRegistrations": false,
		"usage":             a.nodeinfoUsage(r),
		"metadata":          map[string]any{"nodeName": a.Title, "private": true},
	}, nil
}

package ruche

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/richtext"
)

// Web Push for Mastodon apps: an app subscribes, once per access token, a push service
// endpoint (its phone vendor's, its browser's) with the keys that encrypt messages for
// it; every notification of its member then becomes one encrypted message there, sent
// through the job queue. Alert and policy names are Mastodon's, since apps send them.

// PushAlert is a kind of notification an app may ask to be pushed, by Mastodon's name.
type PushAlert string

// The alerts of Mastodon's push API. Ruche sends only those PushAlertOf returns; an
// app may still ask for the others, and is told it has them.
const (
	AlertMention       PushAlert = "mention"
	AlertStatus        PushAlert = "status"
	AlertReblog        PushAlert = "reblog"
	AlertFollow        PushAlert = "follow"
	AlertFollowRequest PushAlert = "follow_request"
	AlertFavourite     PushAlert = "favourite"
	AlertPoll          PushAlert = "poll"
	AlertUpdate        PushAlert = "update"
	AlertAdminSignUp   PushAlert = adminAlert + "sign_up"
	AlertAdminReport   PushAlert = adminAlert + "report"

	adminAlert = "admin." // Mastodon's prefix of the alerts only moderators may have
)

// PushAlertNames lists every alert, in Mastodon's order, for reading an app's request
// (data[alerts][<name>]) and writing its answer.
var PushAlertNames = []PushAlert{AlertMention, AlertStatus, AlertReblog, AlertFollow, AlertFollowRequest,
	AlertFavourite, AlertPoll, AlertUpdate, AlertAdminSignUp, AlertAdminReport}

// PushAlertOf is the alert, and the Mastodon notification type, under which a Ruche
// notification is pushed. Mastodon has no groups, so each group kind goes under the
// Mastodon kind whose meaning is closest:
//
//   - a reply is a mention, as in Mastodon;
//   - a new post in a group the member asked to hear of is a "status" (Mastodon's
//     notification of a new post by someone one asked to be notified of);
//   - a request to join a group, sent to its moderators, is a "follow_request";
//   - an invitation, approval or refusal is addressed to the member personally, like a
//     mention, and goes under "mention".
//
// ok is false for a kind that is never pushed.
func PushAlertOf(k NotificationKind) (a PushAlert, ok bool) {
	switch k {
	case NotifyMention, NotifyReply, NotifyGroupInvite, NotifyGroupApproved, NotifyGroupRejected:
		return AlertMention, true
	case NotifyLike:
		return AlertFavourite, true
	case NotifyBoost:
		return AlertReblog, true
	case NotifyFollow:
		return AlertFollow, true
	case NotifyGroupPost:
		return AlertStatus, true
	case NotifyGroupRequest:
		return AlertFollowRequest, true
	}
	return "", false
}

// PushAlerts are the alerts a subscription wants. In JSON (the store's, and Mastodon's
// WebPushSubscription.alerts) it is an object of alert name to boolean.
type PushAlerts struct {
	Mention, Status, Reblog, Follow, FollowRequest, Favourite, Poll, Update, AdminSignUp, AdminReport bool
}

func (as *PushAlerts) field(a PushAlert) *bool {
	switch a {
	case AlertMention:
		return &as.Mention
	case AlertStatus:
		return &as.Status
	case AlertReblog:
		return &as.Reblog
	case AlertFollow:
		return &as.Follow
	case AlertFollowRequest:
		return &as.FollowRequest
	case AlertFavourite:
		return &as.Favourite
	case AlertPoll:
		return &as.Poll
	case AlertUpdate:
		return &as.Update
	case AlertAdminSignUp:
		return &as.AdminSignUp
	case AlertAdminReport:
		return &as.AdminReport
	}
	return nil
}

// Has reports whether a is wanted.
func (as PushAlerts) Has(a PushAlert) bool {
	f := as.field(a)
	return f != nil && *f
}

// Set turns a on or off; it reports false for a name that is not an alert.
func (as *PushAlerts) Set(a PushAlert, on bool) bool {
	f := as.field(a)
	if f != nil {
		*f = on
	}
	return f != nil
}

// Map returns every alert and whether it is wanted.
func (as PushAlerts) Map() map[PushAlert]bool {
	m := make(map[PushAlert]bool, len(PushAlertNames))
	for _, a := range PushAlertNames {
		m[a] = as.Has(a)
	}
	return m
}

// MarshalJSON writes Map.
func (as PushAlerts) MarshalJSON() ([]byte, error) { return json.Marshal(as.Map()) }

// UnmarshalJSON reads an object of alert name to boolean, ignoring unknown names.
func (as *PushAlerts) UnmarshalJSON(b []byte) error {
	var m map[PushAlert]bool
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*as = PushAlerts{}
	for a, on := range m {
		as.Set(a, on)
	}
	return nil
}

// forRole turns off the administrators' alerts for whoever may not receive them, so
// that a subscription says what will actually be pushed.
func (as PushAlerts) forRole(r Role) PushAlerts {
	if r != RoleAdmin {
		as.AdminSignUp = false
	}
	if r != RoleAdmin && r != RoleModerator {
		as.AdminReport = false
	}
	return as
}

// PushPolicy says from whom notifications are pushed (Mastodon's data[policy]).
type PushPolicy string

// The policies.
const (
	PolicyAll      PushPolicy = "all"      // from anyone
	PolicyFollowed PushPolicy = "followed" // from people the member follows
	PolicyFollower PushPolicy = "follower" // from people who follow the member
	PolicyNone     PushPolicy = "none"     // from nobody
)

func (p PushPolicy) normalize() (PushPolicy, error) {
	switch p {
	case "":
		return PolicyAll, nil
	case PolicyAll, PolicyFollowed, PolicyFollower, PolicyNone:
		return p, nil
	}
	return "", Errorf(CodeInvalid, "error.push_policy_invalid")
}

// PushSubscription is where, and how encrypted, an app wants its member's notifications
// pushed. There is at most one per access token.
type PushSubscription struct {
	ID        int64 // changes when the subscription is replaced
	TokenID   int64
	AccountID int64
	Endpoint  string // the push service's URL for this app on this device
	P256dh    string // the app's P-256 public key, base64url without padding
	Auth      string // the app's 16-byte authentication secret, base64url without padding
	Alerts    PushAlerts
	Policy    PushPolicy
	CreatedAt time.Time
}

// MaxPushEndpointLen bounds a subscription's endpoint.
const MaxPushEndpointLen = 2048

// PushTTL is how long a push service keeps a message for a device that is offline;
// a notification older than this is not pushed at all (Mastodon's figure).
const PushTTL = 48 * time.Hour

// pushBodyChars bounds the text of a pushed post (Mastodon's figure).
const pushBodyChars = 140

// VAPIDKey is the instance's key pair for VAPID (RFC 8292), by which push services
// know messages come from the server the app subscribed through. Private is the P-256
// scalar (32 bytes), Public the uncompressed point (65 bytes).
type VAPIDKey struct {
	Private []byte
	Public  []byte
}

// PushDelivery is one notification to push to one subscription: a job.
type PushDelivery struct {
	NotificationID int64
	SubscriptionID int64
}

// PushNotice is what pushing one notification to one subscription needs, read when
// the message is sent.
type PushNotice struct {
	Subscription PushSubscription
	Recipient    User
	// Notification's Post is set only when the recipient may see the post now (the
	// gate, at send time); PostID is set whenever the notification is about a post.
	Notification Notification
	PostID       int64
	// The recipient follows the notification's sender, and the other way round
	// (PolicyFollowed and PolicyFollower).
	FollowsSender    bool
	FollowedBySender bool
}

// PushMessage is one message for a push service, before encryption.
type PushMessage struct {
	Endpoint string
	P256dh   string // base64url
	Auth     string // base64url
	Payload  []byte // JSON, encrypted for the subscriber by the sender
	TTL      time.Duration
	Urgency  string // RFC 8030: very-low, low, normal or high
	VAPID    VAPIDKey
}

// PushSender delivers messages to push services (internal/webpush). It returns a
// *PushRefusedError when the push service answers with anything but success.
type PushSender interface {
	Send(ctx context.Context, m PushMessage) error
}

// PushRefusedError is a push service's refusal of a message.
type PushRefusedError struct {
	Status     int
	RetryAfter time.Duration // from Retry-After, 0 if none
}

func (e *PushRefusedError) Error() string {
	return "push service answered " + strconv.Itoa(e.Status)
}

// Gone reports whether the push service says the subscription no longer exists (RFC
// 8030 section 7.3): the app was uninstalled or its subscription expired.
func (e *PushRefusedError) Gone() bool { return e.Status == 404 || e.Status == 410 }

// Permanent reports whether sending the same message again cannot succeed: any client
// error but a timeout, too-early and rate limiting.
func (e *PushRefusedError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != 408 && e.Status != 425 && e.Status != 429
}

// PushStore is what push needs from persistence (internal/postgres).
type PushStore interface {
	// PutPushSubscription creates, or replaces with a new id, the subscription of
	// access token s.TokenID, which must be accountID's: ErrNotFound otherwise.
	PutPushSubscription(ctx context.Context, accountID int64, s PushSubscription) (PushSubscription, error)
	// PushSubscription returns the subscription of accountID's token; ErrNotFound if none.
	PushSubscription(ctx context.Context, accountID, tokenID int64) (PushSubscription, error)
	// UpdatePushAlerts replaces the alerts and policy; ErrNotFound if there is no subscription.
	UpdatePushAlerts(ctx context.Context, accountID, tokenID int64, a PushAlerts, p PushPolicy) (PushSubscription, error)
	// DeletePushSubscription deletes accountID's token's subscription; ErrNotFound if none.
	DeletePushSubscription(ctx context.Context, accountID, tokenID int64) error
	// ForgetPushSubscription deletes the subscription with that id, if it still exists.
	ForgetPushSubscription(ctx context.Context, id int64) error
	// VAPIDKey returns the instance's VAPID key, storing candidate first if there is
	// none: concurrent first callers, on any node, all get the same key.
	VAPIDKey(ctx context.Context, candidate VAPIDKey) (VAPIDKey, error)
	// PushNotice returns what pushing the notification to the subscription needs;
	// ErrNotFound when either no longer exists (the notification was withdrawn, the
	// subscription replaced or deleted).
	PushNotice(ctx context.Context, notificationID, subscriptionID int64) (PushNotice, error)
}

// Push is the use-case layer for Web Push: subscriptions of Mastodon apps, the VAPID
// key, and the delivery of one notification to one subscription.
type Push struct {
	Store   PushStore
	Sender  PushSender
	Catalog *i18n.Catalog
	// Icon returns the URL of the image shown beside a pushed notification (the
	// sender's avatar); nil leaves it empty.
	Icon func(from Author) string
	// AllowPrivate accepts http endpoints and endpoints on loopback and private
	// addresses: development only, since the server would otherwise post wherever a
	// member points it (server-side request forgery).
	AllowPrivate bool
	Now          func() time.Time // nil: time.Now

	mu  sync.Mutex
	key *VAPIDKey
}

func (p *Push) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Subscribe creates or replaces the subscription of u's access token tokenID, after
// validating s (endpoint, keys, policy; the token and account come from the
// arguments). Administrators' alerts are kept only for those who may get them.
// Errors: CodeInvalid with a message naming the bad field; ErrNotFound when the token
// is not u's.
func (p *Push) Subscribe(ctx context.Context, u User, tokenID int64, s PushSubscription) (PushSubscription, error) {
	endpoint, err := p.validEndpoint(s.Endpoint)
	if err != nil {
		return PushSubscription{}, err
	}
	p256dh, err := decodeKey(s.P256dh)
	if err != nil || !validP256(p256dh) {
		return PushSubscription{}, Errorf(CodeInvalid, "error.push_key_invalid")
	}
	auth, err := decodeKey(s.Auth)
	if err != nil || len(auth) != 16 {
		return PushSubscription{}, Errorf(CodeInvalid, "error.push_auth_invalid")
	}
	policy, err := s.Policy.normalize()
	if err != nil {
		return PushSubscription{}, err
	}
	return p.Store.PutPushSubscription(ctx, u.ID, PushSubscription{
		TokenID:   tokenID,
		AccountID: u.ID,
		Endpoint:  endpoint,
		P256dh:    base64.RawURLEncoding.EncodeToString(p256dh),
		Auth:      base64.RawURLEncoding.EncodeToString(auth),
		Alerts:    s.Alerts.forRole(u.Role),
		Policy:    policy,
	})
}

// Subscription returns the subscription of u's access token; ErrNotFound if none.
func (p *Push) Subscription(ctx context.Context, u User, tokenID int64) (PushSubscription, error) {
	return p.Store.PushSubscription(ctx, u.ID, tokenID)
}

// UpdateAlerts replaces the alerts and policy of the subscription of u's access token
// ("" policy: all). ErrNotFound if there is none; CodeInvalid for an unknown policy.
func (p *Push) UpdateAlerts(ctx context.Context, u User, tokenID int64, alerts PushAlerts, policy PushPolicy) (PushSubscription, error) {
	policy, err := policy.normalize()
	if err != nil {
		return PushSubscription{}, err
	}
	return p.Store.UpdatePushAlerts(ctx, u.ID, tokenID, alerts.forRole(u.Role), policy)
}

// Unsubscribe deletes the subscription of u's access token; ErrNotFound if none (the
// client API answers success all the same, as Mastodon does).
func (p *Push) Unsubscribe(ctx context.Context, u User, tokenID int64) error {
	return p.Store.DeletePushSubscription(ctx, u.ID, tokenID)
}

// VAPIDPublicKey returns the instance's VAPID public key as apps expect it (Mastodon's
// configuration.vapid.public_key and WebPushSubscription.server_key): the uncompressed
// P-256 point, base64url without padding. The key pair is made on first use and kept.
func (p *Push) VAPIDPublicKey(ctx context.Context) (string, error) {
	k, err := p.vapidKey(ctx)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(k.Public), nil
}

// vapidKey returns the stored key pair, making and storing one the first time. It
// never changes afterwards (apps check it), so it is kept in memory once read.
func (p *Push) vapidKey(ctx context.Context) (VAPIDKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != nil {
		return *p.key, nil
	}
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return VAPIDKey{}, err
	}
	k, err := p.Store.VAPIDKey(ctx, VAPIDKey{Private: priv.Bytes(), Public: priv.PublicKey().Bytes()})
	if err != nil {
		return VAPIDKey{}, err
	}
	p.key = &k
	return k, nil
}

// Deliver pushes one notification to one subscription, if it still should be: the
// notification and the subscription exist, the recipient is not suspended, the
// subscription wants the alert and its policy admits the sender, the notification is
// not older than PushTTL, and the recipient may still see its post (read through the
// gate now, not when the notification was made). Otherwise it does nothing.
//
// A push service that says the subscription is gone gets it deleted. Any other
// failure is returned, a *PushRefusedError when the push service refused; the job
// queue decides whether to try again.
func (p *Push) Deliver(ctx context.Context, d PushDelivery) error {
	n, err := p.Store.PushNotice(ctx, d.NotificationID, d.SubscriptionID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	msg, ok := p.message(n)
	if !ok {
		return nil
	}
	if msg.VAPID, err = p.vapidKey(ctx); err != nil {
		return err
	}
	err = p.Sender.Send(ctx, msg)
	var refused *PushRefusedError
	if errors.As(err, &refused) && refused.Gone() {
		return p.Store.ForgetPushSubscription(ctx, n.Subscription.ID)
	}
	return err
}

// pushPayload is Mastodon's push message (Web::NotificationSerializer), less the
// access token: Ruche stores only hashes of tokens, and apps do not need it.
type pushPayload struct {
	NotificationID   string `json:"notification_id"`
	NotificationType string `json:"notification_type"`
	PreferredLocale  string `json:"preferred_locale"`
	Icon             string `json:"icon"`
	Title            string `json:"title"`
	Body             string `json:"body"`
}

// message decides whether n is pushed and, if so, writes its message (without the
// VAPID key). Title and body are plain text in the recipient's language.
func (p *Push) message(n PushNotice) (PushMessage, bool) {
	s, nt := n.Subscription, n.Notification
	alert, ok := PushAlertOf(nt.Kind)
	switch {
	case !ok, !s.Alerts.Has(alert), n.Recipient.SuspendedAt != nil,
		n.PostID != 0 && nt.Post == nil,
		p.now().Sub(nt.CreatedAt) > PushTTL:
		return PushMessage{}, false
	}
	switch s.Policy {
	case PolicyAll:
	case PolicyFollowed:
		ok = n.FollowsSender
	case PolicyFollower:
		ok = n.FollowedBySender
	default:
		ok = false
	}
	if !ok {
		return PushMessage{}, false
	}
	pr := p.Catalog.Printer(n.Recipient.Locale, "")
	title := pr.T("push."+string(nt.Kind), nt.From.Name())
	if nt.Group != nil {
		title = pr.T("push."+string(nt.Kind), nt.From.Name(), nt.Group.Name)
	}
	body := "@" + nt.From.Handle()
	if nt.Post != nil {
		// A content warning stands for the text it hides, as on the page.
		body = nt.Post.SpoilerText
		if body == "" {
			body = richtext.PlainText(nt.Post.HTML)
		}
	}
	pl := pushPayload{
		NotificationID:   strconv.FormatInt(nt.ID, 10),
		NotificationType: string(alert),
		PreferredLocale:  pr.Lang(),
		Title:            truncate(title, 2*pushBodyChars),
		Body:             truncate(body, pushBodyChars),
	}
	if p.Icon != nil {
		pl.Icon = p.Icon(nt.From)
	}
	b, err := json.Marshal(pl)
	if err != nil {
		return PushMessage{}, false // strings only: cannot happen
	}
	return PushMessage{
		Endpoint: s.Endpoint, P256dh: s.P256dh, Auth: s.Auth, Payload: b,
		TTL: PushTTL, Urgency: "normal",
	}, true
}

// truncate cuts s to at most n characters, marking the cut, and folds line breaks so
// a notification's one or two lines show the most text.
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// validEndpoint checks that raw is an absolute https URL (http too when AllowPrivate) of
// at most MaxPushEndpointLen bytes, whose host is a name or a public address. The
// sender checks the address a name resolves to when it connects.
func (p *Push) validEndpoint(raw string) (string, error) {
	bad := Errorf(CodeInvalid, "error.push_endpoint_invalid", MaxPushEndpointLen)
	if len(raw) > MaxPushEndpointLen {
		return "", bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || u.Fragment != "" {
		return "", bad
	}
	if u.Scheme != "https" && !(p.AllowPrivate && u.Scheme == "http") {
		return "", bad
	}
	host := strings.ToLower(u.Hostname())
	if p.AllowPrivate {
		return raw, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !activitypub.IsPublicAddr(a) {
			return "", bad
		}
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") || !strings.Contains(host, ".") ||
		strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
		return "", bad
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", bad
		}
	}
	return raw, nil
}

// decodeKey decodes base64url with or without padding.
func decodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// validP256 reports whether b is an uncompressed point of P-256.
func validP256(b []byte) bool {
	if len(b) != 65 || b[0] != 4 {
		return false
	}
	_, err := ecdh.P256().NewPublicKey(b)
	return err == nil
}

package ruche

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a member may do on the instance.
type Role string

// The roles, from most to least powerful. Guests are people from outside the company
// (freelancers, partners' staff) invited into specific groups only.
const (
	RoleAdmin     Role = "admin"
	RoleModerator Role = "moderator"
	RoleMember    Role = "member"
	RoleGuest     Role = "guest"
)

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleModerator, RoleMember, RoleGuest:
		return true
	}
	return false
}

// User is a member of this instance who can sign in. ID is their account's id.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Email        string
	Role         Role
	Locale       string // "" follows the browser
	SuspendedAt  *time.Time
	CreatedAt    time.Time
	PasswordHash string // argon2id, PHC format; never leaves the domain
}

// Name is what to call the user: the display name, or the username when it is empty.
func (u User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

// IsAdmin reports whether u may administer the instance.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

// NewUser is what a person (or an operator) gives to create an account.
type NewUser struct {
	Username    string
	DisplayName string
	Email       string
	Password    string
	Role        Role
	Locale      string
}

var usernameRE = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// Passwords shorter than this are refused; longer than the max are refused so that
// hashing cost stays bounded.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// Normalize lower-cases the username and e-mail and trims spaces, so uniqueness is
// case-insensitive everywhere.
func (n *NewUser) Normalize() {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	n.Email = strings.TrimSpace(n.Email)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
}

// Validate checks every field and returns the first problem as an *Error with a
// message a person can act on.
func (n NewUser) Validate() error {
	if !usernameRE.MatchString(n.Username) {
		return Errorf(CodeInvalid, "error.username_invalid")
	}
	if err := ValidateEmail(n.Email); err != nil {
		return err
	}
	if utf8.RuneCountInString(n.DisplayName) > 100 {
		return Errorf(CodeInvalid, "error.display_name_too_long", 100)
	}
	if err := ValidatePassword(n.Password); err != nil {
		return err
	}
	if !n.Role.Valid() {
		return Errorf(CodeInvalid, "error.role_invalid")
	}
	return nil
}

// ValidateEmail accepts a bare address (no display name), at most 254 bytes.
func ValidateEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || len(email) > 254 {
		return Errorf(CodeInvalid, "error.email_invalid")
	}
	return nil
}

// ValidatePassword enforces the length bounds.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return Errorf(CodeInvalid, "error.password_too_short", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return Errorf(CodeInvalid, "error.password_too_long", MaxPasswordLen)
	}
	return nil
}

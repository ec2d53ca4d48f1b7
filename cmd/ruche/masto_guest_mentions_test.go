package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestMastoGuestNeverLearnsHiddenNames: a reply names its parent's author (in its
// mentions and in_reply_to_account_id). When the parent is hidden from a guest the
// reply is addressed to, the guest must not learn that author from the reply, nor
// from the conversation's participants.
func TestMastoGuestNeverLearnsHiddenNames(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	carol := member(t, m, base, "carol", ruche.RoleMember)
	gina := member(t, m, base, "gina", ruche.RoleGuest)
	var dm, reply struct{ ID string }
	carol.ok("POST", "/api/v1/statuses", url.Values{"status": {"@alice the board meets on Friday"}, "visibility": {"direct"}}).into(t, &dm)
	alice.ok("POST", "/api/v1/statuses", url.Values{"status": {"@gina fyi"}, "visibility": {"direct"}, "in_reply_to_id": {dm.ID}}).into(t, &reply)

	var st struct {
		InReplyToID        *string `json:"in_reply_to_id"`
		InReplyToAccountID *string `json:"in_reply_to_account_id"`
		Mentions           []struct{ Username string }
	}
	gina.get("/api/v1/statuses/"+reply.ID, &st)
	if st.InReplyToAccountID != nil {
		t.Errorf("the guest learns whom the reply answers: %s", *st.InReplyToAccountID)
	}
	for _, mn := range st.Mentions {
		if mn.Username == "carol" {
			t.Errorf("the guest learns carol from the reply's mentions: %+v", st.Mentions)
		}
	}
	gina.want(http.StatusNotFound, "GET", "/api/v1/accounts/"+idOf(carol.user.ID), nil)
	var convs []struct {
		Accounts []struct{ Username string }
	}
	gina.get("/api/v1/conversations", &convs)
	for _, c := range convs {
		for _, a := range c.Accounts {
			if a.Username == "carol" {
				t.Errorf("the guest learns carol from the conversation: %+v", convs)
			}
		}
	}
	// Alice, who may see everything here, still sees whom she answered.
	alice.get("/api/v1/statuses/"+reply.ID, &st)
	if st.InReplyToAccountID == nil || *st.InReplyToAccountID != idOf(carol.user.ID) {
		t.Errorf("alice's own reply lost its parent's author")
	}
}

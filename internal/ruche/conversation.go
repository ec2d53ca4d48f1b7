package ruche

import "context"

// conversationScan is how many conversations one step of Conversation reads.
const conversationScan = 40

// Conversation returns u's conversation id (see Conversations) as its list shows it;
// not found when u has no such conversation, or has hidden it and nobody wrote in it
// since.
//
// The store finds conversations by page only, so this reads u's conversations whose
// last post is not older than id (a conversation's id is its first post's, so its
// last post is never older), oldest first, until it meets id. Conversations are few
// per member, and those older than the one asked for are never read.
func (ps *Posts) Conversation(ctx context.Context, u User, id int64) (Conversation, error) {
	p := Page{MinID: id - 1, Limit: conversationScan}
	for {
		cs, err := ps.Store.Conversations(ctx, ViewerOf(u), p)
		if err != nil {
			return Conversation{}, err
		}
		for _, c := range cs {
			if c.ID == id {
				return c, nil
			}
		}
		if len(cs) < conversationScan {
			return Conversation{}, Errorf(CodeNotFound, "error.not_found")
		}
		if p.MinID > 0 {
			p.MinID = cs[0].LastPost.ID // the newest on the page: the next page is above it
		} else {
			p.MaxID = cs[len(cs)-1].LastPost.ID // id 1: read from the newest down
		}
	}
}

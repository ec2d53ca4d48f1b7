package postgres

import (
	"context"
	"fmt"
	"strconv"
)

// Listen holds one connection that LISTENs for the changes other transactions announce
// (see notify and channelPosts), on this node or any other, and calls onPost with a
// post's id or onNotification with a recipient's account id. It returns when ctx ends
// or the connection fails; the caller reconnects. onConnect runs once listening, so the
// caller can catch up on anything missed while it was not.
func (s *Store) Listen(ctx context.Context, onConnect func(), onPost, onNotification func(int64)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection must not go back to the pool.
	raw := conn.Hijack()
	defer raw.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{channelPosts, channelNotifications} {
		if _, err := raw.Exec(ctx, "LISTEN "+ch); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	onConnect()
	for {
		n, err := raw.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			continue // not ours
		}
		switch n.Channel {
		case channelPosts:
			onPost(id)
		case channelNotifications:
			onNotification(id)
		}
	}
}

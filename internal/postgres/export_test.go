package postgres

// What the read model's tests need to see of it.

// ConnString is the store's database, for a second store on it.
func (s *Store) ConnString() string { return s.pool.Config().ConnString() }

// CacheSettled reports whether home pages may come from memory now: the cache listens
// and has heard every write this store made.
func (s *Store) CacheSettled() bool {
	_, ok := s.hot.usable()
	return ok
}

// HotServed is how many home pages came from memory.
func (s *Store) HotServed() int64 { return s.hot.stats[hotServed].Load() }

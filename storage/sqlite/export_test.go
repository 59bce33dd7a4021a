package sqlite

// InboxStatsQuery is the query behind Inbox().Stats, for a test of its plan.
var InboxStatsQuery = dialect.InboxStats

// WithFlushWrapper wraps the flush of the write-ahead log that durable
// commits wait for (synchronous=full), so that a test can hold or fail it.
func WithFlushWrapper(w func(flush func() error) func() error) Option {
	return func(o *options) error {
		o.wrapFlush = w
		return nil
	}
}

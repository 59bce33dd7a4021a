package sqlite

// InboxStatsQuery is the query behind Inbox().Stats, for a test of its plan.
var InboxStatsQuery = dialect.InboxStats

// Package postgrestest opens Postgres stores for tests, each in a schema of
// its own that is dropped afterwards, so tests run in parallel on one
// database without seeing each other's data.
//
// The database comes from IMPACTCHAT_TEST_POSTGRES (a postgres:// URL).
// When it is unset or the server does not answer, tests are skipped, unless
// IMPACTCHAT_REQUIRE_POSTGRES=1, which makes them fail instead (CI sets it).
//
// Two replicas of a line sharing a database:
//
//	url := postgrestest.URL(t)
//	a := postgrestest.OpenURL(t, url)
//	b := postgrestest.OpenURL(t, url)
package postgrestest

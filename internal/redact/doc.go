// Package redact keeps personal data and secrets out of logs and error
// strings.
//
// It offers three things: functions that mask a value ([Identifier],
// [Secret], [Text]), types that mask themselves when logged ([Phone],
// [SecretString]), and [ReplaceAttr], a slog option that masks attributes by
// key and scrubs anything that looks like a phone number from string values,
// as the last line of defence.
package redact

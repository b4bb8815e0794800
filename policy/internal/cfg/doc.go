// Package cfg reads apiwarden's JSON configuration strictly and reports every
// problem with the JSON path it was found at, for example
//
//	sequences.rules[2].within: want a duration like "5m", got "5 minutes"
//
// A Node is a value plus its path; reading it with the wrong type, finding an
// unknown or duplicated key, or an out-of-range value records an error in the
// shared Errors and returns the zero value, so a caller reads the whole
// document once and reports all problems together (errors.Join), never only
// the first. This runs at configure time only; nothing here is on the
// request path.
package cfg

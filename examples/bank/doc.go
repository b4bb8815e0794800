// Package bank is the banking API of apiwarden's design seed: a demo
// upstream that answers the four operations with realistic JSON (account
// numbers, owner names and national ids included, so response protection has
// something to do), the apiwarden configuration for it, and the traffic used
// by `make run` and `make demo`.
package bank

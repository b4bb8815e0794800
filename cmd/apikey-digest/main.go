// Command apikey-digest prints the SHA-256 digest (lower-case hex) of an
// API key, the form auth.api_keys[].keys takes: the configuration never
// holds the key itself.
//
//	apikey-digest 'the-key'          # from the argument
//	printf %s 'the-key' | apikey-digest   # from stdin (one trailing newline is dropped)
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apiwarden/apiwarden/policy/auth"
)

func main() {
	out, err := run(os.Args[1:], os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apikey-digest:", err)
		os.Exit(2)
	}
	fmt.Println(out)
}

func run(args []string, stdin io.Reader) (string, error) {
	var key string
	switch len(args) {
	case 0:
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<16))
		if err != nil {
			return "", err
		}
		key = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	case 1:
		key = args[0]
	default:
		return "", fmt.Errorf("usage: apikey-digest [key] (or the key on stdin)")
	}
	if key == "" {
		return "", fmt.Errorf("empty key")
	}
	return auth.Digest(key), nil
}

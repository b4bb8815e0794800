// Command checkconfig validates an apiwarden configuration offline, with the
// same code proxy_on_configure runs, so CI pipelines can lint a
// configuration before deploying it. It prints every problem with its JSON
// path (the first cfg.MaxErrors of them), then every distinct reason with
// how often it occurs, and exits 1 when the configuration would be
// refused.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/apiwarden/apiwarden/policy"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: checkconfig <apiwarden.json>")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, err := policy.Compile(raw)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: invalid configuration:\n%v\n", os.Args[1], err)
		var r interface{ Reasons() []string }
		if errors.As(err, &r) {
			fmt.Fprintf(os.Stderr, "%s: every reason, with how often it occurs:\n", os.Args[1])
			for _, line := range r.Reasons() {
				fmt.Fprintf(os.Stderr, "  %s\n", line)
			}
		}
		os.Exit(1)
	}
	fmt.Printf("%s: ok (%d endpoints, mode %s, unknown endpoints %s)\n", os.Args[1], len(p.Endpoints), p.Mode, p.UnknownEndpoints)
}

// Command spin is guestprof's test guest: it spends its time in hot,
// called from main through warm.
package main

import (
	"fmt"
	"os"
	"time"
)

//go:noinline
func hot(x uint64) uint64 { return x*6364136223846793005 + 1442695040888963407 }

//go:noinline
func warm(until time.Time) uint64 {
	var x uint64
	for time.Now().Before(until) {
		for i := 0; i < 1000; i++ {
			x = hot(x)
		}
	}
	return x
}

func main() {
	fmt.Println(warm(time.Now().Add(300*time.Millisecond)) != 0, os.Getenv("SPIN"))
}

package wasmtest

import (
	"sort"
	"sync"
)

// Profile counts what crosses the ABI (Options.Profile): host calls by
// name, exports entered by name (each proxy_on_memory_allocate is one),
// bytes the host copied into guest memory and read out of it, and log
// lines. It is what a benchmark needs to show where a request's cost goes;
// it adds a lock per call, so leave it nil in timed runs. Safe for
// concurrent use.
type Profile struct {
	mu        sync.Mutex
	hostCalls map[string]int64
	exports   map[string]int64
	toGuest   int64
	fromGuest int64
}

// ProfileCounts is a Profile's state at one moment.
type ProfileCounts struct {
	HostCalls, Exports map[string]int64
	// BytesToGuest are bytes the host wrote into guest memory through the
	// allocator (header maps, bodies, properties, shared data);
	// BytesFromGuest are bytes it read (keys, values, logs, bodies set).
	BytesToGuest, BytesFromGuest int64
}

func (p *Profile) hostCall(name string) {
	p.mu.Lock()
	if p.hostCalls == nil {
		p.hostCalls = map[string]int64{}
	}
	p.hostCalls[name]++
	p.mu.Unlock()
}

func (p *Profile) export(name string) {
	p.mu.Lock()
	if p.exports == nil {
		p.exports = map[string]int64{}
	}
	p.exports[name]++
	p.mu.Unlock()
}

func (p *Profile) copied(toGuest, fromGuest int) {
	p.mu.Lock()
	p.toGuest += int64(toGuest)
	p.fromGuest += int64(fromGuest)
	p.mu.Unlock()
}

// Counts returns a copy of the counters.
func (p *Profile) Counts() ProfileCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := ProfileCounts{HostCalls: map[string]int64{}, Exports: map[string]int64{}, BytesToGuest: p.toGuest, BytesFromGuest: p.fromGuest}
	for k, v := range p.hostCalls {
		c.HostCalls[k] = v
	}
	for k, v := range p.exports {
		c.Exports[k] = v
	}
	return c
}

// Sub returns c minus an earlier reading.
func (c ProfileCounts) Sub(earlier ProfileCounts) ProfileCounts {
	d := ProfileCounts{HostCalls: map[string]int64{}, Exports: map[string]int64{},
		BytesToGuest: c.BytesToGuest - earlier.BytesToGuest, BytesFromGuest: c.BytesFromGuest - earlier.BytesFromGuest}
	for k, v := range c.HostCalls {
		if n := v - earlier.HostCalls[k]; n != 0 {
			d.HostCalls[k] = n
		}
	}
	for k, v := range c.Exports {
		if n := v - earlier.Exports[k]; n != 0 {
			d.Exports[k] = n
		}
	}
	return d
}

// Total is the sum of a count map.
func Total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Names returns a count map's keys, largest count first.
func Names(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

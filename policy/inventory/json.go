package inventory

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/apiwarden/apiwarden/policy/kernel"
)

// KnownOp names a known operation for AppendJSON.
type KnownOp struct {
	ID, Method, Path string
}

// AppendJSON appends the inventory as one JSON object: the known
// operations in the order given, each with its request count and status
// classes, and the shadow endpoints (most hits first, then by template and
// method), each with hits, estimated distinct paths ("examples"), first
// and last seen (RFC 3339, UTC) and status classes. Counts are those of
// shared data (all VMs, as of their last flush) plus this VM's counts not
// flushed yet. It reads shared data and writes nothing.
//
//	{"known":[{"id":"get_balance","method":"GET","path":"/api/v1/accounts/{account_id}/balance",
//	   "requests":3,"status":{"1xx":0,"2xx":2,"3xx":0,"4xx":1,"5xx":0,"other":0}}],
//	 "shadow":[{"method":"GET","template":"/api/v1/users/{id}/cards","hits":2,"examples":2,
//	   "first_seen":"2026-01-02T03:04:05Z","last_seen":"2026-01-02T03:04:06Z",
//	   "status":{"1xx":0,"2xx":0,"3xx":0,"4xx":2,"5xx":0,"other":0}}],
//	 "shadow_evicted":{"endpoints":0,"hits":0},"max_shadow":500,"dropped_entries":0}
func (inv *Inventory) AppendJSON(dst []byte, known []KnownOp) ([]byte, error) {
	rawOps, _, _, err := inv.store.Get(inv.opsKey)
	if err != nil {
		return dst, fmt.Errorf("inventory: read %s: %w", inv.opsKey, err)
	}
	rawShadow, _, _, err := inv.store.Get(inv.shadowKey)
	if err != nil {
		return dst, fmt.Errorf("inventory: read %s: %w", inv.shadowKey, err)
	}
	ops, _ := decodeOps(rawOps)
	shadow, _ := decodeShadow(rawShadow)

	inv.mu.Lock()
	local := make([][numClasses]uint64, len(inv.ops))
	copy(local, inv.ops)
	var deltas []shadowEntry
	for _, e := range inv.shadow {
		if e.hits != 0 || e.classes != ([numClasses]uint64{}) {
			deltas = append(deltas, shadowEntry{method: e.method, template: e.template, hits: e.hits,
				classes: e.classes, first: e.first, last: e.last, sketch: e.sketch})
		}
	}
	dropped := inv.dropped
	inv.mu.Unlock()

	shadow.merge(deltas, dropped, inv.max)
	byID := make(map[string][numClasses]uint64, len(ops))
	for _, e := range ops {
		byID[e.id] = e.classes
	}

	dst = append(dst, `{"known":[`...)
	for i, k := range known {
		if i > 0 {
			dst = append(dst, ',')
		}
		counts := byID[k.ID]
		if j, ok := inv.idIndex[k.ID]; ok {
			for c := range counts {
				counts[c] += local[j][c]
			}
		}
		var total uint64
		for _, c := range counts {
			total += c
		}
		dst = append(dst, `{"id":`...)
		dst = appendString(dst, k.ID)
		dst = append(dst, `,"method":`...)
		dst = appendString(dst, k.Method)
		dst = append(dst, `,"path":`...)
		dst = appendString(dst, k.Path)
		dst = append(dst, `,"requests":`...)
		dst = strconv.AppendUint(dst, total, 10)
		dst = appendClasses(dst, &counts)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"shadow":[`...)
	entries := shadow.entries
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].hits != entries[j].hits {
			return entries[i].hits > entries[j].hits
		}
		return less(&entries[i], &entries[j])
	})
	for i := range entries {
		e := &entries[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"method":`...)
		dst = appendString(dst, e.method)
		dst = append(dst, `,"template":`...)
		dst = appendString(dst, e.template)
		dst = append(dst, `,"hits":`...)
		dst = strconv.AppendUint(dst, e.hits, 10)
		dst = append(dst, `,"examples":`...)
		dst = strconv.AppendUint(dst, e.Examples(), 10)
		dst = append(dst, `,"first_seen":`...)
		dst = appendTime(dst, e.first)
		dst = append(dst, `,"last_seen":`...)
		dst = appendTime(dst, e.last)
		dst = appendClasses(dst, &e.classes)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"shadow_evicted":{"endpoints":`...)
	dst = strconv.AppendUint(dst, shadow.evictedEndpoints, 10)
	dst = append(dst, `,"hits":`...)
	dst = strconv.AppendUint(dst, shadow.evictedHits, 10)
	dst = append(dst, `},"max_shadow":`...)
	dst = strconv.AppendInt(dst, int64(inv.max), 10)
	dst = append(dst, `,"dropped_entries":`...)
	dst = strconv.AppendUint(dst, inv.droppedEntries.Load(), 10)
	return append(dst, '}'), nil
}

func appendClasses(dst []byte, c *[numClasses]uint64) []byte {
	dst = append(dst, `,"status":{`...)
	for i := 1; i <= numClasses; i++ {
		idx := i % numClasses // 1xx..5xx, then other
		if i > 1 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, Classes[idx]...)
		dst = append(dst, `":`...)
		dst = strconv.AppendUint(dst, c[idx], 10)
	}
	return append(dst, '}')
}

func appendTime(dst []byte, unix int64) []byte {
	if unix == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = time.Unix(unix, 0).UTC().AppendFormat(dst, time.RFC3339)
	return append(dst, '"')
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte { return kernel.AppendString(dst, s) }

package openapi

import (
	"github.com/apiwarden/apiwarden/policy/openapi/openapitest"

	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// githubDocPath is where BenchmarkParseStartup looks for the full GitHub
// REST description (npm @octokit/openapi, generated/api.github.com.json;
// 13 MB, kept out of git: see policy/openapi/testdata/README.md for how to
// get it). APIWARDEN_GITHUB_OPENAPI overrides it.
func githubDocPath() string {
	if p := os.Getenv("APIWARDEN_GITHUB_OPENAPI"); p != "" {
		return p
	}
	return "../../build/out/openapi/api.github.com.json"
}

type startupDoc struct {
	name string
	raw  func() []byte
}

var (
	refDense   = sync.OnceValue(func() []byte { return openapitest.GenerateRefDense(6000, 600) })
	chain1000  = sync.OnceValue(func() []byte { return openapitest.GenerateRefChain(1000) })
	chain10000 = sync.OnceValue(func() []byte { return openapitest.GenerateRefChain(10000) })
	synth2000  = sync.OnceValue(func() []byte { return openapitest.GenerateSynthetic(2000) })
)

func startupDocs(tb testing.TB) []startupDoc {
	docs := []startupDoc{
		{"github-fixture", func() []byte { return readFixture(tb, "github.json") }},
		{"discord-3.1", func() []byte { return readFixture(tb, "discord.json") }},
		{"synthetic-2000", synth2000},
		{"refdense-2.4MB", refDense},
		{"refchain-1000", chain1000},
		{"refchain-10000", chain10000},
	}
	if raw, err := os.ReadFile(githubDocPath()); err == nil {
		docs = append(docs, startupDoc{"github-full", func() []byte { return raw }})
	} else {
		tb.Logf("github-full not measured: %v", err)
	}
	return docs
}

func readFixture(tb testing.TB, name string) []byte {
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// BenchmarkParseStartup is the native start-up cost of each document:
// time and allocations per Parse, and two memory figures measured in a
// fresh process (this test binary run again for TestParseMemory), so that
// earlier work does not hide the peak: peak-MiB is the heap the runtime
// holds after one Parse with GOGC=100 (runtime.MemStats.HeapSys) less the
// heap in use before it,
// retained-MiB the live heap the parsed Document holds.
func BenchmarkParseStartup(b *testing.B) {
	for _, d := range startupDocs(b) {
		b.Run(d.name, func(b *testing.B) {
			raw := d.raw()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			var doc *Document
			for b.Loop() {
				var err error
				if doc, err = Parse(raw, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			peak, retained := childMemory(b, d.name)
			b.ReportMetric(peak, "peak-MiB")
			b.ReportMetric(retained, "retained-MiB")
			b.ReportMetric(float64(len(doc.Operations)), "ops")
		})
	}
}

// childMemory runs TestParseMemory for one document in a new process.
func childMemory(tb testing.TB, name string) (peak, retained float64) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestParseMemory$", "-test.count=1")
	cmd.Env = append(os.Environ(), "APIWARDEN_PARSE_MEMORY="+name, "GOGC=100")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s: %v\n%s", name, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "memory %f %f", &peak, &retained); err == nil {
			return peak, retained
		}
	}
	tb.Fatalf("%s: no memory line in\n%s", name, out)
	return 0, 0
}

// TestParseMemory measures one Parse of the document named by
// APIWARDEN_PARSE_MEMORY (run by BenchmarkParseStartup in a fresh
// process); without it, it runs itself that way for the committed GitHub
// fixture and checks that the figures are plausible.
func TestParseMemory(t *testing.T) {
	name := os.Getenv("APIWARDEN_PARSE_MEMORY")
	if name == "" {
		peak, retained := childMemory(t, "github-fixture")
		if peak <= 0 || retained <= 0 || retained > peak {
			t.Errorf("peak %.2f MiB, retained %.2f MiB: want 0 < retained <= peak", peak, retained)
		}
		return
	}
	var raw []byte
	for _, d := range startupDocs(t) {
		if d.name == name {
			raw = d.raw()
		}
	}
	if raw == nil {
		t.Fatalf("no document %q", name)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	doc, err := Parse(raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// What the heap holds once Parse returns (it never hands memory back
	// within a Parse) less what was in use before: the reservation a
	// fresh heap needed. (HeapSys growth alone reads 0 for a document
	// that fits the process's first arena.)
	peak := int64(after.HeapSys) - int64(before.HeapInuse)
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(doc)
	fmt.Printf("memory %.2f %.2f\n", float64(peak)/(1<<20), float64(retained)/(1<<20))
}

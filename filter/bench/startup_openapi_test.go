package bench

import (
	"github.com/apiwarden/apiwarden/policy/openapi/openapitest"

	"os"
	"testing"
)

// githubFull is GitHub's full REST description (13 MB, not committed: see
// policy/openapi/testdata/README.md). APIWARDEN_GITHUB_OPENAPI overrides
// the path.
func githubFullPath() string {
	if p := os.Getenv("APIWARDEN_GITHUB_OPENAPI"); p != "" {
		return p
	}
	return "../../build/out/openapi/api.github.com.json"
}

// openapiStartupSetups are the large OpenAPI documents whose start-up is
// measured: the committed cut of GitHub's description, the full one when
// it is there, Discord's (OpenAPI 3.1, committed whole), a 2.4 MB $ref-dense document and $ref chains of 10^3 and
// 10^4 components.
func openapiStartupSetups(tb testing.TB) []setup {
	fixture, err := os.ReadFile("../../policy/openapi/testdata/github.json")
	if err != nil {
		tb.Fatal(err)
	}
	discord, err := os.ReadFile("../../policy/openapi/testdata/discord.json")
	if err != nil {
		tb.Fatal(err)
	}
	out := []setup{
		openapiSetup("github-fixture", fixture),
		openapiSetup("discord-3.1", discord),
		openapiSetup("refdense-2.4MB", openapitest.GenerateRefDense(6000, 600)),
		openapiSetup("refchain-1000", openapitest.GenerateRefChain(1000)),
		openapiSetup("refchain-10000", openapitest.GenerateRefChain(10000)),
	}
	if raw, err := os.ReadFile(githubFullPath()); err == nil {
		out = append(out, openapiSetup("github-full", raw))
	} else {
		tb.Logf("github-full not measured: %v", err)
	}
	return out
}

func openapiSetup(name string, doc []byte) setup {
	cfg := append([]byte(`{"unknown_endpoints":"block","openapi":`), doc...)
	return setup{name: name, module: modApiwarden, config: append(cfg, '}')}
}

package sequence

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSequences(t *testing.T) {
	c, err := compile(t, `{"sequences":{"rules":[
	  {"id":"transfer-after-balance","endpoint":"transfer_funds","requires":["get_balance"],"within":"5m","action":"block"},
	  {"id":"all","endpoint":"transfer_funds","requires":["login","get_balance"],"match":"all","within_requests":5,"action":"log","mode":"monitor"},
	  {"id":"no-repeated-transfer","endpoint":"transfer_funds","max_consecutive":1,"action":"log"},
	  {"id":"no-enumeration","kind":"deny","sequence":["get_balance","get_balance","get_balance"],"action":"block","mode":"enforce"},
	  {"id":"gaps","kind":"deny","sequence":["update_profile","export_data"],"contiguous":false,"within":"1m","action":"block"},
	  {"id":"allow","kind":"allow","endpoint":"transfer_funds","predecessors":["get_balance","list_accounts"],"allow_first":true,"action":"log"},
	  {"id":"odd","kind":"anomaly","threshold":6.5,"warmup":100,"window":4,"action":"log"}
	],"analytics":{"max_length":3,"top":5,"max_ngrams":500,"min_support":3,"shards":2,"min_confidence":0.9}}}`)
	require.NoError(t, err)
	require.Len(t, c.Rules, 7)
	r := c.Rules[0]
	assert.Equal(t, Rule{ID: "transfer-after-balance", Kind: KindRequires, Action: ActionBlock, Mode: ModeInherit, Endpoint: opTransfer, Ops: []uint16{opBalance}, Within: 5 * time.Minute}, r)
	assert.True(t, c.Rules[1].MatchAll)
	assert.Equal(t, 5, c.Rules[1].WithinRequests)
	assert.Equal(t, ModeMonitor, c.Rules[1].Mode)
	assert.Equal(t, KindMaxConsecutive, c.Rules[2].Kind)
	assert.Equal(t, 1, c.Rules[2].MaxConsecutive)
	assert.True(t, c.Rules[3].Contiguous)
	assert.Equal(t, -1, c.Rules[3].Endpoint)
	assert.False(t, c.Rules[4].Contiguous)
	assert.True(t, c.Rules[5].AllowFirst)
	assert.Equal(t, Rule{ID: "odd", Kind: KindAnomaly, Action: ActionLog, Mode: ModeInherit, Endpoint: -1, Threshold: 6.5, Warmup: 100, Window: 4}, c.Rules[6])
	require.NotNil(t, c.Analytics)
	assert.Equal(t, AnalyticsConfig{MaxLength: 3, Top: 5, MaxNgrams: 500, MinSupport: 3, Shards: 2, MinConfidence: 0.9}, *c.Analytics)

	c, err = compile(t, `{"sequences":{"analytics":{}}}`)
	require.NoError(t, err)
	assert.Equal(t, DefaultAnalytics(), *c.Analytics)
	c, err = compile(t, `{"sequences":{}}`)
	require.NoError(t, err)
	assert.Nil(t, c.Analytics)
}

func TestParseSequencesErrors(t *testing.T) {
	_, err := compile(t, `{"sequences":{"rules":[
	  {"id":"a","endpoint":"transfer_funds","requires":["get_balance","get_balanse"],"action":"block"},
	  {"id":"a","endpoint":"transfer_funds","max_consecutive":0,"action":"log","sequence":["x"]},
	  {"id":"c","kind":"deny","sequence":["get_balance"],"action":"drop"},
	  {"id":"d","kind":"sometimes","action":"log"},
	  {"id":"e","action":"log"},
	  {"kind":"allow","endpoint":"nope","predecessors":[],"action":"log","within":"5 minutes"},
	  {"id":"g","kind":"anomaly","threshold":5,"action":"log"},
	  {"id":"a","endpoint":"login","requires":["logout"],"action":"log"},
	  "x"
	],"extra":true}}`)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`sequences.extra: unknown key (want one of analytics, count, rules)`,
		`sequences.rules[0].requires[1]: unknown operation id "get_balanse" (not an endpoint id)`,
		`sequences.rules[1].sequence: unknown key (want one of action, endpoint, id, kind, max_consecutive, mode, within)`,
		`sequences.rules[1].max_consecutive: want an integer between 1 and 63, got 0`,
		`sequences.rules[2].sequence: want 2 to 16 operation ids, got 1`,
		`sequences.rules[2].action: want one of "log", "block", got "drop"`,
		`sequences.rules[3].kind: want one of "requires", "max_consecutive", "deny", "allow", "anomaly", got "sometimes"`,
		`sequences.rules[4]: cannot tell the rule kind`,
		`sequences.rules[5].id: required`,
		`sequences.rules[5].endpoint: unknown operation id "nope"`,
		`sequences.rules[5].predecessors: want 1 to 64 operation ids, got 0`,
		`sequences.rules[5].within: unknown key`,
		`sequences.rules[6]: an anomaly rule needs sequences.analytics`,
		`sequences.rules[7].id: duplicate rule id "a"`,
		`sequences.rules[8]: want an object, got a string`,
	} {
		assert.Contains(t, msg, want)
	}
	_, err = compile(t, `{"sequences":{"analytics":{"max_length":7,"min_confidence":0.2,"top":0}}}`)
	assert.ErrorContains(t, err, `sequences.analytics.max_length: want an integer between 1 and 6, got 7`)
	assert.ErrorContains(t, err, `sequences.analytics.min_confidence: want a number between 0.5 and 1, got 0.2`)
	assert.ErrorContains(t, err, `sequences.analytics.top: want an integer between 1 and 1000, got 0`)
}

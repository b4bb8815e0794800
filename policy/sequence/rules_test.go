package sequence

import (
	"encoding/json"
	"testing"

	"github.com/apiwarden/apiwarden/policy/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type step = [2]int // op, seconds before now

func TestRules(t *testing.T) {
	cases := []struct {
		name     string
		rule     string
		prior    []step
		op       int
		hit      bool
		evidence string
	}{
		// requires
		{"requires satisfied", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"within":"5m","action":"block"}`,
			[]step{{opLogin, 100}, {opBalance, 60}}, opTransfer, false, ""},
		{"requires missing", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"within":"5m","action":"block"}`,
			[]step{{opList, 10}}, opTransfer, true, `{"prior":["list_accounts"],"ms_since":{"get_balance":null}}`},
		{"requires too old", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"within":"5m","action":"block"}`,
			[]step{{opBalance, 301}, {opList, 10}}, opTransfer, true, `{"prior":["list_accounts","get_balance"],"ms_since":{"get_balance":301000}}`},
		{"requires other endpoint", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"action":"block"}`,
			nil, opList, false, ""},
		{"requires first request", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"action":"block"}`,
			nil, opTransfer, true, `{"prior":[],"ms_since":{"get_balance":null}}`},
		{"requires any of two", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance","list_accounts"],"action":"log"}`,
			[]step{{opList, 10}}, opTransfer, false, ""},
		{"requires all of two, one missing", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance","list_accounts"],"match":"all","action":"log"}`,
			[]step{{opList, 10}}, opTransfer, true, `{"prior":["list_accounts"],"ms_since":{"get_balance":null,"list_accounts":10000}}`},
		{"requires all of two", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance","list_accounts"],"match":"all","action":"log"}`,
			[]step{{opBalance, 20}, {opList, 10}}, opTransfer, false, ""},
		{"within_requests satisfied", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"within_requests":2,"action":"log"}`,
			[]step{{opBalance, 30}, {opProfile, 20}, {opList, 10}}, opTransfer, true, `{"prior":["list_accounts","get_profile","get_balance"],"ms_since":{"get_balance":30000}}`},
		{"within_requests too far", `{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"within_requests":3,"action":"log"}`,
			[]step{{opBalance, 30}, {opProfile, 20}, {opList, 10}}, opTransfer, false, ""},

		// max_consecutive
		{"max_consecutive first", `{"id":"m","endpoint":"transfer_funds","max_consecutive":1,"action":"log"}`,
			[]step{{opBalance, 10}}, opTransfer, false, ""},
		{"max_consecutive twice", `{"id":"m","endpoint":"transfer_funds","max_consecutive":1,"action":"log"}`,
			[]step{{opBalance, 10}, {opTransfer, 5}}, opTransfer, true, `{"prior":["transfer_funds","get_balance"],"ms_since":{"transfer_funds":5000},"run":1,"count":1}`},
		{"max_consecutive broken run", `{"id":"m","endpoint":"get_balance","max_consecutive":2,"action":"log"}`,
			[]step{{opBalance, 10}, {opBalance, 9}, {opList, 8}, {opBalance, 5}}, opBalance, false, ""},
		{"max_consecutive run of 3", `{"id":"m","endpoint":"get_balance","max_consecutive":2,"action":"log"}`,
			[]step{{opList, 8}, {opBalance, 5}, {opBalance, 4}}, opBalance, true, ""},
		{"max_consecutive within counts gaps", `{"id":"m","endpoint":"transfer_funds","max_consecutive":2,"within":"1m","action":"log"}`,
			[]step{{opTransfer, 50}, {opBalance, 40}, {opTransfer, 30}, {opBalance, 20}}, opTransfer, true, `{"prior":["get_balance","transfer_funds","get_balance","transfer_funds"],"ms_since":{"transfer_funds":30000},"run":0,"count":2}`},
		{"max_consecutive within window excludes old", `{"id":"m","endpoint":"transfer_funds","max_consecutive":2,"within":"1m","action":"log"}`,
			[]step{{opTransfer, 90}, {opTransfer, 70}, {opTransfer, 30}}, opTransfer, false, ""},

		// deny
		{"deny contiguous", `{"id":"d","kind":"deny","sequence":["get_balance","get_balance","get_balance"],"action":"block"}`,
			[]step{{opBalance, 3}, {opBalance, 2}}, opBalance, true, `{"prior":["get_balance","get_balance"],"ms_since":{"get_balance":2000}}`},
		{"deny contiguous gap", `{"id":"d","kind":"deny","sequence":["get_balance","get_balance","get_balance"],"action":"block"}`,
			[]step{{opBalance, 3}, {opList, 2}, {opBalance, 1}}, opBalance, false, ""},
		{"deny too short", `{"id":"d","kind":"deny","sequence":["get_balance","get_balance","get_balance"],"action":"block"}`,
			[]step{{opBalance, 3}}, opBalance, false, ""},
		{"deny gaps", `{"id":"d","kind":"deny","sequence":["update_profile","export_data"],"contiguous":false,"action":"block"}`,
			[]step{{opUpdate, 30}, {opList, 20}, {opProfile, 10}}, opExport, true, `{"prior":["get_profile","list_accounts","update_profile"],"ms_since":{"update_profile":30000}}`},
		{"deny gaps order", `{"id":"d","kind":"deny","sequence":["login","update_profile","export_data"],"contiguous":false,"action":"block"}`,
			[]step{{opUpdate, 30}, {opLogin, 20}}, opExport, false, ""},
		{"deny gaps within", `{"id":"d","kind":"deny","sequence":["update_profile","export_data"],"contiguous":false,"within":"1m","action":"block"}`,
			[]step{{opUpdate, 61}, {opList, 20}}, opExport, false, ""},
		{"deny gaps latest match", `{"id":"d","kind":"deny","sequence":["update_profile","export_data"],"contiguous":false,"within":"1m","action":"block"}`,
			[]step{{opUpdate, 120}, {opUpdate, 50}, {opList, 20}}, opExport, true, ""},

		// allow
		{"allow listed", `{"id":"a","kind":"allow","endpoint":"transfer_funds","predecessors":["get_balance","list_accounts"],"action":"block"}`,
			[]step{{opLogin, 30}, {opList, 10}}, opTransfer, false, ""},
		{"allow unlisted", `{"id":"a","kind":"allow","endpoint":"transfer_funds","predecessors":["get_balance","list_accounts"],"action":"block"}`,
			[]step{{opList, 30}, {opLogin, 10}}, opTransfer, true, `{"prior":["login","list_accounts"],"ms_since":{"get_balance":null,"list_accounts":30000}}`},
		{"allow first refused", `{"id":"a","kind":"allow","endpoint":"transfer_funds","predecessors":["get_balance"],"action":"block"}`,
			nil, opTransfer, true, `{"prior":[],"ms_since":{"get_balance":null}}`},
		{"allow first accepted", `{"id":"a","kind":"allow","endpoint":"transfer_funds","predecessors":["get_balance"],"allow_first":true,"action":"block"}`,
			nil, opTransfer, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mustEngine(t, `{"sequences":{"rules":[`+c.rule+`]}}`, session.Config{})
			res := e.Evaluate(Input{Op: uint16(c.op), Prior: hist(t0, c.prior...), Now: session.Millis(t0)})
			if !c.hit {
				assert.Empty(t, res.Hits)
				return
			}
			require.Len(t, res.Hits, 1)
			h := res.Hits[0]
			r := e.Config().Rules[0]
			assert.Equal(t, r.ID, h.Rule)
			assert.Equal(t, r.Action, h.Action)
			assert.Equal(t, r.Kind, h.Kind)
			if c.evidence != "" {
				assert.Equal(t, c.evidence, string(h.Evidence.AppendJSON(nil)))
			}
			assert.True(t, json.Valid(h.AppendJSON(nil)))
		})
	}
}

func TestHitJSONAndModes(t *testing.T) {
	h := Hit{Rule: `q"uote`, Kind: KindDeny, Action: ActionBlock, Mode: ModeMonitor, Evidence: Evidence{Prior: []string{"a"}, Score: 7.256}}
	assert.Equal(t, `{"rule":"q\"uote","kind":"deny","action":"block","mode":"monitor","evidence":{"prior":["a"],"ms_since":{},"score":7.26}}`, string(h.AppendJSON(nil)))
	r := Result{Hits: []Hit{h}}
	_, blocks := r.Blocking(ModeEnforce)
	assert.False(t, blocks, "a monitor-mode rule never blocks")
	r.Hits[0].Mode = ModeInherit
	_, blocks = r.Blocking(ModeEnforce)
	assert.True(t, blocks)
	_, blocks = r.Blocking(ModeMonitor)
	assert.False(t, blocks)
}

// TestHitsKeepTheirOwnEvidence: the hits of one evaluation share the
// Result's evidence arenas; each keeps its own facts, and a reused Result
// evaluates again without allocating once warm.
func TestHitsKeepTheirOwnEvidence(t *testing.T) {
	e := mustEngine(t, `{"sequences":{"rules":[
		{"id":"r","endpoint":"transfer_funds","requires":["get_balance"],"within":"5m","action":"log"},
		{"id":"m","endpoint":"transfer_funds","max_consecutive":1,"action":"log"},
		{"id":"a","kind":"allow","endpoint":"transfer_funds","predecessors":["get_balance","list_accounts"],"action":"log"}]}}`, session.Config{})
	in := Input{Op: opTransfer, Prior: hist(t0, step{opLogin, 20}, step{opTransfer, 5}), Now: session.Millis(t0)}
	var res Result
	e.evaluate(&res, &in)
	require.Len(t, res.Hits, 3)
	want := []string{
		`{"prior":["transfer_funds","login"],"ms_since":{"get_balance":null}}`,
		`{"prior":["transfer_funds","login"],"ms_since":{"transfer_funds":5000},"run":1,"count":1}`,
		`{"prior":["transfer_funds","login"],"ms_since":{"get_balance":null,"list_accounts":null}}`,
	}
	for i, h := range res.Hits {
		assert.Equal(t, want[i], string(h.Evidence.AppendJSON(nil)), h.Rule)
	}
	again := func() {
		in := Input{Op: opTransfer, Prior: in.Prior, Now: in.Now}
		e.evaluate(&res, &in)
	}
	again()
	for i, h := range res.Hits {
		assert.Equal(t, want[i], string(h.Evidence.AppendJSON(nil)), h.Rule)
	}
	assert.Zero(t, testing.AllocsPerRun(50, again))
}

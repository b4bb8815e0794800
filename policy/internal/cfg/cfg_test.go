package cfg

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNodeReportsPathsForEveryProblem(t *testing.T) {
	var errs Errors
	root, err := Parse([]byte(`{"mode":"watch","seq":{"rules":[{"within":"5 minutes"},{"within":"5m","n":2.5}]},"extra":1,"mode":"x"}`), &errs)
	require.NoError(t, err)
	root.Object("mode", "seq")
	m, _ := root.Get("mode")
	m.Enum("monitor", "enforce")
	seq, _ := root.Get("seq")
	rules, _ := seq.Get("rules")
	items, ok := rules.Array()
	require.True(t, ok)
	for _, it := range items {
		w, _ := it.Get("within")
		w.Duration()
		if n, ok := it.Get("n"); ok {
			n.Int(0, 10)
		}
	}
	_, _ = root.Require("missing")
	got := errs.Err()
	require.Error(t, got)
	msg := got.Error()
	assert.Contains(t, msg, `mode: duplicate key`)
	assert.Contains(t, msg, `extra: unknown key (want one of mode, seq)`)
	assert.Contains(t, msg, `mode: want one of "monitor", "enforce", got "watch"`)
	assert.Contains(t, msg, `seq.rules[0].within: want a positive duration like "5m", got "5 minutes"`)
	assert.Contains(t, msg, `seq.rules[1].n: want an integer, got 2.5`)
	assert.Contains(t, msg, `missing: required`)
	assert.NotContains(t, msg, `seq.rules[1].within`)
}

func TestParseSyntaxError(t *testing.T) {
	var errs Errors
	_, err := Parse([]byte(`{"mode":`), &errs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "configuration is not valid JSON")
}

func TestTypeMismatchMessages(t *testing.T) {
	var errs Errors
	root, err := Parse([]byte(`{"a":"x","b":1,"c":[1],"d":true}`), &errs)
	require.NoError(t, err)
	a, _ := root.Get("a")
	a.Bool()
	b, _ := root.Get("b")
	b.String()
	c, _ := root.Get("c")
	c.Strings()
	d, _ := root.Get("d")
	d.Array()
	msg := errs.Err().Error()
	assert.Contains(t, msg, "a: want a boolean, got a string")
	assert.Contains(t, msg, "b: want a string, got a number")
	assert.Contains(t, msg, "c[0]: want a string, got a number")
	assert.Contains(t, msg, "d: want an array, got a boolean")
}

func TestErrorsAreBounded(t *testing.T) {
	var errs Errors
	for i := 0; i < MaxErrors+5; i++ {
		errs.Addf("x", "bad")
	}
	assert.Equal(t, MaxErrors+5, errs.Len())
	assert.Contains(t, errs.Err().Error(), "... and 5 more problems")
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"5m"}]}`))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var errs Errors
		root, err := Parse(data, &errs)
		if err != nil {
			return
		}
		root.Object("a")
		if a, ok := root.Get("a"); ok {
			if items, ok := a.Array(); ok {
				for _, it := range items {
					it.Duration()
					it.Int(0, 5)
					it.Strings()
				}
			}
		}
		_ = errs.Err()
	})
}

func TestReasonsCountEveryProblem(t *testing.T) {
	var errs Errors
	for i := 0; i < 30; i++ {
		errs.Addf(fmt.Sprintf("paths./a%d.get", i), "media type %q is declared twice", fmt.Sprintf("x/%d", i))
	}
	errs.Addf("info.title", "want a string, got a number")
	err := errs.Err()
	if got := strings.Count(err.Error(), "\n") + 1; got != MaxErrors+1 {
		t.Errorf("%d lines, want %d (the first problems and a summary)", got, MaxErrors+1)
	}
	var r interface{ Reasons() []string }
	if !errors.As(err, &r) {
		t.Fatal("no Reasons")
	}
	want := []string{
		`30x media type "…" is declared twice (first: paths./a0.get: media type "x/0" is declared twice)`,
		`1x want a string, got a number (first: info.title: want a string, got a number)`,
	}
	if got := r.Reasons(); !reflect.DeepEqual(got, want) {
		t.Errorf("Reasons:\n got %q\nwant %q", got, want)
	}
}

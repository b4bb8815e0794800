package schema

import (
	"regexp"
	"sync"
)

// Compiled patterns are shared: a large OpenAPI document repeats the same
// few patterns (ids, dates, currencies) across hundreds of schemas, and a
// compiled regexp is immutable and safe for concurrent use. The cache is
// bounded; past the bound patterns are compiled per schema, as before.
const maxCachedRegexps = 4096

var regexps struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

func compileRegexp(pattern string) (*regexp.Regexp, error) {
	regexps.Lock()
	re, ok := regexps.m[pattern]
	regexps.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	regexps.Lock()
	if regexps.m == nil {
		regexps.m = map[string]*regexp.Regexp{}
	}
	if len(regexps.m) < maxCachedRegexps {
		regexps.m[pattern] = re
	}
	regexps.Unlock()
	return re, nil
}

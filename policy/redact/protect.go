package redact

import (
	"errors"
	"strings"
)

// Verdict is what Body decided for a response body.
type Verdict uint8

const (
	Pass    Verdict = iota // send the body unchanged
	Rewrite                // send the returned body (fix content-length)
	Block                  // do not send the body; answer with an error
)

// String names the verdict for logs and metrics.
func (v Verdict) String() string {
	switch v {
	case Rewrite:
		return "rewrite"
	case Block:
		return "block"
	}
	return "pass"
}

// Reason says why a body was not inspected normally. Stable strings, for
// events and metric labels.
type Reason string

const (
	ReasonNone        Reason = ""
	ReasonOverLimit   Reason = "over_limit"   // larger than max_body_bytes, before or after gunzip
	ReasonCompressed  Reason = "compressed"   // compressed and compressed is pass or block
	ReasonUndecodable Reason = "undecodable"  // an encoding other than gzip, or corrupt gzip
	ReasonNonJSON     Reason = "non_json"     // content type is not JSON
	ReasonInvalidJSON Reason = "invalid_json" // says JSON but does not parse (or is too deep)
)

// Result is the outcome of Body.
type Result struct {
	Verdict Verdict
	Reason  Reason
	Report  Report
}

// Body applies the whole response-body policy of this endpoint to a
// complete, buffered body with its Content-Type and Content-Encoding:
//
//  1. a body over max_body_bytes is not inspected: over_limit decides;
//  2. gzip is decompressed when compressed is "decompress" (with the same
//     bound; a bomb is over_limit), other encodings are undecodable and
//     over_limit decides; compressed "pass"/"block" decide without looking;
//  3. a JSON body (application/json, */*+json, text/json, or no content
//     type and a body starting with { or [) goes through Apply; one that
//     does not parse, and any other body, is handled by non_json
//     ("scan" runs ScanText);
//  4. a changed body that arrived gzip-compressed is compressed again.
//
// The returned slice is body for Pass, the new body for Rewrite, nil for
// Block. dst is reused for the output of the rewrite when large enough.
func (r *Redactor) Body(dst, body []byte, contentType, contentEncoding string) ([]byte, Result) {
	var res Result
	if !r.Active() {
		return body, res
	}
	if len(body) > r.MaxBodyBytes() {
		return r.uninspectable(body, ReasonOverLimit)
	}
	switch enc := strings.ToLower(strings.TrimSpace(contentEncoding)); enc {
	case "", "identity":
	default:
		switch r.cfg.Compressed {
		case CompressedPass:
			res.Reason = ReasonCompressed
			return body, res
		case CompressedBlock:
			res.Verdict, res.Reason = Block, ReasonCompressed
			return nil, res
		}
		if enc != "gzip" && enc != "x-gzip" {
			return r.uninspectable(body, ReasonUndecodable)
		}
		plain, err := Gunzip(body, r.MaxBodyBytes())
		if errors.Is(err, ErrTooLarge) {
			return r.uninspectable(body, ReasonOverLimit)
		}
		if err != nil {
			return r.uninspectable(body, ReasonUndecodable)
		}
		orig := body
		out, res := r.plainBody(dst, plain, contentType)
		if res.Verdict != Rewrite {
			if res.Verdict == Pass {
				out = orig
			}
			return out, res
		}
		z, err := Gzip(out)
		if err != nil { // cannot happen with an in-memory writer; stay safe
			res.Verdict = Block
			return nil, res
		}
		return z, res
	}
	return r.plainBody(dst, body, contentType)
}

// OverLimit is the result for a body known to exceed max_body_bytes before
// it is all buffered (the filter decides as soon as the bound is crossed).
func (r *Redactor) OverLimit() Result {
	_, res := r.uninspectable(nil, ReasonOverLimit)
	return res
}

func (r *Redactor) uninspectable(body []byte, why Reason) ([]byte, Result) {
	res := Result{Reason: why}
	if r.cfg.OverLimit == LimitBlock {
		res.Verdict = Block
		return nil, res
	}
	return body, res
}

func (r *Redactor) plainBody(dst, body []byte, contentType string) ([]byte, Result) {
	var res Result
	if isJSON(contentType, body) {
		out, rep, err := r.Apply(dst, body)
		if err == nil {
			res.Report = rep
			if rep.Changed {
				res.Verdict = Rewrite
			}
			return out, res
		}
		res.Reason = ReasonInvalidJSON
	} else {
		res.Reason = ReasonNonJSON
	}
	switch r.cfg.NonJSON {
	case NonJSONBlock:
		res.Verdict = Block
		return nil, res
	case NonJSONScan:
		out, rep := r.ScanText(dst, body)
		res.Report = rep
		if rep.Changed {
			res.Verdict = Rewrite
		}
		return out, res
	}
	return body, res
}

// isJSON decides from the media type, or from the first byte when there
// is none.
func isJSON(ct string, body []byte) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	if ct == "" {
		for _, c := range body {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case '{', '[':
				return true
			}
			return false
		}
		return false
	}
	if strings.EqualFold(ct, "application/json") || strings.EqualFold(ct, "text/json") {
		return true
	}
	return len(ct) > 5 && strings.EqualFold(ct[len(ct)-5:], "+json")
}

package policy

import (
	"bytes"
	"strings"
)

// MultipartMediaType is the form body media type read part by part.
const MultipartMediaType = "multipart/form-data"

// maxPartHeaderBytes bounds the header section of one part.
const maxPartHeaderBytes = 8 << 10

// parseMultipart reads a multipart/form-data body (RFC 7578) into its
// fields: one pair per part, named by its Content-Disposition. A file part
// (one with a filename) is not text to validate: its value is "" (its
// presence still counts, for required). The reading is strict, because a
// body that servers split differently is a body validated for nothing:
// CRLF line ends, a boundary from the content type (1-70 characters, RFC
// 2046), every part named, no Content-Transfer-Encoding other than 7bit,
// 8bit or binary, a closing delimiter. A non-empty message says what is
// wrong.
func parseMultipart(contentType string, body []byte, limit int, dst []queryPair) ([]queryPair, string) {
	boundary, ok := boundaryOf(contentType)
	if !ok {
		return dst, "multipart body without a valid boundary parameter"
	}
	delim := []byte("--" + boundary)
	// The first delimiter may follow a preamble; it starts the body or a
	// line.
	i := bytes.Index(body, delim)
	if i < 0 || (i > 0 && (i < 2 || !bytes.Equal(body[i-2:i], []byte("\r\n")))) {
		return dst, "multipart body without its first boundary"
	}
	rest := body[i+len(delim):]
	next := append([]byte("\r\n"), delim...)
	for first := true; ; first = false {
		if bytes.HasPrefix(rest, []byte("--")) {
			if first {
				// RFC 2046 §5.1.1: one body part at least.
				return dst, "multipart body without a part"
			}
			// The closing delimiter, then padding, then the end or CRLF
			// and an epilogue that is ignored.
			tail := bytes.TrimLeft(rest[2:], " \t")
			if len(tail) > 0 && !bytes.HasPrefix(tail, []byte("\r\n")) {
				return dst, "multipart closing boundary not followed by CRLF"
			}
			return dst, ""
		}
		// Transport padding (spaces, tabs) may follow a delimiter.
		rest = bytes.TrimLeft(rest, " \t")
		if !bytes.HasPrefix(rest, []byte("\r\n")) {
			return dst, "multipart boundary not followed by CRLF"
		}
		rest = rest[2:]
		end := bytes.Index(rest, next)
		if end < 0 {
			return dst, "multipart body without its closing boundary"
		}
		part := rest[:end]
		rest = rest[end+len(next):]
		if len(dst) >= limit {
			return append(dst, queryPair{}), ""
		}
		name, value, msg := readPart(part)
		if msg != "" {
			return dst, msg
		}
		dst = append(dst, queryPair{name: name, value: value})
	}
}

// readPart splits one part into its field name and text value.
func readPart(part []byte) (name, value, msg string) {
	hdrEnd := bytes.Index(part, []byte("\r\n\r\n"))
	var hdrs []byte
	switch {
	case bytes.HasPrefix(part, []byte("\r\n")):
		hdrs, part = nil, part[2:] // no headers at all
	case hdrEnd < 0:
		return "", "", "multipart part without the blank line that ends its headers"
	default:
		hdrs, part = part[:hdrEnd], part[hdrEnd+4:]
	}
	if len(hdrs) > maxPartHeaderBytes {
		return "", "", "multipart part headers over 8 KiB"
	}
	var disposition string
	seen := false
	for _, line := range strings.Split(string(hdrs), "\r\n") {
		if strings.ContainsFunc(line, func(c rune) bool { return c < ' ' && c != '\t' || c == 0x7f }) {
			return "", "", "control character in a multipart part header"
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.TrimSpace(k) != k {
			return "", "", "malformed multipart part header"
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "content-disposition":
			if seen {
				return "", "", "multipart part with two Content-Disposition headers"
			}
			disposition, seen = v, true
		case "content-transfer-encoding":
			if e := strings.ToLower(v); e != "7bit" && e != "8bit" && e != "binary" {
				return "", "", "multipart part with Content-Transfer-Encoding " + clipText(v, 32)
			}
		}
	}
	typ, params, _ := strings.Cut(disposition, ";")
	if !strings.EqualFold(strings.TrimSpace(typ), "form-data") {
		return "", "", "multipart part that is not form-data"
	}
	name, file, msg := dispositionParams(params)
	switch {
	case msg != "":
		return "", "", msg
	case name == "":
		return "", "", "multipart part without a name"
	case file:
		return name, "", ""
	}
	return name, string(part), ""
}

// dispositionParams reads name and filename of a Content-Disposition.
func dispositionParams(params string) (name string, file bool, msg string) {
	seen := map[string]bool{}
	for params = strings.TrimSpace(params); params != ""; params = strings.TrimSpace(params) {
		k, rest, ok := strings.Cut(params, "=")
		if !ok {
			return "", false, "malformed Content-Disposition parameter"
		}
		k = strings.ToLower(strings.TrimSpace(k))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 || strings.IndexByte(rest[1:end+1], '\\') >= 0 {
				// Escapes inside quoted names are read differently by
				// servers (RFC 7578 §4.2 leaves them to percent-encoding).
				return "", false, "malformed quoted Content-Disposition parameter"
			}
			v, rest = rest[1:end+1], rest[end+2:]
		} else if j := strings.IndexByte(rest, ';'); j >= 0 {
			v, rest = strings.TrimSpace(rest[:j]), rest[j:]
		} else {
			v, rest = strings.TrimSpace(rest), ""
		}
		if !isMIMEToken(k) || (!strings.HasPrefix(strings.TrimSpace(params[len(k):]), `="`) && !isMIMEToken(v)) {
			// An unquoted value must be a token (RFC 2045 §5.1):
			// servers disagree on anything else.
			return "", false, "malformed Content-Disposition parameter"
		}
		if seen[k] {
			return "", false, "Content-Disposition parameter " + clipText(k, 32) + " given twice"
		}
		seen[k] = true
		switch k {
		case "name":
			name = v
		case "filename", "filename*":
			file = true
		}
		rest = strings.TrimSpace(rest)
		if rest != "" && rest[0] != ';' {
			return "", false, "malformed Content-Disposition parameters"
		}
		params = strings.TrimPrefix(rest, ";")
	}
	return name, file, ""
}

// boundaryOf returns the boundary parameter of a multipart content type.
func boundaryOf(contentType string) (string, bool) {
	_, params, _ := strings.Cut(contentType, ";")
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "boundary") {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if len(v) < 1 || len(v) > 70 || strings.TrimRight(v, " ") != v {
			return "", false
		}
		return v, true
	}
	return "", false
}

// isMIMEToken reports an RFC 2045 token: printable ASCII without spaces
// and tspecials.
func isMIMEToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

package policy

import (
	"strings"

	"github.com/apiwarden/apiwarden/policy/openapi"
	"github.com/apiwarden/apiwarden/policy/redact"
	"github.com/apiwarden/apiwarden/policy/schema"
)

// Endpoint is one operation of the inventory: a method on a path template,
// with what a valid request looks like. Endpoints are built at configure
// time (from the "endpoints" list or an OpenAPI document) and never change.
type Endpoint struct {
	ID     string
	Method string
	Path   string
	// Source is "config" or "openapi".
	Source string
	Mode   Mode
	// Index is the endpoint's position in Policy.Endpoints (metric ids,
	// compact session history).
	Index int

	PathParams []*Param // in template order, aligned with Match.Param
	Query      []*Param
	Headers    []*Param
	Cookies    []*Param
	// UnknownQuery is applied to query parameters the endpoint does not
	// declare (only when it declares its parameters).
	UnknownQuery   Action
	declaresParams bool

	MaxBodyBytes int64
	// Bodies maps a media type ("application/json", or a wildcard such as
	// "application/*" or "*/*") to the schema of that body (nil: any body
	// of that type). Empty means any content type is accepted.
	Bodies       []*Body
	BodyRequired bool
	// DeclaresBody is set when the endpoint accepts a request body at all
	// (an OpenAPI requestBody; content_types, body_schema or body_required
	// by hand). A body sent to an endpoint without one is refused
	// (request.unexpected_body).
	DeclaresBody bool

	// Security keeps the OpenAPI security requirements (alternatives of
	// scheme names) for authentication.
	Security [][]string
	// Internal is set for an operation marked x-apiwarden-internal.
	Internal bool
	// ResponseFields is the declared shape of successful JSON responses
	// (from OpenAPI), for reporting undeclared fields; Redactor applies
	// response protection (nil: responses pass untouched).
	ResponseFields *redact.FieldSet
	Redactor       *redact.Redactor
}

// Body is one accepted request media type.
type Body struct {
	MediaType string // lower-case, without parameters
	Schema    *schema.Schema
	JSON      bool
	// Form is set for an application/x-www-form-urlencoded or (with
	// Multipart) a multipart/form-data body with a schema: its fields are
	// read into a JSON object, typed and serialised as Fields say, and
	// validated.
	Form, Multipart bool
	Fields          map[string]openapi.FormField
}

// formBody reports whether content type ct selects b as a form body.
func (b *Body) formBody(ct string) bool {
	if b == nil || !b.Form {
		return false
	}
	mt := mediaType(ct)
	return mt == openapi.FormMediaType || (b.Multipart && mt == MultipartMediaType)
}

// Param is one declared parameter.
type Param struct {
	Name     string
	In       string // path, query, header, cookie
	Required bool
	Schema   *schema.Schema
	// Kind is the schema's primary type ("string", "integer", "number",
	// "boolean", "array", "object" or ""), ItemKind the array items' type:
	// they decide how a text value is turned into JSON for validation.
	Kind, ItemKind string
	// PropKinds type the members of an object parameter sent as
	// deepObject ("filter[since]=2"); an undeclared member is typed by its
	// spelling.
	PropKinds map[string]string
	// Style and Explode follow OpenAPI (form/simple/spaceDelimited/
	// pipeDelimited/deepObject).
	Style   string
	Explode bool
}

// bodyFor finds the declared body for a request content type (parameters
// such as charset ignored; exact type, then type/*, then */*).
func (e *Endpoint) bodyFor(contentType string) (*Body, bool) {
	if full := fullMediaType(contentType); full != "" {
		for _, b := range e.Bodies {
			if b.MediaType == full { // declared with these parameters
				return b, true
			}
		}
	}
	mt := mediaType(contentType)
	var wild, any *Body
	for _, b := range e.Bodies {
		switch {
		case b.MediaType == mt:
			return b, true
		case b.MediaType == "*/*":
			any = b
		case strings.HasSuffix(b.MediaType, "/*") && strings.HasPrefix(mt, b.MediaType[:len(b.MediaType)-1]):
			wild = b
		}
	}
	if wild != nil {
		return wild, true
	}
	return any, any != nil
}

// mediaType lower-cases a Content-Type and drops its parameters.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for i := 0; i < len(ct); i++ {
		if 'A' <= ct[i] && ct[i] <= 'Z' {
			return strings.ToLower(ct)
		}
	}
	return ct
}

// isJSONMediaType accepts application/json and the +json structured
// syntax suffix (RFC 6839), e.g. application/merge-patch+json.
func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") && strings.HasPrefix(mt, "application/")
}

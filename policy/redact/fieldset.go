package redact

// FieldSet is the shape of a response as far as excessive-data-exposure
// checks need it: which member names each object level declares. The
// OpenAPI/JSON Schema compiler builds it from a response schema; a nil
// *FieldSet means "anything goes below here" (no declared shape, or a
// schema this check does not understand).
//
//   - Properties: the declared member names of an object at this level,
//     each with the shape of its value (nil: not checked further).
//   - Additional: undeclared members are allowed (additionalProperties is
//     absent, true or a schema). When false, every member not in
//     Properties is undeclared.
//   - Items: the shape of every element when the value is an array (nil:
//     elements are not checked).
//
// Combinators (allOf, anyOf, oneOf) should be merged by the builder into
// the union of their declared members: a field declared by any branch is
// declared. A FieldSet is read-only once built and may be shared.
type FieldSet struct {
	Properties map[string]*FieldSet
	Additional bool
	Items      *FieldSet
}

// child returns the shape of member key and whether key is undeclared.
func (f *FieldSet) child(key []byte) (*FieldSet, bool) {
	if c, ok := f.Properties[string(key)]; ok {
		return c, false
	}
	return nil, !f.Additional
}

// Undeclared returns the JSON pointers (RFC 6901) of the members of body
// that allowed does not declare, in document order, at most MaxHits of
// them. An undeclared member's own content is not examined. It returns nil
// for a body that is not valid JSON or has no undeclared member.
func Undeclared(body []byte, allowed *FieldSet) []string {
	if allowed == nil {
		return nil
	}
	r := &Redactor{fields: allowed, undeclared: UndeclaredReport}
	_, rep, err := r.Apply(nil, body)
	if err != nil {
		return nil
	}
	return rep.Undeclared
}

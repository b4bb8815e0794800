package policy

// AppendInventory writes the known endpoints as JSON: id, method, route
// template and where the endpoint was declared.
func AppendInventory(dst []byte, p *Policy) []byte {
	dst = append(dst, `{"endpoints":[`...)
	for i, ep := range p.Endpoints {
		if i > 0 {
			dst = append(dst, ',')
		}
		o := openObject(dst)
		o.str("id", ep.ID)
		o.str("method", ep.Method)
		o.str("path", ep.Path)
		o.str("source", ep.Source)
		o.str("mode", ep.Mode.String())
		dst = o.close()
	}
	return append(dst, "]}"...)
}

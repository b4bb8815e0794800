package bank

import "encoding/json"

// PositiveModel is the example policy (apiwarden.json) without its
// "auth" section and its abuse limits: the positive model alone
// (inventory, schemas, sequences, redaction), the internal route still
// internal. Tests and benchmarks of those send requests without tokens
// from one address, which the full policy would rightly refuse (401) or
// limit.
func PositiveModel(cfg []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &m); err != nil {
		return nil, err
	}
	delete(m, "auth")
	if raw, ok := m["abuse"]; ok {
		var a map[string]json.RawMessage
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		delete(m, "abuse")
		if in, ok := a["internal"]; ok {
			b, err := json.Marshal(map[string]json.RawMessage{"internal": in})
			if err != nil {
				return nil, err
			}
			m["abuse"] = b
		}
	}
	return json.Marshal(m)
}

package policy

// bankConfig is the banking API of the design seed, hand-written.
const bankConfig = `{
  "mode": "enforce",
  "unknown_endpoints": "block",
  "endpoints": [
    {"id": "list_accounts", "method": "GET", "path": "/api/v1/users/{user_id}/accounts",
     "request": {"parameters": [
        {"name": "user_id", "in": "path", "schema": {"type": "integer", "minimum": 1}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
        {"name": "status", "in": "query", "schema": {"type": "array", "items": {"enum": ["open", "closed"]}}, "explode": false}],
      "unknown_query": "block"}},
    {"id": "get_balance", "method": "GET", "path": "/api/v1/accounts/{account_id}/balance"},
    {"id": "transfer_funds", "method": "POST", "path": "/api/v1/transferFunds",
     "request": {"max_body_bytes": 4096, "content_types": ["application/json"], "body_required": true,
       "body_schema": {"type": "object", "required": ["from", "to", "amount"], "additionalProperties": false,
         "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "amount": {"type": "number", "exclusiveMinimum": 0}}}}},
    {"id": "auth", "method": "POST", "path": "/api/v1/auth"}
  ]
}`

// Package openapitest generates deterministic OpenAPI documents for tests,
// benchmarks and size measurements (a 2,000-operation API shaped like the
// large public ones, $ref-dense and $ref-chain documents). It is kept out
// of package openapi so the production module never links it.
package openapitest

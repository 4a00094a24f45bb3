// Package httpx is routedesk's toolkit for JSON over HTTP (Gin): strict
// request decoding and validation (exact keys, storable text, bounded size
// and shape), problem+json answers, bearer tokens, cursor pagination and CORS.
// It knows nothing of the store or the server's routes.
package httpx

// Package bench holds routedesk's end-to-end benchmark: conversations posted
// through the HTTP API, routed by the conversation workflow on an embedded
// Temporal server against real PostgreSQL, compared with a bare workflow of
// the same shape. It runs only with ROUTEDESK_BENCH=1 (see README.md).
package bench

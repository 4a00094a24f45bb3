// Package emailtest holds team email's end-to-end tests: mail delivered by a
// real SMTP client, fetched from an in-process IMAP server and posted raw, on a
// whole routedesk stack (PostgreSQL, embedded Temporal, worker, HTTP API). It
// is a package of its own so that fuzzing channels/email does not instrument
// the Temporal server.
package emailtest

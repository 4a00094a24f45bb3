// Package channels is what the server, the activities and the worker know of a
// channel type: the Channel interface each channel package (channels/chat,
// channels/messenger, …) implements, the Host the server offers them for their
// inbound entry points, the typed errors their senders return, and the
// configuration machinery every channel's config shares.
//
// A channel's configuration is a struct of its own package. Decode reads it
// strictly from JSON, validates it (struct tags, then its Check method) and
// reports every problem as a domain.FieldError whose Field is a JSON path under
// "config." (for example "config.smtp.port"), all of them gathered in one
// *domain.ValidationError. Fields tagged `secret:"true"` are secrets: Redacted
// shows them as "***", and Merge keeps the stored value when a patch sends "***"
// back.
//
// Package channels imports no channel package; channels/registry lists them.
package channels

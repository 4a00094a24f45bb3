// Package channelconfig defines the typed configuration of each channel type
// (email, chat, messenger, form, whatsapp, calling, custom), decodes it strictly
// from JSON, validates it, redacts its secrets and merges patches into it.
//
// Every problem found in a configuration is reported as a domain.FieldError whose
// Field is a JSON path under "config." (for example "config.smtp.port"), all of
// them gathered in one *domain.ValidationError.
//
// Fields tagged `secret:"true"` are secrets: Redacted shows them as "***", and
// Merge keeps the stored value when a patch sends "***" back.
package channelconfig

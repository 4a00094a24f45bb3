package rules

import "time"

// Env is the typed environment rule expressions are evaluated against.
type Env struct {
	// Ticket is the ticket being routed.
	Ticket Ticket `expr:"ticket" json:"ticket"`
	// Message is the inbound message that created or updated the ticket.
	Message Message `expr:"message" json:"message"`
	// Contact is the customer who wrote in.
	Contact Contact `expr:"contact" json:"contact"`
	// Channel is the channel the message arrived on.
	Channel Channel `expr:"channel" json:"channel"`
	// Now is the evaluation time in the account's time zone, given by the caller.
	Now time.Time `expr:"now" json:"now"`
}

// runEnv is what compiled programs run against: the fields of Env, promoted,
// and the work-accounting hook the compiler inserts (see guard). The hook is a
// typed field rather than an expr function so that the VM calls it directly,
// without building an argument list.
type runEnv struct {
	Env
	// Charge charges the size of a value to the current run's work budget and returns true.
	Charge func(any) bool `expr:"_charge" json:"-"`
	// Tick charges one loop iteration to the work budget, looks at the rule's deadline now and then, and returns true.
	Tick func() bool `expr:"_tick" json:"-"`

	boxed   boxedFields   // the string fields, boxed once per evaluation
	derived derivedValues // values derived from them, computed once per evaluation
}

// Ticket is the ticket as rules see it.
type Ticket struct {
	// Subject is the ticket's subject line.
	Subject string `expr:"subject" json:"subject"`
	// Description is the ticket's body text.
	Description string `expr:"description" json:"description"`
	// Pipeline is the ticket's current pipeline.
	Pipeline string `expr:"pipeline" json:"pipeline"`
	// Status is the ticket's current status.
	Status string `expr:"status" json:"status"`
	// Priority is the ticket's current priority.
	Priority string `expr:"priority" json:"priority"`
	// Properties are the ticket's custom properties.
	Properties map[string]any `expr:"properties" json:"properties"`
}

// Message is the inbound message as rules see it.
type Message struct {
	// Text is the plain-text body.
	Text string `expr:"text" json:"text"`
	// Subject is the message subject, if the channel has one.
	Subject string `expr:"subject" json:"subject"`
	// From is the sender's email address, if known.
	From string `expr:"from" json:"from"`
	// Attachments is the number of attachments.
	Attachments int `expr:"attachments" json:"attachments"`
	// Hidden holds the hidden fields of a form submission.
	Hidden map[string]string `expr:"hidden" json:"hidden"`
	// Fields holds all fields of a form submission, hidden ones included.
	Fields map[string]string `expr:"fields" json:"fields"`
}

// Contact is the customer as rules see them.
type Contact struct {
	// Email is the contact's email address.
	Email string `expr:"email" json:"email"`
	// Name is the contact's display name.
	Name string `expr:"name" json:"name"`
	// Domain is the lower-cased domain of Email.
	Domain string `expr:"domain" json:"domain"`
	// Owner is the user ID of the contact's owner, "" if none.
	Owner string `expr:"owner" json:"owner"`
	// IsNew is true when this conversation created the contact.
	IsNew bool `expr:"is_new" json:"is_new"`
	// Country is the contact's country code, e.g. "SE".
	Country string `expr:"country" json:"country"`
	// Language is the contact's language code, e.g. "sv".
	Language string `expr:"language" json:"language"`
	// Phone is the contact's number in E.164 form.
	Phone string `expr:"phone" json:"phone"`
	// Company is the organisation the contact works for.
	Company string `expr:"company" json:"company"`
	// Properties are the contact's custom properties.
	Properties map[string]any `expr:"properties" json:"properties"`
}

// Channel is the inbound channel as rules see it.
type Channel struct {
	// ID is the channel's ID.
	ID string `expr:"id" json:"id"`
	// Type is the channel type: email, chat, messenger, form, whatsapp, calling or custom.
	Type string `expr:"type" json:"type"`
	// Name is the channel's name.
	Name string `expr:"name" json:"name"`
}

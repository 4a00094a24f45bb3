// Package meta verifies and parses Meta webhooks (Facebook Messenger and
// WhatsApp Business). Its functions are pure: no I/O, no global state.
//
// A webhook handler is expected to:
//
//  1. answer GET handshakes with Handshake;
//  2. on POST, read at most MaxBodyBytes of the raw body, find the owning
//     channels with MessengerPageIDs or WhatsAppPhoneNumberIDs, and check
//     VerifySignature with the app secret of EVERY returned ID's channel
//     (one body carries one signature, so all of them must share the app);
//  3. only then call ParseMessenger or ParseWhatsApp and trust the events.
//
// The peeks and the parsers read the payload the same way, so every ID an
// event carries (PageID, PhoneNumberID) is among those the peek returned.
package meta

import "errors"

// MaxBodyBytes is the largest webhook body accepted (1 MiB).
const MaxBodyBytes = 1 << 20

// MaxEvents is the largest number of events accepted in one batch.
const MaxEvents = 1000

// ErrBodyTooLarge is returned (wrapped) for bodies over MaxBodyBytes.
var ErrBodyTooLarge = errors.New("webhook body too large")

// ErrTooManyEvents is returned (wrapped) for batches over MaxEvents events.
var ErrTooManyEvents = errors.New("too many events in webhook batch")

// Event kinds shared by MessengerEvent.Kind and WhatsAppEvent.Kind.
const (
	KindMessage  = "message"  // an inbound user message
	KindPostback = "postback" // Messenger: a button or persistent-menu tap
	KindEcho     = "echo"     // Messenger: a message sent by the page itself
	KindRead     = "read"     // Messenger: the user read the page's messages
	KindDelivery = "delivery" // Messenger: the page's messages were delivered
	KindOther    = "other"    // Messenger: any other messaging event (reaction, optin, referral...)
	KindStatus   = "status"   // WhatsApp: status of an outbound message (sent, delivered, read, failed)
)

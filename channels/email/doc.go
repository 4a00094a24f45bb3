// Package email is routedesk's team email channel: it parses inbound RFC 5322
// mail (MIME, charsets, attachments, sanitised HTML), separates a reply's new
// text from its quoted history, recognises forwarded mail and its original
// sender, classifies auto-replies and bounces, composes and sends replies over
// SMTP, accepts mail on an SMTP listener and fetches it from IMAP mailboxes.
//
// Conventions a help desk relies on:
//
//   - Ticket reference in subjects: "[#T-<ref>]", where <ref> is the ticket's
//     number or id (letters, digits and '-', at most 64), appended to the
//     subject of every reply we send: "Re: Where is my order? [#T-1042]".
//   - Plus-address Reply-To: "<local>+T-<ref>@<domain>" of the team address,
//     e.g. support+T-1042@example.com (TicketReplyTo, read back by ThreadRef);
//     any "support+anything@example.com" matches the team address
//     support@example.com (MatchTeamAddress; case-insensitive).
//   - From name: FromNameAgentAndCompany gives "<agent full name>, <company>"
//     ("Ada Lovelace, Acme"), FromNameCompany gives "<company>", and no mode
//     gives the agent's full name.
//
// The package does not depend on the server, the workflows or the store: the
// listener and the IMAP poller hand raw mail to interfaces the caller
// implements, and the sender returns typed errors the caller maps to
// retryable or permanent failures.
package email

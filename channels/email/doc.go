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
// Parsing, composing, the SMTP listener and the IMAP poller depend on nothing
// of routedesk: they hand raw mail to interfaces (Inbox, IMAPHandler,
// IMAPStateStore). Channel wires them to the store and the server's
// channels.Host: inbound.go decides what becomes of a mail (threading,
// contacts, auto-replies, bounces, loops), routes.go serves the raw endpoint and
// attachments, inbox.go and mailboxes.go feed the listener's and the pollers'
// mail into it, and reply.go sends agents' replies.
package email

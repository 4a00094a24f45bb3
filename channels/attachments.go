package channels

import (
	"context"
	"path"
	"strings"
)

// Attachment is a file sent with a reply, read from PostgreSQL on each delivery attempt.
type Attachment struct {
	// N is its number among the message's attachments (GET /v1/messages/{id}/attachments/{n}).
	N           int
	Name        string
	ContentType string
	Content     []byte
}

// AttachmentLimits are what a channel's replies may carry.
type AttachmentLimits struct {
	// MaxFiles is the most files of one reply.
	MaxFiles int
	// MaxFileBytes is the largest file.
	MaxFileBytes int64
	// MaxTotalBytes bounds the files of one reply together.
	MaxTotalBytes int64
}

// Attaching is a channel whose replies carry files; a channel that is not refuses replies with files.
type Attaching interface {
	// AttachmentLimits returns what its replies may carry.
	AttachmentLimits() AttachmentLimits
}

// Reply limits on files, whatever the channel (a channel's own limits may be lower).
const (
	// MaxReplyFiles is the most files of one reply.
	MaxReplyFiles = 10
	// MaxReplyFileBytes is the largest file of a reply (inbound mail's limit too).
	MaxReplyFileBytes = 10 << 20
	// MaxReplyFilesBytes bounds the files of one reply together.
	MaxReplyFilesBytes = 25 << 20
)

// DefaultAttachmentLimits are the limits of a channel that has none lower.
var DefaultAttachmentLimits = AttachmentLimits{MaxFiles: MaxReplyFiles, MaxFileBytes: MaxReplyFileBytes, MaxTotalBytes: MaxReplyFilesBytes}

// Within returns l bounded by the default limits.
func (l AttachmentLimits) Within() AttachmentLimits {
	d := DefaultAttachmentLimits
	if l.MaxFiles > 0 {
		d.MaxFiles = min(d.MaxFiles, l.MaxFiles)
	}
	if l.MaxFileBytes > 0 {
		d.MaxFileBytes = min(d.MaxFileBytes, l.MaxFileBytes)
	}
	if l.MaxTotalBytes > 0 {
		d.MaxTotalBytes = min(d.MaxTotalBytes, l.MaxTotalBytes)
	}
	return d
}

// refusedExtensions are executable and script types mail providers block and no channel sends (Gmail's list).
var refusedExtensions = map[string]bool{
	".ade": true, ".adp": true, ".apk": true, ".appx": true, ".bat": true, ".cab": true, ".chm": true, ".cmd": true,
	".com": true, ".cpl": true, ".dll": true, ".dmg": true, ".exe": true, ".hta": true, ".ins": true, ".isp": true,
	".jar": true, ".js": true, ".jse": true, ".lib": true, ".lnk": true, ".mde": true, ".msc": true, ".msi": true,
	".msix": true, ".msp": true, ".mst": true, ".nsh": true, ".pif": true, ".ps1": true, ".scr": true, ".sct": true,
	".shb": true, ".sys": true, ".vb": true, ".vbe": true, ".vbs": true, ".vxd": true, ".wsc": true, ".wsf": true, ".wsh": true,
}

// RefusedFileName reports whether a reply may not carry a file of this name (an executable or a script).
func RefusedFileName(name string) bool {
	return refusedExtensions[strings.ToLower(path.Ext(strings.TrimSpace(name)))]
}

// PartLog remembers which parts of a reply a channel already sent (Messenger and WhatsApp send
// the text and each file in calls of their own), so a retried delivery sends none twice.
type PartLog interface {
	// Sent returns the provider's id of a part sent before; ok is false when it was not.
	Sent(ctx context.Context, part string) (providerID string, ok bool, err error)
	// Record notes that a part was sent, with the provider's id of it.
	Record(ctx context.Context, part, providerID string) error
}

// SendParts sends each part of a reply once, in order, skipping the parts log says were sent;
// it returns the provider's id of the first part. A nil log sends every part.
func SendParts(ctx context.Context, log PartLog, parts []Part) (string, error) {
	first := ""
	for i, p := range parts {
		id, done := "", false
		if log != nil {
			var err error
			if id, done, err = log.Sent(ctx, p.Name); err != nil {
				return "", err
			}
		}
		if !done {
			var err error
			if id, err = p.Send(ctx); err != nil {
				return "", err
			}
			if log != nil {
				if err := log.Record(ctx, p.Name, id); err != nil {
					return "", err
				}
			}
		}
		if i == 0 {
			first = id
		}
	}
	return first, nil
}

// Part is one call of a reply sent in several: the text, or a file.
type Part struct {
	// Name identifies the part in the reply: "text", "file:0", …
	Name string
	// Send sends it and returns the provider's id of it.
	Send func(ctx context.Context) (string, error)
}

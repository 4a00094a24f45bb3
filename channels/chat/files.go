package chat

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/routedesk/routedesk/channels"
)

// filesPath serves an agent's file to the visitor by a signed link.
const filesPath = "/chat/v1/:channel_id/files/:token"

// FileLinkTTL is how long a file link works; the widget gets fresh ones with every list of messages.
const FileLinkTTL = 24 * time.Hour

// File is a file of an agent's reply as the widget shows it: a link the visitor downloads it by.
type File struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	// URL is the file's path on the API (/chat/v1/{channel_id}/files/{token}): signed for this
	// visitor and channel, unguessable, valid FileLinkTTL; it needs no token of its own.
	URL string `json:"url"`
}

// fileClaims is what a file link says: which file of which message, for whom, until when.
type fileClaims struct {
	Message string `json:"m"`
	N       int    `json:"n"`
	Visitor string `json:"v"`
	Expires int64  `json:"exp"`
}

// fileLink returns the signed path of file n of message for visitor on channel, expiring at exp.
func fileLink(key []byte, channel string, cl fileClaims) string {
	payload, _ := json.Marshal(cl)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return "/chat/v1/" + channel + "/files/" + body + "." + base64.RawURLEncoding.EncodeToString(fileMAC(key, channel, body))
}

// parseFileLink checks a file link's signature with the channel's key and its expiry.
func parseFileLink(key []byte, channel, tok string, now time.Time) (fileClaims, error) {
	body, sig, ok := strings.Cut(tok, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(got, fileMAC(key, channel, body)) {
		return fileClaims{}, errBadFileLink
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var cl fileClaims
	if err != nil || json.Unmarshal(raw, &cl) != nil || cl.Message == "" || cl.Visitor == "" {
		return fileClaims{}, errBadFileLink
	}
	if now.Unix() >= cl.Expires {
		return cl, errExpiredFileLink
	}
	return cl, nil
}

// fileMAC is HMAC-SHA256 of a file link's body, bound to the channel, domain-separated from visitor tokens.
func fileMAC(key []byte, channel, body string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("routedesk chat file link\x00" + channel + "\x00"))
	h.Write([]byte(body))
	return h.Sum(nil)
}

// File link errors.
var (
	errBadFileLink     = errors.New("the file link is malformed or not signed for this chat")
	errExpiredFileLink = errors.New("the file link has expired: open the chat again for a fresh one")
)

// AttachmentLimits returns no limit below routedesk's own: the visitor downloads each file by its link.
func (*Channel) AttachmentLimits() channels.AttachmentLimits { return channels.AttachmentLimits{} }

// getFile serves a file of an agent's sent reply to the visitor its signed link names.
func (c *Channel) getFile(v *visit) {
	gc, h := v.gc, v.h
	cl, err := parseFileLink(v.key, v.ch.ID, gc.Param("token"), c.now())
	switch {
	case errors.Is(err, errExpiredFileLink):
		h.Problem(gc, http.StatusGone, err.Error())
		return
	case err != nil:
		h.Problem(gc, http.StatusNotFound, err.Error())
		return
	}
	var f struct {
		Name        string `db:"name"`
		ContentType string `db:"content_type"`
		Content     []byte `db:"content"`
	}
	// The file of a sent reply in the visitor's own conversation on this channel, in its account.
	err = v.db.GetContext(v.ctx(), &f,
		`SELECT a.name, a.content_type, a.content FROM message_attachments a
		   JOIN messages m ON m.id = a.message_id AND m.account_id = a.account_id
		   JOIN conversations c ON c.id = m.conversation_id
		  WHERE a.message_id = $1 AND a.n = $2 AND a.account_id = $3 AND m.channel_id = $4
		    AND m.direction = 'outbound' AND m.status = 'sent' AND NOT a.omitted AND c.thread_hash = $5`,
		cl.Message, cl.N, v.ch.AccountID, v.ch.ID, threadHash(visitor{ID: cl.Visitor}))
	if errors.Is(err, sql.ErrNoRows) {
		h.Problem(gc, http.StatusNotFound, "there is no such file in this chat")
		return
	}
	if err != nil {
		h.Fail(gc, fmt.Errorf("read chat file: %w", err))
		return
	}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})
	if disposition == "" {
		disposition = "attachment; filename=\"file-" + strconv.Itoa(cl.N) + "\""
	}
	gc.Header("Content-Disposition", disposition)
	gc.Header("X-Content-Type-Options", "nosniff")
	gc.Header("Content-Security-Policy", "sandbox")
	gc.Data(http.StatusOK, f.ContentType, f.Content)
}

// fileRow is a file of a visitor-visible message as listed with it.
type fileRow struct {
	N           int    `json:"n"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// linker gives the files of a message the visitor sees a fresh signed link each.
func (v *visit) linker(vis visitor, now time.Time) func(id string, rows []fileRow) []File {
	return func(id string, rows []fileRow) []File {
		out := make([]File, 0, len(rows))
		for _, r := range rows {
			out = append(out, File{Name: r.Name, ContentType: r.ContentType, Size: r.Size,
				URL: fileLink(v.key, v.ch.ID, fileClaims{Message: id, N: r.N, Visitor: vis.ID, Expires: now.Add(FileLinkTTL).Unix()})})
		}
		return out
	}
}

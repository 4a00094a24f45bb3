package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// replyMaxBody is the body limit of POST /v1/tickets/{id}/replies: the files of a reply, with
// room for its text, html and the multipart framing.
const replyMaxBody = channels.MaxReplyFilesBytes + 2<<20

// maxFileName bounds a file's name, in bytes.
const maxFileName = 255

// replyFile is a file of a multipart reply; field names it in errors (files[0], files[1] …).
type replyFile struct {
	field       string
	name        string
	contentType string
	content     []byte
}

// fileTooLarge is a file, or the files together, over a limit: 413 naming the field.
type fileTooLarge struct {
	field, msg string
}

func (e *fileTooLarge) Error() string { return e.field + " " + e.msg }

// isMultipart reports whether the request's body is multipart/form-data.
func isMultipart(c *gin.Context) bool {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	return mt == "multipart/form-data"
}

// ticketAndReply loads the caller's ticket of the route (404 first) and reads the reply: a JSON
// body, or a multipart/form-data one with its fields (a "reply" part holding the JSON body, or
// text, html and channel_id parts) and its files (parts named "files").
func (s *Server) ticketAndReply(c *gin.Context, req *replyRequest) (domain.Ticket, []replyFile, bool) {
	if !isMultipart(c) {
		t, ok := s.ticketAndBody(c, req)
		return t, nil, ok
	}
	t, err := s.store.Ticket(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	var files []replyFile
	if err == nil {
		files, err = readMultipartReply(c, req)
	}
	if err != nil {
		s.failFiles(c, err)
		return t, nil, false
	}
	return t, files, true
}

// failFiles answers a file over a limit 413 naming its field, anything else as s.fail does.
func (s *Server) failFiles(c *gin.Context, err error) {
	var big *fileTooLarge
	if errors.As(err, &big) {
		httpx.WriteProblem(c, http.StatusRequestEntityTooLarge, big.Error(), domain.FieldError{Field: big.field, Message: big.msg})
		return
	}
	s.fail(c, err)
}

// readMultipartReply reads a multipart/form-data reply into req and returns its files, bounded by
// channels.DefaultAttachmentLimits; every malformed part is a 4xx naming it.
func readMultipartReply(c *gin.Context, req *replyRequest) ([]replyFile, error) {
	_, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, domain.Invalid("body", "a multipart/form-data body needs a boundary parameter in its Content-Type")
	}
	body := &slidingDeadline{r: c.Request.Body, rc: http.NewResponseController(c.Writer), idle: DefaultUploadIdleTimeout}
	mr := multipart.NewReader(body, params["boundary"])
	lim := channels.DefaultAttachmentLimits
	var (
		files     []replyFile
		total     int64
		jsonPart  bool
		flat      = map[string]bool{}
		flatField = map[string]*string{"text": &req.Text, "html": &req.HTML, "channel_id": &req.ChannelID}
		flatMax   = map[string]int{"text": 100000, "html": 500000, "channel_id": 100}
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, multipartError(err)
		}
		name := part.FormName()
		switch {
		case name == "files":
			field := "files[" + strconv.Itoa(len(files)) + "]"
			if len(files) == lim.MaxFiles {
				return nil, domain.Invalid("files", fmt.Sprintf("a reply carries at most %d files", lim.MaxFiles))
			}
			f, err := readFile(part, field, lim.MaxFileBytes)
			if err != nil {
				return nil, err
			}
			if total += int64(len(f.content)); total > lim.MaxTotalBytes {
				return nil, &fileTooLarge{field: "files", msg: fmt.Sprintf("are over %d bytes together, the limit of one reply", lim.MaxTotalBytes)}
			}
			files = append(files, f)
		case name == "reply":
			if jsonPart {
				return nil, domain.Invalid("reply", "is given twice")
			}
			jsonPart = true
			raw, err := readPart(part, 1<<20)
			if err != nil {
				return nil, partError("reply", err)
			}
			if err := httpx.CheckJSONText(raw, httpx.RouteLimits(c)); err != nil {
				return nil, err
			}
			if err := httpx.UnmarshalStrict(raw, req); err != nil {
				return nil, err
			}
		case flatField[name] != nil:
			if flat[name] {
				return nil, domain.Invalid(name, "is given twice")
			}
			flat[name] = true
			raw, err := readPart(part, int64(flatMax[name]))
			if err != nil {
				return nil, partError(name, err)
			}
			if !utf8.Valid(raw) || bytes.IndexByte(raw, 0) >= 0 {
				return nil, domain.Invalid(name, "must be UTF-8 text without NUL characters")
			}
			*flatField[name] = string(raw)
		default:
			return nil, domain.Invalid(partName(name), "is not a part of a reply: give files, and reply (the JSON body) or text, html and channel_id")
		}
	}
	if jsonPart && len(flat) > 0 {
		return nil, domain.Invalid("reply", "give the reply's fields either as the reply part (JSON) or as text, html and channel_id parts, not both")
	}
	return files, httpx.ValidateStruct(req)
}

// readFile reads one file part, refusing an empty, nameless, executable or oversized one.
func readFile(part *multipart.Part, field string, maxBytes int64) (replyFile, error) {
	name := fileName(part.FileName())
	if name == "" {
		return replyFile{}, domain.Invalid(field, "needs a file name (the part's Content-Disposition filename)")
	}
	if channels.RefusedFileName(name) {
		return replyFile{}, domain.Invalid(field, fmt.Sprintf("%q is an executable or script type (%s), which replies do not carry", name, path.Ext(name)))
	}
	content, err := readPart(part, maxBytes)
	if errors.Is(err, errPartTooLarge) {
		return replyFile{}, &fileTooLarge{field: field, msg: fmt.Sprintf("(%s) is over %d bytes, the limit of one file", name, maxBytes)}
	}
	if err != nil {
		return replyFile{}, partError(field, err)
	}
	if len(content) == 0 {
		return replyFile{}, domain.Invalid(field, fmt.Sprintf("%q is empty", name))
	}
	return replyFile{field: field, name: name, contentType: fileType(part.Header.Get("Content-Type"), name, content), content: content}, nil
}

// errPartTooLarge means a part is longer than its limit.
var errPartTooLarge = errors.New("the part is over its limit")

// readPart reads a part of at most maxBytes.
func readPart(part *multipart.Part, maxBytes int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(part, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > maxBytes {
		return nil, errPartTooLarge
	}
	return raw, nil
}

// partError names the part a read failed in: over its limit (422), or the body's own fault.
func partError(field string, err error) error {
	if errors.Is(err, errPartTooLarge) {
		return domain.Invalid(field, "is longer than its limit")
	}
	return multipartError(err)
}

// multipartError is the answer to a body that is not well-formed multipart: the body's own
// faults (too large, stalled, cut) as decodeJSON answers them, else 422 naming the body.
func multipartError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || errors.Is(err, httpx.ErrRequestTimeout) || errors.Is(err, httpx.ErrBodyCut) || errors.Is(err, context.Canceled) {
		return httpx.BodyReadError(err)
	}
	return domain.Invalid("body", "malformed multipart/form-data: "+err.Error())
}

// partName is a part's name made safe to echo in a field error.
func partName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if name == "" {
		return "body"
	}
	return httpx.Truncate(name, 64)
}

// fileName is an uploaded file's base name, valid UTF-8 without control characters, at most maxFileName bytes.
func fileName(raw string) string {
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(raw, ""))
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return ""
	}
	for len(name) > maxFileName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// fileType is a file's media type: the part's own, else its name's, else sniffed from its bytes.
func fileType(declared, name string, content []byte) string {
	if mt, params, err := mime.ParseMediaType(declared); err == nil && mt != "application/octet-stream" && strings.Contains(mt, "/") {
		if cs := params["charset"]; cs != "" && strings.HasPrefix(mt, "text/") {
			return mime.FormatMediaType(mt, map[string]string{"charset": cs})
		}
		return mt
	}
	if byExt := mime.TypeByExtension(strings.ToLower(path.Ext(name))); byExt != "" {
		return byExt
	}
	return http.DetectContentType(content)
}

// saveReplyFiles checks a reply's files against the limits of the channel it goes out on and
// stores them as uploads, returning their ids; a channel that sends no files is 422 naming files.
func (s *Server) saveReplyFiles(ctx context.Context, accountID, channelType string, req replyRequest, files []replyFile) ([]string, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if req.Template != nil {
		return nil, domain.Invalid("files", "a WhatsApp template carries no files: send them in a reply of their own inside the 24-hour window")
	}
	impl, _ := s.channels.Lookup(channels.Type(channelType))
	attaching, ok := impl.(channels.Attaching)
	if !ok {
		return nil, domain.Invalid("files", "replies on "+orNone(channelType)+" channels cannot carry files")
	}
	lim := attaching.AttachmentLimits().Within()
	if len(files) > lim.MaxFiles {
		return nil, domain.Invalid("files", fmt.Sprintf("%s replies carry at most %d files", channelType, lim.MaxFiles))
	}
	var total int64
	uploads := make([]store.ReplyUpload, 0, len(files))
	for _, f := range files {
		if int64(len(f.content)) > lim.MaxFileBytes {
			return nil, &fileTooLarge{field: f.field, msg: fmt.Sprintf("(%s) is over %d bytes, the limit of a file on %s", f.name, lim.MaxFileBytes, channelType)}
		}
		total += int64(len(f.content))
		uploads = append(uploads, store.ReplyUpload{Name: f.name, ContentType: f.contentType, Content: f.content})
	}
	if total > lim.MaxTotalBytes {
		return nil, &fileTooLarge{field: "files", msg: fmt.Sprintf("are over %d bytes together, the limit of a reply on %s", lim.MaxTotalBytes, channelType)}
	}
	return s.store.SaveReplyUploads(ctx, accountID, uploads)
}

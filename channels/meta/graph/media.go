package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// File is a file sent as media: its name, media type and bytes.
type File struct {
	Name        string
	ContentType string
	Content     []byte
}

// MaxMessengerFileBytes is the Send API's limit on an uploaded attachment.
const MaxMessengerFileBytes = 25 << 20

// MessengerFile is a file sent to a Messenger user, uploaded with the message.
type MessengerFile struct {
	PSID string
	// MessagingType and Tag are as in MessengerMessage.
	MessagingType string
	Tag           string
	File          File
}

// MessengerAttachmentType is the Send API's attachment type of a media type: image, video, audio or file.
func MessengerAttachmentType(contentType string) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "image/png" || mt == "image/jpeg" || mt == "image/gif":
		return "image"
	case strings.HasPrefix(mt, "video/"):
		return "video"
	case strings.HasPrefix(mt, "audio/"):
		return "audio"
	}
	return "file"
}

// SendMessengerFile uploads f's file with the message that carries it (the Send API's multipart
// form: recipient, messaging_type, message, filedata) and returns Graph's message_id.
func (c *Client) SendMessengerFile(ctx context.Context, pageAccessToken string, f MessengerFile) (string, error) {
	if pageAccessToken == "" {
		return "", fmt.Errorf("%w: messenger: empty page access token", ErrInvalidMessage)
	}
	check := MessengerMessage{PSID: f.PSID, Text: "file", MessagingType: f.MessagingType, Tag: f.Tag}
	if err := check.Validate(); err != nil {
		return "", err
	}
	if err := validFile(f.File, MaxMessengerFileBytes); err != nil {
		return "", err
	}
	recipient, _ := json.Marshal(messengerRecipient{ID: f.PSID})
	message, _ := json.Marshal(map[string]any{"attachment": map[string]any{
		"type": MessengerAttachmentType(f.File.ContentType), "payload": map[string]any{"is_reusable": false}}})
	fields := [][2]string{{"recipient", string(recipient)}, {"messaging_type", check.messagingType()}, {"message", string(message)}}
	if f.Tag != "" {
		fields = append(fields, [2]string{"tag", f.Tag})
	}
	var out messengerResponse
	if err := c.postForm(ctx, "send messenger file", "me/messages", pageAccessToken, fields, "filedata", f.File, &out); err != nil {
		return "", err
	}
	if out.MessageID == "" {
		return "", fmt.Errorf("graph: send messenger file: response has no message_id")
	}
	return out.MessageID, nil
}

// WhatsApp media kinds and their limits (Cloud API): a file of another type, or over its kind's
// limit, is sent as a document.
const (
	MaxWhatsAppImageBytes    = 5 << 20
	MaxWhatsAppAudioBytes    = 16 << 20
	MaxWhatsAppVideoBytes    = 16 << 20
	MaxWhatsAppDocumentBytes = 100 << 20
)

// WhatsAppMediaKind is the message type a file goes out as: image, audio, video or document.
func WhatsAppMediaKind(contentType string, size int) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case (mt == "image/jpeg" || mt == "image/png") && size <= MaxWhatsAppImageBytes:
		return "image"
	case (mt == "video/mp4" || mt == "video/3gpp") && size <= MaxWhatsAppVideoBytes:
		return "video"
	case (mt == "audio/aac" || mt == "audio/amr" || mt == "audio/mpeg" || mt == "audio/mp4" || mt == "audio/ogg") && size <= MaxWhatsAppAudioBytes:
		return "audio"
	}
	return "document"
}

// UploadWhatsAppMedia uploads a file to the number's media store and returns its media id.
func (c *Client) UploadWhatsAppMedia(ctx context.Context, token, phoneNumberID string, f File) (string, error) {
	if token == "" || phoneNumberID == "" {
		return "", fmt.Errorf("%w: whatsapp: empty access token or phone number ID", ErrInvalidMessage)
	}
	if err := validFile(f, MaxWhatsAppDocumentBytes); err != nil {
		return "", err
	}
	fields := [][2]string{{"messaging_product", "whatsapp"}, {"type", mediaType(f.ContentType)}}
	var out struct {
		ID string `json:"id"`
	}
	if err := c.postForm(ctx, "upload whatsapp media", url.PathEscape(phoneNumberID)+"/media", token, fields, "file", f, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("graph: upload whatsapp media: response has no id")
	}
	return out.ID, nil
}

// WhatsAppMedia is an uploaded file to send: its kind (WhatsAppMediaKind), media id and, for a document, file name.
type WhatsAppMedia struct {
	Kind     string
	MediaID  string
	Filename string
}

type whatsAppMediaRequest struct {
	MessagingProduct string         `json:"messaging_product"`
	RecipientType    string         `json:"recipient_type"`
	To               string         `json:"to"`
	Type             string         `json:"type"`
	Image            *whatsAppMedia `json:"image,omitempty"`
	Audio            *whatsAppMedia `json:"audio,omitempty"`
	Video            *whatsAppMedia `json:"video,omitempty"`
	Document         *whatsAppMedia `json:"document,omitempty"`
}

type whatsAppMedia struct {
	ID       string `json:"id"`
	Filename string `json:"filename,omitempty"`
}

// SendWhatsAppMedia sends an uploaded file (valid only inside the 24-hour window) and returns its wamid.
func (c *Client) SendWhatsAppMedia(ctx context.Context, token, phoneNumberID, to string, m WhatsAppMedia) (string, error) {
	if err := validateWhatsApp(token, phoneNumberID, to); err != nil {
		return "", err
	}
	if m.MediaID == "" {
		return "", fmt.Errorf("%w: whatsapp: empty media id", ErrInvalidMessage)
	}
	body := whatsAppMediaRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: m.Kind}
	media := &whatsAppMedia{ID: m.MediaID}
	switch m.Kind {
	case "image":
		body.Image = media
	case "audio":
		body.Audio = media
	case "video":
		body.Video = media
	case "document":
		media.Filename = m.Filename
		body.Document = media
	default:
		return "", fmt.Errorf("%w: whatsapp: unknown media kind %q", ErrInvalidMessage, m.Kind)
	}
	var out whatsAppResponse
	if err := c.post(ctx, "send whatsapp media", url.PathEscape(phoneNumberID)+"/messages", token, body, &out); err != nil {
		return "", err
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return "", fmt.Errorf("graph: send whatsapp media: response has no messages[0].id")
	}
	return out.Messages[0].ID, nil
}

// validFile checks a file before it is uploaded.
func validFile(f File, maxBytes int) error {
	switch {
	case len(f.Content) == 0:
		return fmt.Errorf("%w: file %q is empty", ErrInvalidMessage, f.Name)
	case len(f.Content) > maxBytes:
		return fmt.Errorf("%w: file %q is %d bytes, limit %d", ErrInvalidMessage, f.Name, len(f.Content), maxBytes)
	}
	return nil
}

// mediaType is a file's media type without parameters, application/octet-stream when unknown.
func mediaType(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	return "application/octet-stream"
}

// postForm sends fields and one file as multipart/form-data to path and decodes a 2xx answer into out.
func (c *Client) postForm(ctx context.Context, op, path, token string, fields [][2]string, fileField string, f File, out any) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range fields {
		if err := w.WriteField(kv[0], kv[1]); err != nil {
			return fmt.Errorf("graph: %s: encode request: %w", op, err)
		}
	}
	h := textproto.MIMEHeader{}
	disposition := mime.FormatMediaType("form-data", map[string]string{"name": fileField, "filename": f.Name})
	if disposition == "" { // a name FormatMediaType cannot encode
		disposition = mime.FormatMediaType("form-data", map[string]string{"name": fileField, "filename": "file"})
	}
	h.Set("Content-Disposition", disposition)
	h.Set("Content-Type", mediaType(f.ContentType))
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(f.Content)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return fmt.Errorf("graph: %s: encode request: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(path), &buf)
	if err != nil {
		return fmt.Errorf("graph: %s: build request: %w", op, err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req, op, token, out)
}

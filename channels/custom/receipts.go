package custom

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// Receipt is the body of POST /v1/channels/{id}/receipts: what became of a reply the app was sent.
type Receipt struct {
	// MessageID is the message_id of the reply's outbound POST.
	MessageID string `json:"message_id" validate:"required,max=255"`
	// Status is delivered, read or failed.
	Status string `json:"status" validate:"required,oneof=delivered read failed"`
	// Error says why delivery failed.
	Error string `json:"error" validate:"max=2000"`
}

// ReceiptResponse is the reply's status after the receipt; Ignored is true for an out-of-order receipt.
type ReceiptResponse struct {
	MessageID string `json:"message_id"`
	Status    string `json:"status"`
	Ignored   bool   `json:"ignored"`
}

// Routes registers POST /v1/channels/{id}/receipts (a key of the custom channel, its signature or an admin token);
// inbound messages use the generic messages route with the same credentials.
func (c *Channel) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/v1/channels/:id/receipts", Auth: channels.AuthChannel, Tag: "inbound",
		Summary: "A custom app's delivery receipt for a reply (delivered, read, failed); status only moves forward",
		Request: Receipt{}, Response: ReceiptResponse{}, Status: http.StatusOK, Handler: receipts(h)})
}

func receipts(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ctx := gc.Request.Context()
		ch, err := h.Channel(ctx, h.AccountID(gc), gc.Param("id"))
		if err == nil && ch.Type != string(Type) {
			err = domain.Invalid("id", fmt.Sprintf("channel %s is a %s channel; receipts go to custom channels", ch.ID, ch.Type))
		}
		var rc Receipt
		if err == nil {
			err = h.DecodeJSON(gc, &rc)
		}
		if err != nil {
			h.Fail(gc, err)
			return
		}
		status, applied, err := h.Store().ApplyReceipt(ctx, ch.AccountID, ch.ID, rc.MessageID, rc.Status, rc.Error)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		gc.JSON(http.StatusOK, ReceiptResponse{MessageID: rc.MessageID, Status: status, Ignored: !applied})
	}
}

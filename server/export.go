package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// exportView is an export's record and, once its archive is ready, where to download it.
type exportView struct {
	store.Export
	DownloadURL string `json:"download_url,omitempty"`
}

func viewExport(e store.Export) exportView {
	v := exportView{Export: e}
	if e.State == "completed" {
		v.DownloadURL = "/v1/exports/" + e.ID + "/archive"
	}
	return v
}

// startExport starts a durable export of a live contact's data (GDPR art. 15/20).
func (s *Server) startExport(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	e, err := s.store.StartExport(ctx, p.AccountID, c.Param("id"), actorOf(p), func(id string) string {
		return privacy.ExportWorkflowID(p.AccountID, id)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.runExport(ctx, e); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, viewExport(e))
}

func (s *Server) runExport(ctx context.Context, e store.Export) error {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: e.WorkflowID, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.AccountIDKey.ValueSet(e.AccountID)),
	}, privacy.ExportWorkflowName, privacy.ExportInput{AccountID: e.AccountID, ContactID: e.ContactID, ExportID: e.ID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start the export %s: %w", e.ID, err)
	}
	return nil
}

// contactExport answers the contact's latest export: its state and, when ready, its download URL;
// with ?download=true (or Accept: application/zip) the archive itself.
func (s *Server) contactExport(c *gin.Context) {
	e, err := s.store.LatestExport(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if c.Query("download") == "true" || c.GetHeader("Accept") == "application/zip" {
		s.sendArchive(c, e)
		return
	}
	c.JSON(http.StatusOK, viewExport(e))
}

// export answers one export's state.
func (s *Server) export(c *gin.Context) {
	e, err := s.store.ExportByID(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, viewExport(e), err)
}

// exportArchive downloads an export's zip archive: 409 while it is being written, 410 once it expired.
func (s *Server) exportArchive(c *gin.Context) {
	e, err := s.store.ExportByID(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.sendArchive(c, e)
}

func (s *Server) sendArchive(c *gin.Context, e store.Export) {
	switch e.State {
	case "running":
		httpx.WriteProblem(c, http.StatusConflict, "the export is still being written: ask again when its state is completed")
		return
	case "expired":
		httpx.WriteProblem(c, http.StatusGone, "the export expired and its archive was deleted: start a new export")
		return
	}
	b, err := s.store.ExportArchive(c.Request.Context(), e.AccountID, e.ID)
	if errors.Is(err, domain.ErrNotFound) {
		httpx.WriteProblem(c, http.StatusGone, "the export expired and its archive was deleted: start a new export")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+e.ID+`.zip"`)
	c.Data(http.StatusOK, "application/zip", b)
}

package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// DefaultImportMaxBytes is the default size limit of an import file: 2 GiB.
const DefaultImportMaxBytes = 2 << 30

// importUploadPath is the route an import file is uploaded to; its body is limited by ImportMaxBytes.
const importUploadPath = "/v1/channels/:id/imports"

// importQuery lists the query parameters of an upload.
var importQuery = []string{"include_history", "dry_run", "recent_hours", "source"}

// importMediaTypes maps the accepted Content-Types to import formats.
var importMediaTypes = map[string]string{
	"application/x-ndjson": imports.FormatNDJSON,
	"application/ndjson":   imports.FormatNDJSON,
	"application/mbox":     imports.FormatMbox,
}

type importAccepted struct {
	ImportID   string `json:"import_id"`
	WorkflowID string `json:"workflow_id"`
}

// importOptions reads an upload's query parameters.
func importOptions(c *gin.Context) (store.NewImport, error) {
	opts := store.NewImport{IncludeHistory: true, RecentHours: 24}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"include_history", &opts.IncludeHistory}, {"dry_run", &opts.DryRun}} {
		if v, ok := c.GetQuery(b.name); ok {
			parsed, err := strconv.ParseBool(v)
			if err != nil {
				return opts, domain.Invalid(b.name, "must be true or false")
			}
			*b.dst = parsed
		}
	}
	if v, ok := c.GetQuery("recent_hours"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 8760 {
			return opts, domain.Invalid("recent_hours", "must be a whole number of hours from 0 to 8760")
		}
		opts.RecentHours = n
	}
	return opts, nil
}

func (s *Server) postImport(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	ch, err := s.connectedChannel(ctx, p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	source, err := importSource(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if source == importSourceIMAP {
		s.postMailboxImport(c, ch)
		return
	}
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	format, ok := importMediaTypes[mt]
	if !ok {
		s.fail(c, fmt.Errorf("%w: send the file as application/x-ndjson or application/mbox", httpx.ErrUnsupportedMediaType))
		return
	}
	if format == imports.FormatMbox && ch.Type != "email" {
		s.fail(c, domain.Invalid("Content-Type", "mbox files import into email channels; this channel is "+ch.Type))
		return
	}
	opts, err := importOptions(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	opts.AccountID, opts.ChannelID, opts.Format = p.AccountID, ch.ID, format
	im, err := s.store.CreateImport(ctx, opts, imports.WorkflowID)
	if err != nil {
		s.fail(c, err)
		return
	}
	body := &slidingDeadline{r: http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.ImportMaxBytes), rc: http.NewResponseController(c.Writer),
		idle: s.cfg.UploadIdleTimeout}
	size, err := s.store.StoreImportFile(ctx, im.ID, body, s.cfg.ImportMaxBytes)
	if err == nil && size == 0 {
		err = domain.Invalid("body", "the file is empty")
	}
	if err != nil {
		if derr := s.store.DeleteImport(context.WithoutCancel(ctx), im.ID); derr != nil {
			s.log.WarnContext(ctx, "could not remove a failed upload", "import_id", im.ID, "error", derr)
		}
		if errors.Is(err, store.ErrImportTooLarge) {
			err = &http.MaxBytesError{Limit: s.cfg.ImportMaxBytes}
		}
		s.fail(c, err)
		return
	}
	if err := s.store.StartImport(ctx, im.ID); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.startImport(ctx, im, ch); err != nil {
		if ferr := s.store.FinishImport(context.WithoutCancel(ctx), im.ID, store.ImportFailed, "could not start its workflow: "+err.Error()); ferr != nil {
			s.log.WarnContext(ctx, "could not mark an import failed", "import_id", im.ID, "error", ferr)
		}
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, importAccepted{ImportID: im.ID, WorkflowID: im.WorkflowID})
}

// DefaultUploadIdleTimeout is how long an upload may stall; a large file may take
// longer than the server's whole-request read timeout, as long as it keeps coming.
// A stalled upload is answered 408.
const DefaultUploadIdleTimeout = 30 * time.Second

// slidingDeadline moves the connection's read and write deadlines on with every read of the body.
type slidingDeadline struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (d *slidingDeadline) Read(p []byte) (int, error) {
	now := time.Now()
	_ = d.rc.SetReadDeadline(now.Add(d.idle)) // unsupported (a test recorder): the server's limits stay
	_ = d.rc.SetWriteDeadline(now.Add(d.idle + deliverTimeout + 30*time.Second))
	return d.r.Read(p)
}

// startImport starts the import's workflow.
func (s *Server) startImport(ctx context.Context, im store.Import, ch domain.Channel) error {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	opts := client.StartWorkflowOptions{
		ID: im.WorkflowID, TaskQueue: s.cfg.TaskQueue, WorkflowTaskTimeout: workflowTaskTimeout,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.ChannelTypeKey.ValueSet(ch.Type),
			workflows.ChannelIDKey.ValueSet(ch.ID),
			workflows.AccountIDKey.ValueSet(im.AccountID),
			workflows.ImportStateKey.ValueSet(store.ImportRunning),
		),
	}
	in := imports.Input{
		ImportID: im.ID, AccountID: im.AccountID, ChannelID: ch.ID, Format: im.Format, DryRun: im.DryRun,
		IncludeHistory: im.IncludeHistory, RecentHours: im.RecentHours,
		BatchItems: s.cfg.ImportBatchItems, BatchesPerRun: s.cfg.ImportBatchesPerRun, HeartbeatTimeout: s.cfg.ImportHeartbeatTimeout,
	}
	if _, err := s.temporal.ExecuteWorkflow(ctx, opts, imports.ImportWorkflow, in); err != nil {
		return fmt.Errorf("start import workflow %s: %w", im.WorkflowID, err)
	}
	return nil
}

func (s *Server) listImports(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.store.ListImports(c.Request.Context(), principal(c).AccountID, page)
	s.respond(c, http.StatusOK, httpx.NewList(items, page.Limit, func(im store.Import) string { return im.ID }), err)
}

func (s *Server) getImport(c *gin.Context) {
	im, err := s.store.Import(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, im, err)
}

// cancelImport cancels a running import; what it imported stays.
func (s *Server) cancelImport(c *gin.Context) {
	ctx := c.Request.Context()
	accountID := principal(c).AccountID
	im, err := s.store.Import(ctx, accountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if im.State != store.ImportRunning {
		s.fail(c, fmt.Errorf("the import is %s already: %w", im.State, domain.ErrConflict))
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.temporal.CancelWorkflow(cctx, im.WorkflowID, ""); err != nil {
		s.fail(c, fmt.Errorf("cancel import workflow: %w", err))
		return
	}
	s.respond(c, http.StatusAccepted, im, nil)
}

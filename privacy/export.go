package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/store"
)

// ExportWorkflowName is the registered name of ExportWorkflow.
const ExportWorkflowName = "ExportContactWorkflow"

// ExportTTL is how long an export's archive can be downloaded before the workflow deletes it.
const ExportTTL = 7 * 24 * time.Hour

// ExportWorkflowID is the workflow id of one export.
func ExportWorkflowID(accountID, exportID string) string {
	return "export:" + accountID + ":" + exportID
}

// ExportInput names the export, by opaque ids only: the workflow's history holds no personal data.
type ExportInput struct {
	AccountID string `json:"account_id"`
	ContactID string `json:"contact_id"`
	ExportID  string `json:"export_id"`
}

// ExportResult is what an export wrote: counts of each part and the archive's size (no personal data).
type ExportResult struct {
	Counts    map[string]int `json:"counts"`
	SizeBytes int64          `json:"size_bytes"`
}

// ExportWorkflow writes a contact's archive into PostgreSQL (an activity: the data never enters
// the history), keeps it for ExportTTL on a durable timer, then deletes it.
func ExportWorkflow(ctx workflow.Context, in ExportInput) (ExportResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	var a *Activities
	var res ExportResult
	if err := workflow.ExecuteActivity(ctx, a.BuildExport, in).Get(ctx, &res); err != nil {
		return res, err
	}
	if err := workflow.Sleep(ctx, ExportTTL); err != nil {
		return res, err
	}
	return res, workflow.ExecuteActivity(ctx, a.ExpireExport, in.ExportID).Get(ctx, nil)
}

// BuildExport reads everything about the contact, writes the zip archive and stores it until it expires.
func (a *Activities) BuildExport(ctx context.Context, in ExportInput) (ExportResult, error) {
	d, err := a.Store.ExportContact(ctx, in.AccountID, in.ContactID)
	if err != nil {
		return ExportResult{}, err
	}
	archive, counts, err := writeArchive(d)
	if err != nil {
		return ExportResult{}, fmt.Errorf("export %s: %w", in.ExportID, err)
	}
	b, err := json.Marshal(counts)
	if err != nil {
		return ExportResult{}, fmt.Errorf("export %s: %w", in.ExportID, err)
	}
	e, err := a.Store.FinishExport(ctx, in.ExportID, archive, b, time.Now().Add(ExportTTL))
	if err != nil {
		return ExportResult{}, err
	}
	return ExportResult{Counts: counts, SizeBytes: e.SizeBytes}, nil
}

// ExpireExport deletes an export's archive once it expired.
func (a *Activities) ExpireExport(ctx context.Context, exportID string) error {
	return a.Store.ExpireExport(ctx, exportID)
}

// writeArchive is the export's zip: manifest.json, profile.json, identities.json, consent.json,
// tickets.json, timeline.json, conversations/<id>.json and the attachment files they name.
func writeArchive(d store.ExportData) ([]byte, map[string]int, error) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	counts := map[string]int{"conversations": len(d.Conversations), "attachments": len(d.Attachments), "timeline": len(d.Timeline)}
	var tickets []json.RawMessage
	if err := json.Unmarshal(d.Tickets, &tickets); err != nil {
		return nil, nil, fmt.Errorf("tickets: %w", err)
	}
	counts["tickets"] = len(tickets)
	for _, c := range d.Conversations {
		var doc struct {
			Messages []json.RawMessage `json:"messages"`
		}
		if err := json.Unmarshal(c.JSON, &doc); err != nil {
			return nil, nil, fmt.Errorf("conversation %s: %w", c.ID, err)
		}
		counts["messages"] += len(doc.Messages)
	}
	manifest := map[string]any{"format": "routedesk-export/1", "generated_at": time.Now().UTC(), "counts": counts,
		"files": "profile.json, identities.json, consent.json, tickets.json, timeline.json, conversations/<id>.json, attachments/<message id>/<n>-<name>"}
	files := []struct {
		name string
		v    any
	}{{"manifest.json", manifest}, {"profile.json", d.Profile}, {"identities.json", d.Identities}, {"consent.json", d.Consent},
		{"tickets.json", d.Tickets}, {"timeline.json", d.Timeline}}
	for _, c := range d.Conversations {
		files = append(files, struct {
			name string
			v    any
		}{"conversations/" + c.ID + ".json", c.JSON})
	}
	for _, f := range files {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.name, err)
		}
		if err := addFile(z, f.name, b); err != nil {
			return nil, nil, err
		}
	}
	for _, at := range d.Attachments {
		if err := addFile(z, at.Path, at.Content); err != nil {
			return nil, nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, nil, fmt.Errorf("close the archive: %w", err)
	}
	return buf.Bytes(), counts, nil
}

func addFile(z *zip.Writer, name string, b []byte) error {
	w, err := z.Create(name)
	if err == nil {
		_, err = w.Write(b)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/store"
)

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

package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/privacy"
)

// Issue 30: an export of a contact who wrote on two channels (a mail with an attachment, a custom
// app) is a zip of JSON and the attachment's file holding all of it and nothing of another contact;
// the workflow's history holds ids only; another account sees none of it.
func TestExportContactArchive(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	_, other := s.Account("Other", "professional")
	mail := createChannel(t, s, token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{"address": "support@acme.test"}})
	custom := createChannel(t, s, token, map[string]any{"type": "custom", "name": "App", "config": map[string]any{"app_name": "App"}})
	raw := rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels/"+mail+"/email",
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "message/rfc822"}, strings.ReplaceAll(`From: Olga Export <olga.export@privacy.example>
To: support@acme.test
Subject: Broken kettle from Uppsala
Message-ID: <olga-1@privacy.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

The kettle from Uppsala leaks, photo attached.
--b
Content-Type: text/plain; name="receipt.txt"
Content-Disposition: attachment; filename="receipt.txt"

receipt number 4711 for one kettle
--b--
`, "\n", "\r\n"))
	require.Equal(t, http.StatusAccepted, raw.Status, string(raw.Body))
	r := s.Do(http.MethodPost, "/v1/channels/"+custom+"/messages", token, map[string]any{"external_id": "o-1", "thread_id": "olga-app",
		"from": map[string]any{"email": "olga.export@privacy.example", "name": "Olga Export"}, "text": "Also the kettle lid from Uppsala."})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	r = s.Do(http.MethodPost, "/v1/channels/"+custom+"/messages", token, map[string]any{"external_id": "p-1", "thread_id": "per-app",
		"from": map[string]any{"email": "per.other@privacy.example", "name": "Per Other"}, "text": "My toaster in Lund."})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	testenv.Eventually(t, 30*time.Second, "three tickets", func() bool { return countTickets(t, s) == 3 })
	var contact string
	require.NoError(t, s.Store.DB().Get(&contact, `SELECT id FROM contacts WHERE email = 'olga.export@privacy.example'`))

	r = s.Do(http.MethodPost, "/v1/contacts/"+contact+"/export", other, nil)
	require.Equal(t, http.StatusNotFound, r.Status, "another account cannot export the contact: %s", r.Body)
	r = s.Do(http.MethodPost, "/v1/contacts/"+contact+"/export", token, nil)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	id := r.Map(t)["id"].(string)
	var state map[string]any
	testenv.Eventually(t, 60*time.Second, "the export completed", func() bool {
		r := s.Do(http.MethodGet, "/v1/contacts/"+contact+"/export", token, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		state = r.Map(t)
		return state["state"] == "completed"
	})
	require.Equal(t, id, state["id"])
	require.Equal(t, "/v1/exports/"+id+"/archive", state["download_url"])
	for _, p := range []string{"/v1/exports/" + id, "/v1/exports/" + id + "/archive", "/v1/contacts/" + contact + "/export"} {
		require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, p, other, nil).Status, "another account: %s", p)
	}

	dl := s.Do(http.MethodGet, "/v1/exports/"+id+"/archive", token, nil)
	require.Equal(t, http.StatusOK, dl.Status, string(dl.Body))
	require.Equal(t, "application/zip", dl.Header.Get("Content-Type"))
	same := s.Do(http.MethodGet, "/v1/contacts/"+contact+"/export?download=true", token, nil)
	require.Equal(t, dl.Body, same.Body, "the contact's route downloads the same archive")
	zr, err := zip.NewReader(bytes.NewReader(dl.Body), int64(len(dl.Body)))
	require.NoError(t, err)
	files := map[string][]byte{}
	var all []byte
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		files[f.Name] = b
		all = append(all, b...)
	}
	for _, name := range []string{"manifest.json", "profile.json", "identities.json", "consent.json", "tickets.json", "timeline.json"} {
		require.Contains(t, files, name)
		require.True(t, json.Valid(files[name]), name)
	}
	var profile map[string]any
	require.NoError(t, json.Unmarshal(files["profile.json"], &profile))
	require.Equal(t, "olga.export@privacy.example", profile["email"])
	var tickets []map[string]any
	require.NoError(t, json.Unmarshal(files["tickets.json"], &tickets))
	require.Len(t, tickets, 2)
	convs, attachments := 0, 0
	for name, b := range files {
		switch {
		case strings.HasPrefix(name, "conversations/"):
			convs++
			require.True(t, json.Valid(b), name)
		case strings.HasPrefix(name, "attachments/"):
			attachments++
			require.True(t, strings.HasSuffix(name, "receipt.txt"), name)
			require.Contains(t, string(b), "receipt number 4711")
			require.Contains(t, string(all), `"file": "`+name+`"`, "a conversation names the file")
		}
	}
	require.Equal(t, 2, convs, "one conversation per channel")
	require.Equal(t, 1, attachments)
	for _, p := range []string{"The kettle from Uppsala leaks", "Also the kettle lid from Uppsala", "Broken kettle from Uppsala"} {
		require.Contains(t, string(all), p)
	}
	requireNothingPersonal(t, "the archive", all, []string{"per.other@privacy.example", "Per Other", "toaster in Lund"})

	// The workflow's history holds ids and counts only, decoded or not.
	histories := allHistories(t, s)
	var found bool
	for wid, h := range histories {
		if !strings.HasPrefix(wid, privacy.ExportWorkflowID("", "")[:7]) {
			continue
		}
		found = true
		dec, _ := decodeAll(t, s.Codec, map[string]*historypb.History{wid: h})
		requireNothingPersonal(t, "the export's decoded history", dec, []string{"olga.export@privacy.example", "Olga Export", "Uppsala", "4711"})
	}
	require.True(t, found, "the export ran as a workflow")

	r = s.Do(http.MethodGet, "/v1/audit?action=export", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"ref":"`+id+`"`)
	requireNothingPersonal(t, "the audit log", r.Body, []string{"olga.export@privacy.example", "Olga Export", "Uppsala"})
}

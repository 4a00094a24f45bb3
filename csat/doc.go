// Package csat holds what the customer-satisfaction survey (issue 28) needs beside the store and the
// workflow: the signed, expiring rating links (derived from ROUTEDESK_SECRET_KEY) and the invitation's texts.
package csat

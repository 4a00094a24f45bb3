package csat

import (
	"strconv"
	"strings"
)

// Ratings are the answers a survey takes, worst first, with the words the customer sees.
var Ratings = []string{"1 – Very unsatisfied", "2 – Unsatisfied", "3 – Neutral", "4 – Satisfied", "5 – Very satisfied"}

// Question is the survey's question.
const Question = "How would you rate the support you received?"

// EmailText is the plain-text invitation with its rating link.
func EmailText(link string) string {
	return "Your request was solved. " + Question + "\n\nRate it here (one click, no login): " + link +
		"\n\nThe link works for 7 days. Thank you for helping us improve."
}

// PromptText is the invitation in a chat or a messaging app, which shows rating buttons under it.
func PromptText() string {
	return "Your request was solved. " + Question + " Tap a rating from 1 (very unsatisfied) to 5 (very satisfied)."
}

// payloadPrefix starts a quick reply's payload: "csat:<rating>:<ticket id>". Meta signs the webhook that
// brings it back, and the answer is taken only from the survey ticket's own conversation.
const payloadPrefix = "csat:"

// Payload is the quick reply's payload of rating on ticketID's survey.
func Payload(rating int, ticketID string) string {
	return payloadPrefix + strconv.Itoa(rating) + ":" + ticketID
}

// ParsePayload reads a quick reply's payload; ok is false for any other payload.
func ParsePayload(p string) (rating int, ticketID string, ok bool) {
	rest, found := strings.CutPrefix(p, payloadPrefix)
	if !found {
		return 0, "", false
	}
	n, id, found := strings.Cut(rest, ":")
	r, err := strconv.Atoi(n)
	if !found || err != nil || r < 1 || r > 5 || id == "" {
		return 0, "", false
	}
	return r, id, true
}

// Choice is one of an invitation's answer buttons.
type Choice struct {
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

// Choices are the five answer buttons of ticketID's survey.
func Choices(ticketID string) []Choice {
	out := make([]Choice, 0, len(Ratings))
	for i := range Ratings {
		out = append(out, Choice{Title: strconv.Itoa(i+1) + " ★", Payload: Payload(i+1, ticketID)})
	}
	return out
}

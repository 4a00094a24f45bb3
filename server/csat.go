package server

import (
	"errors"
	"html/template"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// csatRoutes are the satisfaction survey's public rating page (no login: the signed link is the key).
func (s *Server) csatRoutes() []route {
	return []route{
		{method: http.MethodOptions, path: "/csat/:token", tag: "csat", summary: "CORS preflight of the rating endpoint (the chat widget posts its rating buttons' answers from the customer's site)", status: 204, handler: csatPreflight},
		{method: http.MethodGet, path: "/csat/:token", tag: "csat", summary: "The public rating page of a satisfaction survey (HTML, no login): 1–5 buttons and a comment; 404 for a tampered link, 410 once its 7 days are over, 429 past 30 requests a minute per address", status: 200, problems: []int{http.StatusGone, http.StatusTooManyRequests}, handler: s.csatPage},
		{method: http.MethodPost, path: "/csat/:token", tag: "csat", summary: "Answer a satisfaction survey (JSON, or a form post from the rating page, answered with HTML): rating 1–5 and an optional comment; the last answer within 7 days of the invitation wins, then 410", request: csatAnswer{}, bodyTypes: []string{"application/x-www-form-urlencoded"}, response: domain.CSAT{}, status: 200, problems: []int{http.StatusGone, http.StatusTooManyRequests}, handler: s.answerCSAT},
	}
}

// csatCORS lets any site post an answer: the signed link is the only key, no cookie is involved.
var csatCORS = httpx.CORS{Methods: "POST", Headers: "Content-Type"}

// csatPreflight answers a browser's CORS preflight of POST /csat/{token}.
func csatPreflight(c *gin.Context) {
	csatCORS.Allow(c, func(string) bool { return true })
	csatCORS.Preflight(c)
	c.Status(http.StatusNoContent)
}

// csatAnswer is the body of POST /csat/{token}.
type csatAnswer struct {
	// Rating is 1 (very unsatisfied) to 5 (very satisfied).
	Rating *int `json:"rating" validate:"required,min=1,max=5"`
	// Comment is optional, at most 2,000 characters.
	Comment string `json:"comment,omitempty"`
}

// maxCSATComment bounds a survey's comment (characters).
const maxCSATComment = 2000

// csatPerMinute is how many requests an address may make to the rating pages a minute.
const csatPerMinute = 30

// csatSurvey checks the request's rate and rating link and returns the survey it names, open for answers;
// it has answered the request (with a problem) when ok is false.
func (s *Server) csatSurvey(c *gin.Context) (claims csat.Claims, survey *domain.CSAT, ok bool) {
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer") // the link is the key: never pass it on
	if d := s.csatLimits.Wait(c.ClientIP(), csatPerMinute, time.Now()); d > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		httpx.WriteProblem(c, http.StatusTooManyRequests, "too many requests from this address; retry after "+c.Writer.Header().Get("Retry-After")+" s")
		return claims, nil, false
	}
	if s.cfg.CSAT == nil {
		httpx.WriteProblem(c, http.StatusNotFound, "this help desk sends no satisfaction surveys")
		return claims, nil, false
	}
	claims, err := s.cfg.CSAT.Parse(c.Param("token"), time.Now())
	switch {
	case errors.Is(err, csat.ErrExpired):
		httpx.WriteProblem(c, http.StatusGone, err.Error())
		return claims, nil, false
	case err != nil:
		httpx.WriteProblem(c, http.StatusNotFound, err.Error())
		return claims, nil, false
	}
	survey, err = s.store.TicketCSAT(c.Request.Context(), claims.AccountID, claims.TicketID)
	if err != nil {
		s.fail(c, err)
		return claims, nil, false
	}
	if survey == nil {
		httpx.WriteProblem(c, http.StatusNotFound, "the survey of this link no longer exists")
		return claims, nil, false
	}
	if !surveyOpen(survey, time.Now()) {
		httpx.WriteProblem(c, http.StatusGone, "this survey takes no more answers: ratings are taken for 7 days after the invitation")
		return claims, nil, false
	}
	return claims, survey, true
}

// surveyOpen reports whether a survey takes answers at now: sent (or answered) less than csat.AnswerWindow ago.
func surveyOpen(c *domain.CSAT, now time.Time) bool {
	return (c.State == store.CSATSent || c.State == store.CSATAnswered) && c.SentAt != nil && now.Before(c.SentAt.Add(csat.AnswerWindow))
}

// csatPage answers GET /csat/{token}: the rating page, showing the answer given so far.
func (s *Server) csatPage(c *gin.Context) {
	_, survey, ok := s.csatSurvey(c)
	if !ok {
		return
	}
	renderCSATPage(c, survey, false)
}

// answerCSAT answers POST /csat/{token}: a JSON answer is answered with the survey as JSON, a form post
// from the rating page with the page, thanking the customer.
func (s *Server) answerCSAT(c *gin.Context) {
	csatCORS.Allow(c, func(string) bool { return true })
	claims, _, ok := s.csatSurvey(c)
	if !ok {
		return
	}
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	page := mediaType == "application/x-www-form-urlencoded"
	var req csatAnswer
	var err error
	if page {
		req, err = decodeCSATForm(c)
	} else {
		err = httpx.DecodeJSON(c, &req)
	}
	if err == nil {
		err = checkCSATComment(req.Comment)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	answered, err := s.store.AnswerCSAT(c.Request.Context(), claims.AccountID, claims.TicketID, *req.Rating, &req.Comment, csat.AnswerWindow)
	if errors.Is(err, store.ErrSurveyClosed) {
		httpx.WriteProblem(c, http.StatusGone, "this survey takes no more answers: ratings are taken for 7 days after the invitation")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if page {
		renderCSATPage(c, &answered, true)
		return
	}
	c.JSON(http.StatusOK, answered)
}

// decodeCSATForm reads the rating page's form post.
func decodeCSATForm(c *gin.Context) (csatAnswer, error) {
	if err := c.Request.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return csatAnswer{}, tooLarge
		}
		return csatAnswer{}, domain.Invalid("body", "is not a valid application/x-www-form-urlencoded body")
	}
	n, err := strconv.Atoi(c.Request.PostForm.Get("rating"))
	if err != nil || n < 1 || n > 5 {
		return csatAnswer{}, domain.Invalid("rating", "must be a whole number from 1 to 5")
	}
	return csatAnswer{Rating: &n, Comment: c.Request.PostForm.Get("comment")}, nil
}

// checkCSATComment refuses a comment PostgreSQL cannot hold or longer than maxCSATComment.
func checkCSATComment(s string) error {
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return domain.Invalid("comment", "must be UTF-8 text without NUL")
	case utf8.RuneCountInString(s) > maxCSATComment:
		return domain.Invalid("comment", "must be at most 2000 characters")
	}
	return nil
}

// csatPageData is what the rating page shows.
type csatPageData struct {
	Question string
	Ratings  []csatButton
	Comment  string
	Thanks   bool
	Rated    int
}

// csatButton is one rating button.
type csatButton struct {
	Value    int
	Label    string
	Selected bool
}

// renderCSATPage writes the rating page of survey.
func renderCSATPage(c *gin.Context, survey *domain.CSAT, thanks bool) {
	d := csatPageData{Question: csat.Question, Comment: survey.Comment, Thanks: thanks}
	if survey.Rating != nil {
		d.Rated = *survey.Rating
	}
	for i, label := range csat.Ratings {
		d.Ratings = append(d.Ratings, csatButton{Value: i + 1, Label: label, Selected: d.Rated == i+1})
	}
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = csatPageTemplate.Execute(c.Writer, d) // a write error is the client's gone connection
}

// csatPageTemplate is the rating page; html/template escapes what it shows.
var csatPageTemplate = template.Must(template.New("csat").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Rate your support</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
fieldset{border:0;padding:0;margin:1rem 0;display:flex;flex-wrap:wrap;gap:.5rem}
button{font:inherit;padding:.6rem .9rem;border:1px solid #9aa4b2;border-radius:.4rem;background:#fff;cursor:pointer}
button[aria-pressed=true]{background:#1d4ed8;color:#fff;border-color:#1d4ed8}
textarea{width:100%;min-height:6rem;font:inherit}.thanks{background:#ecfdf5;border:1px solid #6ee7b7;padding:.75rem;border-radius:.4rem}</style></head>
<body><main><h1>{{.Question}}</h1>
{{if .Thanks}}<p class="thanks" role="status">Thank you! Your rating was saved. You can change it here for 7 days.</p>
{{else if .Rated}}<p role="status">You rated {{.Rated}} of 5. You can change your answer.</p>{{end}}
<form method="post"><label for="comment">Anything you want to add? (optional)</label>
<textarea id="comment" name="comment" maxlength="2000">{{.Comment}}</textarea>
<fieldset><legend>Choose a rating to send it:</legend>
{{range .Ratings}}<button type="submit" name="rating" value="{{.Value}}" aria-pressed="{{.Selected}}">{{.Label}}</button>{{end}}
</fieldset></form></main></body></html>
`))

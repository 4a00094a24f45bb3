package email

import (
	"regexp"
	"strings"
)

// Header-block field names, as mail clients write them in quoted and
// forwarded header blocks in English, Swedish, Danish, Norwegian, German,
// French, Spanish, Dutch, Italian, Portuguese, Finnish and Polish.
const (
	fieldFrom    = "from"
	fieldDate    = "date"
	fieldTo      = "to"
	fieldCc      = "cc"
	fieldSubject = "subject"
)

var fieldLabels = map[string]string{
	"from": fieldFrom, "från": fieldFrom, "fra": fieldFrom, "von": fieldFrom, "de": fieldFrom,
	"van": fieldFrom, "da": fieldFrom, "mittente": fieldFrom, "remitente": fieldFrom,
	"afzender": fieldFrom, "lähettäjä": fieldFrom, "od": fieldFrom, "expéditeur": fieldFrom,

	"date": fieldDate, "sent": fieldDate, "datum": fieldDate, "skickat": fieldDate, "skickades": fieldDate,
	"sendt": fieldDate, "gesendet": fieldDate, "envoyé": fieldDate, "enviado": fieldDate,
	"enviada em": fieldDate, "enviado em": fieldDate, "fecha": fieldDate, "verzonden": fieldDate,
	"inviato": fieldDate, "data": fieldDate, "lähetetty": fieldDate, "päivämäärä": fieldDate,
	"wysłano": fieldDate, "dato": fieldDate, "envoyé le": fieldDate,

	"to": fieldTo, "till": fieldTo, "til": fieldTo, "an": fieldTo, "à": fieldTo, "a": fieldTo,
	"para": fieldTo, "aan": fieldTo, "vastaanottaja": fieldTo, "do": fieldTo, "destinataire": fieldTo,

	"cc": fieldCc, "kopia": fieldCc, "kopie": fieldCc, "kopi": fieldCc, "copie": fieldCc,
	"copia": fieldCc, "kopio": fieldCc, "dw": fieldCc,

	"subject": fieldSubject, "ämne": fieldSubject, "emne": fieldSubject, "betreff": fieldSubject,
	"objet": fieldSubject, "sujet": fieldSubject, "asunto": fieldSubject, "onderwerp": fieldSubject,
	"oggetto": fieldSubject, "assunto": fieldSubject, "aihe": fieldSubject, "temat": fieldSubject,
	"rubrik": fieldSubject,
}

// fieldLine matches "Label: value", also "*Label:* value" (bold in text made from HTML)
// and the French "Label : value".
var fieldLine = regexp.MustCompile(`^\s*\*{0,2}([^\s:*][^:*]{0,24}?)\*{0,2}\s?:\*{0,2}(?:\s+(.*)|$)`)

// headerField returns the field name and value of a header-block line.
func headerField(line string) (field, value string, ok bool) {
	line = strings.ReplaceAll(line, "\u00a0", " ")
	sm := fieldLine.FindStringSubmatch(line)
	if sm == nil {
		return "", "", false
	}
	field, ok = fieldLabels[strings.ToLower(strings.TrimSpace(sm[1]))]
	return field, strings.TrimSpace(strings.Trim(sm[2], "*")), ok
}

// forwardPhrases are the words of a "---- Forwarded message ----" separator line
// (Gmail, Thunderbird, Yahoo, Proton …).
var forwardPhrases = []string{
	"forwarded message", "forwarded e-mail", "forwarded email", "vidarebefordrat meddelande",
	"vidarebefordrat mejl", "videresendt meddelelse", "videresendt melding", "videresendt besked",
	"weitergeleitete nachricht", "message transféré", "mensaje reenviado", "doorgestuurd bericht",
	"messaggio inoltrato", "mensagem encaminhada", "mensagem reencaminhada", "välitetty viesti",
	"wiadomość przekazana", "przekazana wiadomość",
}

// originalPhrases are the words of an "-----Original Message-----" line (Outlook and others).
var originalPhrases = []string{
	"original message", "ursprüngliche nachricht", "originalnachricht", "message d'origine",
	"message d’origine", "mensaje original", "originalmeddelande", "ursprungligt meddelande",
	"oorspronkelijk bericht", "messaggio originale", "mensagem original", "opprinnelig melding",
	"oprindelig meddelelse", "alkuperäinen viesti", "oryginalna wiadomość",
}

// applePhrases open Apple Mail's (and some webmail's) forwarded block.
var applePhrases = []string{
	"begin forwarded message", "anfang der weitergeleiteten nachricht", "anfang der weitergeleiteten e-mail",
	"début du message réexpédié", "début du message transféré", "inicio del mensaje reenviado",
	"begin doorgestuurd bericht", "början på vidarebefordrat brev", "vidarebefordrat brev",
	"vidarebefordrat mejl", "videresendt e-mail", "videresendt melding", "inizio messaggio inoltrato",
	"início da mensagem reencaminhada", "início da mensagem encaminhada", "välitetty viesti alkaa",
}

// separatorWords returns the words of a line like "---------- Forwarded message ---------",
// "-----Original Message-----" or "----- Forwarded Message -----", lower-cased.
func separatorWords(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "--") && !strings.HasPrefix(t, "==") {
		return "", false
	}
	words := strings.Trim(t, "-= \t")
	if words == "" || len(words) > 60 {
		return "", false
	}
	return strings.ToLower(words), true
}

// isForwardSeparator reports a "---- Forwarded message ----" line or an Apple "Begin forwarded message:" line.
func isForwardSeparator(line string) bool {
	if w, ok := separatorWords(line); ok {
		return containsAny(w, forwardPhrases)
	}
	t := strings.ToLower(strings.TrimSpace(strings.ReplaceAll(line, "\u00a0", " ")))
	if !strings.HasSuffix(t, ":") || len(t) > 60 {
		return false
	}
	t = strings.TrimSpace(strings.TrimSuffix(t, ":"))
	for _, p := range applePhrases {
		if t == p {
			return true
		}
	}
	return false
}

// isOriginalSeparator reports an "-----Original Message-----" line.
func isOriginalSeparator(line string) bool {
	w, ok := separatorWords(line)
	return ok && containsAny(w, originalPhrases)
}

// isRule reports an Outlook "________________________________" line.
func isRule(line string) bool {
	t := strings.TrimSpace(line)
	return len(t) >= 10 && strings.Trim(t, "_") == ""
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// forwardSubject matches the forward prefixes clients put on subjects.
var forwardSubject = regexp.MustCompile(`(?i)^\s*(\[\s*)?(fwd?|fw|wg|tr|rv|vb|vs|vl|doorst|enc|i|pd|rif|wd|přeposlat)\s*:`)

// IsForwardSubject reports whether a subject starts with a forward prefix (Fwd:, FW:, WG:, TR:, VB: …).
func IsForwardSubject(subject string) bool {
	return forwardSubject.MatchString(subject)
}

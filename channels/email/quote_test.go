package email

import (
	"strings"
	"testing"
)

func TestSplitQuoted(t *testing.T) {
	cases := []struct {
		name, text, newText string
		quoted              bool
	}{
		{"gmail en", "Yes.\n\nOn Tue, Jan 3, 2023 at 10:00 AM Ada <ada@x.test> wrote:\n> old", "Yes.", true},
		{"gmail de", "Ja.\n\nAm Di., 3. Jan. 2023 um 10:00 Uhr schrieb Ada <ada@x.test>:\n> alt", "Ja.", true},
		{"gmail fr", "Oui.\n\nLe mar. 3 janv. 2023 à 10:00, Ada <ada@x.test> a écrit :\n> ancien", "Oui.", true},
		{"gmail es", "Sí.\n\nEl mar, 3 ene 2023 a las 10:00, Ada (<ada@x.test>) escribió:\n> viejo", "Sí.", true},
		{"gmail nl", "Ja.\n\nOp di 3 jan. 2023 om 10:00 schreef Ada <ada@x.test>:\n> oud", "Ja.", true},
		{"gmail sv", "Ja.\n\nDen tis 3 jan. 2023 kl 10:00 skrev Ada <ada@x.test>:\n> gammalt", "Ja.", true},
		{"gmail sv new", "Ja.\n\ntis 3 jan. 2023 kl. 10:00 skrev Ada <ada@x.test>:\n> gammalt", "Ja.", true},
		{"gmail it", "Sì.\n\nIl giorno mar 3 gen 2023 alle ore 10:00 Ada <ada@x.test> ha scritto:\n> vecchio", "Sì.", true},
		{"gmail pt", "Sim.\n\nEm ter., 3 de jan. de 2023 às 10:00, Ada <ada@x.test> escreveu:\n> antigo", "Sim.", true},
		{"wrapped", "Ok.\n\nOn Tue, Jan 3, 2023 at 10:00 AM Ada Lovelace <\nada@x.test> wrote:\n\n> old", "Ok.", true},
		{"attribution right under text", "Thanks a lot\nOn Tue, 3 Jan 2023 Ada <ada@x.test> wrote:\n> old", "Thanks a lot", true},
		{"outlook en", "Fine.\n\nFrom: Ada <ada@x.test>\nSent: Tuesday, January 3, 2023 10:00 AM\nTo: Bob\nSubject: Hi\n\nold", "Fine.", true},
		{"outlook es", "Bien.\n\nDe: Ada <ada@x.test>\nEnviado: martes, 3 de enero de 2023 10:00\nPara: Bob\nAsunto: Hola\n\nviejo", "Bien.", true},
		{"outlook sv", "Bra.\n\nFrån: Ada <ada@x.test>\nSkickat: den 3 januari 2023 10:00\nTill: Bob\nÄmne: Hej\n\ngammalt", "Bra.", true},
		{"outlook nl", "Goed.\n\nVan: Ada <ada@x.test>\nVerzonden: dinsdag 3 januari 2023 10:00\nAan: Bob\nOnderwerp: Hoi\n\noud", "Goed.", true},
		{"outlook it", "Bene.\n\nDa: Ada <ada@x.test>\nInviato: martedì 3 gennaio 2023 10:00\nA: Bob\nOggetto: Ciao\n\nvecchio", "Bene.", true},
		{"outlook bold html", "Fine.\n\n*From:* Ada <ada@x.test>\n*Sent:* Tuesday, January 3, 2023\n*To:* Bob\n*Subject:* Hi\n\nold", "Fine.", true},
		{"original message de", "Gut.\n\n-----Ursprüngliche Nachricht-----\nVon: Ada\n\nalt", "Gut.", true},
		{"original message fr", "Bien.\n\n-----Message d'origine-----\nDe : Ada\n\nancien", "Bien.", true},
		{"trailing quotes", "Agreed.\n\n> earlier\n> text", "Agreed.", true},
		{"interleaved quotes are new text", "> question one\nanswer one\n> question two\nanswer two", "> question one\nanswer one\n> question two\nanswer two", false},
		{"no quote", "Just a question.\nMy colleague wrote: see below", "Just a question.\nMy colleague wrote: see below", false},
		{"a from line alone", "From: the shop\nthe parcel never came", "From: the shop\nthe parcel never came", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			newText, quotedText, quoted := SplitQuoted(c.text)
			if quoted != c.quoted || newText != c.newText {
				t.Errorf("SplitQuoted = %q, %q, %v; want new %q, quoted %v", newText, quotedText, quoted, c.newText, c.quoted)
			}
			if quoted && newText+"\n\n"+quotedText != strings.TrimSpace(c.text) && !strings.Contains(c.text, quotedText) {
				t.Errorf("quoted part %q is not the rest of the text", quotedText)
			}
		})
	}
}

func TestParseForwardLanguages(t *testing.T) {
	cases := []struct {
		name, subject, text, email, subj string
	}{
		{"outlook es", "RV: Pedido", "\n________________________________\nDe: Jorge Borges <jorge@x.test>\nEnviado: martes, 3 de enero de 2023 10:00\nPara: Lucia\nAsunto: Pedido\n\nhola", "jorge@x.test", "Pedido"},
		{"outlook sv", "VB: Order", "________________________________\nFrån: Åsa Öberg <asa@x.test>\nSkickat: den 3 januari 2023 10:00\nTill: Sara\nÄmne: Order\n\nhej", "asa@x.test", "Order"},
		{"outlook de", "WG: Bestellung", "________________________________\nVon: Käthe <kaethe@x.test>\nGesendet: Dienstag, 3. Januar 2023 10:00\nAn: Jonas\nBetreff: Bestellung\n\nhallo", "kaethe@x.test", "Bestellung"},
		{"outlook it", "I: Ordine", "-----Messaggio originale-----\nDa: Dante <dante@x.test>\nInviato: martedì 3 gennaio 2023 10:00\nA: Lucia\nOggetto: Ordine\n\nciao", "dante@x.test", "Ordine"},
		{"outlook pt", "ENC: Pedido", "________________________________\nDe: Clarice <clarice@x.test>\nEnviada em: terça-feira, 3 de janeiro de 2023 10:00\nPara: Ana\nAssunto: Pedido\n\nolá", "clarice@x.test", "Pedido"},
		{"gmail fr", "Fwd: Commande", "---------- Message transféré ---------\nDe : Émile <emile@x.test>\nDate: mar. 3 janv. 2023 à 10:00\nSubject: Commande\nTo: <a@x.test>\n\nbonjour", "emile@x.test", "Commande"},
		{"gmail de", "Fwd: Frage", "---------- Weitergeleitete Nachricht ---------\nVon: Käthe <kaethe@x.test>\nDate: Di., 3. Jan. 2023 um 10:00 Uhr\nSubject: Frage\nTo: <a@x.test>\n\nhallo", "kaethe@x.test", "Frage"},
		{"apple fr", "Fwd: Question", "Début du message réexpédié :\n\nDe: Émile <emile@x.test>\nObjet: Question\nDate: 3 janvier 2023 à 10:00:00 UTC+1\nÀ: a@x.test\n\nbonjour", "emile@x.test", "Question"},
		{"apple es", "Fwd: Pregunta", "Inicio del mensaje reenviado:\n\nDe: Jorge <jorge@x.test>\nAsunto: Pregunta\nFecha: 3 de enero de 2023, 10:00:00 CET\nPara: a@x.test\n\nhola", "jorge@x.test", "Pregunta"},
		{"thunderbird fr", "Fwd: Facture", "-------- Message transféré --------\nSujet : \tFacture\nDate : \tTue, 3 Jan 2023 10:00:00 +0100\nDe : \tÉmile <emile@x.test>\nPour : \ta@x.test\n\nbonjour", "emile@x.test", "Facture"},
		{"quoted gmail", "Fwd: Hi", "> ---------- Forwarded message ---------\n> From: Ada <ada@x.test>\n> Subject: Hi\n>\n> hello", "ada@x.test", "Hi"},
		{"name only", "Fwd: Hi", "---------- Forwarded message ---------\nFrom: ada@x.test\nSubject: Hi\n\nhello", "ada@x.test", "Hi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := ParseForward(c.subject, c.text)
			if f == nil {
				t.Fatal("no forward found")
			}
			if f.Original.Email != c.email || f.OriginalSubject != c.subj || f.OriginalText == "" {
				t.Errorf("forward = %+v, want %s / %q", f, c.email, c.subj)
			}
		})
	}
	// Replies are not forwards.
	for _, text := range []string{
		"Thanks!\n\nFrom: Ada <ada@x.test>\nSent: Tuesday\nTo: Bob\nSubject: Hi\n\nold",
		"Thanks!\n\n-----Original Message-----\nFrom: Ada <ada@x.test>\nSent: Tuesday\nSubject: Hi",
		"Just text, no forward.",
	} {
		if f := ParseForward("Re: Hi", text); f != nil {
			t.Errorf("reply %q taken for a forward: %+v", text, f)
		}
	}
}

func TestParseLooseAddress(t *testing.T) {
	cases := map[string]Address{
		"Ada Lovelace <ada@x.test>":              {Name: "Ada Lovelace", Email: "ada@x.test"},
		`"Lovelace, Ada" <ada@x.test>`:           {Name: "Lovelace, Ada", Email: "ada@x.test"},
		"Ada Lovelace [mailto:ada@x.test]":       {Name: "Ada Lovelace", Email: "ada@x.test"},
		"Ada Lovelace <mailto:ada@x.test>":       {Name: "Ada Lovelace", Email: "ada@x.test"},
		"*Ada Lovelace* < ada@x.test >":          {Name: "Ada Lovelace", Email: "ada@x.test"},
		"ada@x.test":                             {Email: "ada@x.test"},
		"Ada Lovelace":                           {Name: "Ada Lovelace"},
		"Ada Lovelace ada@x.test ( ada@x.test )": {Name: "Ada Lovelace", Email: "ada@x.test"},
	}
	for in, want := range cases {
		if got := parseLooseAddress(in); got != want {
			t.Errorf("parseLooseAddress(%q) = %+v, want %+v", in, got, want)
		}
	}
}

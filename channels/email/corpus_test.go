package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCase is what a testdata/*.eml must parse to.
type corpusCase struct {
	file    string
	from    string // From address
	name    string // From display name
	subject string
	contact string // Contact(true): the original sender of a forward, else From
	fwd     string // forward style, "" for none
	fwdSubj string // original subject of a forward
	kind    Kind
	quoted  bool
	text    string // substring of Text
	newText string // substring of NewText ("" = NewText must be empty when quoted)
	notNew  string // must not be in NewText
}

var corpus = []corpusCase{
	// Replies with quoted history.
	{file: "reply_gmail_en.eml", from: "grace@example.org", name: "Grace Hopper", subject: "Re: Where is my order? [#T-1042]",
		contact: "grace@example.org", kind: KindNormal, quoted: true, newText: "it arrived today — all good", notNew: "ships tomorrow"},
	{file: "reply_gmail_sv_wrapped.eml", from: "bjorn@example.se", name: "Björn Åkesson", subject: "Sv: Faktura saknas",
		contact: "bjorn@example.se", kind: KindNormal, quoted: true, newText: "Fakturan har nu kommit fram", notNew: "skrev"},
	{file: "reply_outlook_de.eml", from: "hans.mueller@example.de", name: "Müller, Hans", subject: "AW: Lieferung [#T-77]",
		contact: "hans.mueller@example.de", kind: KindNormal, quoted: true, newText: "beschädigt. Bitte um Ersatz – danke", notNew: "Gesendet"},
	{file: "reply_outlook_original_message.eml", from: "bob@example.com", name: "Bob Smith", subject: "RE: Password reset",
		contact: "bob@example.com", kind: KindNormal, quoted: true, newText: "That link expired", notNew: "Original Message"},
	{file: "reply_mutt_quotes.eml", from: "carol@example.net", subject: "Re: API limits",
		contact: "carol@example.net", kind: KindNormal, quoted: true, newText: "batch our calls", notNew: "100 requests"},
	{file: "new_plain_encoded_from.eml", from: "ichiro@example.jp", name: "鈴木一郎", subject: "問い合わせ about pricing",
		contact: "ichiro@example.jp", kind: KindNormal, newText: `My colleague wrote: "we need 50 seats".`},

	// Forwards: the contact is the original sender.
	{file: "fwd_gmail_en.eml", from: "sam@acme.test", name: "Sam Agent", subject: "Fwd: Broken charger", contact: "ada@example.com",
		fwd: ForwardInline, fwdSubj: "Broken charger", kind: KindNormal, quoted: true, newText: "Can someone take this one?",
		text: "stopped working after two days"},
	{file: "fwd_gmail_sv.eml", from: "sara@acme.test", subject: "Fwd: Fråga om leverans", contact: "asa.oberg@example.se",
		fwd: ForwardInline, fwdSubj: "Fråga om leverans", kind: KindNormal, quoted: true, text: "När kommer min beställning?"},
	{file: "fwd_gmail_es_html_only.eml", from: "lucia@acme.test", subject: "Fwd: Pedido retrasado", contact: "jorge@example.es",
		fwd: ForwardInline, fwdSubj: "Pedido retrasado", kind: KindNormal, quoted: true, text: "una semana de retraso"},
	{file: "fwd_outlook_en.eml", from: "olivia@acme.test", subject: "FW: Invoice 2023-001 wrong amount", contact: "linus@example.fi",
		fwd: ForwardInline, fwdSubj: "Invoice 2023-001 wrong amount", kind: KindNormal, quoted: true, newText: "FYI - please handle."},
	{file: "fwd_outlook_fr.eml", from: "amelie@acme.test", name: "Amélie Agent", subject: "TR: Problème de connexion",
		contact: "emile.zola@example.fr", fwd: ForwardInline, fwdSubj: "Problème de connexion", kind: KindNormal, quoted: true,
		text: "Je n'arrive plus à me connecter"},
	{file: "fwd_outlook_legacy_mailto.eml", from: "ken@acme.test", subject: "FW: Contract renewal", contact: "margaret@example.com",
		fwd: ForwardInline, fwdSubj: "Contract renewal", kind: KindNormal, quoted: true},
	{file: "fwd_apple_en.eml", from: "tim@acme.test", subject: "Fwd: App crashes on start", contact: "dmr@example.com",
		fwd: ForwardInline, fwdSubj: "App crashes on start", kind: KindNormal, quoted: true, newText: "Another one."},
	{file: "fwd_apple_de.eml", from: "jonas@acme.test", subject: "WG: Rechnung", contact: "kaethe@example.de",
		fwd: ForwardInline, fwdSubj: "Rechnung", kind: KindNormal, quoted: true},
	{file: "fwd_thunderbird_en.eml", from: "paul@acme.test", subject: "Fwd: Refund request", contact: "barbara@example.com",
		fwd: ForwardInline, fwdSubj: "Refund request", kind: KindNormal, quoted: true},
	{file: "fwd_thunderbird_nl.eml", from: "pieter@acme.test", subject: "Doorst: Vraag", contact: "edsger@example.nl",
		fwd: ForwardInline, fwdSubj: "Vraag", kind: KindNormal, quoted: true},
	{file: "fwd_yahoo_en.eml", from: "yuki@acme.test", subject: "Fw: Wrong size delivered", contact: "john.backus@example.com",
		fwd: ForwardInline, fwdSubj: "Wrong size delivered", kind: KindNormal, quoted: true},
	{file: "fwd_yahoo_multiline.eml", from: "yuki@acme.test", subject: "Fw: Missing parts", contact: "frances@example.com",
		fwd: ForwardInline, fwdSubj: "Missing parts", kind: KindNormal, quoted: true},
	{file: "fwd_attachment_rfc822.eml", from: "sam@acme.test", subject: "Fwd: Printer on fire", contact: "grace@example.org",
		fwd: ForwardAttachment, fwdSubj: "Printer on fire", kind: KindNormal, newText: "See attached."},

	// Charsets, in the body, the subject and the From name.
	{file: "charset_iso8859_1.eml", from: "customer@example.net", name: "Renée Dupré", subject: "Où est ma commande ?",
		contact: "customer@example.net", kind: KindNormal, newText: "où est ma commande ? Merci beaucoup."},
	{file: "charset_iso8859_2.eml", from: "customer@example.net", name: "Łukasz Żółć", subject: "Zamówienie nie dotarło",
		contact: "customer@example.net", kind: KindNormal, newText: "Dzień dobry, zamówienie nie dotarło."},
	{file: "charset_iso8859_15.eml", from: "customer@example.net", subject: "Prix en €", contact: "customer@example.net",
		kind: KindNormal, newText: "Le prix est 20 € et non 25 €."},
	{file: "charset_windows1252.eml", from: "customer@example.net", subject: "Quotes – test", contact: "customer@example.net",
		kind: KindNormal, newText: "“Smart quotes” – and an en dash… cost 5 €."},
	{file: "charset_windows1251.eml", from: "customer@example.net", name: "Иван Петров", subject: "Заказ не пришёл",
		contact: "customer@example.net", kind: KindNormal, newText: "Здравствуйте, мой заказ не пришёл."},
	{file: "charset_koi8r.eml", from: "customer@example.net", subject: "Спасибо", contact: "customer@example.net",
		kind: KindNormal, newText: "Спасибо за помощь!"},
	{file: "charset_shift_jis.eml", from: "customer@example.net", name: "山田太郎", subject: "商品が届きません",
		contact: "customer@example.net", kind: KindNormal, newText: "注文した商品がまだ届いていません。"},
	{file: "charset_iso2022jp.eml", from: "customer@example.net", name: "佐藤花子", subject: "請求書について",
		contact: "customer@example.net", kind: KindNormal, newText: "請求書を再送してください。"},
	{file: "charset_gb18030.eml", from: "customer@example.net", name: "王小明", subject: "订单未到",
		contact: "customer@example.net", kind: KindNormal, newText: "你好，我的订单还没有到。"},
	{file: "charset_utf7.eml", from: "customer@example.net", subject: "Größe", contact: "customer@example.net",
		kind: KindNormal, newText: "die Größe passt nicht – bitte umtauschen"},

	// HTML only, attachments, inline images.
	{file: "html_only_unsafe.eml", from: "noreply-form@example.com", name: "Web Form", subject: "Hjälp med kontot",
		contact: "noreply-form@example.com", kind: KindNormal, newText: "jag kommer inte *in* på mitt konto"},
	{file: "attachments_nested.eml", from: "dora@example.com", name: "Dora Customer", subject: "Receipts attached",
		contact: "dora@example.com", kind: KindNormal, newText: "Two receipts attached."},
	{file: "inline_image.eml", from: "eve@example.com", name: "Eve Customer", subject: "Screenshot of the error",
		contact: "eve@example.com", kind: KindNormal, newText: "See the screenshot"},

	// Auto-replies.
	{file: "auto_outlook_oof.eml", from: "grace@example.org", subject: "Automatic reply: Where is my order? [#T-1042]",
		contact: "grace@example.org", kind: KindAutoReply, newText: "out of the office"},
	{file: "auto_precedence_bulk.eml", from: "news@example.com", subject: "Our January newsletter", contact: "news@example.com",
		kind: KindAutoReply},
	{file: "auto_x_autoreply.eml", from: "helpdesk@example.net", subject: "Re: Your ticket", contact: "helpdesk@example.net",
		kind: KindAutoReply},
	{file: "auto_submitted_no.eml", from: "real@example.net", subject: "A real person", contact: "real@example.net",
		kind: KindNormal},

	// Bounces.
	{file: "bounce_postfix_dsn.eml", from: "MAILER-DAEMON@mx.acme.test", subject: "Undelivered Mail Returned to Sender",
		contact: "MAILER-DAEMON@mx.acme.test", kind: KindBounce},
	{file: "bounce_exchange_headers.eml", from: "postmaster@example.com", subject: "Undeliverable: Re: Help [#T-10]",
		contact: "postmaster@example.com", kind: KindBounce},
	{file: "bounce_delayed.eml", from: "MAILER-DAEMON@relay.acme.test", subject: "Warning: message delayed",
		contact: "MAILER-DAEMON@relay.acme.test", kind: KindBounce},
	{file: "bounce_mailer_daemon_plain.eml", from: "MAILER-DAEMON@old.example.com",
		subject: "Mail delivery failed: returning message to sender", contact: "MAILER-DAEMON@old.example.com", kind: KindBounce},
}

func parseFile(t *testing.T, name string) *Mail {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return m
}

func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	if len(files) != len(corpus) {
		t.Errorf("testdata has %d .eml files, the table %d: every file needs its expectations", len(files), len(corpus))
	}
	for _, c := range corpus {
		t.Run(c.file, func(t *testing.T) {
			m := parseFile(t, c.file)
			if m.From.Email != c.from {
				t.Errorf("From = %q, want %q", m.From.Email, c.from)
			}
			if c.name != "" && m.From.Name != c.name {
				t.Errorf("From name = %q, want %q", m.From.Name, c.name)
			}
			if m.Subject != c.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, c.subject)
			}
			if got := m.Contact(true).Email; got != c.contact {
				t.Errorf("Contact(original) = %q, want %q", got, c.contact)
			}
			if got := m.Contact(false).Email; got != c.from {
				t.Errorf("Contact(forwarder) = %q, want the From %q", got, c.from)
			}
			if m.Kind != c.kind {
				t.Errorf("Kind = %q (%s), want %q", m.Kind, m.AutoReason, c.kind)
			}
			if m.Quoted != c.quoted {
				t.Errorf("Quoted = %v, want %v (new %q)", m.Quoted, c.quoted, m.NewText)
			}
			if !strings.Contains(m.Text, c.text) {
				t.Errorf("Text %q does not contain %q", m.Text, c.text)
			}
			if !strings.Contains(m.NewText, c.newText) {
				t.Errorf("NewText %q does not contain %q", m.NewText, c.newText)
			}
			if c.notNew != "" && strings.Contains(m.NewText, c.notNew) {
				t.Errorf("NewText %q contains quoted %q", m.NewText, c.notNew)
			}
			if m.Quoted && m.NewText+"\n"+m.QuotedText == "" {
				t.Error("quoted mail lost its text")
			}
			switch {
			case c.fwd == "" && m.Forward != nil:
				t.Errorf("Forward = %+v, want none", m.Forward)
			case c.fwd != "" && m.Forward == nil:
				t.Errorf("no forward detected, want %s", c.fwd)
			case c.fwd != "":
				f := m.Forward
				if f.Style != c.fwd || f.OriginalSubject != c.fwdSubj || f.Forwarder.Email != c.from || f.OriginalText == "" {
					t.Errorf("Forward = %+v, want style %s subject %q forwarder %s and a text", f, c.fwd, c.fwdSubj, c.from)
				}
			}
			if m.MessageID == "" || m.Date.IsZero() {
				t.Errorf("MessageID %q / Date %v missing", m.MessageID, m.Date)
			}
		})
	}
}

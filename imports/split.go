package imports

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// Position is where reading an import file resumes: the next unread byte and
// how many lines lie before it.
type Position struct {
	Offset int64 `json:"offset"`
	Line   int64 `json:"line"`
}

// record is one item of an import file: an NDJSON line or an mbox mail.
type record struct {
	// Line is the item's line number (an mbox mail's "From " line), from 1.
	Line int64
	// Data is the item's bytes; nil when Problem is set.
	Data []byte
	// Header is an mbox mail's "From " line.
	Header string
	// Received is when an IMAP mail arrived (its INTERNALDATE), the date of one without a Date header.
	Received time.Time
	// Problem says why the item cannot be read (too long); the item is skipped.
	Problem string
	// End is where the next item starts.
	End Position
}

// splitter yields the records of an import file; io.EOF at the end.
type splitter interface {
	Next() (record, error)
}

// lineReader reads lines of at most max bytes, keeping count of offset and line.
type lineReader struct {
	r   *bufio.Reader
	pos Position
	max int
}

func newLineReader(r io.Reader, start Position, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), pos: start, max: max}
}

// next returns the next line with its newline, or tooLong when it exceeds max
// (then the line is consumed and discarded). io.EOF only when nothing is left.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := l.r.ReadSlice('\n')
		l.pos.Offset += int64(len(chunk))
		if !tooLong {
			if len(buf)+len(chunk) > l.max {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == nil:
			l.pos.Line++
			return buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			l.pos.Line++
			return buf, tooLong, nil
		default:
			return nil, false, fmt.Errorf("read import file: %w", err)
		}
	}
}

// ndjsonSplitter yields the non-blank lines of an NDJSON file.
type ndjsonSplitter struct{ lr *lineReader }

// MaxLineBytes is the longest NDJSON line (one conversation) an import reads.
const MaxLineBytes = 16 << 20

func newNDJSONSplitter(r io.Reader, start Position) *ndjsonSplitter {
	return &ndjsonSplitter{lr: newLineReader(r, start, MaxLineBytes)}
}

func (s *ndjsonSplitter) Next() (record, error) {
	for {
		line, tooLong, err := s.lr.next()
		if err != nil {
			return record{}, err
		}
		rec := record{Line: s.lr.pos.Line, End: s.lr.pos}
		if tooLong {
			rec.Problem = fmt.Sprintf("the line is longer than %d bytes", MaxLineBytes)
			return rec, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rec.Data = line
		return rec, nil
	}
}

// mboxSplitter yields the mails of an mbox file (mboxo and mboxrd: every line
// starting "From " begins a mail; ">From " lines are unquoted by one '>').
type mboxSplitter struct {
	lr      *lineReader
	maxMail int
	// pending is the "From " line that begins the next mail, and where it starts.
	pending    []byte
	pendingPos Position
	done       bool
}

func newMboxSplitter(r io.Reader, start Position, maxMail int) *mboxSplitter {
	return &mboxSplitter{lr: newLineReader(r, start, maxMail), maxMail: maxMail}
}

var fromLine = []byte("From ")

func (s *mboxSplitter) Next() (record, error) {
	if s.done {
		return record{}, io.EOF
	}
	// Find the "From " line of the next mail; text before the first one is ignored.
	for s.pending == nil {
		before := s.lr.pos
		line, _, err := s.lr.next()
		if err != nil {
			return record{}, err
		}
		if bytes.HasPrefix(line, fromLine) {
			s.pending, s.pendingPos = line, before
		}
	}
	rec := record{Line: s.pendingPos.Line + 1, Header: string(bytes.TrimRight(s.pending, "\r\n"))}
	s.pending = nil
	var body []byte
	tooLong := false
	for {
		before := s.lr.pos
		line, long, err := s.lr.next()
		if errors.Is(err, io.EOF) {
			s.done = true
			rec.End = s.lr.pos
			break
		}
		if err != nil {
			return record{}, err
		}
		if bytes.HasPrefix(line, fromLine) {
			s.pending, s.pendingPos = line, before
			rec.End = before
			break
		}
		if long || tooLong || len(body)+len(line) > s.maxMail {
			tooLong, body = true, nil
			continue
		}
		body = append(body, unquoteFrom(line)...)
	}
	if tooLong {
		rec.Problem = fmt.Sprintf("the mail is larger than %d bytes", s.maxMail)
		return rec, nil
	}
	// The blank line that separates a mail from the next "From " line is not part of it.
	body = bytes.TrimSuffix(body, []byte("\n"))
	body = bytes.TrimSuffix(body, []byte("\r"))
	rec.Data = body
	return rec, nil
}

// unquoteFrom removes one '>' from a line of the form ">…>From ".
func unquoteFrom(line []byte) []byte {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i > 0 && bytes.HasPrefix(line[i:], fromLine) {
		return line[1:]
	}
	return line
}

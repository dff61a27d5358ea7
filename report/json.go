package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ftpscope/ftpscope/session"
)

// errNilReport is returned by the writers when given a nil report.
var errNilReport = errors.New("report: nil report")

// WriteJSON writes r as one indented JSON document, the -o json output of
// CONTRACT.md. Absent facts are null and empty lists are [], never omitted
// or null: nil slices in r are written as []. A Version of 0 is written
// as 1, the only version there is; nil sessions are skipped. r itself is
// not modified.
func WriteJSON(w io.Writer, r *session.Report) error {
	return NewJSONStream(w, "").End(r)
}

// JSONStream writes the -o json document of sessions handed to it as
// they end: each is encoded at once into a spool (a temporary file), so
// that a report of any number of sessions takes no more memory than one,
// and End writes the document in session order around them. The bytes
// are those WriteJSON writes for the report holding the same sessions.
type JSONStream struct {
	w     io.Writer
	dir   string
	spool *os.File
	off   int64
	index []spooled
	buf   bytes.Buffer
	enc   *json.Encoder
}

// spooled is where one session's JSON stands in the spool.
type spooled struct {
	id       int
	off, len int64
}

// NewJSONStream returns a JSONStream writing to w, spooling in dir (""
// for the system's temporary directory).
func NewJSONStream(w io.Writer, dir string) *JSONStream {
	j := &JSONStream{w: w, dir: dir}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

// encode puts v in j.buf as one json.Encoder with a two-space indent and
// prefix writes it, without the final newline.
func (j *JSONStream) encode(prefix string, v any) error {
	j.buf.Reset()
	j.enc.SetIndent(prefix, "  ")
	if err := j.enc.Encode(v); err != nil {
		return err
	}
	j.buf.Truncate(j.buf.Len() - 1)
	return nil
}

// Session spools one session. A nil session writes nothing.
func (j *JSONStream) Session(s *session.Session) error {
	if s == nil {
		return nil
	}
	if j.spool == nil {
		f, err := os.CreateTemp(j.dir, "ftpscope-json-*")
		if err != nil {
			return fmt.Errorf("report: json spool: %w", err)
		}
		j.spool = f
	}
	if err := j.encode("    ", normSession(s)); err != nil {
		return fmt.Errorf("report: write json session %d: %w", s.ID, err)
	}
	n, err := j.spool.Write(j.buf.Bytes())
	if err != nil {
		return fmt.Errorf("report: json spool: %w", err)
	}
	j.index = append(j.index, spooled{s.ID, j.off, int64(n)})
	j.off += int64(n)
	return nil
}

// End writes the document: r's sources, the sessions spooled and those r
// holds, in order of id, r's findings and stats. It removes the spool.
func (j *JSONStream) End(r *session.Report) error {
	if j.spool != nil {
		defer func() {
			j.spool.Close()
			os.Remove(j.spool.Name())
		}()
	}
	if r == nil {
		return errNilReport
	}
	doc := normReport(r)
	slices.SortStableFunc(j.index, func(a, b spooled) int { return a.id - b.id })
	bw := bufio.NewWriterSize(j.w, 64<<10)
	part := func(prefix string, v any) error {
		if err := j.encode(prefix, v); err != nil {
			return err
		}
		_, err := bw.Write(j.buf.Bytes())
		return err
	}
	err := func() error {
		fmt.Fprintf(bw, "{\n  \"version\": %d,\n  \"sources\": ", doc.Version)
		if err := part("  ", doc.Sources); err != nil {
			return err
		}
		bw.WriteString(",\n  \"sessions\": [")
		// The spooled sessions and those in the report, merged by id.
		n, i, k := 0, 0, 0
		for i < len(j.index) || k < len(doc.Sessions) {
			if n > 0 {
				bw.WriteString(",")
			}
			n++
			bw.WriteString("\n    ")
			if k >= len(doc.Sessions) || i < len(j.index) && j.index[i].id < doc.Sessions[k].ID {
				sp := j.index[i]
				i++
				if _, err := io.Copy(bw, io.NewSectionReader(j.spool, sp.off, sp.len)); err != nil {
					return err
				}
				continue
			}
			if err := part("    ", doc.Sessions[k]); err != nil {
				return err
			}
			k++
		}
		if n > 0 {
			bw.WriteString("\n  ")
		}
		bw.WriteString("],\n  \"findings\": ")
		if err := part("  ", doc.Findings); err != nil {
			return err
		}
		bw.WriteString(",\n  \"stats\": ")
		if err := part("  ", doc.Stats); err != nil {
			return err
		}
		bw.WriteString("\n}\n")
		return bw.Flush()
	}()
	if err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
}

// normReport returns a shallow copy of r whose lists are never nil. Slices
// and structs are copied only where something had to change, so r is left
// as it was.
func normReport(r *session.Report) session.Report {
	out := *r
	if out.Version == 0 {
		out.Version = 1
	}
	out.Sources = make([]session.Source, len(r.Sources))
	for i, s := range r.Sources {
		out.Sources[i] = normSource(s)
	}
	out.Sessions = make([]*session.Session, 0, len(r.Sessions))
	for _, s := range r.Sessions {
		if s != nil {
			out.Sessions = append(out.Sessions, normSession(s))
		}
	}
	out.Findings = normFindings(r.Findings)
	return out
}

// normSource returns s with empty lists instead of nil ones.
func normSource(s session.Source) session.Source {
	if s.LinkTypes == nil {
		s.LinkTypes = []string{}
	}
	if s.Errors == nil {
		s.Errors = []string{}
	}
	return s
}

// normSession returns s, or a copy of it with empty lists instead of nil
// ones when it has any.
func normSession(s *session.Session) *session.Session {
	if findingsClean(s.Findings) && channelsClean(s.DataChannels) {
		return s
	}
	c := *s
	c.DataChannels = make([]*session.DataChannel, 0, len(s.DataChannels))
	for _, dc := range s.DataChannels {
		if dc == nil {
			continue
		}
		if !findingsClean(dc.Findings) {
			cp := *dc
			cp.Findings = normFindings(dc.Findings)
			dc = &cp
		}
		c.DataChannels = append(c.DataChannels, dc)
	}
	c.Findings = normFindings(s.Findings)
	return &c
}

// channelsClean reports whether chans can be written as it is: not nil,
// no nil channel, no nil list inside.
func channelsClean(chans []*session.DataChannel) bool {
	if chans == nil {
		return false
	}
	for _, dc := range chans {
		if dc == nil || !findingsClean(dc.Findings) {
			return false
		}
	}
	return true
}

// findingsClean reports whether fs can be written as it is: not nil, and
// no finding with a nil evidence list.
func findingsClean(fs []session.Finding) bool {
	if fs == nil {
		return false
	}
	for i := range fs {
		if fs[i].Evidence == nil {
			return false
		}
	}
	return true
}

// normFindings returns fs, or a copy with [] for every nil list.
func normFindings(fs []session.Finding) []session.Finding {
	if findingsClean(fs) {
		return fs
	}
	out := make([]session.Finding, len(fs))
	for i, f := range fs {
		if f.Evidence == nil {
			f.Evidence = []session.Evidence{}
		}
		out[i] = f
	}
	return out
}

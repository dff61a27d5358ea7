package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

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
	if r == nil {
		return errNilReport
	}
	doc := normReport(r)
	// The document is written part by part, each session on its own, so
	// a report of many sessions is never held twice in memory. The bytes
	// are those of one json.Encoder with a two-space indent.
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	part := func(prefix string, v any) error {
		buf.Reset()
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	err := func() error {
		fmt.Fprintf(bw, "{\n  \"version\": %d,\n  \"sources\": ", doc.Version)
		if err := part("  ", doc.Sources); err != nil {
			return err
		}
		bw.WriteString(",\n  \"sessions\": [")
		for i, s := range doc.Sessions {
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			if err := part("    ", s); err != nil {
				return err
			}
		}
		if len(doc.Sessions) > 0 {
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

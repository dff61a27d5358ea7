package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/ftpscope/ftpscope/session"
)

// NDJSON streams the -o ndjson output of CONTRACT.md: one JSON object per
// line, each with a "type" key written first, as each item completes.
// Lists are [] rather than null, as in [WriteJSON]. Its methods are safe
// for concurrent use; each line is written with one Write call.
type NDJSON struct {
	mu    sync.Mutex
	enc   *json.Encoder
	shard bool // lines carry the merge metadata of a shard (ShardLine)
}

// NewNDJSON returns an NDJSON writer on w.
func NewNDJSON(w io.Writer) *NDJSON {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &NDJSON{enc: enc}
}

// Source writes a {"type":"source", ...} line describing one input.
func (n *NDJSON) Source(s session.Source) error {
	return n.write("source", struct {
		Type string `json:"type"`
		session.Source
	}{"source", normSource(s)})
}

// Session writes a {"type":"session", ...} line: the session with its data
// channels and findings. A nil session writes nothing.
func (n *NDJSON) Session(s *session.Session) error {
	if s == nil {
		return nil
	}
	if n.shard {
		return n.write("session", struct {
			Type string `json:"type"`
			*session.Session
			Shard session.ShardMeta `json:"shard"`
		}{"session", normSession(s), s.ShardMeta()})
	}
	return n.write("session", struct {
		Type string `json:"type"`
		*session.Session
	}{"session", normSession(s)})
}

// Finding writes a {"type":"finding", ...} line for a finding that belongs
// to no single session.
func (n *NDJSON) Finding(f session.Finding) error {
	if f.Evidence == nil {
		f.Evidence = []session.Evidence{}
	}
	if n.shard {
		return n.write("finding", struct {
			Type string `json:"type"`
			session.Finding
			Shard shardOrder `json:"shard"`
		}{"finding", f, shardOrder{f.Order()}})
	}
	return n.write("finding", struct {
		Type string `json:"type"`
		session.Finding
	}{"finding", f})
}

// End writes what follows the streamed sessions, in the order of
// CONTRACT.md: the sessions of r not streamed already (those r holds),
// a source line per input, the findings that belong to no session, and
// the stats line last.
func (n *NDJSON) End(r *session.Report) error {
	if r == nil {
		return errNilReport
	}
	for _, s := range r.Sessions {
		if err := n.Session(s); err != nil {
			return err
		}
	}
	for _, s := range r.Sources {
		if err := n.Source(s); err != nil {
			return err
		}
	}
	for _, f := range r.Findings {
		if err := n.Finding(f); err != nil {
			return err
		}
	}
	return n.Stats(r.Stats)
}

// WriteNDJSON writes a whole report as -o ndjson does: sessions, sources,
// findings, stats.
func WriteNDJSON(w io.Writer, r *session.Report) error {
	return NewNDJSON(w).End(r)
}

// Stats writes the {"type":"stats", ...} line, the last of the stream.
func (n *NDJSON) Stats(s session.Stats) error {
	return n.write("stats", struct {
		Type string `json:"type"`
		session.Stats
	}{"stats", s})
}

// write encodes v as one line.
func (n *NDJSON) write(what string, v any) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.enc.Encode(v); err != nil {
		return fmt.Errorf("report: write ndjson %s: %w", what, err)
	}
	return nil
}

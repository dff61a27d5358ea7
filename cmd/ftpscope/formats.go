package main

import (
	"io"

	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
)

// stream is an output written session by session as the analysis ends
// them (-o json, ndjson, zeek, zeek-json, eve), then finished with the
// report.
type stream interface {
	Session(*session.Session) error
	End(*session.Report) error
}

// newStream returns the stream of -o, or nil for an output written only
// at the end.
func newStream(o options, w io.Writer) stream {
	switch o.format {
	case "json":
		// Sessions wait in a temporary file, not in memory; with several
		// inputs they stay in the report, where the capture points of one
		// session are compared at the end.
		if len(o.read) < 2 {
			return report.NewJSONStream(w, "")
		}
	case "ndjson":
		if o.shardN > 0 {
			return report.NewShardNDJSON(w)
		}
		return report.NewNDJSON(w)
	case "zeek", "zeek-json":
		return report.NewZeek(w, report.ZeekOptions{JSON: o.format == "zeek-json", ShowPasswords: o.showPasswords})
	case "eve":
		return report.NewEVE(w, report.EVEOptions{})
	}
	return nil
}

// needsTranscript says whether -o writes every command and reply: the
// Zeek and EVE logs. They need the transcript, and the ladder for the
// preliminary replies; both cost memory, so only they ask for it.
func needsTranscript(format string) bool {
	return format == "zeek" || format == "zeek-json" || format == "eve"
}

package report

import "github.com/ftpscope/ftpscope/session"

// Selection says which sessions a report shows: the --only-problems and
// --session flags of CONTRACT.md. It is applied to the report before any
// renderer sees it, and to each session streamed as it ends, so that
// every format shows the same sessions. The zero Selection keeps
// everything.
type Selection struct {
	// OnlyProblems keeps the sessions whose verdict is not ok, and the
	// findings outside any session that are warnings or errors.
	OnlyProblems bool
	// Session, when not 0, keeps only the session with this id, and no
	// finding outside it.
	Session int
}

// All reports whether s keeps every session.
func (s Selection) All() bool { return !s.OnlyProblems && s.Session == 0 }

// Keep reports whether s keeps the session x.
func (s Selection) Keep(x *session.Session) bool {
	if x == nil {
		return false
	}
	if s.Session != 0 && x.ID != s.Session {
		return false
	}
	if s.OnlyProblems && VerdictOf(x) == session.VerdictOK {
		return false
	}
	return true
}

// KeepFinding reports whether s keeps f, a finding outside any session.
func (s Selection) KeepFinding(f session.Finding) bool {
	if s.Session != 0 {
		return false
	}
	return !s.OnlyProblems || f.Severity.Rank() >= session.SeverityWarning.Rank()
}

// Apply returns r with only the sessions and global findings s keeps. It
// returns r itself when s keeps everything, else a shallow copy: r is not
// modified. Sources and Stats are those of the whole input.
func (s Selection) Apply(r *session.Report) *session.Report {
	if r == nil || s.All() {
		return r
	}
	out := *r
	out.Sessions = make([]*session.Session, 0, len(r.Sessions))
	for _, x := range r.Sessions {
		if s.Keep(x) {
			out.Sessions = append(out.Sessions, x)
		}
	}
	out.Findings = make([]session.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		if s.KeepFinding(f) {
			out.Findings = append(out.Findings, f)
		}
	}
	return &out
}

// VerdictOf is the verdict of a session: its Verdict field, or the one
// its findings give when the field is not set.
func VerdictOf(s *session.Session) session.Verdict {
	if s.Verdict != "" {
		return s.Verdict
	}
	return session.VerdictOf(s.Worst())
}

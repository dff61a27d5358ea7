package report

import (
	"fmt"
	"strings"

	"github.com/ftpscope/ftpscope/session"
)

// Verdict prefixes.
const (
	verdictOK      = "OK: "
	verdictWarning = "WARNING: "
	verdictFailed  = "FAILED: "
	// verdictIncomplete is an ok session whose capture does not hold the
	// outcome of a transfer: not a success.
	verdictIncomplete = "INCOMPLETE: "
)

// Verdict is the one-line judgement of a session, derived from its
// findings and those of its data channels:
//
//   - "FAILED: <summary>" when any finding is an error, quoting the first
//     error found (session findings first, then channels in order) and
//     counting the others: "FAILED: … (+1 more error)";
//   - "WARNING: <summary>" likewise when the worst finding is a warning;
//   - "INCOMPLETE: the outcome of RETR a.bin is not in the capture"
//     when the capture lacks what would make the session a success: the
//     answer to the control connection's SYN, the server's greeting, the
//     outcome of the login, or a transfer's final reply (the capture
//     ends before it, or it fell into a gap);
//   - "OK: 1 active transfer, 2 passive transfers" otherwise, counting the
//     data channels that carried a transfer command, or "OK: no data
//     transfer"; info findings are counted as notes: "(1 note)".
//
// The text is safe to print: characters that are not printable are
// escaped. A nil session has the verdict "".
func Verdict(s *session.Session) string {
	if s == nil {
		return ""
	}
	var worst *session.Finding
	count := map[session.Severity]int{}
	consider := func(fs []session.Finding) {
		for i := range fs {
			f := &fs[i]
			count[f.Severity]++
			if worst == nil || f.Severity.Rank() > worst.Severity.Rank() {
				worst = f
			}
		}
	}
	consider(s.Findings)
	for _, dc := range s.DataChannels {
		if dc != nil {
			consider(dc.Findings)
		}
	}
	if worst != nil {
		switch worst.Severity {
		case session.SeverityError:
			return verdictFailed + findingLine(worst) + more(count[worst.Severity]-1, "error", "errors")
		case session.SeverityWarning:
			return verdictWarning + findingLine(worst) + more(count[worst.Severity]-1, "warning", "warnings")
		}
	}
	if what := unfinished(s); what != "" {
		return verdictIncomplete + what + notes(count[session.SeverityInfo])
	}
	return verdictOK + transfers(s) + notes(count[session.SeverityInfo])
}

// unfinished says what the capture lacks to call a session that has no
// warning a success, or "" when it lacks nothing: the answer to the
// control connection's SYN, the server's greeting, the outcome of the
// login or of a transfer.
func unfinished(s *session.Session) string {
	h := &s.Control
	switch {
	case h.Attempts > 0 && !h.Answered && !h.Payload:
		return "the capture ends before the server answers the control connection's SYN"
	case h.Answered && !h.Payload && s.Commands == 0:
		return "no greeting from the server after the handshake"
	case s.User != nil && s.LoggedIn == nil:
		return "the outcome of the login is not in the capture"
	}
	for _, d := range s.DataChannels {
		if d != nil && d.TransferCommand != nil && d.TransferReply == nil {
			what := clean(*d.TransferCommand)
			if d.Argument != nil && *d.Argument != "" {
				what += " " + truncate(clean(*d.Argument), maxTransferCell)
			}
			return "the outcome of " + what + " is not in the capture"
		}
	}
	return ""
}

// findingLine is a finding's summary without its final full stop, or its
// code when it has no summary.
func findingLine(f *session.Finding) string {
	line := strings.TrimSuffix(clean(strings.TrimSpace(f.Summary)), ".")
	if line == "" {
		line = clean(string(f.Code))
	}
	return truncate(line, maxSummary)
}

// more writes " (+2 more errors)", or nothing for n == 0.
func more(n int, one, many string) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" (+%s)", plural(n, "more "+one, "more "+many))
}

// notes writes " (1 note)", or nothing for n == 0.
func notes(n int) string {
	if n <= 0 {
		return ""
	}
	return " (" + plural(n, "note", "notes") + ")"
}

// transfers counts the data channels that carried a transfer command,
// by mode: "1 active transfer, 2 passive transfers".
func transfers(s *session.Session) string {
	var active, passive, other, setups int
	for _, dc := range s.DataChannels {
		if dc == nil {
			continue
		}
		setups++
		if dc.TransferCommand == nil {
			continue
		}
		switch dc.Mode {
		case session.ModeActive:
			active++
		case session.ModePassive:
			passive++
		default:
			other++
		}
	}
	var parts []string
	if active > 0 {
		parts = append(parts, plural(active, "active transfer", "active transfers"))
	}
	if passive > 0 {
		parts = append(parts, plural(passive, "passive transfer", "passive transfers"))
	}
	if other > 0 {
		parts = append(parts, plural(other, "transfer", "transfers"))
	}
	if len(parts) == 0 {
		if setups > 0 {
			return "no data transfer (" + plural(setups, "data channel", "data channels") + " set up)"
		}
		return "no data transfer"
	}
	return strings.Join(parts, ", ")
}

package report

import (
	"testing"

	"github.com/ftpscope/ftpscope/session"
)

func TestVerdict(t *testing.T) {
	transfer := func(mode session.Mode, cmd string, fs ...session.Finding) *session.DataChannel {
		dc := &session.DataChannel{Mode: mode, Findings: fs}
		if cmd != "" {
			dc.TransferCommand = ptr(cmd)
			dc.TransferReply = ptr(226)
		}
		return dc
	}
	finding := func(sev session.Severity, summary string) session.Finding {
		return session.Finding{Code: session.Code("code-" + string(sev)), Severity: sev, Summary: summary}
	}
	tests := []struct {
		name string
		s    *session.Session
		want string
	}{
		{"nil session", nil, ""},
		{"login only", &session.Session{}, "OK: no data transfer"},
		{"setups without transfer", &session.Session{DataChannels: []*session.DataChannel{
			transfer(session.ModePassive, ""), transfer(session.ModePassive, "")}},
			"OK: no data transfer (2 data channels set up)"},
		{"three passive transfers", &session.Session{DataChannels: []*session.DataChannel{
			transfer(session.ModePassive, "LIST"), transfer(session.ModePassive, "RETR"), transfer(session.ModePassive, "STOR")}},
			"OK: 3 passive transfers"},
		{"mixed modes", &session.Session{DataChannels: []*session.DataChannel{
			transfer(session.ModePassive, "LIST"), transfer(session.ModeActive, "RETR"), transfer(session.ModePassive, "STOR")}},
			"OK: 1 active transfer, 2 passive transfers"},
		{"info findings are notes", &session.Session{DataChannels: []*session.DataChannel{
			transfer(session.ModePassive, "RETR", finding(session.SeverityInfo, "address rewritten."))}},
			"OK: 1 passive transfer (1 note)"},
		{"warning on the session", &session.Session{
			Findings: []session.Finding{finding(session.SeverityWarning, "AUTH TLS was accepted.")}},
			"WARNING: AUTH TLS was accepted"},
		{"error on a channel beats a warning on the session", &session.Session{
			Findings: []session.Finding{finding(session.SeverityWarning, "gap")},
			DataChannels: []*session.DataChannel{transfer(session.ModeActive, "RETR", finding(session.SeverityError,
				"active data connection blocked — client 10.0.0.5 never answered the server's SYN to port 50123."))}},
			"FAILED: active data connection blocked — client 10.0.0.5 never answered the server's SYN to port 50123"},
		{"first of several errors, counted", &session.Session{DataChannels: []*session.DataChannel{
			transfer(session.ModePassive, "RETR", finding(session.SeverityError, "first")),
			transfer(session.ModePassive, "RETR", finding(session.SeverityError, "second")),
			transfer(session.ModePassive, "RETR", finding(session.SeverityError, "third"))}},
			"FAILED: first (+2 more errors)"},
		{"one more warning", &session.Session{Findings: []session.Finding{
			finding(session.SeverityWarning, "a"), finding(session.SeverityWarning, "b")}},
			"WARNING: a (+1 more warning)"},
		{"empty summary falls back to the code", &session.Session{Findings: []session.Finding{
			{Code: "control-gap", Severity: session.SeverityWarning}}},
			"WARNING: control-gap"},
		{"unknown severity is ignored", &session.Session{Findings: []session.Finding{
			{Code: "x", Severity: "fatal", Summary: "x"}}},
			"OK: no data transfer"},
		{"escape sequences in the summary", &session.Session{Findings: []session.Finding{
			finding(session.SeverityError, "bad \x1b[2J file")}},
			`FAILED: bad \x1b[2J file`},
		{"nil channel skipped", &session.Session{DataChannels: []*session.DataChannel{nil}},
			"OK: no data transfer"},
		{"transfer without its final reply", &session.Session{DataChannels: []*session.DataChannel{
			transfer(session.ModePassive, "LIST"), {Mode: session.ModePassive, TransferCommand: ptr("RETR"), Argument: ptr("big.iso")}}},
			"INCOMPLETE: the outcome of RETR big.iso is not in the capture"},
		{"login without its outcome", &session.Session{User: ptr("bob")},
			"INCOMPLETE: the outcome of the login is not in the capture"},
		{"a lone SYN at the end of the capture", &session.Session{Control: session.ControlHandshake{Attempts: 1}},
			"INCOMPLETE: the capture ends before the server answers the control connection's SYN"},
		{"handshake, no greeting", &session.Session{Control: session.ControlHandshake{Attempts: 1, Answered: true}},
			"INCOMPLETE: no greeting from the server after the handshake"},
		{"a warning beats incomplete", &session.Session{User: ptr("bob"),
			Findings: []session.Finding{finding(session.SeverityWarning, "gap")}},
			"WARNING: gap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verdict(tt.s); got != tt.want {
				t.Errorf("Verdict = %q, want %q", got, tt.want)
			}
		})
	}
}

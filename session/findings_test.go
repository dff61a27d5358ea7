package session

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// Fixtures of finished sessions: drawFindings reads the model alone.

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(ms int) Time { return Time{t0.Add(time.Duration(ms) * time.Millisecond)} }

func fixture(mode Mode, announced string, obs *Observed, setupReply, transferReply int) *Session {
	ap := netip.MustParseAddrPort(announced)
	d := &DataChannel{ID: 1, Mode: mode, SetupCommand: "PASV", SetupPacket: 10, SetupTime: at(10),
		Announced: &ap, AnnouncePacket: 11, AnnounceTime: at(11), Observed: obs, Findings: []Finding{}}
	if mode == ModeActive {
		d.SetupCommand = "PORT"
	}
	if setupReply != 0 {
		d.SetupReply = &setupReply
	}
	retr := "RETR"
	d.TransferCommand, d.TransferPacket, d.TransferTime = &retr, 12, at(12)
	if transferReply != 0 {
		d.TransferReply, d.ReplyPacket, d.ReplyTime = &transferReply, 20, at(20)
	}
	return &Session{Client: netip.MustParseAddrPort("10.0.0.1:51000"), Server: netip.MustParseAddrPort("10.0.0.2:21"),
		DataChannels: []*DataChannel{d}, Findings: []Finding{}}
}

func obs(init, resp string, state ConnState) *Observed {
	o := &Observed{Initiator: netip.MustParseAddrPort(init), Responder: netip.MustParseAddrPort(resp),
		State: state, Established: state == StateEstablished || state == StateReset, SYNPacket: 13, SYNTime: at(13), SYNAttempts: 1,
		SYNPackets: []int{13}, SYNTimes: []Time{at(13)}}
	return o
}

func codes(s *Session) []Code {
	var out []Code
	for _, f := range s.Findings {
		out = append(out, f.Code)
	}
	for _, d := range s.DataChannels {
		for _, f := range d.Findings {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

func TestDrawFindings(t *testing.T) {
	tests := []struct {
		name string
		s    *Session
		want []Code
	}{
		{"passive worked", fixture(ModePassive, "10.0.0.2:40000", obs("10.0.0.1:51001", "10.0.0.2:40000", StateEstablished), 227, 226), nil},
		{"passive unanswered", fixture(ModePassive, "10.0.0.2:40000", obs("10.0.0.1:51001", "10.0.0.2:40000", StateUnanswered), 227, 425),
			[]Code{CodePassiveBlocked, CodeSetupObserved, CodeTransferFailed}},
		{"active refused", fixture(ModeActive, "10.0.0.1:50000", obs("10.0.0.2:20", "10.0.0.1:50000", StateRefused), 200, 425),
			[]Code{CodeActiveBlocked, CodeSetupObserved, CodeTransferFailed}},
		{"active private behind NAT", fixture(ModeActive, "192.168.1.5:50000", obs("10.0.0.2:20", "192.168.1.5:50000", StateUnanswered), 200, 425),
			[]Code{CodeActiveBlocked, CodeActivePrivate, CodeSetupObserved, CodeTransferFailed}},
		{"third-party PORT", fixture(ModeActive, "198.51.100.9:50000", nil, 200, 0), []Code{CodeBounce}},
		{"privileged port", fixture(ModeActive, "10.0.0.1:25", nil, 500, 0), []Code{CodeBounce}},
		{"passive private announced, worked at control address", fixture(ModePassive, "192.168.7.7:40000", obs("10.0.0.1:51001", "10.0.0.2:40000", StateEstablished), 227, 226),
			[]Code{CodeAddressRewritten, CodePassivePrivate}},
		{"reset mid-transfer", fixture(ModePassive, "10.0.0.2:40000", obs("10.0.0.1:51001", "10.0.0.2:40000", StateReset), 227, 0), []Code{CodeTransferFailed}},
		{"no connection, outcome not in the capture", fixture(ModePassive, "10.0.0.2:40000", nil, 227, 0), nil},
		{"no connection, 425", fixture(ModePassive, "10.0.0.2:40000", nil, 227, 425), []Code{CodeDataMissing, CodeTransferFailed}},
		{"no connection, 226: another path", fixture(ModePassive, "10.0.0.2:40000", nil, 227, 226), []Code{CodeDataPathUnseen}},
		{"550 needs no connection", fixture(ModePassive, "10.0.0.2:40000", nil, 227, 550), []Code{CodeTransferRejected}},
		{"553 on an established connection", fixture(ModePassive, "10.0.0.2:40000", obs("10.0.0.1:51001", "10.0.0.2:40000", StateEstablished), 227, 553),
			[]Code{CodeTransferRejected}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drawFindings(tt.s, findingContext{})
			if got := codes(tt.s); !slices.Equal(got, tt.want) {
				t.Errorf("codes %v, want %v", got, tt.want)
			}
			for _, f := range append(tt.s.Findings, tt.s.DataChannels[0].Findings...) {
				if f.Summary == "" || f.Detail == "" || len(f.Evidence) == 0 {
					t.Errorf("%s: summary %q, detail %q, %d evidence", f.Code, f.Summary, f.Detail, len(f.Evidence))
				}
			}
		})
	}
}

func TestDrawSessionFindings(t *testing.T) {
	s := fixture(ModePassive, "10.0.0.2:40000", obs("10.0.0.1:51001", "10.0.0.2:40000", StateEstablished), 227, 226)
	s.TLS, s.TLSEvidence = true, Evidence{Packet: 5, Time: at(5), What: "234 reply"}
	s.ControlGaps, s.Gaps = 1460, []Evidence{{Packet: 7, Time: at(7), What: "1460 bytes missing"}}
	s.Unannounced = []Observed{*obs("10.0.0.1:51009", "10.0.0.2:40100", StateEstablished)}
	drawFindings(s, findingContext{})
	want := []Code{CodeControlEncrypted, CodeControlGap, CodeDataUnannounced}
	if got := codes(s); !slices.Equal(got, want) {
		t.Errorf("codes %v, want %v", got, want)
	}
}

func TestFilterNote(t *testing.T) {
	s := fixture(ModePassive, "10.0.0.2:40000", nil, 227, 425)
	drawFindings(s, findingContext{filter: "port 21"})
	f := s.DataChannels[0].Findings[0]
	if f.Code != CodeDataMissing || !strings.Contains(f.Detail, `"port 21"`) || strings.Contains(f.Detail, "never tried") {
		t.Errorf("with a filter: %s: %q", f.Code, f.Detail)
	}
	s = fixture(ModePassive, "10.0.0.2:40000", nil, 227, 226)
	drawFindings(s, findingContext{})
	if f := s.DataChannels[0].Findings[0]; f.Severity != SeverityInfo || !strings.Contains(f.Detail, "port 21") {
		t.Errorf("no data connection at all: %s %s: %q", f.Code, f.Severity, f.Detail)
	}
}

func TestLoginFailed(t *testing.T) {
	no, user := false, "bob"
	s := &Session{Client: netip.MustParseAddrPort("10.0.0.1:51000"), Server: netip.MustParseAddrPort("10.0.0.2:21"),
		User: &user, LoggedIn: &no, FailedLogins: 2,
		LoginFailures: []Exchange{
			{Command: "PASS", Arg: "***", Packet: 8, Time: at(8), Reply: 530, ReplyText: "Login incorrect.", ReplyPacket: 9, ReplyTime: at(9)},
			{Command: "PASS", Arg: "***", Packet: 12, Time: at(12), Reply: 530, ReplyText: "Login incorrect.", ReplyPacket: 13, ReplyTime: at(13)},
		}}
	drawFindings(s, findingContext{})
	if got := codes(s); !slices.Equal(got, []Code{CodeLoginFailed}) {
		t.Fatalf("codes %v", got)
	}
	f := s.Findings[0]
	want := "Server 10.0.0.2:21 rejected the login of user bob from 10.0.0.1 (530 Login incorrect, 2 attempts)."
	if f.Summary != want || len(f.Evidence) != 4 || f.Evidence[3].Packet != 13 {
		t.Errorf("summary %q (want %q), evidence %+v", f.Summary, want, f.Evidence)
	}
	// Logged in after a failure: no finding.
	yes := true
	s.LoggedIn, s.Findings = &yes, nil
	drawFindings(s, findingContext{})
	if len(s.Findings) != 0 {
		t.Errorf("a session that logged in got %v", codes(s))
	}
}

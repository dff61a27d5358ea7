package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ftpscope/ftpscope/session"
)

// TestEVEString: bytes from the capture become strings as Suricata's JSON
// builder makes them.
func TestEVEString(t *testing.T) {
	tests := map[string]string{
		"pub/file.txt": "pub/file.txt",
		"café":         "café",
		"caf\xe9":      `caf\xe9`,
		"a\xff\tb":     "a\\xff\tb", // the tab is left to the JSON encoder
	}
	for in, want := range tests {
		if got := eveString(in); got != want {
			t.Errorf("eveString(%q) = %q, want %q", in, got, want)
		}
	}
}

// eveLine is the part of an EVE event the tests read.
type eveLine struct {
	EventType   string `json:"event_type"`
	SrcIP       string `json:"src_ip"`
	DestPort    int    `json:"dest_port"`
	CommunityID string `json:"community_id"`
	TxID        *int   `json:"tx_id"`
	FTP         *struct {
		Command        string   `json:"command"`
		CommandData    *string  `json:"command_data"`
		Reply          []string `json:"reply"`
		CompletionCode []string `json:"completion_code"`
		DynamicPort    int      `json:"dynamic_port"`
		Mode           string   `json:"mode"`
		ReplyReceived  string   `json:"reply_received"`
	} `json:"ftp"`
	FTPData *struct {
		Filename, Command string
	} `json:"ftp_data"`
	FTPScope struct {
		Session     int
		Verdict     string
		DataChannel int `json:"data_channel"`
		State       string
		Findings    []struct{ Code string }
	} `json:"ftpscope"`
}

func eveLines(t *testing.T, s *session.Session) []eveLine {
	t.Helper()
	var b bytes.Buffer
	if err := WriteEVE(&b, &session.Report{Sessions: []*session.Session{s}}, EVEOptions{}); err != nil {
		t.Fatal(err)
	}
	var out []eveLine
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		var e eveLine
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		out = append(out, e)
	}
	return out
}

// blockedPassive is a passive RETR whose data connection was refused,
// with a finding on the session and one on the channel.
func blockedPassive() *session.Session {
	s := transcriptSession("anonymous", "f", "ok")
	t0 := s.Start.Time
	at := func(ms int) session.Time { return session.Time{Time: t0.Add(time.Duration(ms) * time.Millisecond)} }
	ann := netip.MustParseAddrPort("10.0.0.2:40001")
	retr, arg, code := "RETR", "big.iso", 425
	s.Transcript = append(s.Transcript[:2],
		session.Exchange{Command: "PASV", Packet: 10, Time: at(10), Reply: 227, ReplyText: "Entering Passive Mode (10,0,0,2,156,65).", ReplyPacket: 11, ReplyTime: at(11), DataChannel: 1},
		session.Exchange{Command: "RETR", Arg: "big.iso", Packet: 14, Time: at(14), Reply: 425, ReplyText: "Failed to establish connection.", ReplyPacket: 15, ReplyTime: at(40), DataChannel: 1},
	)
	s.Ladder = []session.LadderEvent{{Packet: 15, Time: at(40), From: session.RoleServer, Kind: session.LadderControl, Text: "150 Here it comes."}}
	s.DataChannels = []*session.DataChannel{{
		ID: 1, SetupCommand: "PASV", Mode: session.ModePassive, Announced: &ann,
		TransferCommand: &retr, Argument: &arg, TransferReply: &code,
		Observed: &session.Observed{
			Initiator: netip.MustParseAddrPort("10.0.0.1:51002"), Responder: ann, CommunityID: "1:data",
			SYNPacket: 12, SYNTime: at(12), State: session.StateRefused,
		},
		Findings: []session.Finding{{Code: session.CodePassiveBlocked, Severity: session.SeverityError}},
	}}
	s.Findings = []session.Finding{{Code: "login-failed", Severity: session.SeverityWarning, Evidence: []session.Evidence{{Packet: 7}}}}
	s.Verdict = session.VerdictFailed
	return s
}

// TestEVEEvents: an ftp event per command and the banner on the control
// flow, an ftp_data event on the data connection's flow, and each finding
// once: the channel's on its connection, the session's on the command its
// evidence points at.
func TestEVEEvents(t *testing.T) {
	evs := eveLines(t, blockedPassive())
	type view struct {
		Type, Src, Command, Codes, Mode string
		Port, DC                        int
		Findings                        string
	}
	var got []view
	for _, e := range evs {
		v := view{Type: e.EventType, Src: e.SrcIP, DC: e.FTPScope.DataChannel}
		if e.FTP != nil {
			v.Command, v.Codes, v.Mode, v.Port = e.FTP.Command, strings.Join(e.FTP.CompletionCode, ","), e.FTP.Mode, e.FTP.DynamicPort
		}
		if e.FTPData != nil {
			v.Command = e.FTPData.Command + " " + e.FTPData.Filename
		}
		for _, f := range e.FTPScope.Findings {
			v.Findings += f.Code + " "
		}
		if e.FTPScope.Verdict != "failed" || e.FTPScope.Session != 1 || e.CommunityID == "" {
			t.Errorf("event %+v lacks the session's verdict, number or community id", e)
		}
		got = append(got, v)
	}
	want := []view{
		{Type: "ftp", Src: "10.0.0.1", Codes: "220"},
		{Type: "ftp", Src: "10.0.0.1", Command: "USER", Codes: "331", Findings: "login-failed "},
		{Type: "ftp", Src: "10.0.0.1", Command: "PASV", Codes: "227", Mode: "passive", Port: 40001, DC: 1},
		{Type: "ftp_data", Src: "10.0.0.1", Command: "RETR big.iso", DC: 1, Findings: "passive-blocked "},
		{Type: "ftp", Src: "10.0.0.1", Command: "RETR", Codes: "150,425", DC: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestEVENoExchange: a session with nothing on its control connection
// still reaches the stream, with its findings.
func TestEVENoExchange(t *testing.T) {
	s := transcriptSession("u", "f", "ok")
	s.Transcript = nil
	s.Findings = []session.Finding{{Code: "control-blocked", Severity: session.SeverityError}}
	evs := eveLines(t, s)
	if len(evs) != 1 || evs[0].FTP == nil || evs[0].FTP.ReplyReceived != "no" || len(evs[0].FTPScope.Findings) != 1 {
		t.Errorf("events %+v, want one ftp event with the finding", evs)
	}
}

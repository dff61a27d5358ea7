package report_test

import (
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
)

// blocked is an active-mode session whose data connection a firewall in
// front of the client dropped.
func blocked() *session.Report {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) session.Time { return session.Time{Time: t0.Add(time.Duration(ms) * time.Millisecond)} }
	str := func(s string) *string { return &s }
	code := func(c int) *int { return &c }
	announced := netip.MustParseAddrPort("10.0.0.5:50123")
	return &session.Report{
		Version: 1,
		Sessions: []*session.Session{{
			ID: 1, Client: netip.MustParseAddrPort("10.0.0.5:51000"), Server: netip.MustParseAddrPort("10.0.0.2:21"), Start: at(0), End: at(22000),
			Mode: session.ModeActive, Commands: 2,
			DataChannels: []*session.DataChannel{{
				ID: 1, SetupCommand: "PORT", SetupPacket: 12, Mode: session.ModeActive,
				Announced: &announced, ExpectedInitiator: session.RoleServer,
				Observed: &session.Observed{
					Initiator: netip.MustParseAddrPort("10.0.0.2:20"), Responder: netip.MustParseAddrPort("10.0.0.5:50123"), SYNPacket: 15, SYNTime: at(520),
					SYNAttempts: 3, State: session.StateUnanswered,
				},
				TransferCommand: str("RETR"), Argument: str("report.pdf"), TransferReply: code(425),
				Findings: []session.Finding{{
					Code: session.CodeActiveBlocked, Severity: session.SeverityError,
					Summary: "active data connection blocked — client 10.0.0.5 never answered the server's SYN to port 50123.",
				}},
			}},
			Ladder: []session.LadderEvent{
				{Packet: 12, Time: at(500), From: session.RoleClient, Kind: "control", Text: "PORT 10,0,0,5,195,203"},
				{Packet: 14, Time: at(510), From: session.RoleClient, Kind: "control", Text: "RETR report.pdf"},
				{Packet: 15, Time: at(520), From: session.RoleServer, Kind: "data", DataChannel: 1},
				{Packet: 24, Time: at(21520), From: session.RoleServer, Kind: "control", Text: "425 Failed to establish connection."},
			},
		}},
	}
}

func ExampleVerdict() {
	r := blocked()
	fmt.Println(report.Verdict(r.Sessions[0]))
	// Output:
	// FAILED: active data connection blocked — client 10.0.0.5 never answered the server's SYN to port 50123
}

func ExampleWriteLadder() {
	if err := report.WriteLadder(os.Stdout, blocked(), report.Options{Width: 72}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ── Session 1 ───────────────────────────────────────────────────────────
	// client 10.0.0.5:51000 → server 10.0.0.2:21
	// mode active · 2 commands · 1 data channel · started 2024-05-01 12:00:00
	// UTC
	// FAILED: active data connection blocked — client 10.0.0.5 never answered
	// the server's SYN to port 50123
	//
	// pkt         UTC time  CLIENT                                      SERVER
	//                       10.0.0.5:51000                         10.0.0.2:21
	//                       |                                                |
	//  12  12:00:00.500000  |------------ PORT 10,0,0,5,195,203 ------------>|
	//  14  12:00:00.510000  |--------------- RETR report.pdf --------------->|
	//  15  12:00:00.520000  |    x======= data 1: SYN :50123 ← :20 ×3 =======|
	//                       |  SYN ×3 unanswered                             |
	//  24  12:00:21.520000  |<----- 425 Failed to establish connection. -----|
	//                       |                                                |
	//
	// Legend: pkt = frame number in the capture; UTC time = the
	// time of day in UTC (-t utc).
	//   ---->  <----  control: a command or a reply
	//   ====>  <====  data connection: SYN from the side that
	//                 opened it, then SYN-ACK or RST back
	//   ====x         SYN with no answer (×N: sent N times)
	//   <....+        ICMP error, from the host named
	//   ~~~~~~        control bytes missing from the capture
}

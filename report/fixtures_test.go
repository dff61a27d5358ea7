package report

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/session"
)

// t0 is the first packet of every hand-made capture.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus ms milliseconds.
func at(ms float64) session.Time {
	return session.Time{Time: t0.Add(time.Duration(ms * float64(time.Millisecond)))}
}

func ptr[T any](v T) *T { return &v }

// ap and app parse an endpoint of a fixture.
func ap(s string) netip.AddrPort   { return netip.MustParseAddrPort(s) }
func app(s string) *netip.AddrPort { return ptr(ap(s)) }

// ctl is a control line of the ladder.
func ctl(pkt int, ms float64, from session.Role, text string) session.LadderEvent {
	return session.LadderEvent{Packet: pkt, Time: at(ms), From: from, Kind: session.LadderControl, Text: text}
}

// fixture is a hand-made report and the name of its golden files.
type fixture struct {
	name string
	r    func() *session.Report
}

// fixtures covers the forms the renderers must handle. Each call builds a
// fresh report, so that tests can check it was not modified.
func fixtures() []fixture {
	return []fixture{
		{"passive_ok", judged(passiveOK)},
		{"active_blocked", judged(activeBlocked)},
		{"ipv6", judged(ipv6)},
		{"nulls", nulls},
		{"empty", func() *session.Report { return &session.Report{} }},
		{"hostile", judged(hostile)},
		{"outcomes", judged(outcomes)},
		{"many", judged(many)},
	}
}

// judged gives the sessions of a fixture their verdict, as the analysis
// does.
func judged(f func() *session.Report) func() *session.Report {
	return func() *session.Report {
		r := f()
		for _, s := range r.Sessions {
			s.Verdict = session.VerdictOf(s.Worst())
		}
		return r
	}
}

func source(name string, packets int, lastMS float64) session.Source {
	return session.Source{
		Name: name, LinkTypes: []string{"Ethernet"}, Packets: packets, Bytes: int64(packets) * 700,
		FirstSeen: at(0), LastSeen: at(lastMS), Errors: []string{},
	}
}

// passiveOK is a session listing a directory and fetching a file in
// passive mode.
func passiveOK() *session.Report {
	const c, s = session.RoleClient, session.RoleServer
	sess := &session.Session{
		ID: 1, Source: "passive.pcap", Client: ap("10.0.0.1:51000"), Server: ap("10.0.0.2:21"),
		Start: at(0), End: at(4512.345), User: ptr("anonymous"), LoggedIn: ptr(true), Mode: session.ModePassive,
		Commands: 7, DataChannels: []*session.DataChannel{
			{
				ID: 1, SetupCommand: "PASV", SetupPacket: 17, SetupTime: at(310.5), SetupReply: ptr(227),
				Mode: session.ModePassive, Announced: app("10.0.0.2:40001"), ExpectedInitiator: c,
				Observed: &session.Observed{
					Initiator: ap("10.0.0.1:51002"), Responder: ap("10.0.0.2:40001"),
					SYNPacket: 20, SYNTime: at(320.25), SYNAttempts: 1, State: session.StateEstablished,
					Established: true, HandshakeRTTms: ptr(0.21), BytesToClient: 1842, Closed: true,
					SYNACKPacket: 21, SYNACKTime: at(320.46), SYNPackets: []int{20}, SYNTimes: []session.Time{at(320.25)},
				},
				TransferCommand: ptr("LIST"), TransferReply: ptr(226), Findings: []session.Finding{},
				Match: "announced", TransferPacket: 19, TransferTime: at(315), ReplyPacket: 28, ReplyTime: at(400),
			},
			{
				ID: 2, SetupCommand: "PASV", SetupPacket: 31, SetupTime: at(1210.5), SetupReply: ptr(227),
				Mode: session.ModePassive, Announced: app("10.0.0.2:40002"), ExpectedInitiator: c,
				Observed: &session.Observed{
					Initiator: ap("10.0.0.1:51003"), Responder: ap("10.0.0.2:40002"),
					SYNPacket: 34, SYNTime: at(1220.25), SYNAttempts: 1, State: session.StateEstablished,
					Established: true, HandshakeRTTms: ptr(0.19), BytesToClient: 1048576, Closed: true,
					SYNACKPacket: 35, SYNACKTime: at(1220.44),
				},
				TransferCommand: ptr("RETR"), Argument: ptr("file.bin"), TransferReply: ptr(226),
				Findings: []session.Finding{}, TransferPacket: 33, TransferTime: at(1215),
			},
		},
		Findings: []session.Finding{},
		Ladder: []session.LadderEvent{
			ctl(4, 12.1, s, "220 (vsFTPd 3.0.3)"),
			ctl(6, 210.0, c, "USER anonymous"),
			ctl(8, 211.2, s, "331 Please specify the password."),
			ctl(10, 230.0, c, "PASS ***"),
			ctl(12, 260.7, s, "230 Login successful."),
			ctl(14, 300.0, c, "PASV"),
			ctl(17, 310.5, s, "227 Entering Passive Mode (10,0,0,2,156,65)."),
			ctl(19, 315.0, c, "LIST"),
			{Packet: 20, Time: at(320.25), From: c, Kind: session.LadderData, DataChannel: 1},
			ctl(23, 321.0, s, "150 Here comes the directory listing."),
			ctl(28, 400.0, s, "226 Directory send OK."),
			ctl(29, 1200.0, c, "PASV"),
			ctl(31, 1210.5, s, "227 Entering Passive Mode (10,0,0,2,156,66)."),
			ctl(33, 1215.0, c, "RETR file.bin"),
			{Packet: 34, Time: at(1220.25), From: c, Kind: session.LadderData, DataChannel: 2},
			ctl(37, 1221.0, s, "150 Opening BINARY mode data connection for file.bin (1048576 bytes)."),
			ctl(790, 4400.0, s, "226 Transfer complete."),
			ctl(792, 4500.0, c, "QUIT"),
			ctl(794, 4512.345, s, "221 Goodbye."),
		},
	}
	return &session.Report{
		Version:  1,
		Sources:  []session.Source{source("passive.pcap", 800, 4512.345)},
		Sessions: []*session.Session{sess},
		Findings: []session.Finding{},
		Stats:    session.Stats{Packets: 800, Bytes: 560000, FTPSessions: 1, DataChannels: 2, ElapsedMS: 3.25},
	}
}

// activeBlocked is a PORT whose data connection the client's firewall
// dropped: three SYNs unanswered, then 425.
func activeBlocked() *session.Report {
	const c, s = session.RoleClient, session.RoleServer
	summary := "active data connection blocked — client 10.0.0.5 never answered the server's SYN to port 50123"
	f := session.Finding{
		Code: session.CodeActiveBlocked, Severity: session.SeverityError, Summary: summary + ".",
		Detail: "The server 10.0.0.2 tried to open the data connection announced by PORT to 10.0.0.5:50123, " +
			"but its SYN was sent 3 times and never answered. A firewall or NAT in front of the client drops " +
			"incoming connections. Use passive mode (PASV/EPSV), or let the client's firewall track FTP.",
		Evidence: []session.Evidence{
			{Packet: 12, Time: at(500.5), What: "PORT 10,0,0,5,195,203 announces 10.0.0.5:50123"},
			{Packet: 15, Time: at(520.125), What: "SYN 10.0.0.2:20 → 10.0.0.5:50123"},
			{Packet: 18, Time: at(1520.125), What: "SYN retransmitted"},
			{Packet: 21, Time: at(3520.125), What: "SYN retransmitted"},
			{Packet: 24, Time: at(21520), What: "425 Failed to establish connection."},
		},
	}
	sess := &session.Session{
		ID: 1, Source: "active.pcap", Client: ap("10.0.0.5:51000"), Server: ap("10.0.0.2:21"),
		Start: at(0), End: at(22000), User: ptr("alice"), LoggedIn: ptr(true), Mode: session.ModeActive, Commands: 5,
		DataChannels: []*session.DataChannel{{
			ID: 1, SetupCommand: "PORT", SetupPacket: 12, SetupTime: at(500.5), SetupReply: ptr(200),
			Mode: session.ModeActive, Announced: app("10.0.0.5:50123"), ExpectedInitiator: s,
			Observed: &session.Observed{
				Initiator: ap("10.0.0.2:20"), Responder: ap("10.0.0.5:50123"), SYNPacket: 15, SYNTime: at(520.125),
				SYNAttempts: 3, State: session.StateUnanswered,
				SYNPackets: []int{15, 18, 21}, SYNTimes: []session.Time{at(520.125), at(1520.125), at(3520.125)},
			},
			TransferCommand: ptr("RETR"), Argument: ptr("report.pdf"), TransferReply: ptr(425),
			Findings: []session.Finding{f}, TransferPacket: 14, TransferTime: at(510), ReplyPacket: 24,
			ReplyTime: at(21520), ReplyText: "425 Failed to establish connection.",
		}},
		Findings: []session.Finding{},
		Ladder: []session.LadderEvent{
			ctl(4, 3, s, "220 FTP server ready"),
			ctl(6, 100, c, "USER alice"),
			ctl(7, 101, s, "331 Password required"),
			ctl(8, 150, c, "PASS ***"),
			ctl(9, 180, s, "230 User logged in"),
			ctl(12, 500.5, c, "PORT 10,0,0,5,195,203"),
			ctl(13, 501, s, "200 PORT command successful."),
			ctl(14, 510, c, "RETR report.pdf"),
			{Packet: 15, Time: at(520.125), From: s, Kind: session.LadderData, DataChannel: 1},
			ctl(24, 21520, s, "425 Failed to establish connection."),
		},
	}
	return &session.Report{
		Version:  1,
		Sources:  []session.Source{source("active.pcap", 30, 22000)},
		Sessions: []*session.Session{sess},
		Findings: []session.Finding{},
		Stats:    session.Stats{Packets: 30, Bytes: 2100, FTPSessions: 1, DataChannels: 1, ElapsedMS: 1.5},
	}
}

// ipv6 is an EPSV transfer and an EPRT transfer between IPv6 hosts.
func ipv6() *session.Report {
	const c, s = session.RoleClient, session.RoleServer
	client, server := ap("[2001:db8:1234:5678:9abc:def0:1234:5678]:51000"), ap("[2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa]:21")
	sess := &session.Session{
		ID: 1, Source: "v6.pcapng", Client: client, Server: server,
		Start: at(0), End: at(65000), User: ptr("bob"), LoggedIn: ptr(true), Mode: session.ModeMixed, Commands: 6,
		DataChannels: []*session.DataChannel{
			{
				ID: 1, SetupCommand: "EPSV", SetupPacket: 10, SetupTime: at(100), SetupReply: ptr(229),
				Mode: session.ModePassive, Announced: app("[2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa]:40001"),
				ExpectedInitiator: c,
				Observed: &session.Observed{
					Initiator: ap("[2001:db8:1234:5678:9abc:def0:1234:5678]:51002"),
					Responder: ap("[2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa]:40001"),
					SYNPacket: 12, SYNTime: at(110), SYNAttempts: 1, State: session.StateEstablished,
					Established: true, HandshakeRTTms: ptr(12.5), BytesToServer: 20480, Closed: true,
					SYNACKPacket: 13, SYNACKTime: at(122.5),
				},
				TransferCommand: ptr("STOR"), Argument: ptr("upload.dat"), TransferReply: ptr(226),
				Findings: []session.Finding{},
			},
			{
				ID: 2, SetupCommand: "EPRT", SetupPacket: 30, SetupTime: at(60000), SetupReply: ptr(200),
				Mode: session.ModeActive, Announced: app("[2001:db8:1234:5678:9abc:def0:1234:5678]:50500"),
				ExpectedInitiator: s,
				Observed: &session.Observed{
					Initiator: ap("[2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa]:20"),
					Responder: ap("[2001:db8:1234:5678:9abc:def0:1234:5678]:50500"),
					SYNPacket: 33, SYNTime: at(60010), SYNAttempts: 1, State: session.StateEstablished,
					Established: true, HandshakeRTTms: ptr(11.0), BytesToClient: 300, Closed: true,
					SYNACKPacket: 34, SYNACKTime: at(60021),
				},
				TransferCommand: ptr("NLST"), TransferReply: ptr(226), Findings: []session.Finding{},
			},
		},
		Findings: []session.Finding{},
		Ladder: []session.LadderEvent{
			ctl(1, 0, s, "220 ready"),
			ctl(8, 90, c, "EPSV"),
			ctl(10, 100, s, "229 Entering Extended Passive Mode (|||40001|)"),
			ctl(11, 105, c, "STOR upload.dat"),
			{Packet: 12, Time: at(110), From: c, Kind: session.LadderData, DataChannel: 1},
			ctl(20, 500, s, "226 Transfer complete"),
			ctl(30, 60000, c, "EPRT |2|2001:db8:1234:5678:9abc:def0:1234:5678|50500|"),
			ctl(31, 60001, s, "200 EPRT command successful"),
			ctl(32, 60005, c, "NLST"),
			{Packet: 33, Time: at(60010), From: s, Kind: session.LadderData, DataChannel: 2},
			ctl(40, 60100, s, "226 Transfer complete"),
		},
	}
	return &session.Report{
		Version:  1,
		Sources:  []session.Source{source("v6.pcapng", 44, 65000)},
		Sessions: []*session.Session{sess},
		Findings: []session.Finding{},
		Stats:    session.Stats{Packets: 44, Bytes: 30800, FTPSessions: 1, DataChannels: 2, ElapsedMS: 0.75},
	}
}

// nulls has every optional fact absent and every list nil.
func nulls() *session.Report {
	return &session.Report{
		Version: 1,
		Sources: []session.Source{{Name: "-"}},
		Sessions: []*session.Session{{
			ID: 1, Source: "-", Client: ap("192.0.2.1:40000"), Server: ap("192.0.2.2:21"), Mode: session.ModeNone,
			DataChannels: []*session.DataChannel{{
				ID: 1, SetupCommand: "PASV", Mode: session.ModePassive, ExpectedInitiator: session.RoleClient,
				Findings: []session.Finding{{Code: session.CodeDataMissing, Severity: session.SeverityWarning}},
			}},
		}},
	}
}

// hostile carries text a malicious capture controls: terminal escape
// sequences, control characters, bidi overrides, invalid UTF-8 and lines
// far longer than any terminal.
func hostile() *session.Report {
	const c, s = session.RoleClient, session.RoleServer
	esc := "\x1b]0;pwned\x07\x1b[2J\x1b[31mRED\r\n\x00\x7f\u202egnp.exe\u200b\xff\xfe"
	long := strings.Repeat("A", 5000)
	sess := &session.Session{
		ID: 1, Source: "evil\x1b[1m.pcap", Client: ap("10.9.9.9:1025"), Server: ap("10.9.9.1:21"),
		LongLines: 2, Unparsed: 1,
		Start: at(0), End: at(999), User: ptr("root" + esc), LoggedIn: ptr(true), Mode: session.ModePassive, Commands: 3,
		DataChannels: []*session.DataChannel{{
			ID: 1, SetupCommand: "PASV", SetupPacket: 5, SetupTime: at(10), SetupReply: ptr(227),
			Mode: session.ModePassive, Announced: app("10.9.9.1:4000"), ExpectedInitiator: c,
			Observed: &session.Observed{
				Initiator: ap("10.9.9.9:1026"), Responder: ap("10.9.9.1:4000"), SYNPacket: 7, SYNTime: at(20),
				SYNAttempts: 1, State: session.StateEstablished, Established: true, Closed: true,
			},
			TransferCommand: ptr("RETR"), Argument: ptr(esc + long), TransferReply: ptr(226),
			Findings: []session.Finding{{
				Code: session.CodeAddressRewritten, Severity: session.SeverityInfo,
				Summary: "rewritten " + esc, Detail: "detail " + esc + " " + long + " end",
				Evidence: []session.Evidence{{Packet: 5, Time: at(10), What: esc + long}},
			}},
		}},
		Findings: []session.Finding{{
			Code: session.CodeControlGap, Severity: session.SeverityWarning, Summary: esc + long,
			Detail: strings.Repeat("word ", 60) + esc, Evidence: []session.Evidence{},
		}},
		Ladder: []session.LadderEvent{
			ctl(3, 1, s, "220 "+esc+long),
			ctl(4, 2, c, "USER root"+esc),
			{Packet: 5, Time: at(3), Kind: session.LadderGap, Text: esc + long},
			ctl(6, 15, c, "RETR "+esc+long),
			{Packet: 7, Time: at(20), From: c, Kind: session.LadderData, DataChannel: 1},
			ctl(8, 30, s, strings.Repeat("日本語", 200)),
		},
	}
	return &session.Report{
		Version: 1,
		Sources: []session.Source{{
			Name: "evil\x1b[1m.pcap", LinkTypes: []string{"Ethernet\x1b[5m"}, Packets: 9, Bytes: 900,
			FirstSeen: at(0), LastSeen: at(999), Errors: []string{"packet 9: " + esc + long},
		}},
		Sessions: []*session.Session{sess},
		Findings: []session.Finding{{
			Code: session.CodeDataUnannounced, Severity: session.SeverityInfo, Summary: esc,
			Evidence: []session.Evidence{{Packet: 9, Time: at(999), What: esc}},
		}},
		Stats: session.Stats{Packets: 9, Bytes: 900, FTPSessions: 1, DataChannels: 1},
	}
}

// outcomes draws every fate of a data connection: refused, unreachable,
// reset, never seen, and a gap in the control stream, over two sessions
// and two sources, with a global finding.
func outcomes() *session.Report {
	const c, s = session.RoleClient, session.RoleServer
	blocked := session.Finding{
		Code: session.CodePassiveBlocked, Severity: session.SeverityError,
		Summary: "passive data connection to 198.51.100.7:40010 was refused.",
		Detail:  "The server's host answered the client's SYN with RST: nothing listens on the announced port.",
		Evidence: []session.Evidence{
			{Packet: 21, Time: at(2100), What: "SYN 10.1.0.1:53000 → 198.51.100.7:40010"},
			{Packet: 22, Time: at(2100.4), What: "RST from 198.51.100.7:40010"},
		},
	}
	unreach := session.Finding{
		Code: session.CodePassiveBlocked, Severity: session.SeverityError,
		Summary: "passive data connection to 198.51.100.7:40011 blocked: ICMP administratively prohibited from 10.1.0.254.",
		Evidence: []session.Evidence{
			{Packet: 31, Time: at(3100), What: "SYN 10.1.0.1:53001 → 198.51.100.7:40011"},
			{Packet: 32, Time: at(3100.9), What: "ICMP administratively prohibited from 10.1.0.254"},
		},
	}
	missing := session.Finding{
		Code: session.CodeDataMissing, Severity: session.SeverityWarning,
		Summary:  "no data connection was seen towards 198.51.100.7:40013.",
		Evidence: []session.Evidence{{Packet: 50, Time: at(5000), What: "227 announces 198.51.100.7:40013"}},
	}
	gap := session.Finding{
		Code: session.CodeControlGap, Severity: session.SeverityWarning,
		Summary:  "1460 bytes of the control stream are missing from the capture.",
		Evidence: []session.Evidence{{Packet: 15, Time: at(1500), What: "gap after this segment"}},
	}
	s1 := &session.Session{
		ID: 1, Source: "a.pcap", Client: ap("10.1.0.1:52000"), Server: ap("198.51.100.7:21"),
		Start: at(1000), End: at(9000), User: ptr("carol"), LoggedIn: ptr(true), Mode: session.ModePassive, Commands: 14, ControlGaps: 1460,
		DataChannels: []*session.DataChannel{
			{
				ID: 1, SetupCommand: "PASV", SetupPacket: 19, SetupTime: at(2000), SetupReply: ptr(227),
				Mode: session.ModePassive, Announced: app("198.51.100.7:40010"), ExpectedInitiator: c,
				Observed: &session.Observed{
					Initiator: ap("10.1.0.1:53000"), Responder: ap("198.51.100.7:40010"), SYNPacket: 21, SYNTime: at(2100),
					SYNAttempts: 1, State: session.StateRefused, Closed: true, RSTPacket: 22, RSTTime: at(2100.4),
				},
				TransferCommand: ptr("RETR"), Argument: ptr("a.txt"), TransferReply: ptr(425),
				Findings: []session.Finding{blocked},
			},
			{
				ID: 2, SetupCommand: "PASV", SetupPacket: 29, SetupTime: at(3000), SetupReply: ptr(227),
				Mode: session.ModePassive, Announced: app("198.51.100.7:40011"), ExpectedInitiator: c,
				Observed: &session.Observed{
					Initiator: ap("10.1.0.1:53001"), Responder: ap("198.51.100.7:40011"), SYNPacket: 31, SYNTime: at(3100),
					SYNAttempts: 1, State: session.StateUnreachable, ICMPPacket: 32, ICMPTime: at(3100.9),
					ICMPFrom: netip.MustParseAddr("10.1.0.254"), ICMPWhat: "administratively prohibited",
				},
				TransferCommand: ptr("RETR"), Argument: ptr("b.txt"), TransferReply: ptr(425),
				Findings: []session.Finding{unreach},
			},
			{
				ID: 3, SetupCommand: "PASV", SetupPacket: 39, SetupTime: at(4000), SetupReply: ptr(227),
				Mode: session.ModePassive, Announced: app("198.51.100.7:40012"), ExpectedInitiator: c,
				Observed: &session.Observed{
					Initiator: ap("10.1.0.1:53002"), Responder: ap("198.51.100.7:40012"), SYNPacket: 41, SYNTime: at(4100),
					SYNAttempts: 2, State: session.StateReset, Established: true, HandshakeRTTms: ptr(30.0),
					BytesToClient: 65536, Closed: true, SYNACKPacket: 43, SYNACKTime: at(4130),
					RSTPacket: 47, RSTTime: at(4800),
				},
				TransferCommand: ptr("RETR"), Argument: ptr("c.iso"), TransferReply: ptr(426),
				Findings: []session.Finding{{
					Code: session.CodeTransferFailed, Severity: session.SeverityError,
					Summary:  "RETR c.iso failed with 426 after the data connection was reset.",
					Evidence: []session.Evidence{{Packet: 47, Time: at(4800), What: "RST"}, {Packet: 48, Time: at(4801), What: "426 Connection closed; transfer aborted."}},
				}},
			},
			{
				ID: 4, SetupCommand: "PASV", SetupPacket: 50, SetupTime: at(5000), SetupReply: ptr(227),
				Mode: session.ModePassive, Announced: app("198.51.100.7:40013"), ExpectedInitiator: c,
				TransferCommand: ptr("RETR"), Argument: ptr("d.txt"), Findings: []session.Finding{missing},
				TransferPacket: 51, TransferTime: at(5010),
			},
		},
		Findings: []session.Finding{gap},
		Ladder: []session.LadderEvent{
			ctl(10, 1000, s, "220 ready"),
			{Packet: 15, Time: at(1500), From: c, Kind: session.LadderGap, Text: "1460 bytes missing"},
			ctl(18, 1990, c, "PASV"),
			ctl(19, 2000, s, "227 Entering Passive Mode (198,51,100,7,156,74)"),
			ctl(20, 2050, c, "RETR a.txt"),
			{Packet: 21, Time: at(2100), From: c, Kind: session.LadderData, DataChannel: 1},
			ctl(23, 2200, s, "425 Can't open data connection."),
			ctl(28, 2990, c, "PASV"),
			ctl(29, 3000, s, "227 Entering Passive Mode (198,51,100,7,156,75)"),
			ctl(30, 3050, c, "RETR b.txt"),
			{Packet: 31, Time: at(3100), From: c, Kind: session.LadderData, DataChannel: 2},
			ctl(33, 3200, s, "425 Can't open data connection."),
			ctl(38, 3990, c, "PASV"),
			ctl(39, 4000, s, "227 Entering Passive Mode (198,51,100,7,156,76)"),
			ctl(40, 4050, c, "RETR c.iso"),
			// The data event of channel 3 is left out: the ladder must draw it
			// from Observed anyway.
			ctl(44, 4140, s, "150 Opening BINARY mode data connection"),
			ctl(48, 4801, s, "426 Connection closed; transfer aborted."),
			ctl(49, 4990, c, "PASV"),
			ctl(50, 5000, s, "227 Entering Passive Mode (198,51,100,7,156,77)"),
			ctl(51, 5010, c, "RETR d.txt"),
			ctl(60, 9000, c, "QUIT"),
		},
	}
	s2 := &session.Session{
		ID: 2, Source: "b.pcap", Client: ap("10.1.0.2:52100"), Server: ap("203.0.113.9:2121"),
		Start: at(1500), End: at(1800), Mode: session.ModeNone, Commands: 2, TLS: true,
		DataChannels: []*session.DataChannel{},
		Findings: []session.Finding{{
			Code: session.CodeControlEncrypted, Severity: session.SeverityWarning,
			Summary:  "AUTH TLS was accepted: the rest of the control connection is encrypted.",
			Detail:   "Firewall FTP helpers cannot read the data ports either.",
			Evidence: []session.Evidence{{Packet: 4, Time: at(1600), What: "234 AUTH TLS successful"}},
		}},
		Ladder: []session.LadderEvent{
			ctl(2, 1500, s, "220 ready"),
			ctl(3, 1550, c, "AUTH TLS"),
			ctl(4, 1600, s, "234 AUTH TLS successful"),
		},
	}
	dropped := int64(12)
	srcB := source("b.pcap", 10, 1800)
	srcB.FirstSeen, srcB.Dropped = at(1400), &dropped
	srcB.LinkTypes = []string{"Linux SLL2", "Ethernet"}
	srcB.Errors = []string{"b.pcap: packet 11: truncated record (got 12 of 60 bytes)"}
	return &session.Report{
		Version:  1,
		Sources:  []session.Source{source("a.pcap", 61, 9000), srcB},
		Sessions: []*session.Session{s1, s2},
		Findings: []session.Finding{{
			Code: session.CodeDataUnannounced, Severity: session.SeverityInfo,
			Summary:  "a TCP connection 10.1.0.1:53999 → 198.51.100.7:40999 matches no announcement.",
			Evidence: []session.Evidence{{Packet: 55, Time: at(5500), What: "SYN 10.1.0.1:53999 → 198.51.100.7:40999"}},
		}},
		Stats: session.Stats{Packets: 71, Bytes: 49700, FTPSessions: 2, DataChannels: 4, ElapsedMS: 2},
	}
}

// many is 60 sessions, more than the default table lists one by one:
// passive transfers to three servers (one of them IPv6) from 30 clients,
// three of them blocked in active mode and two encrypted, with a global
// note.
func many() *session.Report {
	servers := []string{"10.0.0.2:21", "10.0.0.3:21", "[2001:db8::21]:21"}
	r := &session.Report{Version: 1, Sources: []session.Source{source("big.pcap", 48000, 600000)}}
	for i := 1; i <= 60; i++ {
		var s *session.Session
		switch {
		case i%20 == 7:
			s = activeBlocked().Sessions[0]
		case i%25 == 11:
			s = outcomes().Sessions[1]
		default:
			s = passiveOK().Sessions[0]
			for k, dc := range s.DataChannels {
				p := uint16(40000 + (i*2+k)%50)
				dc.Announced = ptr(netip.AddrPortFrom(ap(servers[i%3]).Addr(), p))
			}
		}
		s.ID, s.Source = i, "big.pcap"
		s.Client = ap(fmt.Sprintf("10.1.%d.%d:%d", i%3, i%10+1, 50000+i))
		if i%3 == 2 {
			s.Client = ap(fmt.Sprintf("[2001:db8:c::%x]:%d", i%10+1, 50000+i))
		}
		s.Server = ap(servers[i%3])
		off := time.Duration(i) * 10 * time.Second
		s.Start.Time, s.End.Time = s.Start.Add(off), s.End.Add(off)
		r.Sessions = append(r.Sessions, s)
		r.Stats.DataChannels += len(s.DataChannels)
	}
	r.Findings = []session.Finding{{
		Code: session.Code("passive-port-range"), Severity: session.SeverityInfo,
		Summary:  "10.0.0.2 announced passive ports 40000-40049.",
		Evidence: []session.Evidence{},
	}}
	r.Stats.Packets, r.Stats.Bytes, r.Stats.FTPSessions, r.Stats.ElapsedMS = 48000, 33600000, 60, 250
	return r
}

// transcript gives the session of passiveOK its commands and replies,
// with the password when shown.
func withTranscript(r *session.Report, pass string) *session.Report {
	s := r.Sessions[0]
	ex := func(cmd, arg string, pkt int, ms float64, reply int, text string, dc int) session.Exchange {
		return session.Exchange{Command: cmd, Arg: arg, Packet: pkt, Time: at(ms), Reply: reply, ReplyText: text,
			ReplyPacket: pkt + 1, ReplyTime: at(ms + 1), DataChannel: dc}
	}
	s.Transcript = []session.Exchange{
		{Reply: 220, ReplyText: "(vsFTPd 3.0.3)", ReplyPacket: 4, ReplyTime: at(12.1)},
		ex("USER", "anonymous", 6, 210, 331, "Please specify the password.", 0),
		ex("PASS", pass, 10, 230, 230, "Login successful.", 0),
		ex("PASV", "", 14, 300, 227, "Entering Passive Mode (10,0,0,2,156,65).", 1),
		ex("LIST", "", 19, 315, 226, "Directory send OK.", 1),
		ex("RETR", "file.bin", 33, 1215, 550, "Failed to open file.\nsecond line", 2),
		ex("QUIT", "", 792, 4500, 221, "Goodbye.", 0),
	}
	return r
}

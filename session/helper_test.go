package session

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// seen is a helper view of a whole announcing line in packet 11.
func seen(outcome HelperOutcome, read string) *HelperView {
	v := &HelperView{Outcome: outcome, Packet: 11, Time: at(11), Line: `"227 Entering Passive Mode (10,0,0,2,156,65).\r\n"`}
	if read != "" {
		v.Read = netip.MustParseAddrPort(read)
	}
	return v
}

func TestJudgeHelper(t *testing.T) {
	later := func(o *Observed, d time.Duration) *Observed {
		o.SYNTime = Time{o.SYNTime.Add(d)}
		return o
	}
	tests := []struct {
		name   string
		s      *Session
		edit   func(s *Session, d *DataChannel)
		would  bool
		why    HelperOutcome
		reason string // a part of the reason
	}{
		{"expected and used", fixture(ModePassive, "10.0.0.2:40001", obs("10.0.0.1:51002", "10.0.0.2:40001", StateEstablished), 227, 226),
			func(s *Session, d *DataChannel) { d.HelperSeen = seen(HelperExpected, "10.0.0.2:40001") }, true, HelperExpected, ""},
		{"control port 2121", fixture(ModePassive, "10.0.0.2:40001", nil, 227, 226),
			func(s *Session, d *DataChannel) {
				s.Server = netip.MustParseAddrPort("10.0.0.2:2121")
				d.HelperSeen = seen(HelperExpected, "10.0.0.2:40001")
			}, false, whyPort, "port 21 only (nf_conntrack_ftp ports=21), and this one is on port 2121"},
		{"LPRT", fixture(ModeActive, "10.0.0.1:50000", nil, 200, 226),
			func(s *Session, d *DataChannel) { d.SetupCommand = "LPRT"; d.HelperSeen = seen(HelperNoMatch, "") }, false, whyLong, "not LPRT"},
		{"split", fixture(ModePassive, "10.0.0.2:40001", nil, 227, 226),
			func(s *Session, d *DataChannel) {
				d.HelperSeen = seen(HelperSplit, "")
				d.HelperSeen.EndPacket, d.HelperSeen.EndTime = 12, at(12)
			}, false, HelperSplit, "split across TCP segments (packets 11 and 12)"},
		{"mid-segment", fixture(ModeActive, "10.0.0.1:50000", nil, 200, 226),
			func(s *Session, d *DataChannel) { d.HelperSeen = seen(HelperMidSegment, ""); d.HelperSeen.Offset = 8 }, false, HelperMidSegment, "packet 11; it starts 8 bytes in"},
		{"form", fixture(ModeActive, "10.0.0.1:50000", nil, 200, 226),
			func(s *Session, d *DataChannel) { d.HelperSeen = seen(HelperForm, "") }, false, HelperForm, "CR right after them"},
		{"another address", fixture(ModePassive, "192.168.1.10:40001", nil, 227, 226),
			func(s *Session, d *DataChannel) { d.HelperSeen = seen(HelperAddress, "192.168.1.10:40001") }, false, HelperAddress,
			"announces 192.168.1.10, not the server's address 10.0.0.2"},
		{"replaced before the connection came", fixture(ModePassive, "10.0.0.2:40001", later(obs("10.0.0.1:51002", "10.0.0.2:40001", StateUnanswered), time.Second), 227, 425),
			func(s *Session, d *DataChannel) {
				d.HelperSeen = seen(HelperExpected, "10.0.0.2:40001")
				d.HelperReplaced = &Evidence{Packet: 12, Time: at(12)}
			}, false, whyReplaced, "the announcement in packet 12 replaced this one's"},
		{"replaced, but no connection came", fixture(ModePassive, "10.0.0.2:40001", nil, 227, 550),
			func(s *Session, d *DataChannel) {
				d.HelperSeen = seen(HelperExpected, "10.0.0.2:40001")
				d.HelperReplaced = &Evidence{Packet: 12, Time: at(12)}
			}, true, HelperExpected, ""},
		{"expired", fixture(ModePassive, "10.0.0.2:40001", later(obs("10.0.0.1:51002", "10.0.0.2:40001", StateUnanswered), 6*time.Minute), 227, 425),
			func(s *Session, d *DataChannel) { d.HelperSeen = seen(HelperExpected, "10.0.0.2:40001") }, false, whyExpired, "came 6 min after the announcement"},
		{"from another address", fixture(ModeActive, "10.0.0.1:50000", obs("10.0.0.7:20", "10.0.0.1:50000", StateUnanswered), 200, 425),
			func(s *Session, d *DataChannel) { d.HelperSeen = seen(HelperExpected, "10.0.0.1:50000") }, false, whySource,
			"came from 10.0.0.7, and the helper's expectation admits connections from the server's address 10.0.0.2 only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.s.DataChannels[0]
			tt.edit(tt.s, d)
			v := judgeHelper(tt.s, d)
			if v == nil {
				t.Fatal("no verdict")
			}
			if v.would != tt.would || v.why != tt.why || !strings.Contains(v.reason, tt.reason) {
				t.Errorf("verdict %v %s %q; want %v %s, a reason with %q", v.would, v.why, v.reason, tt.would, tt.why, tt.reason)
			}
			h := v.helper()
			if h.WouldExpect != tt.would || (h.Reason == nil) != tt.would {
				t.Errorf("helper %+v", h)
			}
		})
	}
	// Not judged: no usable announcement, or the segment is unknown.
	s := fixture(ModePassive, "10.0.0.2:40001", nil, 227, 226)
	if v := judgeHelper(s, s.DataChannels[0]); v != nil {
		t.Errorf("judged without a view: %+v", v)
	}
	s.DataChannels[0].Announced = nil
	s.DataChannels[0].HelperSeen = seen(HelperExpected, "10.0.0.2:40001")
	if v := judgeHelper(s, s.DataChannels[0]); v != nil || v.helper() != nil {
		t.Errorf("judged without an announcement: %+v", v)
	}
}

func TestHelperWouldMiss(t *testing.T) {
	tests := []struct {
		name  string
		s     *Session
		view  *HelperView
		match string
		want  bool
	}{
		{"blocked, announcement not at the start of its segment", fixture(ModePassive, "10.0.0.2:40001", obs("10.0.0.1:51002", "10.0.0.2:40001", StateUnanswered), 227, 425),
			seen(HelperMidSegment, ""), "announced", true},
		{"worked, announcement not at the start of its segment", fixture(ModePassive, "10.0.0.2:40001", obs("10.0.0.1:51002", "10.0.0.2:40001", StateEstablished), 227, 226),
			seen(HelperMidSegment, ""), "announced", false},
		{"blocked, but the helper would have opened it", fixture(ModePassive, "10.0.0.2:40001", obs("10.0.0.1:51002", "10.0.0.2:40001", StateUnanswered), 227, 425),
			seen(HelperExpected, "10.0.0.2:40001"), "announced", false},
		{"no SYN at all, split announcement", fixture(ModePassive, "10.0.0.2:40001", nil, 227, 425),
			seen(HelperSplit, ""), "", true},
		{"SYNs to the private address announced: the address is the problem", fixture(ModePassive, "192.168.1.10:40001", obs("10.0.0.1:51002", "192.168.1.10:40001", StateUnanswered), 227, 425),
			seen(HelperAddress, "192.168.1.10:40001"), "announced", false},
		{"SYNs to the control address: the helper opened nothing there", fixture(ModePassive, "192.168.1.10:40001", obs("10.0.0.1:51002", "10.0.0.2:40001", StateUnanswered), 227, 425),
			seen(HelperAddress, "192.168.1.10:40001"), "control-peer-port", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.s.DataChannels[0]
			d.HelperSeen, d.Match = tt.view, tt.match
			drawFindings(tt.s, findingContext{})
			got := false
			for _, f := range d.Findings {
				if f.Code == CodeHelperWouldMiss {
					got = true
					if f.Severity != SeverityWarning || len(f.Evidence) == 0 || !strings.Contains(f.Summary, d.Announced.String()) {
						t.Errorf("finding %+v", f)
					}
				}
			}
			if got != tt.want {
				t.Errorf("helper-would-miss %v, want %v; findings %v", got, tt.want, codes(tt.s))
			}
		})
	}
}

func TestHelperTLS(t *testing.T) {
	s := &Session{Client: netip.MustParseAddrPort("10.0.0.1:51000"), Server: netip.MustParseAddrPort("10.0.0.2:21"), TLS: true,
		TLSEvidence: Evidence{Packet: 7, Time: at(7), What: "234 reply"}, DataChannels: []*DataChannel{}, Findings: []Finding{},
		Unannounced: []Observed{*obs("10.0.0.1:51002", "10.0.0.2:40023", StateUnanswered)}}
	drawFindings(s, findingContext{})
	if got := codes(s); !strings.Contains(strings.Join(codeStrings(got), " "), "helper-would-miss") {
		t.Errorf("codes %v, want helper-would-miss", got)
	}
	s.Findings = []Finding{}
	s.Unannounced = []Observed{*obs("10.0.0.1:51002", "10.0.0.2:40023", StateEstablished)}
	drawFindings(s, findingContext{})
	for _, c := range codes(s) {
		if c == CodeHelperWouldMiss {
			t.Errorf("helper-would-miss for a data connection that worked")
		}
	}
}

func codeStrings(cs []Code) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c))
	}
	return out
}

func TestViewOf(t *testing.T) {
	seg := func(seq, n uint32, outcome ctOutcome, pkt int) segAt {
		return segAt{ct: ctSeen{seq: seq, n: n, outcome: outcome}, packet: int32(pkt), ts: t0.UnixNano()}
	}
	line := []byte("227 Entering Passive Mode (10,0,0,2,156,65).\r")
	read := netip.MustParseAddrPort("10.0.0.2:40001")
	const n = 47 // with CRLF
	tests := []struct {
		name    string
		sp      lineSpan
		first   lineSpan
		outcome HelperOutcome
		packet  int
		end     int
		offset  int
	}{
		{"whole in its segment", lineSpan{start: 100, end: 100 + n, first: seg(100, n, ctExpected, 5), endPacket: 5, ended: true},
			lineSpan{}, HelperExpected, 5, 0, 0},
		{"refused address", lineSpan{start: 100, end: 100 + n, first: seg(100, n, ctRefused, 5), endPacket: 5, ended: true},
			lineSpan{}, HelperAddress, 5, 0, 0},
		{"split", lineSpan{start: 100, end: 100 + n, first: seg(100, 30, ctDropped, 5), endPacket: 6, ended: true},
			lineSpan{}, HelperSplit, 5, 6, 0},
		{"form", lineSpan{start: 100, end: 100 + n, first: seg(100, n, ctDropped, 5), endPacket: 5, ended: true},
			lineSpan{}, HelperForm, 5, 0, 0},
		{"after another line", lineSpan{start: 120, end: 120 + n, first: seg(100, 20+n, ctNothing, 5), endPacket: 5, ended: true},
			lineSpan{}, HelperMidSegment, 5, 0, 20},
		{"multi-line reply", lineSpan{start: 160, end: 160 + n, first: seg(100, 60+n, ctNothing, 5), endPacket: 5, ended: true},
			lineSpan{start: 100, first: seg(100, 60+n, ctNothing, 5)}, HelperMultiLine, 5, 0, 0},
		{"segment not searched", lineSpan{start: 100, end: 100 + n, first: seg(100, n, ctUnread, 5), endPacket: 5, ended: true},
			lineSpan{}, HelperUnread, 5, 0, 0},
		{"no pattern", lineSpan{start: 100, end: 100 + n, first: seg(100, n, ctNothing, 5), endPacket: 5, ended: true},
			lineSpan{}, HelperNoMatch, 5, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := viewOf(tt.sp, tt.first, line, read)
			if v == nil {
				t.Fatal("nil view")
			}
			if v.Outcome != tt.outcome || v.Packet != tt.packet || v.EndPacket != tt.end || v.Offset != tt.offset {
				t.Errorf("view %+v; want %s in packet %d (end %d, offset %d)", v, tt.outcome, tt.packet, tt.end, tt.offset)
			}
			want := ""
			if v.Outcome == HelperForm || v.Outcome == HelperNoMatch {
				want = `"227 Entering Passive Mode (10,0,0,2,156,65).\r\n"`
			}
			if v.Line != want {
				t.Errorf("line %s, want %s", v.Line, want)
			}
		})
	}
	cut := lineSpan{start: 100, end: 130, first: seg(100, 30, ctUnknown, 5)}
	if v := viewOf(cut, lineSpan{}, line, read); v != nil {
		t.Errorf("a segment the capture cut gives %+v, want nil", v)
	}
	if v := viewOf(lineSpan{}, lineSpan{}, line, read); v != nil {
		t.Errorf("a line in no segment gives %+v, want nil", v)
	}
}

// TestHelperFromCaptures runs the whole analysis over generated captures
// and checks what the helper is judged to do with each announcement.
func TestHelperFromCaptures(t *testing.T) {
	tests := []struct {
		capture string
		want    []string // per data channel: would_expect, or the start of the reason
	}{
		{"passive.pcap", []string{"yes"}},
		{"many-transfers-mixed.pcap", []string{"yes", "yes", "yes", "yes"}},
		{"epsv-eprt-ipv6.pcap", []string{"yes", "yes"}},
		{"split-227.pcap", []string{"The 227 reply is split across TCP segments (packets 15 and 16)"}},
		{"out-of-order.pcap", []string{"yes"}}, // the 227 retransmitted whole
		{"multiline-replies.pcap", []string{"The 227 reply spans several lines"}},
		{"midstream.pcap", []string{"yes"}}, // picked up mid-connection
		{"lprt-lpsv.pcap", []string{"nf_conntrack_ftp reads 227 and 229 replies only", "nf_conntrack_ftp reads PORT and EPRT commands only"}},
		{"helper-pipelined-port.pcap", []string{"The PORT command does not start its TCP segment (packet 10; it starts 8 bytes in)"}},
		{"helper-second-pasv.pcap", []string{"The helper keeps one expectation per control connection", "yes"}},
		{"helper-forms.pcap", []string{"The helper refuses this form of the PORT command", "The helper refuses this form of the 229 reply", "The helper refuses this form of the PORT command"}},
		{"fxp-transfer.pcap", []string{"In this server-to-server transfer server 10.0.0.3 connects", "The PORT command announces 10.0.0.2, not the client's address 10.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			a := NewAnalyzer(Config{})
			for _, p := range loadPackets(t, tt.capture) {
				a.Packet(p)
			}
			var got []string
			for _, s := range a.Finish(nil).Sessions {
				for _, d := range s.DataChannels {
					switch {
					case d.Helper == nil:
						got = append(got, "null")
					case d.Helper.WouldExpect:
						got = append(got, "yes")
					default:
						got = append(got, *d.Helper.Reason)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("helpers %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("channel %d: %q, want %q…", i+1, got[i], tt.want[i])
				}
			}
		})
	}
}

package session

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// loadPackets reads a capture of testdata into memory.
func loadPackets(tb testing.TB, name string) []capture.Packet {
	tb.Helper()
	src, err := capture.OpenFiles([]string{"../testdata/" + name})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	var out []capture.Packet
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		p.Data = append([]byte(nil), p.Data...)
		out = append(out, p)
	}
}

// otherTCP is an Ethernet frame of a TCP segment unrelated to FTP.
func otherTCP(tb testing.TB) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{10, 9, 0, 1}, DstIP: net.IP{10, 9, 0, 2}}
	tcp := &layers.TCP{SrcPort: 443, DstPort: 50123, ACK: true, Seq: 1, Ack: 1, Window: 500}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(make([]byte, 1400)))
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestUninterestingPacketAllocatesNothing pins the hot path: a packet of
// no control stream and no expectation costs a header decode and a map
// lookup, and no allocation, even while a session is open.
func TestUninterestingPacketAllocatesNothing(t *testing.T) {
	a := NewAnalyzer(Config{})
	pkts := loadPackets(t, "passive.pcap")
	// Open a session and leave it open: its PASV expectation is live.
	for _, p := range pkts[:len(pkts)/2] {
		a.Packet(p)
	}
	if len(a.live) == 0 {
		t.Fatal("no session open after half the capture")
	}
	p := capture.Packet{Data: otherTCP(t), LinkType: layers.LinkTypeEthernet, Number: 1,
		Info: gopacket.CaptureInfo{Timestamp: pkts[len(pkts)/2].Info.Timestamp}}
	allocs := testing.AllocsPerRun(1000, func() {
		if a.Packet(p) {
			t.Fatal("an unrelated packet was kept")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per unrelated packet, want 0", allocs)
	}
}

// TestSessionsEndAndAreForgotten: with OnSession set, every session is
// handed on once and the analyser keeps no state for it afterwards.
func TestSessionsEndAndAreForgotten(t *testing.T) {
	pkts := loadPackets(t, "many-transfers-mixed.pcap")
	var got []*Session
	a := NewAnalyzer(Config{OnSession: func(s *Session) { got = append(got, s) }})
	// Replay the capture 5 times, an hour apart: 5 sessions.
	for i := range 5 {
		for _, p := range pkts {
			p.Info.Timestamp = p.Info.Timestamp.Add(time.Duration(i) * time.Hour)
			a.Packet(p)
		}
	}
	r := a.Finish(nil)
	if len(got) != 5 {
		t.Fatalf("OnSession called %d times, want 5", len(got))
	}
	if len(r.Sessions) != 0 {
		t.Errorf("report keeps %d sessions though they were streamed", len(r.Sessions))
	}
	if len(a.live) != 0 || len(a.conns) != 0 || len(a.expect) != 0 || len(a.expectNAT) != 0 || len(a.hosts) != 0 {
		t.Errorf("state left: %d live, %d conns, %d expectations, %d NAT expectations, %d host pairs",
			len(a.live), len(a.conns), len(a.expect), len(a.expectNAT), len(a.hosts))
	}
	for i, s := range got {
		if s.ID != i+1 {
			t.Errorf("session %d has id %d", i, s.ID)
		}
		if len(s.DataChannels) != 4 || s.Mode != ModeMixed {
			t.Errorf("session %d: %d data channels, mode %s; want 4, mixed", s.ID, len(s.DataChannels), s.Mode)
		}
	}
	// Sessions 1 to 4 ended an hour before the next began, by the idle
	// or close rules, not only at Finish.
	if got[0].End.After(got[1].Start.Time) {
		t.Errorf("session 1 ends after session 2 starts")
	}
}

// TestMaxSessionsBounds: beyond MaxSessions, control connections are not
// followed, and nothing else breaks.
func TestMaxSessionsBounds(t *testing.T) {
	pkts := loadPackets(t, "passive.pcap")
	a := NewAnalyzer(Config{MaxSessions: 1})
	for _, p := range pkts {
		a.Packet(p)
	}
	if r := a.Finish(nil); len(r.Sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(r.Sessions))
	}
	// A second analyser that may follow no more session than one sees a
	// capture with two one after the other: the first, idle by then, ends
	// early to make room, both are reported, and the stats say so.
	b := NewAnalyzer(Config{MaxSessions: 1})
	for _, p := range loadPackets(t, "vlan.pcap") {
		b.Packet(p)
	}
	r := b.Finish([]capture.Info{{Name: "vlan.pcap", Dropped: -1}})
	if len(r.Sessions) != 2 || r.Sessions[0].DataChannels[0].Observed == nil {
		t.Fatalf("%d sessions, want 2, the first complete", len(r.Sessions))
	}
	if l := r.Stats.Limits; l.SessionsEvicted != 1 || !l.Any() || len(r.Sources[0].Errors) != 0 {
		t.Errorf("limits %+v, source errors %q; want one session evicted, said in the stats only", l, r.Sources[0].Errors)
	}
}

// TestEvictionOrder: the session idle the longest is the one that ends
// to make room, not the oldest.
func TestEvictionOrder(t *testing.T) {
	var l lruList
	a, b, c := &sess{seq: 1}, &sess{seq: 2}, &sess{seq: 3}
	l.touch(a)
	l.touch(b)
	l.touch(c)
	l.touch(a) // a speaks again: b is now idle the longest
	if got := l.oldest(); got != b {
		t.Fatalf("oldest = %d, want 2", got.seq)
	}
	l.remove(b)
	l.remove(b) // twice does no harm
	if got := l.oldest(); got != c {
		t.Fatalf("after removing 2: oldest = %d, want 3", got.seq)
	}
	l.remove(c)
	l.remove(a)
	if l.oldest() != nil || l.tail != nil {
		t.Error("list not empty after removing every session")
	}
}

func BenchmarkAnalyzerSessions(b *testing.B) {
	pkts := loadPackets(b, "many-transfers-mixed.pcap")
	var bytes int64
	for _, p := range pkts {
		bytes += int64(len(p.Data))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := NewAnalyzer(Config{OnSession: func(*Session) {}})
		for _, p := range pkts {
			a.Packet(p)
		}
		a.Finish(nil)
	}
}

func BenchmarkAnalyzerUninteresting(b *testing.B) {
	p := capture.Packet{Data: otherTCP(b), LinkType: layers.LinkTypeEthernet, Number: 1,
		Info: gopacket.CaptureInfo{Timestamp: time.Unix(1e9, 0)}}
	a := NewAnalyzer(Config{})
	b.SetBytes(int64(len(p.Data)))
	b.ReportAllocs()
	for b.Loop() {
		a.Packet(p)
	}
}

// TestLateAnnouncementAdoptsConnection: when the 227 reaches the capture
// after the client's SYN (the control segment was delayed), the data
// connection is still the channel's, not an unannounced one.
func TestLateAnnouncementAdoptsConnection(t *testing.T) {
	pkts := loadPackets(t, "passive.pcap")
	// Frames 15 (227), 16 (SYN), 17 (SYN-ACK): move the 227 after them.
	p227 := pkts[14]
	reordered := append(append(append([]capture.Packet{}, pkts[:14]...), pkts[15:17]...), p227)
	reordered = append(reordered, pkts[17:]...)
	a := NewAnalyzer(Config{})
	for _, p := range reordered {
		a.Packet(p)
	}
	r := a.Finish(nil)
	if len(r.Sessions) != 1 || len(r.Sessions[0].DataChannels) != 1 {
		t.Fatalf("want 1 session with 1 data channel, got %+v", r.Sessions)
	}
	s := r.Sessions[0]
	d := s.DataChannels[0]
	if d.Observed == nil || !d.Observed.Established {
		t.Fatalf("data channel has no established connection: %+v", d.Observed)
	}
	for _, f := range s.Findings {
		if f.Code == CodeDataUnannounced {
			t.Errorf("the connection is also reported unannounced: %s", f.Summary)
		}
	}
}

// TestAdvanceEndsSessionsWithoutPackets: a quiet live interface still
// moves the clock, so a closed session is handed on without waiting for
// another packet.
func TestAdvanceEndsSessionsWithoutPackets(t *testing.T) {
	pkts := loadPackets(t, "passive.pcap")
	var got []*Session
	a := NewAnalyzer(Config{OnSession: func(s *Session) { got = append(got, s) }})
	for _, p := range pkts {
		a.Packet(p)
	}
	last := pkts[len(pkts)-1].Info.Timestamp
	a.Advance(last.Add(time.Second))
	if len(got) != 0 {
		t.Fatalf("session handed on within the close grace")
	}
	a.Advance(last.Add(10 * time.Second))
	if len(got) != 1 {
		t.Fatalf("%d sessions handed on after the close grace, want 1", len(got))
	}
	a.Advance(last) // the past: ignored
}

// TestIdleControlConnectionStaysOneSession: a control connection silent
// for longer than the reassembler keeps it (a user idle at the prompt)
// goes on in the same session.
func TestIdleControlConnectionStaysOneSession(t *testing.T) {
	pkts := loadPackets(t, "passive.pcap")
	// After frame 13 (200 to TYPE I) everything happens 5 minutes later.
	for i := 13; i < len(pkts); i++ {
		pkts[i].Info.Timestamp = pkts[i].Info.Timestamp.Add(5 * time.Minute)
	}
	a := NewAnalyzer(Config{})
	for _, p := range pkts {
		a.Packet(p)
	}
	r := a.Finish(nil)
	if len(r.Sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(r.Sessions))
	}
	s := r.Sessions[0]
	if s.Commands != 7 || len(s.DataChannels) != 1 || s.DataChannels[0].Observed == nil || !s.DataChannels[0].Observed.Established {
		t.Errorf("session after the idle time: %d commands, channels %+v", s.Commands, s.DataChannels)
	}
	if r.Stats.FTPSessions != 1 || r.Stats.DataChannels != 1 {
		t.Errorf("stats %+v", r.Stats)
	}
}

func TestSeqCounter(t *testing.T) {
	type seg struct {
		seq uint32
		syn bool
		n   int
	}
	tests := []struct {
		name string
		segs []seg
		want int64
	}{
		{"in order after SYN", []seg{{1000, true, 0}, {1001, false, 100}, {1101, false, 100}}, 200},
		{"retransmission counted once", []seg{{1000, true, 0}, {1001, false, 100}, {1001, false, 100}, {1101, false, 50}}, 150},
		{"overlapping retransmission", []seg{{1000, true, 0}, {1001, false, 100}, {1051, false, 100}}, 150},
		{"lost segment still counted when later data arrives", []seg{{1000, true, 0}, {1001, false, 100}, {1201, false, 100}}, 300},
		{"no SYN: start at the first segment", []seg{{5000, false, 10}, {5010, false, 10}}, 20},
		{"sequence wraps", []seg{{0xffffff00, true, 0}, {0xffffff01, false, 0x100}, {0x01, false, 0x10}}, 0x110},
		{"old segment before the start", []seg{{1000, true, 0}, {900, false, 50}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c seqCounter
			var got int64
			for _, s := range tt.segs {
				got += c.add(s.seq, s.syn, s.n)
			}
			if got != tt.want {
				t.Errorf("%d bytes, want %d", got, tt.want)
			}
		})
	}
}

// synFrame is an Ethernet frame of a TCP SYN from src to dst.
func synFrame(tb testing.TB, src, dst netip.AddrPort, seq uint32) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), SYN: true, Seq: seq, Window: 64240}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestSYNFloodKeepsRealConnection: a flood of SYNs towards an announced
// endpoint, from ports that never get an answer, neither grows the state
// without bound nor hides the real data connection that follows it.
func TestSYNFloodKeepsRealConnection(t *testing.T) {
	pkts := loadPackets(t, "passive.pcap")
	announced := netip.MustParseAddrPort("10.0.0.2:40001")
	first := -1 // the real data connection's SYN
	for i, p := range pkts {
		var h layers.TCP
		pk := gopacket.NewPacket(p.Data, layers.LayerTypeEthernet, gopacket.Default)
		if l, ok := pk.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			h = *l
		}
		if h.SYN && !h.ACK && uint16(h.DstPort) == announced.Port() {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatal("passive.pcap has no SYN towards the announced port")
	}
	a := NewAnalyzer(Config{})
	for _, p := range pkts[:first] {
		a.Packet(p)
	}
	ts := pkts[first].Info.Timestamp
	const flood = 500
	for i := range flood {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(20000+i))
		a.Packet(capture.Packet{Data: synFrame(t, src, announced, uint32(i)*7919), LinkType: layers.LinkTypeEthernet,
			Number: 1000 + i, Info: gopacket.CaptureInfo{Timestamp: ts}})
	}
	if len(a.conns) > maxConnsPerChan {
		t.Errorf("%d connections followed after a flood of %d SYNs, want at most %d", len(a.conns), flood, maxConnsPerChan)
	}
	for _, p := range pkts[first:] {
		a.Packet(p)
	}
	r := a.Finish(nil)
	if len(r.Sessions) != 1 || len(r.Sessions[0].DataChannels) != 1 {
		t.Fatalf("want 1 session with 1 data channel, got %+v", r.Sessions)
	}
	o := r.Sessions[0].DataChannels[0].Observed
	if o == nil || !o.Established || o.Initiator != netip.MustParseAddrPort("10.0.0.1:51002") {
		t.Errorf("observed %+v, want the established connection from 10.0.0.1:51002", o)
	}
}

func TestWorst(t *testing.T) {
	f := func(s Severity) Finding { return Finding{Code: "x", Severity: s} }
	s := &Session{Findings: []Finding{f(SeverityInfo)}, DataChannels: []*DataChannel{{Findings: []Finding{f(SeverityWarning)}}, nil}}
	if got := s.Worst(); got != SeverityWarning {
		t.Errorf("session Worst() = %q, want warning", got)
	}
	if got := (&Session{}).Worst(); got != "" {
		t.Errorf("Worst() of no findings = %q, want empty", got)
	}
	r := &Report{Sessions: []*Session{nil, s}, Findings: []Finding{f(SeverityInfo)}}
	if got := r.Worst(); got != SeverityWarning {
		t.Errorf("report Worst() = %q, want warning", got)
	}
	r.Findings = append(r.Findings, f(SeverityError))
	if got := r.Worst(); got != SeverityError {
		t.Errorf("report Worst() with a global error = %q, want error", got)
	}
}

// TestTranscript pairs every command of a healthy session with its reply,
// keeps the banner as a reply to no command, and sees the login.
func TestTranscript(t *testing.T) {
	a := NewAnalyzer(Config{Transcript: true})
	for _, p := range loadPackets(t, "passive.pcap") {
		a.Packet(p)
	}
	r := a.Finish(nil)
	if len(r.Sessions) != 1 {
		t.Fatalf("%d sessions", len(r.Sessions))
	}
	s := r.Sessions[0]
	var got []string
	for _, ex := range s.Transcript {
		got = append(got, fmt.Sprintf("%s %s -> %d (dc %d)", ex.Command, ex.Arg, ex.Reply, ex.DataChannel))
	}
	want := []string{
		"  -> 220 (dc 0)",
		"USER anonymous -> 331 (dc 0)",
		"PASS *** -> 230 (dc 0)",
		"SYST  -> 215 (dc 0)",
		"TYPE I -> 200 (dc 0)",
		"PASV  -> 227 (dc 1)",
		"RETR pub/release-1.4.tar.gz -> 226 (dc 1)",
		"QUIT  -> 221 (dc 0)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
	if s.LoggedIn == nil || !*s.LoggedIn || s.FailedLogins != 0 {
		t.Errorf("logged_in %v, failed_logins %d; want true, 0", s.LoggedIn, s.FailedLogins)
	}
	if s.Verdict != VerdictOK {
		t.Errorf("verdict %q, want ok", s.Verdict)
	}
	// Without Config.Transcript nothing is kept.
	a = NewAnalyzer(Config{})
	for _, p := range loadPackets(t, "passive.pcap") {
		a.Packet(p)
	}
	if tr := a.Finish(nil).Sessions[0].Transcript; tr != nil {
		t.Errorf("transcript kept without Config.Transcript: %d exchanges", len(tr))
	}
}

func TestLogin(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name   string
		codes  []int
		want   *bool
		failed int
	}{
		{"none", nil, nil, 0},
		{"user then pass accepted", []int{331, 230}, &yes, 0},
		{"wrong password", []int{331, 530}, &no, 1},
		{"failed then accepted", []int{331, 530, 331, 230}, &yes, 1},
		{"rejected user", []int{530}, &no, 1},
		{"tls login 232", []int{232}, &yes, 0},
		{"busy 421", []int{421}, &no, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sess{a: NewAnalyzer(Config{}), out: &Session{}}
			for _, c := range tt.codes {
				s.login(&pendingCmd{verb: "PASS"}, decode.Reply{Code: c}, 1, Time{})
			}
			if !cmp.Equal(s.out.LoggedIn, tt.want) || s.out.FailedLogins != tt.failed {
				t.Errorf("logged_in %v, failed %d; want %v, %d", s.out.LoggedIn, s.out.FailedLogins, tt.want, tt.failed)
			}
		})
	}
}

// TestLadderCut: events past Config.MaxLadder are counted, not kept, and
// a text is kept as sent, cut at a rune boundary.
func TestLadderCut(t *testing.T) {
	a := NewAnalyzer(Config{Ladder: true, MaxLadder: 3})
	for _, p := range loadPackets(t, "passive.pcap") {
		a.Packet(p)
	}
	s := a.Finish(nil).Sessions[0]
	if len(s.Ladder) != 3 || s.LadderCut == 0 {
		t.Errorf("%d events kept, %d cut; want 3 kept and the rest cut", len(s.Ladder), s.LadderCut)
	}
	long := strings.Repeat("é", 150) // 300 bytes
	if got := cutText(long, maxLadderText); !utf8.ValidString(got) || len(got) > maxLadderText+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("cutText: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if got := cutText("NO\x00OP", maxLadderText); got != "NO\x00OP" {
		t.Errorf("cutText changed a short text: %q", got)
	}
}

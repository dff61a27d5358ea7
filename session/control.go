package session

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// Directions of a control connection, from the FTP point of view.
const (
	toServer = 0 // client → server: commands
	toClient = 1 // server → client: replies
)

// sess is the state of one FTP session while it is followed.
type sess struct {
	out      *Session
	seq      int // creation order
	source   int // index of the input its first segment came from
	client   netip.AddrPort
	server   netip.AddrPort
	ended    bool
	closed   bool // the control connection closed (FIN both ways, or RST)
	closedAt time.Time
	finSeen  [2]bool
	lastSeen time.Time

	lines        [2]lineBuf
	tls          [2]tlsSkipper
	replies      decode.ReplyAssembler
	pending      []*pendingCmd // commands awaiting their final reply
	dcs          []*dcState
	lastDC       *dcState // the newest data channel without a transfer command
	conns        []*dataConn
	authCmd      *pendingCmd // AUTH TLS/SSL awaiting 234
	authEvidence Evidence    // the 234 that turned TLS on

	gaps       []Evidence // where control bytes went missing
	unannounce []*dataConn
	ladderCut  int
	// hiddenLines counts the middle lines of the multi-line reply being
	// read, which the ladder leaves out.
	hiddenLines int
}

// release drops what an ended session no longer needs. The reassembler
// keeps the connection (and so this struct) until it is flushed, which
// for a connection that closed cleanly can be the idle timeout later.
func (s *sess) release() {
	s.out = nil
	s.lines = [2]lineBuf{}
	s.replies = decode.ReplyAssembler{}
	s.pending = nil
	s.dcs = nil
	s.lastDC = nil
	s.conns = nil
	s.authCmd = nil
	s.gaps = nil
	s.unannounce = nil
}

// pendingCmd is a command waiting for its final reply.
type pendingCmd struct {
	verb, arg string
	packet    int
	time      time.Time
	dc        *dcState // the data channel it set up or transfers over
	ex        int      // 1-based index of its Exchange in the transcript; 0 for none
}

// maxPending bounds the commands awaiting replies per session; a client
// that pipelines more is hostile or the replies were lost.
const maxPending = 64

func (s *sess) ref(r *pktRef) (int, Time) {
	if r == nil {
		return 0, Time{}
	}
	return r.number, Time{r.ts}
}

func (s *sess) ladder(a *Analyzer, ev LadderEvent) {
	if len(s.out.Ladder) >= a.cfg.MaxLadder {
		s.ladderCut++
		return
	}
	if len(ev.Text) > 200 {
		ev.Text = ev.Text[:200] + "…"
	}
	s.out.Ladder = append(s.out.Ladder, ev)
}

// streamFactory makes a controlStream for each TCP connection on a
// control port.
type streamFactory struct{ a *Analyzer }

func (f *streamFactory) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	a := f.a
	src, dst := netFlow.Endpoints()
	sa, _ := netip.AddrFromSlice(src.Raw())
	da, _ := netip.AddrFromSlice(dst.Raw())
	from := netip.AddrPortFrom(sa, uint16(tcp.SrcPort))
	to := netip.AddrPortFrom(da, uint16(tcp.DstPort))
	syn := tcp.SYN && !tcp.ACK
	prev := a.byTuple[mkConnKey(from, to)]
	if prev != nil && prev.closed && !syn {
		// The reassembler let go of a connection that closed with FIN
		// both ways; this is one of its last ACKs or retransmissions.
		// Only a new SYN on the same four-tuple starts a session again.
		c := &controlStream{a: a, first: from, other: to, closedSess: prev}
		c.late(ac.GetCaptureInfo().Timestamp)
		return c
	}
	if s := prev; s != nil && !s.ended && !syn {
		// The connection was idle long enough for the reassembler to
		// let it go: carry on in the same session. Byte positions are
		// unknown again, as are TLS record boundaries.
		s.tls[toServer].lost()
		s.tls[toClient].lost()
		return &controlStream{a: a, s: s, firstIsClient: from == s.client, first: from, other: to}
	}
	c := &controlStream{a: a, first: from, other: to, firstSeen: ac.GetCaptureInfo().Timestamp}
	if tcp.SYN || len(tcp.Payload) > 0 {
		c.begin(from, to, tcp, ac.GetCaptureInfo())
	}
	// Otherwise the stream waits for a SYN or payload before it becomes a
	// session: the late ACKs of a connection that already ended, or pure
	// ACKs at the start of a capture, make none.
	return c
}

// begin makes the session of a control connection, at its first SYN or
// payload; from and to are that segment's endpoints.
func (c *controlStream) begin(from, to netip.AddrPort, tcp *layers.TCP, ci gopacket.CaptureInfo) {
	a := c.a
	sp, dp := from.Port(), to.Port()
	// The server is the side on a control port; when both are, the side
	// the first SYN went to, or else the lower port.
	fromIsClient := true
	switch {
	case a.isControlPort(dp) && !a.isControlPort(sp):
	case a.isControlPort(sp) && !a.isControlPort(dp):
		fromIsClient = false
	case tcp.SYN && !tcp.ACK:
	case tcp.SYN && tcp.ACK:
		fromIsClient = false
	case sp < dp:
		fromIsClient = false
	}
	r := refOf(ci)
	src0 := 0
	if r != nil {
		src0 = r.source
	}
	s := &sess{seq: a.seq, source: src0}
	a.seq++
	if fromIsClient {
		s.client, s.server = from, to
	} else {
		s.client, s.server = to, from
	}
	name := ""
	if src0 < len(a.cfg.SourceNames) {
		name = a.cfg.SourceNames[src0]
	}
	s.out = &Session{
		Source:       name,
		Client:       s.client,
		Server:       s.server,
		CommunityID:  decode.CommunityID(s.client, s.server, decode.ProtoTCP, 0),
		DetectedBy:   DetectedByPort,
		Start:        Time{c.firstSeen},
		End:          Time{ci.Timestamp},
		Mode:         ModeNone,
		DataChannels: []*DataChannel{},
		Findings:     []Finding{},
	}
	s.lastSeen = ci.Timestamp
	if len(a.live) >= a.cfg.MaxSessions {
		a.dropped++
		s.ended = true // followed by nobody: its stream is ignored
	} else {
		a.nextID++
		s.out.ID = a.nextID
		a.live[s] = struct{}{}
		a.byTuple[mkConnKey(s.client, s.server)] = s
		hp := mkHostPair(s.client.Addr(), s.server.Addr())
		a.hosts[hp] = append(a.hosts[hp], s)
	}
	c.s = s
	c.firstIsClient = c.first == s.client
}

func refOf(ci gopacket.CaptureInfo) *pktRef {
	if len(ci.AncillaryData) > 0 {
		if r, ok := ci.AncillaryData[0].(*pktRef); ok {
			return r
		}
	}
	return nil
}

// controlStream receives one control connection from the reassembler.
type controlStream struct {
	a *Analyzer
	s *sess // nil until the first SYN or payload
	// first and other are the endpoints of the connection's first segment
	// (its source and destination), seen at firstSeen.
	first, other  netip.AddrPort
	firstSeen     time.Time
	firstIsClient bool
	started       [2]bool
	// next is the sequence number the reassembler expects next in each
	// direction, when nextKnown; rstDir is the direction of an RST that
	// ended its half (see follow).
	next      [2]reassembly.Sequence
	nextKnown [2]bool
	rstDir    int
	// closedSess is set on a stream made for the late packets of a
	// control connection that closed: they still count towards the end
	// of its session, and only a new SYN starts a session again.
	closedSess *sess
}

// late counts a late packet of a closed control connection towards its
// session's end.
func (c *controlStream) late(ts time.Time) {
	if s := c.closedSess; !s.ended && ts.After(s.out.End.Time) {
		s.out.End = Time{ts}
	}
}

var _ reassembly.Stream = (*controlStream)(nil)

func (c *controlStream) ftpDir(dir reassembly.TCPFlowDirection) int {
	if (dir == reassembly.TCPDirClientToServer) == c.firstIsClient {
		return toServer
	}
	return toClient
}

// Accept sees every segment of the connection before reassembly.
func (c *controlStream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	if c.a.injecting {
		return true
	}
	if c.s == nil {
		if c.closedSess != nil {
			if !tcp.SYN || tcp.ACK {
				c.late(ci.Timestamp)
				return false
			}
			c.closedSess = nil
			c.firstSeen = ci.Timestamp
		}
		if !tcp.SYN && len(tcp.Payload) == 0 {
			return false
		}
		from, to := c.first, c.other
		if dir != reassembly.TCPDirClientToServer {
			from, to = to, from
		}
		c.begin(from, to, tcp, ci)
	}
	s := c.s
	if s.ended {
		return false
	}
	d := c.ftpDir(dir)
	ts := ci.Timestamp
	if ts.After(s.lastSeen) {
		s.lastSeen = ts
	}
	if ts.After(s.out.End.Time) {
		s.out.End = Time{ts}
	}
	// A capture that starts mid-connection has no SYN: start the stream
	// at the first segment seen in each direction.
	if !c.started[d] {
		c.started[d] = true
		if !tcp.SYN && nextSeq == -1 {
			*start = true
		}
	}
	c.follow(tcp, d, nextSeq, *start)
	if tcp.FIN {
		s.finSeen[d] = true
	}
	if (tcp.RST || (s.finSeen[0] && s.finSeen[1])) && !s.closed {
		s.closed = true
		s.closedAt = ts
	}
	return true
}

// follow keeps the sequence number the reassembler will expect next in
// direction d, as far as it is sure: after a segment that starts where the
// reassembler stood (or starts the half). A segment out of order makes it
// unsure until one lands in order again. An RST at that number ends the
// half in the reassembler: the Analyzer then ends the other half too.
func (c *controlStream) follow(tcp *layers.TCP, d int, nextSeq reassembly.Sequence, start bool) {
	seq := reassembly.Sequence(tcp.Seq)
	inOrder := seq == nextSeq || (nextSeq == -1 && (tcp.SYN || start))
	if !inOrder {
		c.nextKnown[d] = false
		return
	}
	if tcp.RST {
		if nextSeq != -1 {
			c.a.reset, c.rstDir = c, d
		}
		return
	}
	n := len(tcp.Payload)
	if tcp.SYN {
		n++
	}
	if tcp.FIN {
		n++
	}
	c.next[d], c.nextKnown[d] = seq.Add(n), true
}

// ReassembledSG receives control bytes in order.
func (c *controlStream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	s := c.s
	if s == nil || s.ended {
		return
	}
	dir, _, _, skip := sg.Info()
	d := c.ftpDir(dir)
	n, _ := sg.Lengths()
	if skip > 0 {
		r := refOf(sg.CaptureInfo(0))
		pkt, t := s.ref(r)
		s.out.ControlGaps += int64(skip)
		s.gaps = append(s.gaps, Evidence{Packet: pkt, Time: t, What: gapWhat(d, skip)})
		if len(s.gaps) > 16 {
			s.gaps = s.gaps[:16]
		}
		if c.a.cfg.Ladder {
			s.ladder(c.a, LadderEvent{Packet: pkt, Time: t, From: roleOf(d), Kind: "gap", Text: gapWhat(d, skip)})
		}
		s.lines[d].reset()
		s.tls[d].lost()
		if d == toClient {
			s.replies = decode.ReplyAssembler{}
		}
	}
	if n == 0 {
		return
	}
	data := sg.Fetch(n)
	c.consume(sg, d, data)
}

func gapWhat(d, n int) string {
	if d == toServer {
		return strconv.Itoa(n) + " bytes from the client missing from the capture"
	}
	return strconv.Itoa(n) + " bytes from the server missing from the capture"
}

// consume frames the bytes of one direction into lines, skipping TLS
// records after AUTH TLS.
func (c *controlStream) consume(sg reassembly.ScatterGather, d int, data []byte) {
	s := c.s
	off := 0
	for off < len(data) {
		if s.tls[d].on {
			k := s.tls[d].skip(data[off:])
			off += k
			if s.tls[d].on {
				return // all of it was TLS
			}
			continue
		}
		lb := &s.lines[d]
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			lb.add(data[off:], c.a.cfg.MaxLineLen, s)
			return
		}
		lb.add(data[off:off+i], c.a.cfg.MaxLineLen, s)
		end := off + i
		off = end + 1
		line := lb.take()
		r := refOf(sg.CaptureInfo(end))
		c.line(d, line, r)
	}
}

// line handles one complete control line.
func (c *controlStream) line(d int, line []byte, r *pktRef) {
	line = bytes.TrimRight(line, "\r")
	if d == toServer {
		c.command(line, r)
		return
	}
	c.replyLine(line, r)
}

func roleOf(d int) Role {
	if d == toServer {
		return RoleClient
	}
	return RoleServer
}

// ReassemblyComplete is called when both directions ended: by FIN or
// RST, by the end of input, or because the connection was idle and the
// reassembler let it go. The connection always leaves the pool; a later
// packet of an idle one continues its session (see streamFactory.New),
// and a late ACK of a closed one makes a stray stream that is never
// reported.
func (c *controlStream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	return true
}

// lineBuf collects one control line, cutting it at the line limit.
type lineBuf struct {
	buf      []byte
	overflow bool // the line passed the limit: bytes are dropped until LF
}

func (l *lineBuf) add(b []byte, max int, s *sess) {
	if l.overflow {
		return
	}
	room := max - len(l.buf)
	if len(b) > room {
		b = b[:room]
		l.overflow = true
		s.out.LongLines++
	}
	l.buf = append(l.buf, b...)
}

// take returns the line and empties the buffer. The returned slice is
// valid until the next add.
func (l *lineBuf) take() []byte {
	b := l.buf
	l.buf = l.buf[:0]
	l.overflow = false
	return b
}

func (l *lineBuf) reset() {
	l.buf = l.buf[:0]
	l.overflow = false
}

// tlsSkipper steps over TLS records (RFC 8446 §5.1) on a control
// connection after AUTH TLS, and notices when cleartext resumes (after
// CCC, or after the TLS session closed).
type tlsSkipper struct {
	on   bool
	hdr  [5]byte
	nhdr int // header bytes collected
	left int // record body bytes still to skip
}

// skip consumes TLS records from b and returns how many bytes it used.
// It turns itself off at a record boundary that does not start a record.
func (t *tlsSkipper) skip(b []byte) int {
	used := 0
	hs := 0 // where the record header being read started in b
	for used < len(b) {
		if t.left > 0 {
			k := min(t.left, len(b)-used)
			t.left -= k
			used += k
			continue
		}
		if t.nhdr == 0 {
			hs = used
			ct := b[used]
			if ct < 20 || ct > 24 {
				t.on = false // cleartext again
				return used
			}
		}
		t.hdr[t.nhdr] = b[used]
		t.nhdr++
		used++
		if t.nhdr == 5 {
			if t.hdr[1] != 3 { // not a TLS/SSL3 version: not TLS after all
				// Give the header bytes of this chunk back as cleartext.
				t.on = false
				t.nhdr = 0
				return hs
			}
			t.left = int(t.hdr[3])<<8 | int(t.hdr[4])
			t.nhdr = 0
		}
	}
	return used
}

// lost is called after a gap: record boundaries are unknown, so stay in
// TLS mode but resynchronise on the next chunk.
func (t *tlsSkipper) lost() {
	t.left = 0
	t.nhdr = 0
}

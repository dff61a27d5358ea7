package session

import (
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
	s.handshake(tcp, d, refOf(ci))
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
		s.record(LadderEvent{Packet: pkt, Time: t, From: roleOf(d), Kind: LadderGap, Text: gapWhat(d, skip)})
		s.lines[d].reset()
		s.tls[d].lost()
		s.resync = true
		if d == toClient {
			s.replies = decode.ReplyAssembler{}
		}
	}
	if n == 0 {
		return
	}
	data := sg.Fetch(n)
	s.frame(d, data, func(i int) *pktRef { return refOf(sg.CaptureInfo(i)) })
}

func gapWhat(d, n int) string {
	if d == toServer {
		return strconv.Itoa(n) + " bytes from the client missing from the capture"
	}
	return strconv.Itoa(n) + " bytes from the server missing from the capture"
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

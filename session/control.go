package session

import (
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket/layers"
)

// Control connections are put back in order here rather than by a
// general-purpose reassembler, because FTP needs one thing from the
// order that a per-direction reassembler cannot give: the two directions
// stay in step. A segment that starts where its direction stands goes
// straight to the line framer; one that starts later waits (copied, and
// bounded) for the bytes before it. Those bytes are given up for lost,
// and counted as a gap, as soon as the other side acknowledges them (its
// ACK number is past them: the receiver has them, so they will never be
// sent again and the capture missed them), or after holdTimeout of
// capture time without an ACK, or when the session ends. So a reply that
// answers a command lost from the capture is read after that command's
// successors, as it was sent, and never before them.

// Directions of a control connection, from the FTP point of view.
const (
	toServer = 0 // client → server: commands
	toClient = 1 // server → client: replies
)

// Bounds of the bytes held out of order.
const (
	maxHeldPerDirection = 64 << 10         // per direction of a connection
	maxHeldTotal        = 32 << 20         // over all connections
	holdTimeout         = 10 * time.Second // without an ACK past the hole
	maxHeldSegments     = 256              // per direction of a connection
)

// half is one direction of a control connection.
type half struct {
	started bool
	next    uint32 // the sequence number of the next byte to deliver
	done    bool   // FIN or RST: no more bytes
	// held are segments that start after next, in order of sequence
	// number; since is when the oldest was held.
	held      []heldSeg
	heldBytes int
	since     time.Time
	source    int // the input of its last segment
}

// heldSeg is a segment waiting for the bytes before it.
type heldSeg struct {
	seq       uint32
	data      []byte // the captured bytes (a copy)
	announced int    // the bytes the IP header announced (more when the snap length cut them)
	fin       bool
	ref       pktRef
}

// pktRef identifies a packet for evidence. ct is what the model of the
// kernel's FTP helper made of it, for a control segment with payload.
type pktRef struct {
	source, number int
	ts             time.Time
	ct             ctSeen
}

// control analyses a segment of a control connection.
func (a *Analyzer) control(p capture.Packet, h *decode.Headers) {
	if !a.owns(h) {
		return
	}
	tcp := &h.TCP
	src := netip.AddrPortFrom(h.Src, uint16(tcp.SrcPort))
	dst := netip.AddrPortFrom(h.Dst, uint16(tcp.DstPort))
	k := mkConnKey(p.Source, src, dst)
	a.controlOf(a.byTuple[k], k, src, dst, p, h)
}

// controlOf analyses a segment of the control connection k, between src
// and dst, whose session is s (nil for none yet).
func (a *Analyzer) controlOf(s *sess, k connKey, src, dst netip.AddrPort, p capture.Packet, h *decode.Headers) {
	if a.duplicateControl(p, h) {
		return
	}
	tcp := &h.TCP
	ts := p.Info.Timestamp
	syn := tcp.SYN && !tcp.ACK
	switch {
	case s == nil || s.ended:
		// A session starts at its first SYN or payload: pure ACKs at the
		// start of a capture, or the last ones of a connection that
		// already ended, make none.
		if !tcp.SYN && len(tcp.Payload) == 0 {
			a.early(k, ts)
			return
		}
		// Nor does the rest of a connection ended early to make room, or
		// not followed at all: only a new SYN starts it again.
		if !syn && a.ignored(k) {
			return
		}
		if s = a.begin(k, src, dst, tcp, p); s == nil {
			return
		}
	case syn && (s.closed || s.newConnection(src, tcp)):
		// The four-tuple is used again by a new connection.
		if !s.closed {
			s.closed, s.closedAt = true, ts
		}
		if s = a.begin(k, src, dst, tcp, p); s == nil {
			return
		}
	case s.closed && s.resetBy != 0 && len(tcp.Payload) > 0 && s.resetBy == 1+dirOf(s, src):
		// The side that reset the connection goes on sending: the RST
		// did not end it where it was sent (injected by a middlebox, or
		// dropped on the way), and its payload proves the connection.
		s.closed, s.resetBy = false, 0
		s.half[0].done, s.half[1].done = false, false
	case s.closed:
		// A last ACK or retransmission of a connection that closed: it
		// counts towards the session's end, nothing more. Payload, even
		// after FINs that a hostile or broken capture put out of place,
		// proves that the connection carried data: not a port probe.
		if ts.After(s.out.End.Time) {
			s.out.End = Time{ts}
		}
		if len(tcp.Payload) > 0 {
			s.ctl.Payload = true
		}
		return
	}
	ref := pktRef{source: p.Source, number: p.Number, ts: ts}
	s.segment(dirOf(s, src), tcp, h.PayloadLen, &ref)
}

// dirOf is the direction of a segment of s's control connection from src.
func dirOf(s *sess, src netip.AddrPort) int {
	if src == s.client {
		return toServer
	}
	return toClient
}

// newConnection reports whether a SYN from src on the tuple of open
// session s starts another connection: the client's SYN with another
// initial sequence number after the session spoke, as when the capture
// missed the end of the old one.
func (s *sess) newConnection(src netip.AddrPort, tcp *layers.TCP) bool {
	return src == s.client && s.ctl.Payload && s.ctl.Attempts > 0 && tcp.Seq != s.clientISN
}

// segment follows one segment of the session's control connection in
// direction d.
func (s *sess) segment(d int, tcp *layers.TCP, announced int, ref *pktRef) {
	s.a.lru.touch(s)
	ts := ref.ts
	if ts.After(s.lastSeen) {
		s.lastSeen = ts
	}
	if ts.After(s.out.End.Time) {
		s.out.End = Time{ts}
	}
	s.handshake(tcp, d, ref)
	s.idle.packet(d, tcp, tcp.Payload, announced, ref)
	// What the other side acknowledges reached it: bytes of that
	// direction still missing here are lost from the capture.
	if tcp.ACK {
		s.acked(1-d, tcp.Ack, ref)
	}
	hs := &s.half[d]
	if tcp.RST && hs.started && tcp.Seq != hs.next {
		// RFC 5961 section 3.2: an RST is taken only at the sequence number
		// the receiver expects next; stacks answer any other with an ACK
		// and drop the segment, whatever else it carries (SYN, FIN), and
		// the connection goes on (a forged or stale RST).
		hs.source = ref.source
		return
	}
	seq := tcp.Seq
	if tcp.SYN {
		if !hs.started || seq+1 == hs.next {
			hs.started, hs.next = true, seq+1
		}
		seq++
	} else if !hs.started {
		// A capture that starts mid-connection: this direction starts
		// here, and the FTP helper's model picks it up.
		hs.started, hs.next = true, seq
		s.ct.pickup[d] = true
	}
	hs.source = ref.source
	if announced > 0 {
		s.helperSegment(d, seq, tcp.Payload, announced, ref)
	}
	if announced > 0 || tcp.FIN {
		s.arrive(d, seq, tcp.Payload, announced, tcp.FIN, ref)
	}
	switch {
	case tcp.RST:
		s.half[0].done, s.half[1].done = true, true
		if !s.closed {
			s.closed, s.closedAt = true, ts
			s.resetBy = 1 + d
		}
	case tcp.FIN:
		s.finSeen[d] = true
		if s.finSeen[0] && s.finSeen[1] && !s.closed {
			s.closed, s.closedAt = true, ts
		}
	}
}

// arrive takes the bytes of a segment of direction d starting at seq:
// data holds what was captured of the announced bytes.
func (s *sess) arrive(d int, seq uint32, data []byte, announced int, fin bool, ref *pktRef) {
	hs := &s.half[d]
	if hs.done {
		return
	}
	if len(data) > announced {
		data = data[:announced]
	}
	if off := int32(seq - hs.next); off > 0 {
		s.hold(d, seq, data, announced, fin, ref)
		return
	}
	s.take(d, seq, data, announced, fin, ref)
	s.drain(d)
}

// take delivers a segment that starts at or before next, skipping the
// bytes already delivered.
func (s *sess) take(d int, seq uint32, data []byte, announced int, fin bool, ref *pktRef) {
	hs := &s.half[d]
	skip := int(hs.next - seq)
	if skip < 0 || skip > announced {
		return // a retransmission of what was delivered
	}
	if skip == announced {
		if fin {
			hs.done = true
			hs.next++
		}
		return
	}
	end := seq + uint32(announced)
	if skip < len(data) {
		s.frame(d, seq+uint32(skip), data[skip:], ref)
	}
	if cut := announced - max(skip, len(data)); cut > 0 {
		// The snap length cut the segment: its end is missing.
		s.gap(d, cut, ref)
	}
	hs.next = end
	if fin {
		hs.done = true
		hs.next++
	}
}

// hold keeps a segment that starts after next until the bytes before it
// arrive or are given up.
func (s *sess) hold(d int, seq uint32, data []byte, announced int, fin bool, ref *pktRef) {
	hs := &s.half[d]
	a := s.a
	if hs.heldBytes+len(data) > maxHeldPerDirection || a.heldBytes+len(data) > maxHeldTotal || len(hs.held) >= maxHeldSegments {
		// No room: give up the hole now and take the segment.
		s.skipTo(d, seq, ref)
		s.take(d, seq, data, announced, fin, ref)
		s.drain(d)
		return
	}
	i, found := slices.BinarySearchFunc(hs.held, seq, func(h heldSeg, seq uint32) int { return int(int32(h.seq - seq)) })
	if found && len(hs.held[i].data) >= len(data) {
		return // a retransmission of a held segment
	}
	seg := heldSeg{seq: seq, data: append([]byte(nil), data...), announced: announced, fin: fin, ref: *ref}
	if found {
		hs.heldBytes -= len(hs.held[i].data)
		a.heldBytes -= len(hs.held[i].data)
		hs.held[i] = seg
	} else {
		hs.held = slices.Insert(hs.held, i, seg)
	}
	if len(hs.held) == 1 {
		hs.since = ref.ts
	}
	hs.heldBytes += len(data)
	a.heldBytes += len(data)
}

// drain delivers the held segments that next has reached.
func (s *sess) drain(d int) {
	hs := &s.half[d]
	for len(hs.held) > 0 && !hs.done && int32(hs.held[0].seq-hs.next) <= 0 {
		seg := hs.held[0]
		hs.held = hs.held[1:]
		hs.heldBytes -= len(seg.data)
		s.a.heldBytes -= len(seg.data)
		s.take(d, seg.seq, seg.data, seg.announced, seg.fin, &seg.ref)
	}
	if len(hs.held) == 0 {
		hs.held = nil
	} else {
		hs.since = hs.held[0].ref.ts
	}
}

// skipTo gives the bytes of direction d up to seq up for lost: a gap.
func (s *sess) skipTo(d int, seq uint32, ref *pktRef) {
	hs := &s.half[d]
	if n := int32(seq - hs.next); n > 0 && !hs.done {
		s.gap(d, int(n), ref)
		hs.next = seq
	}
}

// acked notes that the peer of direction d acknowledged its bytes up to
// ack: the ones still missing here reached it, and the capture lost them.
// Only an ACK of the same input is trusted at once: two inputs' clocks
// may put an ACK before the data it acknowledges.
func (s *sess) acked(d int, ack uint32, ref *pktRef) {
	hs := &s.half[d]
	if !hs.started || hs.done || int32(ack-hs.next) <= 0 || ref.source != hs.source {
		return
	}
	to := ack
	if len(hs.held) > 0 && int32(hs.held[0].seq-to) < 0 {
		to = hs.held[0].seq
	}
	s.skipTo(d, to, ref)
	s.drain(d)
}

// flushHeld gives up the holes of both directions, older than before or
// all of them when before is zero, and delivers what waited behind them.
func (s *sess) flushHeld(before time.Time) {
	for d := range s.half {
		hs := &s.half[d]
		for len(hs.held) > 0 && (before.IsZero() || hs.since.Before(before)) {
			if hs.done {
				// The direction ended (FIN or RST) before the hole:
				// nothing held behind it will be read.
				s.a.heldBytes -= hs.heldBytes
				hs.held, hs.heldBytes = nil, 0
				break
			}
			ref := hs.held[0].ref
			s.skipTo(d, hs.held[0].seq, &ref)
			s.drain(d)
		}
	}
}

// gap notes n bytes of direction d missing from the capture, at the
// packet ref: line framing and reply pairing start again after it.
func (s *sess) gap(d, n int, ref *pktRef) {
	pkt, t := s.ref(ref)
	s.out.ControlGaps += int64(n)
	if len(s.gaps) < 16 {
		s.gaps = append(s.gaps, Evidence{Packet: pkt, Time: t, What: gapWhat(d, n)})
	}
	s.record(LadderEvent{Packet: pkt, Time: t, From: roleOf(d), Kind: LadderGap, Text: gapWhat(d, n)})
	s.lines[d].reset()
	s.tls[d].lost()
	s.resync = true
	if d == toClient {
		s.replies = decode.ReplyAssembler{}
	}
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

// maxEarly bounds the control connections whose first packets were pure
// ACKs, remembered for their sessions' start.
const maxEarly = 4096

// early notes the first time a control connection that is not a session
// yet was seen: a capture that starts mid-connection often shows pure
// ACKs first, and the session, made at the first payload, starts there.
func (a *Analyzer) early(k connKey, ts time.Time) {
	if _, ok := a.earlySeen[k]; ok {
		return
	}
	if len(a.earlySeen) >= maxEarly {
		clear(a.earlySeen)
	}
	if a.earlySeen == nil {
		a.earlySeen = make(map[connKey]time.Time)
	}
	a.earlySeen[k] = ts
}

package session

import (
	"net/netip"
	"slices"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
)

// connKey identifies a TCP connection in one input whichever way a packet
// goes: the lower endpoint first. Two inputs are two views (two capture
// points, or two captures that happen to share a four-tuple): their
// packets never make one connection.
type connKey struct {
	source int
	lo, hi netip.AddrPort
}

func mkConnKey(source int, a, b netip.AddrPort) connKey {
	if a.Compare(b) > 0 {
		a, b = b, a
	}
	return connKey{source, a, b}
}

// hostPair identifies two hosts whichever way a packet goes.
type hostPair struct{ lo, hi netip.Addr }

func mkHostPair(a, b netip.Addr) hostPair {
	if a.Compare(b) > 0 {
		a, b = b, a
	}
	return hostPair{a, b}
}

// Limits on evidence kept per data connection.
const (
	maxSYNEvidence   = 8
	maxUnannounced   = 32
	maxConnsPerChan  = 8
	maxPacketsToKeep = 8
)

// dataConn is a TCP connection that matched an announcement, or that
// looks like an unannounced data connection of a session.
type dataConn struct {
	key       connKey
	dc        *dcState // nil for an unannounced connection
	s         *sess
	initiator netip.AddrPort
	responder netip.AddrPort
	match     string
	// initIsClient says whether the initiator is the FTP client's side.
	initIsClient bool

	obs      Observed
	sawSYN   bool
	isn      uint32    // sequence number of the initiator's first SYN
	lastSYN  time.Time // the initiator's last SYN counted as an attempt
	synFirst time.Time
	fromInit bool // payload or packets seen from each side (no-SYN start)
	fromResp bool
	payInit  bool
	payResp  bool
	fin      [2]bool
	// seq follows the sequence space each way (0 from the initiator,
	// 1 from the responder): bytes are counted once, however often
	// they were retransmitted.
	seq      [2]seqCounter
	lastSeen time.Time
	lastPkt  int
}

// data handles a TCP packet that is not on a control port.
func (a *Analyzer) data(p capture.Packet, h *decode.Headers) bool {
	src := netip.AddrPortFrom(h.Src, uint16(h.TCP.SrcPort))
	dst := netip.AddrPortFrom(h.Dst, uint16(h.TCP.DstPort))
	checked := false // the SYN went through the duplicate check
	if a.connPorts.has(src.Port()) && a.connPorts.has(dst.Port()) {
		if c := a.conns[mkConnKey(p.Source, src, dst)]; c != nil {
			if a.duplicateData(c, p, h) {
				return false
			}
			checked = true
			if !c.reincarnated(h, src) {
				c.update(a, p, h, src)
				return c.dc != nil
			}
			// The four-tuple is used again by a new connection: the
			// old one keeps what it saw, the new one is matched afresh.
			a.dropConn(c)
		}
	}
	if len(a.expect) != 0 || len(a.hosts) != 0 {
		if kept, done := a.matchData(p, h, src, dst, checked); done {
			return kept
		}
	}
	// FTP on a port not in Config.ControlPorts, recognised by content.
	if len(h.TCP.Payload) != 0 && (len(a.candidates) != 0 || greeting(h.TCP.Payload)) {
		return a.detect(p, h, src, dst)
	}
	return false
}

// matchData matches a packet of a connection not yet followed with the
// announcements, or with a session between the same hosts that no
// announcement explains. done says the packet was taken; kept is then
// whether it belongs to an announced data connection. checked says the
// packet already went through the duplicate check.
func (a *Analyzer) matchData(p capture.Packet, h *decode.Headers, src, dst netip.AddrPort, checked bool) (kept, done bool) {
	syn := h.TCP.SYN && !h.TCP.ACK
	if e, how := a.lookup(p.Source, dst, h.Src); e != nil && (syn || !h.TCP.SYN) {
		if syn && !checked && a.dups.copyOf(p.Source, h, p.Info.Timestamp) {
			return false, true
		}
		a.followExpected(e, how, src, dst, src, p, h)
		return true, true
	}
	if !syn {
		// A connection whose handshake predates the capture, seen from
		// the responder's side.
		if e, how := a.lookup(p.Source, src, h.Dst); e != nil && !h.TCP.SYN {
			a.followExpected(e, how, dst, src, src, p, h)
			return true, true
		}
		return false, false
	}
	// A SYN between the hosts of a session that no announcement explains.
	for _, s := range a.hosts[mkHostPair(h.Src, h.Dst)] {
		// A session that said nothing (a probe, a blocked control
		// connection) collects no connections.
		if s.ended || s.source != p.Source || !s.ctl.Payload || len(s.unannounce) >= maxUnannounced {
			continue
		}
		c := a.track(p.Source, s, nil, src, dst, "")
		s.unannounce = append(s.unannounce, c)
		c.update(a, p, h, src)
		return false, true
	}
	return false, true
}

// followExpected starts following the connection from initiator to
// responder that matched expectation e (how says on what), with the packet
// from src that matched, when its channel has room for one more.
func (a *Analyzer) followExpected(e *expectation, how string, initiator, responder, src netip.AddrPort, p capture.Packet, h *decode.Headers) {
	if !a.makeRoom(e.dc) {
		return
	}
	c := a.track(p.Source, e.dc.s, e.dc, initiator, responder, how)
	c.update(a, p, h, src)
}

// makeRoom reports whether dc may follow one more connection. At the
// limit (a SYN flood towards one announced endpoint) it forgets the oldest
// attempt that never got an answer, keeping the first as evidence, so that
// the real connection arriving after a flood is still found; it refuses
// only when every connection it follows was answered.
func (a *Analyzer) makeRoom(dc *dcState) bool {
	if len(dc.conns) < maxConnsPerChan {
		return true
	}
	for i := 1; i < len(dc.conns); i++ {
		c := dc.conns[i]
		if c.obs.Established || c.obs.State != StateUnanswered {
			continue
		}
		dc.conns = slices.Delete(dc.conns, i, i+1)
		a.dropConn(c)
		c.s.conns = slices.DeleteFunc(c.s.conns, func(o *dataConn) bool { return o == c })
		return true
	}
	return false
}

// track starts following a connection from initiator to responder.
func (a *Analyzer) track(source int, s *sess, dc *dcState, initiator, responder netip.AddrPort, how string) *dataConn {
	c := &dataConn{
		key:       mkConnKey(source, initiator, responder),
		dc:        dc,
		s:         s,
		initiator: initiator,
		responder: responder,
		match:     how,
	}
	c.obs.Initiator = initiator
	c.obs.Responder = responder
	c.obs.State = StateUnanswered
	if dc != nil {
		c.initIsClient = dc.out.Mode == ModePassive
		dc.conns = append(dc.conns, c)
	} else {
		c.initIsClient = initiator.Addr() == s.client.Addr()
	}
	a.setConn(c)
	s.conns = append(s.conns, c)
	return c
}

// setConn indexes c under its key, in place of any connection there.
func (a *Analyzer) setConn(c *dataConn) {
	if old := a.conns[c.key]; old != nil {
		a.dropConn(old)
	}
	a.conns[c.key] = c
	a.connPorts.add(c.key.lo.Port())
	a.connPorts.add(c.key.hi.Port())
}

// dropConn takes c out of the index unless a newer connection on its
// four-tuple took its key.
func (a *Analyzer) dropConn(c *dataConn) {
	if a.conns[c.key] != c {
		return
	}
	delete(a.conns, c.key)
	a.connPorts.del(c.key.lo.Port())
	a.connPorts.del(c.key.hi.Port())
}

// reincarnated reports whether a SYN from src opens a new connection on
// c's four-tuple rather than belonging to c: a SYN whose sequence number is
// not that of c's first SYN, a SYN from c's responder, or a SYN after c was
// seen without one. Stacks reuse a tuple in TIME_WAIT for a SYN with a
// higher sequence number (RFC 6191), and the server's port 20 makes that
// common for active-mode data connections.
func (c *dataConn) reincarnated(h *decode.Headers, src netip.AddrPort) bool {
	t := &h.TCP
	if !t.SYN || t.ACK {
		return false
	}
	if src != c.initiator || !c.sawSYN {
		return true
	}
	return t.Seq != c.isn
}

// update follows one packet of a tracked connection.
func (c *dataConn) update(a *Analyzer, p capture.Packet, h *decode.Headers, src netip.AddrPort) {
	t := &h.TCP
	ts := p.Info.Timestamp
	ev := Time{ts}
	fromInit := src == c.initiator
	if !ts.Before(c.lastSeen) {
		c.lastSeen, c.lastPkt = ts, p.Number
	}
	if !c.s.ended {
		a.lru.touch(c.s)
	}
	if ts.After(c.s.lastSeen) {
		c.s.lastSeen = ts
	}
	if ts.After(c.s.out.End.Time) {
		c.s.out.End = ev
	}
	o := &c.obs
	switch {
	case t.SYN && !t.ACK && fromInit && c.sawSYN && ts.Sub(c.lastSYN) < minSYNRetry:
		// A copy of the SYN before, not a retransmission.
	case t.SYN && !t.ACK && fromInit:
		c.lastSYN = ts
		if !c.sawSYN {
			c.sawSYN = true
			c.isn = t.Seq
			c.synFirst = ts
			o.SYNPacket, o.SYNTime = p.Number, ev
		}
		o.SYNAttempts++
		if len(o.SYNPackets) < maxSYNEvidence {
			o.SYNPackets = append(o.SYNPackets, p.Number)
			o.SYNTimes = append(o.SYNTimes, ev)
		}
	case t.SYN && t.ACK && !fromInit:
		if o.SYNACKPacket == 0 {
			o.SYNACKPacket, o.SYNACKTime = p.Number, ev
			if c.sawSYN {
				ms := float64(ts.Sub(c.synFirst).Microseconds()) / 1000
				o.HandshakeRTTms = &ms
			}
		}
		o.Established = true
		o.State = StateEstablished
		if c.dc != nil && c.dc.exp != nil {
			a.withdraw(c.dc)
		}
	}
	if fromInit {
		c.fromInit = true
	} else {
		c.fromResp = true
	}
	dir := 0
	if !fromInit {
		dir = 1
	}
	if n := c.seq[dir].add(t.Seq, t.SYN, h.PayloadLen); n > 0 {
		if fromInit == c.initIsClient {
			o.BytesToServer += n
		} else {
			o.BytesToClient += n
		}
	}
	if n := h.PayloadLen; n > 0 {
		if fromInit {
			c.payInit = true
		} else {
			c.payResp = true
		}
		// Payload either way proves the connection was established, when
		// its handshake is not in the capture (it predates the capture, or
		// the capture holds payload packets only, as an export of
		// "ftp || ftp-data" does).
		if !o.Established {
			o.Established = true
			o.State = StateEstablished
		}
	}
	if t.FIN {
		if fromInit {
			c.fin[0] = true
		} else {
			c.fin[1] = true
		}
		o.Closed = true
	}
	if t.RST {
		o.Closed = true
		if o.RSTPacket == 0 {
			o.RSTPacket, o.RSTTime = p.Number, ev
		}
		switch {
		case !o.Established && !fromInit:
			o.State = StateRefused
		case o.Established && !c.fin[0] && !c.fin[1]:
			// A reset after a FIN is how some stacks close (Windows'
			// abortive close): the stream before it was complete.
			o.State = StateReset
		}
	}
}

// icmp handles an ICMP error: it may say why a data connection's SYN
// went unanswered.
func (a *Analyzer) icmp(p capture.Packet, h *decode.Headers) bool {
	e := h.ICMPError
	k := mkConnKey(p.Source, e.InnerSrc, e.InnerDst)
	c := a.conns[k]
	if c == nil {
		// It may answer the SYN of a control connection.
		s := a.byTuple[k]
		if s == nil || s.ended || s.ctl.Answered || e.InnerSrc != s.client {
			return false
		}
		if s.ctl.ICMP == nil {
			s.ctl.ICMP = &Evidence{Packet: p.Number, Time: Time{p.Info.Timestamp}, What: "ICMP " + e.What() + " from " + e.From.String()}
			s.ctl.ICMPFrom, s.ctl.ICMPWhat = e.From, e.What()
		}
		return true
	}
	if c.obs.Established || e.InnerSrc != c.initiator {
		return false
	}
	o := &c.obs
	o.State = StateUnreachable
	if o.ICMPPacket == 0 {
		o.ICMPPacket, o.ICMPTime = p.Number, Time{p.Info.Timestamp}
		o.ICMPFrom = e.From
		o.ICMPWhat = e.What()
	}
	return c.dc != nil
}

// dataActive says whether a data connection of s is still open.
func (s *sess) dataActive() bool {
	for _, c := range s.conns {
		if c.dc != nil && !c.obs.Closed && c.obs.State != StateUnanswered {
			return true
		}
	}
	return false
}

// seqCounter counts the payload bytes of one direction of a connection
// by how far its sequence numbers advance, so retransmitted bytes count
// once, and wrap-around after 4 GiB does no harm.
type seqCounter struct {
	started bool
	hi      uint32 // sequence number after the highest byte seen
}

// add notes a segment and returns how many new bytes it carried.
func (c *seqCounter) add(seq uint32, syn bool, n int) int64 {
	if !c.started {
		c.started = true
		c.hi = seq
		if syn {
			c.hi++ // the SYN takes one sequence number
		}
	}
	if syn {
		seq++
	}
	if n <= 0 {
		return 0
	}
	end := seq + uint32(n)
	if d := int32(end - c.hi); d > 0 {
		c.hi = end
		return int64(d)
	}
	return 0
}

// announcedData reports whether a packet on a control port belongs to a
// data connection instead: one followed already, or a SYN from the side
// that should open an announced endpoint exactly to it. A PORT may name
// the client's port 21 (an FTP bounce probe, or a client listening
// there), and the server's SYN from port 20 then matches that
// announcement, not a new control connection.
func (a *Analyzer) announcedData(p capture.Packet, h *decode.Headers) bool {
	if len(a.conns) == 0 && len(a.expect) == 0 {
		return false
	}
	src := netip.AddrPortFrom(h.Src, uint16(h.TCP.SrcPort))
	dst := netip.AddrPortFrom(h.Dst, uint16(h.TCP.DstPort))
	if a.connPorts.has(src.Port()) && a.connPorts.has(dst.Port()) {
		if c := a.conns[mkConnKey(p.Source, src, dst)]; c != nil {
			return true
		}
	}
	if !h.TCP.SYN || h.TCP.ACK {
		return false
	}
	for _, e := range a.expect[dst] {
		if init, _ := e.controlAddrs(); e.live && init == h.Src && e.dc.s.source == p.Source {
			return true
		}
	}
	return false
}

package session

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// A control connection carries nothing while a long transfer runs on its
// data connection. A firewall or NAT between client and server forgets a
// TCP connection that stays idle longer than its timer, and then drops (or
// resets) what comes on it afterwards: the server's final reply never
// reaches the client, which reports a failure although the data arrived
// (control-idle-timeout). idleWatch follows the silences of a control
// connection and what crossed it after the last long one.

// minIdle is the shortest silence of a control connection that
// control-idle-timeout considers. Silence alone proves nothing (every
// transfer of more than a few seconds leaves the control connection
// quiet); the finding needs the death that follows it too. It is short
// so that firewalls with short timers are caught (the lab's conntrack
// timer is 10 s; small NAT devices forget after a minute), and longer
// than the pauses of a dialogue between two commands.
const minIdle = 5 * time.Second

// deadWait is how long a segment may go unacknowledged, or the capture go
// on after a data connection closed without a final reply, before the
// control connection counts as dead.
const deadWait = 10 * time.Second

// maxIdleWhat bounds the line quoted from the first segment after a
// silence.
const maxIdleWhat = 60

// idleWatch follows the silences of one control connection. It keeps
// the newest packet, and after a silence of at least minIdle what crossed
// the connection since.
type idleWatch struct {
	lastPkt int
	lastT   int64      // Unix nanoseconds; 0 before the first packet
	after   *idleAfter // nil until a silence
}

// idleAfter is the last silence of at least minIdle and what followed.
type idleAfter struct {
	from, to Evidence // the packet before it, and the one that ended it
	sent     [2]IdleSent
	sentEnd  [2]uint32 // the sequence number after the highest byte sent since, by direction
	rst      *Evidence
	rstFrom  Role
}

// last is the time of the newest packet.
func (w *idleWatch) last() Time { return Time{time.Unix(0, w.lastT).UTC()} }

// packet notes one packet of the control connection, in direction d.
func (w *idleWatch) packet(d int, tcp *layers.TCP, payload []byte, n int, r *pktRef) {
	pkt, t := r.number, Time{r.ts}
	ns := r.ts.UnixNano()
	// A silence while what was sent after the last one waits for its
	// acknowledgement (the gaps between retransmissions grow past
	// minIdle) is part of that death, not a new silence.
	if w.lastT != 0 && time.Duration(ns-w.lastT) >= minIdle && w.after.settled() {
		w.after = &idleAfter{from: ev(w.lastPkt, w.last(), "the last packet on the control connection before it fell silent"), to: ev(pkt, t, "")}
	}
	if ns >= w.lastT {
		w.lastPkt, w.lastT = pkt, ns
	}
	a := w.after
	if a == nil {
		return
	}
	if tcp.RST && a.rst == nil {
		a.rst = &Evidence{Packet: pkt, Time: t}
		a.rstFrom = roleOf(d)
	}
	// A FIN takes a sequence number, and is acknowledged as a byte is.
	if units := n + b2i(tcp.FIN); units > 0 {
		seq := tcp.Seq
		if tcp.SYN {
			seq++
		}
		end := seq + uint32(units)
		st := &a.sent[d]
		switch {
		case st.Sends == 0:
			st.First = ev(pkt, t, "")
			st.What, st.FIN = firstWords(payload), n == 0
			a.sentEnd[d] = end
		case int32(end-a.sentEnd[d]) > 0:
			if int32(seq-a.sentEnd[d]) < 0 {
				st.Retransmissions++
			}
			a.sentEnd[d], st.Acked = end, false
		default:
			st.Retransmissions++
		}
		st.Sends++
		st.Last = ev(pkt, t, "")
	}
	if tcp.ACK {
		if o := &a.sent[1-d]; o.Sends > 0 && int32(tcp.Ack-a.sentEnd[1-d]) >= 0 {
			o.Acked = true
		}
	}
}

// settled reports whether everything sent since the silence was
// acknowledged, with no RST: true when there was no silence.
func (a *idleAfter) settled() bool {
	if a == nil {
		return true
	}
	return a.rst == nil && (a.sent[0].Sends == 0 || a.sent[0].Acked) && (a.sent[1].Sends == 0 || a.sent[1].Acked)
}

// firstWords is the start of a control segment's first line, printable.
func firstWords(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) > maxIdleWhat {
		return printable(b[:maxIdleWhat]) + "…"
	}
	return printable(b)
}

// silences returns the last silence of at least minIdle on the control
// connection that a packet ended, with what crossed it afterwards, and the
// silence from its last packet up to until when that is as long and the
// connection was still open then.
func (w *idleWatch) silences(until time.Time, open bool) []IdleGap {
	var out []IdleGap
	if a := w.after; a != nil {
		g := IdleGap{From: a.from, To: a.to, Sent: a.sent}
		if a.rst != nil {
			r := *a.rst
			g.RST, g.RSTFrom = &r, a.rstFrom
		}
		out = append(out, g)
	}
	if open && w.lastT != 0 && until.Sub(w.last().Time) >= minIdle {
		out = append(out, IdleGap{From: ev(w.lastPkt, w.last(), "the last packet on the control connection")})
	}
	return out
}

// idleTimeout explains a control connection that died after sitting idle
// through a long transfer: reset, answered by nobody, or cut, so that the
// final reply never reached the client.
func idleTimeout(s *Session) (Finding, bool) {
	// The latest silence first.
	for i := len(s.Idle) - 1; i >= 0; i-- {
		if f, ok := idleDeath(s, &s.Idle[i]); ok {
			return f, true
		}
	}
	return Finding{}, false
}

// idleDeath explains the death of a control connection after silence g,
// when g fell in a transfer and something shows the death.
func idleDeath(s *Session, g *IdleGap) (Finding, bool) {
	start := g.From.Time.Time
	end := g.To.Time.Time
	if g.To.Packet == 0 {
		end = s.Until.Time
	}
	// The transfer the silence fell in: the data connection that ran
	// longest inside it.
	var d *DataChannel
	var overlap time.Duration
	for _, c := range s.DataChannels {
		o := c.Observed
		if o == nil || !o.Established || o.LastTime.IsZero() {
			continue
		}
		from := o.SYNTime.Time
		if from.Before(start) {
			from = start
		}
		to := o.LastTime.Time
		if end.Before(to) {
			to = end
		}
		if ov := to.Sub(from); ov > overlap {
			d, overlap = c, ov
		}
	}
	if d == nil || overlap < minIdle {
		return Finding{}, false
	}
	o := d.Observed
	client, server := g.Sent[toServer], g.Sent[toClient]
	if server.Sends > 0 && server.Acked {
		return Finding{}, false // the server's reply reached the client
	}
	silent := humanDuration(end.Sub(start))
	transfer := transferName(d)
	if transfer == "" {
		transfer = "the transfer on data channel " + fmt.Sprint(d.ID)
	}
	evs := []Evidence{g.From,
		ev(o.SYNPacket, o.SYNTime, fmt.Sprintf("the data connection %s → %s starts", o.Initiator, o.Responder)),
		ev(o.LastPacket, o.LastTime, "the data connection's last packet")}
	var died, where string
	switch {
	case g.RST != nil:
		who := s.Client.Addr()
		if g.RSTFrom == RoleServer {
			who = s.Server.Addr()
		}
		died = fmt.Sprintf("was then reset by %s's side (packet %d)", who, g.RST.Packet)
		where = fmt.Sprintf("An RST in the name of %s ended it at packet %d: the device that had forgotten the connection rejected a segment on it, or the %s gave up.",
			who, g.RST.Packet, g.RSTFrom)
		if server.Sends > 0 {
			where = fmt.Sprintf("The server's %s (packet %d) was not acknowledged, and an RST in the name of %s ended the connection at packet %d: "+
				"the device that had forgotten it rejected the segment.", server.name(), server.First.Packet, who, g.RST.Packet)
			evs = append(evs, ev(server.First.Packet, server.First.Time, fmt.Sprintf("the server sends %s after %s of silence", server.name(), silent)))
		}
		evs = append(evs, ev(g.RST.Packet, g.RST.Time, "RST from "+who.String()))
	case server.Sends > 0 && (server.Retransmissions > 0 || s.Until.Sub(server.Last.Time.Time) >= deadWait):
		died = fmt.Sprintf("then the server's %s went unacknowledged (sent %s)", server.name(), plural(server.Retransmissions+1, "time", "times"))
		where = fmt.Sprintf("The server's %s (packet %d) was sent %s and never acknowledged: it was dropped on the way, where the connection had been forgotten.",
			server.name(), server.First.Packet, plural(server.Retransmissions+1, "time", "times"))
		evs = append(evs, ev(server.First.Packet, server.First.Time, fmt.Sprintf("the server sends %s after %s of silence", server.name(), silent)))
		if server.Retransmissions > 0 {
			evs = append(evs, ev(server.Last.Packet, server.Last.Time, fmt.Sprintf("retransmission %d, still unacknowledged", server.Retransmissions)))
		}
	case client.Sends > 0 && !client.Acked && (client.Retransmissions > 0 || s.Until.Sub(client.Last.Time.Time) >= deadWait):
		died = fmt.Sprintf("then the client's %s went unanswered (sent %s)", client.name(), plural(client.Retransmissions+1, "time", "times"))
		where = fmt.Sprintf("No final reply came after the transfer, and the client's %s (packet %d) was sent %s and never acknowledged: "+
			"the connection had been forgotten on the way, and the server's final reply was lost there too.", client.name(), client.First.Packet, plural(client.Retransmissions+1, "time", "times"))
		evs = append(evs, ev(client.First.Packet, client.First.Time, fmt.Sprintf("the client sends %s after %s of silence", client.name(), silent)))
		if client.Retransmissions > 0 {
			evs = append(evs, ev(client.Last.Packet, client.Last.Time, fmt.Sprintf("retransmission %d, still unacknowledged", client.Retransmissions)))
		}
	case server.Sends == 0 && (client.Sends == 0 || client.FIN) && o.Closed && s.Until.Sub(o.LastTime.Time) >= deadWait:
		// Nothing but perhaps the client's FIN, when it gave up waiting.
		died = "and no reply came on it after the transfer"
		where = fmt.Sprintf("The data connection closed at packet %d, %s before the capture ended, and no final reply followed on the control connection: "+
			"it was dropped on the way, where the connection had been forgotten.", o.LastPacket, humanDuration(s.Until.Sub(o.LastTime.Time)))
		if g.To.Packet != 0 {
			where += fmt.Sprintf(" The next packet on the control connection came %s later (packet %d), with nothing in it.", silent, g.To.Packet)
			evs = append(evs, ev(g.To.Packet, g.To.Time, "the first packet on the control connection after the silence"))
		}
	default:
		return Finding{}, false
	}
	slices.SortStableFunc(evs, func(a, b Evidence) int { return cmp.Compare(a.Packet, b.Packet) })
	return Finding{Code: CodeIdleTimeout, Severity: SeverityError,
		Summary: fmt.Sprintf("The control connection %s → %s sat idle for %s while %s ran, %s: the final reply never reached the client.",
			s.Client, s.Server, silent, transfer, died),
		Detail: fmt.Sprintf("The data connection carried the transfer for %s while nothing at all crossed the control connection. "+
			"A firewall or NAT between client and server forgets a TCP connection idle for longer than its timer and then drops or rejects what comes on it: "+
			"the client reports a failure, although the data may have arrived. %s ", humanDuration(overlap), where) +
			fmt.Sprintf("The timer on the path is shorter than %s. ", silent) +
			"Change either side: have the client keep the control connection alive during transfers (TCP keepalives on the control socket more often than that timer, every minute or so for most devices: " +
			"curl sends them by default, --keepalive-time 60; many GUI clients have an FTP keep-alive option; servers such as ProFTPD can set them too, SocketOptions keepalive), " +
			"or raise the firewall's or NAT's idle timeout for established TCP above the longest transfer (Linux conntrack: net.netfilter.nf_conntrack_tcp_timeout_established; " +
			"cloud NAT gateways and load balancers often drop idle TCP after 4 to 6 minutes).",
		Evidence: evs}, true
}

// b2i is 1 for true.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

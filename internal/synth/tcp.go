package synth

import (
	"encoding/binary"
	"hash/fnv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// side names one end of a TCP conversation: the initiator sent the SYN.
// For an active-mode data connection the initiator is the FTP server.
type side int

const (
	initiator side = 0
	responder side = 1
)

// other returns the opposite side.
func (s side) other() side { return 1 - s }

// flags are TCP header flags.
type flags uint8

const (
	fFIN flags = 1 << iota
	fSYN
	fRST
	fPSH
	fACK
)

// Window sizes: the SYN's unscaled window, then the scaled one (window
// scale 7 is advertised).
const (
	synWindow = 64240
	window    = 502
)

// seg is one TCP segment not yet put on the tape. Scripts may change any
// field before putting it, or put it twice, or never.
type seg struct {
	from     side
	seq, ack uint32
	flags    flags
	payload  []byte
}

// conv plays one TCP conversation on a tape. Sequence numbers follow
// RFC 9293: SYN and FIN take one number each, acknowledgements name the next
// byte expected.
type conv struct {
	t  *tape
	fr framing
	ep [2]endpoint
	// nxt is the next sequence number each side will send.
	nxt [2]uint32
	// mss is the largest payload of one segment.
	mss int
	// rtt is the round-trip time between the two ends as seen from the
	// capture point; replies come that long after what they answer.
	rtt time.Duration
}

// conv returns a conversation from a to b on framing fr with initial
// sequence numbers derived from each endpoint, a LAN round-trip time and the
// MSS of a 1500-byte MTU.
func (t *tape) conv(fr framing, a, b endpoint) *conv {
	mss := 1460
	if a.addr.Is6() {
		mss = 1440
	}
	return &conv{t: t, fr: fr, ep: [2]endpoint{a, b}, nxt: [2]uint32{isn(a, b), isn(b, a)}, mss: mss, rtt: 400 * time.Microsecond}
}

// isn returns a fixed initial sequence number for the side at from talking
// to to, so that conversations differ but every run is the same.
func isn(from, to endpoint) uint32 {
	h := fnv.New32a()
	for _, e := range []endpoint{from, to} {
		a := e.addr.As16()
		h.Write(a[:])
		var p [2]byte
		binary.BigEndian.PutUint16(p[:], e.port)
		h.Write(p[:])
	}
	return h.Sum32()
}

// mk builds the next segment of from carrying payload, acknowledging all
// the other side sent when fACK is set, and moves from's sequence number on.
func (c *conv) mk(from side, f flags, payload []byte) seg {
	s := seg{from: from, seq: c.nxt[from], flags: f, payload: payload}
	if f&fACK != 0 {
		s.ack = c.nxt[from.other()]
	}
	n := uint32(len(payload))
	if f&fSYN != 0 {
		n++
	}
	if f&fFIN != 0 {
		n++
	}
	c.nxt[from] += n
	return s
}

// put records s at the current clock reading and returns its IP packet,
// which an ICMP error may quote.
func (c *conv) put(s seg) []byte {
	src, dst := c.ep[s.from], c.ep[s.from.other()]
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.port), DstPort: layers.TCPPort(dst.port),
		Seq: s.seq, Ack: s.ack, Window: window,
		FIN: s.flags&fFIN != 0, SYN: s.flags&fSYN != 0, RST: s.flags&fRST != 0,
		PSH: s.flags&fPSH != 0, ACK: s.flags&fACK != 0,
	}
	if s.flags&fSYN != 0 {
		tcp.Window = synWindow
		var mss [2]byte
		binary.BigEndian.PutUint16(mss[:], uint16(c.mss))
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: mss[:]},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}
	}
	if s.flags&fRST != 0 {
		tcp.Window = 0
	}
	l4 := []gopacket.SerializableLayer{tcp}
	if len(s.payload) > 0 {
		l4 = append(l4, gopacket.Payload(s.payload))
	}
	ip := c.t.ipPacket(src.addr, dst.addr, layers.IPProtocolTCP, l4...)
	c.t.record(c.fr, src.host, dst.host, ip)
	return ip
}

// send builds and puts the next segment of from.
func (c *conv) send(from side, f flags, payload []byte) []byte {
	return c.put(c.mk(from, f, payload))
}

// handshake plays the three-way handshake: SYN, SYN-ACK one round trip
// later, ACK.
func (c *conv) handshake() {
	c.send(initiator, fSYN, nil)
	c.t.wait(c.rtt)
	c.send(responder, fSYN|fACK, nil)
	c.t.wait(20 * time.Microsecond)
	c.send(initiator, fACK, nil)
}

// synUnanswered sends a SYN and then retransmits it (same sequence number)
// after each of the given delays, as a stack does when nothing answers.
// It returns the first SYN's IP packet.
func (c *conv) synUnanswered(retries ...time.Duration) []byte {
	syn := c.mk(initiator, fSYN, nil)
	first := c.put(syn)
	for _, d := range retries {
		c.t.wait(d)
		c.put(syn)
	}
	return first
}

// refused sends a SYN that the responder answers with RST-ACK one round
// trip later (RFC 9293 section 3.10.7.1: seq 0, ack = SYN's seq + 1).
func (c *conv) refused() {
	c.send(initiator, fSYN, nil)
	c.t.wait(c.rtt)
	c.put(seg{from: responder, seq: 0, ack: c.nxt[initiator], flags: fRST | fACK})
}

// says sends payload from one side in MSS-sized segments, PSH on the last.
// The receiver acknowledges every second full segment and the end of a
// payload of several segments, as delayed ACK does; a single-segment
// message is acknowledged by the receiver's next segment.
func (c *conv) says(from side, payload []byte) {
	if len(payload) == 0 {
		return
	}
	var unacked int
	for off := 0; off < len(payload); off += c.mss {
		end := min(off+c.mss, len(payload))
		f := fACK
		if end == len(payload) {
			f |= fPSH
		}
		c.send(from, f, payload[off:end])
		unacked++
		multi := len(payload) > c.mss
		if multi && (unacked == 2 || end == len(payload)) {
			c.t.wait(c.rtt / 2)
			c.send(from.other(), fACK, nil)
			unacked = 0
		}
	}
}

// ack sends a pure acknowledgement from one side.
func (c *conv) ack(from side) { c.send(from, fACK, nil) }

// close plays an orderly release started by first: FIN-ACK, the peer's
// FIN-ACK, the last ACK.
func (c *conv) close(first side) {
	c.send(first, fFIN|fACK, nil)
	c.t.wait(c.rtt)
	c.send(first.other(), fFIN|fACK, nil)
	c.t.wait(20 * time.Microsecond)
	c.send(first, fACK, nil)
}

// reset aborts the conversation with an RST-ACK from one side.
func (c *conv) reset(from side) {
	c.put(c.mk(from, fRST|fACK, nil))
}

// putFragmented records s as IP fragments of at most size payload bytes
// each (a multiple of 8), in the order given by order (indexes into the
// fragments; nil for their natural order): for IPv4 as a router on a path
// with a small MTU makes them from a datagram sent without DF (RFC 791
// section 3.2), for IPv6 as the source does after a Packet Too Big (RFC
// 8200 section 4.5).
func (c *conv) putFragmented(s seg, size int, order []int) {
	src, dst := c.ep[s.from], c.ep[s.from.other()]
	// Built and recorded once to get the datagram, then taken back off
	// the tape: only its fragments are captured.
	n := len(c.t.frames)
	ip := c.put(s)
	c.t.frames = c.t.frames[:n]
	var frags [][]byte
	if src.addr.Is6() {
		frags = FragmentIPv6(ip, size, uint32(c.t.nextID(src.addr))<<8|0x5a)
	} else {
		frags = FragmentIPv4(ip, size, binary.BigEndian.Uint16(ip[4:]))
	}
	if order == nil {
		for i := range frags {
			order = append(order, i)
		}
	}
	for _, i := range order {
		c.t.record(c.fr, src.host, dst.host, frags[i])
	}
}

// FragmentIPv4 splits an IPv4 datagram without options into fragments
// with identification id, carrying size bytes (a multiple of 8) of its
// payload each, the last one the rest.
func FragmentIPv4(ip []byte, size int, id uint16) [][]byte {
	const hl = 20
	payload := ip[hl:]
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		f := append(append([]byte(nil), ip[:hl]...), payload[off:end]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		binary.BigEndian.PutUint16(f[4:], id)
		flagsOff := uint16(off / 8)
		if end < len(payload) {
			flagsOff |= 0x2000 // more fragments; DF clear
		}
		binary.BigEndian.PutUint16(f[6:], flagsOff)
		f[10], f[11] = 0, 0
		var sum uint32
		for i := 0; i < hl; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(f[i:]))
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		binary.BigEndian.PutUint16(f[10:], ^uint16(sum))
		out = append(out, f)
	}
	return out
}

// FragmentIPv6 splits an IPv6 datagram without extension headers into
// fragments with identification id, carrying size bytes (a multiple of 8)
// of its payload each, the last one the rest.
func FragmentIPv6(ip []byte, size int, id uint32) [][]byte {
	const hl = 40
	next, payload := ip[6], ip[hl:]
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		f := append([]byte(nil), ip[:hl]...)
		f[6] = byte(layers.IPProtocolIPv6Fragment)
		binary.BigEndian.PutUint16(f[4:], uint16(8+end-off))
		fh := make([]byte, 8)
		fh[0] = next
		offM := uint16(off/8) << 3
		if end < len(payload) {
			offM |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], offM)
		binary.BigEndian.PutUint32(fh[4:], id)
		out = append(out, append(append(f, fh...), payload[off:end]...))
	}
	return out
}

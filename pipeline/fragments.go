package pipeline

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
)

// Bounds of the fragments held for -w.
const (
	// fragmentWait is how long, in capture time, an IP fragment waits for
	// the analysis to keep the datagram it belongs to: the longer of
	// decode's reassembly timeouts.
	fragmentWait = decode.Fragment6Timeout
	// maxHeldBytes bounds the bytes waiting in a writeQueue; past it the
	// oldest fragment is given up.
	maxHeldBytes = 16 << 20
)

// writeQueue hands the packets the analysis keeps to the spool of -w, in
// the order read, together with the IP fragments of the datagrams it
// keeps.
//
// The analysis keeps a fragmented datagram only when its last fragment
// arrives and it is reassembled; the fragments before it went by unkept.
// So an IP fragment of TCP or ICMP (what the analysis may keep) that is
// not kept waits here, with every packet after it, until the datagram it
// belongs to is kept (it is written, in its place), or fragmentWait or
// maxHeldBytes passes (it is dropped). Fragments of other protocols, and
// every packet while no fragment waits, go straight through: the queue is
// empty unless TCP or ICMP is fragmented.
type writeQueue struct {
	spool   *capture.Spool
	held    []heldPacket
	bytes   int
	waiting int // unconfirmed fragments in held
}

type heldPacket struct {
	p         capture.Packet // Data owned
	fragment  bool           // an unkept fragment: written only if confirmed
	confirmed bool
	key       fragmentKey
}

// fragmentKey names the datagram a fragment belongs to (RFC 791 section
// 3.2: source, destination, protocol and identification; RFC 8200 section
// 4.5: source, destination and identification).
type fragmentKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

// add takes the next packet read; keep is the analysis's verdict on it.
func (w *writeQueue) add(p capture.Packet, keep bool) error {
	if !keep {
		key, proto, ok := fragmentOf(p)
		if !ok || proto != 6 && proto != 1 && proto != 58 {
			return nil
		}
		w.hold(p, true, key)
		return w.release(p.Info.Timestamp)
	}
	if w.waiting > 0 {
		if key, _, ok := fragmentOf(p); ok {
			for i := range w.held {
				h := &w.held[i]
				if h.fragment && !h.confirmed && h.key == key {
					h.confirmed = true
					w.waiting--
				}
			}
		}
	}
	if len(w.held) == 0 {
		return w.spool.Add(p)
	}
	w.hold(p, false, fragmentKey{})
	return w.release(p.Info.Timestamp)
}

func (w *writeQueue) hold(p capture.Packet, fragment bool, key fragmentKey) {
	p.Data = append([]byte(nil), p.Data...)
	p.Info.AncillaryData = nil
	w.held = append(w.held, heldPacket{p: p, fragment: fragment, key: key})
	w.bytes += len(p.Data)
	if fragment {
		w.waiting++
	}
}

// release writes or drops the packets at the head of the queue that are
// decided at capture time now.
func (w *writeQueue) release(now time.Time) error {
	for len(w.held) > 0 {
		h := &w.held[0]
		if h.fragment && !h.confirmed {
			if now.Sub(h.p.Info.Timestamp) < fragmentWait && w.bytes <= maxHeldBytes {
				return nil
			}
			w.waiting-- // given up
		} else if err := w.spool.Add(h.p); err != nil {
			return err
		}
		w.pop()
	}
	return nil
}

func (w *writeQueue) pop() {
	w.bytes -= len(w.held[0].p.Data)
	w.held[0] = heldPacket{}
	w.held = w.held[1:]
	if len(w.held) == 0 {
		w.held = nil
	}
}

// end writes what is held at the end of the input, without the fragments
// whose datagram was never kept.
func (w *writeQueue) end() error {
	for len(w.held) > 0 {
		if h := &w.held[0]; !h.fragment || h.confirmed {
			if err := w.spool.Add(h.p); err != nil {
				return err
			}
		}
		w.pop()
	}
	w.waiting = 0
	return nil
}

// fragmentOf reports whether p is a fragment of a larger IP datagram,
// and of which, and the protocol the datagram carries.
func fragmentOf(p capture.Packet) (key fragmentKey, proto uint8, ok bool) {
	ip, ok := decode.IPPacket(p.LinkType, p.Data)
	if !ok {
		return key, 0, false
	}
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < 20 {
			return key, 0, false
		}
		flagsOffset := binary.BigEndian.Uint16(ip[6:])
		if flagsOffset&0x3fff == 0 { // neither MF nor an offset
			return key, 0, false
		}
		key = fragmentKey{
			src:   netip.AddrFrom4([4]byte(ip[12:16])),
			dst:   netip.AddrFrom4([4]byte(ip[16:20])),
			id:    uint32(binary.BigEndian.Uint16(ip[4:])),
			proto: ip[9],
		}
		return key, ip[9], true
	case 6:
		if len(ip) < 40 {
			return key, 0, false
		}
		next, at := ip[6], 40
		// Hop-by-hop, routing and destination options may come first.
		for range 8 {
			if next != 0 && next != 43 && next != 60 {
				break
			}
			if len(ip) < at+2 {
				return key, 0, false
			}
			next, at = ip[at], at+(int(ip[at+1])+1)*8
		}
		if next != 44 || len(ip) < at+8 {
			return key, 0, false
		}
		frag := ip[at : at+8]
		if binary.BigEndian.Uint16(frag[2:])&0xfff9 == 0 { // an atomic fragment
			return key, 0, false
		}
		key = fragmentKey{
			src: netip.AddrFrom16([16]byte(ip[8:24])),
			dst: netip.AddrFrom16([16]byte(ip[24:40])),
			id:  binary.BigEndian.Uint32(frag[4:]),
		}
		return key, frag[0], true
	}
	return key, 0, false
}

package decode

import (
	"fmt"
	"time"

	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// Limits on the fragments held while their datagram is incomplete.
const (
	// FragmentTimeout is how long IPv4 fragments wait for the rest of
	// their datagram, as Linux's ipfrag_time.
	FragmentTimeout = 30 * time.Second
	// Fragment6Timeout is the same for IPv6 (RFC 8200 section 4.5).
	Fragment6Timeout = 60 * time.Second
	// maxHeldFragmentBytes bounds the payload of the fragments held at
	// once, IPv4 and IPv6 together; beyond it new datagrams are not
	// reassembled (hostile input).
	maxHeldFragmentBytes = 16 << 20
)

// fragKey names the datagram a fragment belongs to (RFC 791 section 2.3:
// source, destination, protocol and identification).
type fragKey struct {
	src, dst [4]byte
	proto    layers.IPProtocol
	id       uint16
}

// heldDatagram is what the Decoder knows of a datagram ip4defrag holds.
type heldDatagram struct {
	bytes    int
	lastSeen time.Time
}

// defrag puts IPv4 fragments back together with gopacket's ip4defrag. It
// mirrors the datagrams the library holds, which it cannot enumerate, to
// bound their memory and forget them on time.
type defrag struct {
	lib   *ip4defrag.IPv4Defragmenter
	held  map[fragKey]heldDatagram
	v6    map[frag6Key]*datagram6
	bytes int // payload held, IPv4 and IPv6
}

// Reassemble takes the frame Decode just marked as an IP fragment. When
// the fragment completes its datagram and that datagram is a TCP segment,
// it fills h with the segment as Decode fills it for an unfragmented one
// and returns true. Until then it keeps a copy of the fragment and returns
// false. An error says why fragments were dropped (they contradict each
// other, or too many are held); the frame is then of no further use.
// IPv6 fragments are put together by reassemble6.
func (d *Decoder) Reassemble(h *Headers, ts time.Time) (bool, error) {
	if !h.Fragment {
		return false, nil
	}
	if d.decodedIPv6Fragment() {
		return d.reassemble6(h, ts)
	}
	if !h.Src.Is4() {
		return false, nil
	}
	f := &d.frag
	if f.lib == nil {
		f.lib = ip4defrag.NewIPv4Defragmenter()
		f.held = make(map[fragKey]heldDatagram)
	}
	k := fragKey{src: h.Src.As4(), dst: h.Dst.As4(), proto: d.ip4.Protocol, id: d.ip4.Id}
	held, known := f.held[k]
	n := len(d.ip4.Payload)
	if !known && f.bytes+n > maxHeldFragmentBytes {
		return false, fmt.Errorf("decode: %d bytes of IPv4 fragments already wait for their datagrams; fragment of datagram %d not reassembled", f.bytes, k.id)
	}
	// ip4defrag keeps the layer it is given: hand it a copy that owns
	// its bytes, since the frame's buffer is reused.
	in := d.ip4
	in.Contents = nil
	in.Payload = append([]byte(nil), d.ip4.Payload...)
	in.Options = append([]layers.IPv4Option(nil), d.ip4.Options...)
	in.SrcIP = append([]byte(nil), d.ip4.SrcIP...)
	in.DstIP = append([]byte(nil), d.ip4.DstIP...)
	out, err := f.lib.DefragIPv4WithTimestamp(&in, ts)
	if err != nil || out != nil {
		// The library forgot the datagram: complete, or dropped.
		f.forget(k)
	} else {
		f.bytes += n
		f.held[k] = heldDatagram{bytes: held.bytes + n, lastSeen: ts}
	}
	if err != nil {
		return false, fmt.Errorf("decode: IPv4 fragment of datagram %d: %w", k.id, err)
	}
	if out == nil || out.Protocol != layers.IPProtocolTCP {
		return false, nil
	}
	if err := segment(h, out.Payload, len(out.Payload)); err != nil {
		return false, err
	}
	return true, nil
}

// decodedIPv6Fragment reports whether the last frame was an IPv6 fragment.
func (d *Decoder) decodedIPv6Fragment() bool {
	for _, t := range d.decoded {
		if t == layers.LayerTypeIPv6Fragment {
			return true
		}
	}
	return false
}

// ForgetFragments drops the fragments of datagrams that saw no fragment
// for FragmentTimeout (IPv4) or Fragment6Timeout (IPv6) before now: the
// rest of them is not coming.
func (d *Decoder) ForgetFragments(now time.Time) {
	f := &d.frag
	if len(f.held) > 0 {
		t := now.Add(-FragmentTimeout)
		f.lib.DiscardOlderThan(t)
		for k, h := range f.held {
			if h.lastSeen.Before(t) {
				f.forget(k)
			}
		}
	}
	t := now.Add(-Fragment6Timeout)
	for k, g := range f.v6 {
		if g.lastSeen.Before(t) {
			f.forget6(k)
		}
	}
}

func (f *defrag) forget(k fragKey) {
	f.bytes -= f.held[k].bytes
	delete(f.held, k)
}

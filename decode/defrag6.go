package decode

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// gopacket has no IPv6 defragmenter; this one follows RFC 8200 section 4.5
// and RFC 5722 as receivers do: fragments are matched by source,
// destination and identification, the first fragment's Next Header names
// the upper layer, a non-final fragment must hold a multiple of 8 bytes,
// and a fragment that overlaps another (other than an exact repeat) drops
// the whole datagram.

// frag6Key names the datagram an IPv6 fragment belongs to.
type frag6Key struct {
	src, dst [16]byte
	id       uint32
}

// frag6 is one fragment held: its place in the datagram and the bytes
// captured of it (fewer than end-start when the snap length cut it).
type frag6 struct {
	start, end int
	data       []byte
}

// datagram6 is an IPv6 datagram being put together.
type datagram6 struct {
	frags    []frag6 // sorted by start, not overlapping
	final    bool    // the fragment without M was seen
	highest  int     // end of the datagram (final) or of the furthest fragment
	next     layers.IPProtocol
	haveNext bool
	bytes    int
	lastSeen time.Time
}

var errOverlap6 = errors.New("fragment overlaps another: datagram dropped (RFC 5722)")

// reassemble6 is Reassemble for the IPv6 fragment Decode just decoded.
func (d *Decoder) reassemble6(h *Headers, ts time.Time) (bool, error) {
	f := &d.frag
	fh := &d.ip6frag
	k := frag6Key{src: h.Src.As16(), dst: h.Dst.As16(), id: fh.Identification}
	// The IPv6 payload length counts the headers up to and including
	// this one: what follows is the fragment's share of the datagram.
	n := h.PayloadLen - 8
	start := int(fh.FragmentOffset) * 8
	end := start + n
	switch {
	case n <= 0:
		return false, fmt.Errorf("decode: IPv6 fragment of datagram %#x is empty", k.id)
	case fh.MoreFragments && n%8 != 0:
		return false, fmt.Errorf("decode: IPv6 fragment of datagram %#x holds %d bytes, not a multiple of 8", k.id, n)
	case end > 65535:
		return false, fmt.Errorf("decode: IPv6 fragment of datagram %#x ends at byte %d, past 65535", k.id, end)
	}
	g := f.v6[k]
	if g == nil {
		if f.bytes+n > maxHeldFragmentBytes {
			return false, fmt.Errorf("decode: %d bytes of fragments already wait for their datagrams; IPv6 fragment of datagram %#x not reassembled", f.bytes, k.id)
		}
		if f.v6 == nil {
			f.v6 = make(map[frag6Key]*datagram6)
		}
		g = &datagram6{}
		f.v6[k] = g
	}
	g.lastSeen = ts
	if err := g.insert(fh, start, end, f); err != nil {
		f.forget6(k)
		return false, fmt.Errorf("decode: IPv6 fragment of datagram %#x: %w", k.id, err)
	}
	if !g.complete() {
		return false, nil
	}
	f.forget6(k)
	if g.next != layers.IPProtocolTCP {
		return false, nil
	}
	var data []byte
	for _, fr := range g.frags {
		data = append(data, fr.data...)
		if len(fr.data) < fr.end-fr.start {
			break // cut by the snap length: what follows is not contiguous
		}
	}
	if err := segment(h, data, g.highest); err != nil {
		return false, err
	}
	return true, nil
}

// insert adds the fragment fh covering [start, end).
func (g *datagram6) insert(fh *layers.IPv6Fragment, start, end int, f *defrag) error {
	i, _ := slices.BinarySearchFunc(g.frags, start, func(x frag6, s int) int { return x.start - s })
	if i < len(g.frags) && g.frags[i].start == start && g.frags[i].end == end {
		return nil // an exact repeat
	}
	if (i > 0 && g.frags[i-1].end > start) || (i < len(g.frags) && g.frags[i].start < end) {
		return errOverlap6
	}
	switch {
	case !fh.MoreFragments:
		if end < g.highest || (g.final && end != g.highest) {
			return errors.New("final fragment does not end the datagram")
		}
		g.final, g.highest = true, end
	case end > g.highest:
		if g.final {
			return errors.New("fragment beyond the final fragment")
		}
		g.highest = end
	}
	if start == 0 {
		g.next, g.haveNext = fh.NextHeader, true
	}
	data := fh.Payload
	if len(data) > end-start {
		data = data[:end-start] // link-layer padding
	}
	g.frags = slices.Insert(g.frags, i, frag6{start: start, end: end, data: append([]byte(nil), data...)})
	g.bytes += end - start
	f.bytes += end - start
	return nil
}

// complete reports whether the fragments cover the whole datagram.
func (g *datagram6) complete() bool {
	if !g.final || !g.haveNext {
		return false
	}
	at := 0
	for _, fr := range g.frags {
		if fr.start != at {
			return false
		}
		at = fr.end
	}
	return at == g.highest
}

func (f *defrag) forget6(k frag6Key) {
	if g := f.v6[k]; g != nil {
		f.bytes -= g.bytes
		delete(f.v6, k)
	}
}

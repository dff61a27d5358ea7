package session

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
)

// Captures hold the same packet twice more often than one would think: a
// SPAN port that copies both directions of a routed packet, tcpdump -i
// any on a router, a file merged with itself. The reassembler and the
// byte counts (by sequence space) take copies of segments in their
// stride; what copies would falsify is the count of SYN attempts and,
// for a file concatenated with itself, the number of sessions. Two
// checks drop them:
//
//   - a SYN that copies one of the last few SYNs within dupWindow: the
//     same addresses, IP identification and TCP header (sequence number,
//     options and their timestamps, checksum). TTL and the link layer may
//     differ, as for the two copies a router's capture holds of every
//     packet it forwards; a retransmitted SYN comes a second or more
//     later;
//   - a packet from the past: when time runs backwards by more than
//     replaySlack, a packet of a control connection already followed,
//     no later than that connection's last packet, repeats what was
//     analysed (a capture merged or concatenated with itself).

// Bounds of duplicate detection.
const (
	dupRing     = 32                     // recent packets compared
	dupWindow   = 100 * time.Millisecond // copies further apart are retransmissions
	replaySlack = time.Second            // time running back less than this is jitter
	maxHistory  = 65536                  // ended control connections remembered
	maxIgnored  = 262144                 // control connections not followed (any more) remembered
)

// dedup finds duplicate packets.
type dedup struct {
	ring [dupRing]dupEntry
	next int
	// history holds the span of ended control connections, for packets
	// repeated after time ran backwards; order evicts the oldest.
	history *memo[span]
	dropped int // duplicates dropped
}

type dupEntry struct {
	sum uint64
	ts  time.Time
}

type span struct{ first, last time.Time }

// copyOf reports whether the SYN with headers h at ts repeats one of the
// last SYNs checked; otherwise it remembers it.
func (d *dedup) copyOf(source int, h *decode.Headers, ts time.Time) bool {
	// FNV-1a (64 bits): deterministic, so a file analyses the same way
	// every time.
	sum := uint64(14695981039346656037)
	add := func(b []byte) {
		for _, c := range b {
			sum ^= uint64(c)
			sum *= 1099511628211
		}
	}
	a16, b16 := h.Src.As16(), h.Dst.As16()
	add(a16[:])
	add(b16[:])
	add([]byte{byte(h.IPID >> 8), byte(h.IPID), byte(source >> 8), byte(source)})
	add(h.TCP.Contents)
	for i := range d.ring {
		e := &d.ring[i]
		if e.sum == sum && !e.ts.IsZero() {
			if dt := ts.Sub(e.ts); dt <= dupWindow && dt >= -dupWindow {
				d.dropped++
				return true
			}
		}
	}
	d.ring[d.next] = dupEntry{sum, ts}
	d.next = (d.next + 1) % dupRing
	return false
}

// ended remembers the span of a control connection that ended.
func (d *dedup) ended(k connKey, first, last time.Time) {
	if d.history == nil {
		d.history = newMemo[span](maxHistory)
	}
	d.history.put(keyOf(k), span{first, last})
}

// repeated reports whether a control packet on k at ts, older than the
// newest packet, falls within an ended connection on k: a copy, since a
// connection that reuses the four-tuple starts after the old one ended.
func (d *dedup) repeated(k connKey, ts time.Time) bool {
	if d.history == nil {
		return false
	}
	sp, ok := d.history.get(keyOf(k))
	if ok && !ts.Before(sp.first) && !ts.After(sp.last) {
		d.dropped++
		return true
	}
	return false
}

// timeJump notes where time ran backwards in one input.
type timeJump struct {
	source  int
	first   int           // packet number of the first packet from the past
	back    time.Duration // the largest step back
	packets int           // packets older than the newest by more than replaySlack
	to      time.Time     // the timestamp of the first one
}

// backwards notes a packet older than the newest by more than
// replaySlack.
func (a *Analyzer) backwards(p capture.Packet) {
	back := a.now.Sub(p.Info.Timestamp)
	for i := range a.jumps {
		if j := &a.jumps[i]; j.source == p.Source {
			j.packets++
			j.back = max(j.back, back)
			return
		}
	}
	a.jumps = append(a.jumps, timeJump{source: p.Source, first: p.Number, back: back, packets: 1, to: p.Info.Timestamp})
}

// message says where time ran backwards, for the source's errors.
func (j timeJump) message(name string) string {
	return fmt.Sprintf("%s: packet %d: time runs backwards by up to %s (to %s UTC); %d packets are older than one before them. "+
		"Duplicates among them are dropped (see stats.duplicates): a capture merged or concatenated with itself repeats its packets.",
		name, j.first, j.back.Round(time.Millisecond), j.to.UTC().Format("2006-01-02 15:04:05.000000"), j.packets)
}

// duplicateControl reports whether a control-connection packet is a copy
// of one already analysed: a SYN repeated within dupWindow, or, while
// time runs backwards, a packet no later than the last one of its
// connection.
func (a *Analyzer) duplicateControl(p capture.Packet, h *decode.Headers) bool {
	ts := p.Info.Timestamp
	if h.TCP.SYN && a.dups.copyOf(p.Source, h, ts) {
		return true
	}
	if !ts.Before(a.now) || a.dups.history == nil && !a.replay {
		return false // in time order: nothing to repeat
	}
	src := netip.AddrPortFrom(h.Src, uint16(h.TCP.SrcPort))
	dst := netip.AddrPortFrom(h.Dst, uint16(h.TCP.DstPort))
	k := mkConnKey(p.Source, src, dst)
	if s := a.byTuple[k]; s != nil && !s.ended {
		// Packets of a live connection arrive a little out of time order
		// across interfaces; a jump back repeats them, and so does a SYN
		// from well before the connection's last packet (a new
		// connection on the tuple starts after it).
		old := !ts.Before(s.out.Start.Time) && !ts.After(s.lastSeen)
		if old && (a.replay || h.TCP.SYN && !h.TCP.ACK && ts.Before(s.lastSeen.Add(-dupWindow))) {
			a.dups.dropped++
			return true
		}
		return false
	}
	return a.dups.repeated(k, ts)
}

// duplicateData reports whether a packet of data connection c is a copy
// of one already analysed (see duplicateControl).
func (a *Analyzer) duplicateData(c *dataConn, p capture.Packet, h *decode.Headers) bool {
	ts := p.Info.Timestamp
	if h.TCP.SYN && a.dups.copyOf(p.Source, h, ts) {
		return true
	}
	if a.replay && !ts.After(c.lastSeen) {
		a.dups.dropped++
		return true
	}
	return false
}

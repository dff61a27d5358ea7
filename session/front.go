package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket/layers"
)

// front decodes packets: link and IP headers, IP fragments put back
// together, and what could not be decoded, per input.
type front struct {
	dec *decode.Decoder
	hdr decode.Headers

	srcErrors        map[int][]string
	srcErrorCount    map[int]int
	unsupportedLinks []unsupportedLink
}

func newFront() *front {
	return &front{dec: decode.NewDecoder(), srcErrors: make(map[int][]string), srcErrorCount: make(map[int]int)}
}

// maxSourceErrors bounds the decode errors kept per source.
const maxSourceErrors = 20

// unsupportedLink counts the frames of one link type the decoder cannot
// read, in one source.
type unsupportedLink struct {
	source   int
	linkType layers.LinkType
	first    int // frame number of the first one
	count    int
}

// decode returns the headers of p to analyse, or false for a frame with
// nothing to analyse: not IP, damaged (noted), or a fragment of a
// datagram not complete yet. The headers are valid until the next call.
func (f *front) decode(p capture.Packet) (*decode.Headers, bool) {
	h := &f.hdr
	if err := f.dec.Decode(p.Data, p.LinkType, h); err != nil {
		switch {
		case errors.Is(err, decode.ErrNoIP):
		case errors.Is(err, decode.ErrUnsupportedLink):
			f.unsupported(p)
		default:
			f.sourceError(p.Source, fmt.Sprintf("packet %d: %v", p.Number, err))
		}
		return nil, false
	}
	if h.Fragment {
		done, err := f.dec.Reassemble(h, p.Info.Timestamp)
		if err != nil {
			f.sourceError(p.Source, fmt.Sprintf("packet %d: %v", p.Number, err))
		}
		if !done {
			return nil, false
		}
	}
	return h, true
}

// unsupported notes a frame of a link type the decoder cannot read; the
// report says so once per source and link type.
func (f *front) unsupported(p capture.Packet) {
	for i := range f.unsupportedLinks {
		u := &f.unsupportedLinks[i]
		if u.source == p.Source && u.linkType == p.LinkType {
			u.count++
			return
		}
	}
	f.unsupportedLinks = append(f.unsupportedLinks, unsupportedLink{source: p.Source, linkType: p.LinkType, first: p.Number, count: 1})
}

func (f *front) sourceError(src int, msg string) {
	f.srcErrorCount[src]++
	if len(f.srcErrors[src]) < maxSourceErrors {
		f.srcErrors[src] = append(f.srcErrors[src], msg)
	}
}

// Front decodes packets once for several Analyzers that share the
// analysis of one input (Config.Shards): each is then handed every
// packet with its headers (Analyzer.Analyse), and Merge joins their
// reports. It keeps the decode errors, and forgets IP fragments that
// waited too long as an Analyzer does, once a second of capture time.
type Front struct {
	f             *front
	now, nextTick time.Time
	packets       int
	bytes         int64
}

// NewFront returns a Front.
func NewFront() *Front { return &Front{f: newFront()} }

// Decode returns the headers of p to analyse, or nil for a frame with
// nothing to analyse. The headers are valid until the next call.
func (fr *Front) Decode(p capture.Packet) *decode.Headers {
	fr.packets++
	fr.bytes += int64(len(p.Data))
	ts := p.Info.Timestamp
	if ts.After(fr.now) {
		fr.now = ts
	}
	if fr.nextTick.IsZero() {
		fr.nextTick = fr.now.Add(time.Second)
	} else if !fr.now.Before(fr.nextTick) {
		fr.f.dec.ForgetFragments(fr.now)
		fr.nextTick = fr.now.Add(time.Second)
	}
	h, ok := fr.f.decode(p)
	if !ok {
		return nil
	}
	return h
}

// shardOf places a packet's pair of addresses, whichever way the packet
// goes, in one of n shares: a control connection and the data
// connections between the same two hosts fall in one share. The two
// addresses are hashed alone and summed, so the order does not matter.
func shardOf(h *decode.Headers, n int) int {
	return int(mix64(addrHash(h.Src)+addrHash(h.Dst)) % uint64(n))
}

// addrHash hashes an address.
func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	return mix64(binary.BigEndian.Uint64(b[:8])) ^ binary.BigEndian.Uint64(b[8:])
}

// mix64 is MurmurHash3's finaliser: every bit of x moves every bit of
// the result, the low ones that a modulus keeps too.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// owns reports whether this Analyzer follows the control connection of
// h: every one does when the analysis is not shared.
func (a *Analyzer) owns(h *decode.Headers) bool {
	return a.cfg.Shards <= 1 || shardOf(h, a.cfg.Shards) == a.cfg.Shard
}

// Begun returns the ordinals of the sessions this Analyzer began since
// the last call, port probes included, when it shares an analysis
// (Config.Shards): a Numbering numbers sessions with them.
func (a *Analyzer) Begun() []int {
	b := a.begun
	a.begun = nil
	return b
}

// A Numbering numbers the sessions of a shared analysis as one Analyzer
// numbers them: in the order of the packets that began them, port probes
// taking their numbers too. It is told every session begun (Add, with
// what the Analyzers' Begun return); a session can be numbered once every
// session begun before it has been told, so as soon as every Analyzer
// has been handed the packet that ended it.
type Numbering struct {
	ords []int // sorted
}

// Add tells n of sessions begun, by their ordinals (Analyzer.Begun).
func (n *Numbering) Add(ords ...[]int) {
	start := len(n.ords)
	for _, o := range ords {
		n.ords = append(n.ords, o...)
	}
	tail := n.ords[start:]
	slices.Sort(tail)
	if start > 0 && len(tail) > 0 && tail[0] < n.ords[start-1] {
		slices.Sort(n.ords)
	}
}

// Number sets the ID of s.
func (n *Numbering) Number(s *Session) {
	i, _ := slices.BinarySearch(n.ords, s.ordinal)
	s.ID = i + 1
}

// Merge joins the reports of Analyzers that shared the analysis of one
// input (Config.Shards), each finished with Finish, into the report one
// Analyzer gives: sessions numbered by n, which must have been told every
// session begun, in order, capture points compared, global findings in
// the order they arose, sources with the decode errors fr met, stats
// summed. parts[i].Sessions holds the sessions of part i that were not
// handed on by OnSession.
func Merge(parts []*Report, fr *Front, infos []capture.Info, n *Numbering) *Report {
	var sessions []*Session
	var findings []Finding
	for _, p := range parts {
		for _, s := range p.Sessions {
			n.Number(s)
		}
		sessions = append(sessions, p.Sessions...)
		findings = append(findings, p.Findings...)
	}
	slices.SortFunc(sessions, func(a, b *Session) int { return a.ID - b.ID })
	if len(infos) > 1 {
		correlatePoints(sessions)
		for _, s := range sessions {
			s.Verdict = VerdictOf(s.Worst())
		}
	}
	slices.SortStableFunc(findings, func(a, b Finding) int { return a.order - b.order })
	r := &Report{Version: 1, Sessions: sessions, Findings: findings}
	if r.Sessions == nil {
		r.Sessions = []*Session{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	var jumps []timeJump
	if len(parts) > 0 {
		// Every part saw every packet: their clocks, and so where time ran
		// backwards, are the same.
		jumps = parts[0].jumps
	}
	r.Stats.Packets, r.Stats.Bytes = fr.packets, fr.bytes
	r.Sources = buildSources(infos, fr.f, jumps)
	for _, p := range parts {
		st := p.Stats
		r.Stats.FTPSessions += st.FTPSessions
		r.Stats.DataChannels += st.DataChannels
		r.Stats.Duplicates += st.Duplicates
		r.Stats.Probes += st.Probes
		l := &r.Stats.Limits
		l.SessionsEvicted += st.Limits.SessionsEvicted
		l.SessionsNotFollowed += st.Limits.SessionsNotFollowed
		l.ChannelsNotFollowed += st.Limits.ChannelsNotFollowed
		l.FailedLoginPairsNotFollowed += st.Limits.FailedLoginPairsNotFollowed
		l.ContentServersNotFollowed = max(l.ContentServersNotFollowed, st.Limits.ContentServersNotFollowed)
	}
	return r
}

// EndOrder sorts sessions in the order an Analyzer hands them on,
// alone or sharing an analysis: by the tick they ended in, then by the
// packet that began them.
func EndOrder(sessions []*Session) {
	slices.SortFunc(sessions, func(a, b *Session) int {
		if a.endTick != b.endTick {
			return a.endTick - b.endTick
		}
		return a.ordinal - b.ordinal
	})
}

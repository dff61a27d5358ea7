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

// shardOf places the client address of a control connection in one of
// n shares.
func shardOf(client netip.Addr, n int) int {
	return int(mix64(addrHash(client)) % uint64(n))
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
// h: every one does when the analysis is not shared. Shares go by client
// address, so that the sessions of one client, whose data connections
// can run between its servers (FXP), and its failed logins, are in one;
// a connection whose both ends or neither look like a server goes by its
// lower address.
func (a *Analyzer) owns(h *decode.Headers) bool {
	if a.cfg.Shards <= 1 {
		return true
	}
	src := netip.AddrPortFrom(h.Src, uint16(h.TCP.SrcPort))
	dst := netip.AddrPortFrom(h.Dst, uint16(h.TCP.DstPort))
	toServer := a.isControlPort(dst.Port()) || a.isFTPServer(dst)
	fromServer := a.isControlPort(src.Port()) || a.isFTPServer(src)
	client := h.Src
	switch {
	case fromServer && !toServer:
		client = h.Dst
	case toServer == fromServer && h.Dst.Less(h.Src):
		client = h.Dst
	}
	return shardOf(client, a.cfg.Shards) == a.cfg.Shard
}

// Begun returns the ordinals of the sessions this Analyzer began since
// the last call, port probes included, and of the SYNs on a control
// port it took for announced data connections (a data connection to a
// client's port 21), when it shares an analysis (Config.Shards): a
// Merger numbers sessions with them.
func (a *Analyzer) Begun() (begun, claimed []int) {
	begun, claimed = a.begun, a.claimed
	a.begun, a.claimed = nil, nil
	return begun, claimed
}

// A Merger joins the work of Analyzers that share the analysis of one
// input (Config.Shards) into what one Analyzer gives. It numbers
// sessions as one Analyzer numbers them, in the order of the packets
// that began them, port probes taking their numbers too: it is told
// every session begun (Begun, with what the Analyzers' Begun return),
// and a session can be numbered once every session begun before it has
// been told, so as soon as every Analyzer has been handed the packet
// that ended it (Ended). It draws the findings that span sessions of
// several shares (passive-port-range) from the sessions as they end, and
// joins the reports (Report).
//
// Shares go by client address, and one packet is judged by two shares
// in one case: a data connection to port 21 (PORT naming port 21), which
// the share of the session that announced it takes for data, and the
// share of its initiator for a new control connection, because it sees
// no announcement. One Analyzer sees the announcement: the Merger drops
// that session.
type Merger struct {
	ords     []int // sorted
	spurious map[int]bool
	dropped  struct{ sessions, channels, begun int }
	ranges   rangeTracker
}

// Begun tells m of sessions begun, and SYNs on a control port taken for
// data connections, by their ordinals (Analyzer.Begun), from every
// Analyzer for the same packets.
func (m *Merger) Begun(begun, claimed [][]int) {
	var taken map[int]bool
	for _, c := range claimed {
		for _, o := range c {
			if taken == nil {
				taken = make(map[int]bool)
			}
			taken[o] = true
		}
	}
	start := len(m.ords)
	for _, b := range begun {
		for _, o := range b {
			if taken[o] {
				if m.spurious == nil {
					m.spurious = make(map[int]bool)
				}
				m.spurious[o] = true
				m.dropped.begun++
				continue
			}
			m.ords = append(m.ords, o)
		}
	}
	tail := m.ords[start:]
	slices.Sort(tail)
	if start > 0 && len(tail) > 0 && tail[0] < m.ords[start-1] {
		slices.Sort(m.ords)
	}
}

// Ended numbers sessions that ended, of any share, and returns them in
// the order one Analyzer hands them on, without those it would not have
// made: those of one batch of packets, once every Analyzer has been
// handed it, in batch order.
func (m *Merger) Ended(sessions []*Session) []*Session {
	out := sessions[:0]
	for _, s := range sessions {
		if m.spurious[s.ordinal] {
			m.dropped.sessions++
			m.dropped.channels += len(s.DataChannels)
			continue
		}
		m.number(s)
		out = append(out, s)
	}
	EndOrder(out)
	for _, s := range out {
		m.ranges.ended(s)
	}
	return out
}

// id is the number of the session begun at ordinal.
func (m *Merger) id(ordinal int) int {
	i, _ := slices.BinarySearch(m.ords, ordinal)
	return i + 1
}

// number sets the ID of s, and the other session's in what an FXP link
// says.
func (m *Merger) number(s *Session) {
	s.ID = m.id(s.ordinal)
	for _, d := range s.DataChannels {
		if d == nil || d.FXP == nil {
			continue
		}
		d.FXP.name(m.id(d.FXP.ordinal))
		for i, f := range d.Findings {
			// (A session read back from a file may hold anything.)
			if f.Code == CodeFXP && len(f.Evidence) > 0 && d.Announced != nil {
				d.Findings[i] = fxpFinding(s, d, f.Evidence[0])
			}
		}
	}
}

// Report joins the reports of the Analyzers, each finished with Finish,
// into the report one Analyzer gives: sessions numbered, in order,
// global findings in the order they arose, sources with the decode
// errors fr met, stats summed. parts[i].Sessions holds the sessions of
// part i that were not handed on by OnSession, every one of them as
// Ended returned it.
func (m *Merger) Report(parts []*Report, fr *Front, infos []capture.Info) *Report {
	var jumps []timeJump
	if len(parts) > 0 {
		// Every part saw every packet: their clocks, and so where time ran
		// backwards, are the same.
		jumps = parts[0].jumps
	}
	return m.ReportOf(parts, buildSources(infos, fr.f, jumps), fr.packets, fr.bytes)
}

// ReportOf is Report for parts whose sources are known already, with the
// packets and bytes of the input (the shards of ftpscope merge, each of
// which read the whole input).
func (m *Merger) ReportOf(parts []*Report, sources []Source, packets int, bytes int64) *Report {
	var sessions []*Session
	var findings []Finding
	for _, p := range parts {
		sessions = append(sessions, p.Sessions...)
		findings = append(findings, p.Findings...)
	}
	slices.SortFunc(sessions, func(a, b *Session) int { return a.ID - b.ID })
	slices.SortStableFunc(findings, func(a, b Finding) int { return a.order - b.order })
	findings = append(findings, m.ranges.findings()...)
	r := &Report{Version: 1, Sessions: sessions, Findings: findings}
	if r.Sessions == nil {
		r.Sessions = []*Session{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.Stats.Packets, r.Stats.Bytes = packets, bytes
	r.Sources = sources
	for _, p := range parts {
		r.Stats.addCounts(p.Stats)
	}
	r.Stats.FTPSessions -= m.dropped.sessions
	r.Stats.DataChannels -= m.dropped.channels
	r.Stats.Probes -= m.dropped.begun - m.dropped.sessions
	r.Stats.Limits.PassiveRangeSessionsNotCounted = m.ranges.dropped
	return r
}

// joined reports whether a Merger draws the findings over all sessions.
func (a *Analyzer) joined() bool { return a.cfg.Shards > 0 || a.cfg.Joined }

// Note tells m of a session that ended on an Analyzer of a live capture
// shared by several (Config.Joined), numbered already (Config.NextID),
// for the findings over all sessions. It is not safe for concurrent use.
func (m *Merger) Note(s *Session) {
	m.ranges.ended(s)
}

// Join joins the reports of Analyzers that analysed disjoint packets of
// one live capture (Config.Joined), each finished with Finish: sessions
// in order of their numbers, global findings (each part's, then those
// Note drew), stats and the sources of one name summed.
func (m *Merger) Join(parts []*Report) *Report {
	r := &Report{Version: 1, Sessions: []*Session{}, Findings: []Finding{}}
	for _, p := range parts {
		r.Sessions = append(r.Sessions, p.Sessions...)
		r.Findings = append(r.Findings, p.Findings...)
		r.Stats.Packets += p.Stats.Packets
		r.Stats.Bytes += p.Stats.Bytes
		r.Stats.addCounts(p.Stats)
		for _, src := range p.Sources {
			r.Sources = joinSource(r.Sources, src)
		}
	}
	slices.SortStableFunc(r.Sessions, func(a, b *Session) int { return a.ID - b.ID })
	r.Findings = append(r.Findings, m.ranges.findings()...)
	r.Stats.Limits.PassiveRangeSessionsNotCounted = m.ranges.dropped
	return r
}

// joinSource adds src to the source of its name in list, or appends it.
func joinSource(list []Source, src Source) []Source {
	i := slices.IndexFunc(list, func(s Source) bool { return s.Name == src.Name })
	if i < 0 {
		src.LinkTypes = slices.Clone(src.LinkTypes)
		src.Errors = slices.Clone(src.Errors)
		if src.Errors == nil {
			src.Errors = []string{}
		}
		if src.Dropped != nil {
			d := *src.Dropped
			src.Dropped = &d
		}
		return append(list, src)
	}
	s := &list[i]
	for _, lt := range src.LinkTypes {
		if !slices.Contains(s.LinkTypes, lt) {
			s.LinkTypes = append(s.LinkTypes, lt)
		}
	}
	s.Packets += src.Packets
	s.Bytes += src.Bytes
	if !src.FirstSeen.IsZero() && (s.FirstSeen.IsZero() || src.FirstSeen.Before(s.FirstSeen.Time)) {
		s.FirstSeen = src.FirstSeen
	}
	if src.LastSeen.After(s.LastSeen.Time) {
		s.LastSeen = src.LastSeen
	}
	s.Errors = append(s.Errors, src.Errors...)
	if src.Dropped != nil {
		d := *src.Dropped
		if s.Dropped != nil {
			d += *s.Dropped
		}
		s.Dropped = &d
	}
	return list
}

// addCounts adds the counts of another part of the analysis to st: the
// sessions, channels, duplicates and probes it saw and the limits it hit.
// The servers recognised by content are known to every part alike.
func (st *Stats) addCounts(o Stats) {
	st.FTPSessions += o.FTPSessions
	st.DataChannels += o.DataChannels
	st.Duplicates += o.Duplicates
	st.Probes += o.Probes
	l := &st.Limits
	l.SessionsEvicted += o.Limits.SessionsEvicted
	l.SessionsNotFollowed += o.Limits.SessionsNotFollowed
	l.ChannelsNotFollowed += o.Limits.ChannelsNotFollowed
	l.FailedLoginPairsNotFollowed += o.Limits.FailedLoginPairsNotFollowed
	l.ContentServersNotFollowed = max(l.ContentServersNotFollowed, o.Limits.ContentServersNotFollowed)
}

// EndOrder sorts sessions in the order an Analyzer hands them on,
// alone or sharing an analysis: by when they ended, then by the packet
// that began them.
func EndOrder(sessions []*Session) {
	slices.SortFunc(sessions, func(a, b *Session) int {
		if a.endAt != b.endAt {
			return a.endAt - b.endAt
		}
		return a.ordinal - b.ordinal
	})
}

// endAt places the end of a session now among the ends of all sessions:
// those a tick ends at a packet, before the packet is analysed, then
// those the packet ends (a session evicted for a new one), each group
// in the order the sessions began, as the Analyzer ends them; those
// Finish ends last.
func (a *Analyzer) endAt() int {
	switch {
	case a.finished:
		return 2*a.packets + 2
	case a.inTick:
		return 2 * a.packets
	}
	return 2*a.packets + 1
}

package session

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
)

// Config sets what the Analyzer treats as FTP and the limits it keeps to.
// The zero value of every field means its default.
type Config struct {
	// ControlPorts are the TCP ports of FTP control connections; default 21.
	ControlPorts []uint16
	// ShowPasswords keeps PASS arguments; by default they read "***".
	ShowPasswords bool
	// Filter is the capture filter the packets went through, "" for
	// none: findings about missing connections say it may have removed
	// them.
	Filter string
	// SourceNames names the inputs, indexed by capture.Packet.Source.
	SourceNames []string

	// MaxLineLen cuts control lines longer than this; default 8192.
	MaxLineLen int
	// ExpectLifetime is how long (capture time) an announcement waits
	// for its data connection; default 2 minutes.
	ExpectLifetime time.Duration
	// IdleTimeout ends a session with no packet on its control or data
	// connections for this long (capture time); default 15 minutes.
	IdleTimeout time.Duration
	// CloseGrace is how long a session is kept after its control
	// connection closed and its data connections went quiet, for late
	// packets; default 2 seconds, past the retransmission of a lost last
	// segment (TCP's initial timeout is 1 second, RFC 6298).
	CloseGrace time.Duration
	// MaxSessions bounds the sessions followed at once; default 20000.
	// Analyzers that share an input (Shards) each follow their part.
	// A new one beyond it ends the session idle the longest if it has
	// been idle a minute, reported with what it has, or else is not
	// followed (stats.limits counts both).
	MaxSessions int
	// MaxChannels bounds the data channels kept per session; default 1024.
	MaxChannels int
	// Ladder records the control lines and data connections of each
	// session in Session.Ladder, for the ladder diagram. Off, the
	// analysis keeps no copy of the control lines.
	Ladder bool
	// MaxLadder bounds the ladder events kept per session; default 2000.
	MaxLadder int
	// BruteForceLogins failed logins from one client address to one
	// server within BruteForceWindow make a login-brute-force finding;
	// defaults 10 and 5 minutes.
	BruteForceLogins int
	BruteForceWindow time.Duration
	// Transcript records every command and its reply in
	// Session.Transcript (for the Zeek log and the verbose table), at
	// most MaxLadder of them per session.
	Transcript bool

	// Shards, when not 0, shares the analysis of one input among that
	// many Analyzers, each handed every packet (Front and Analyse, or
	// Packet): this one follows only the control connections of the
	// clients whose address falls in share Shard (0 to Shards-1), with
	// their data connections wherever those go, and keeps what a Merger
	// needs to join their reports into the one a single Analyzer gives
	// (Begun). One share of one is the whole input, ready for a merge.
	Shards, Shard int

	// Joined says a Merger joins this Analyzer's sessions with those of
	// others that analyse other packets of one live capture (Merger.Note,
	// Merger.Join): the findings over all sessions (passive-port-range)
	// are the Merger's to draw. NextID, when set, numbers the sessions
	// instead of the Analyzer's own count, so that the Analyzers share
	// one numbering. Shards implies Joined.
	Joined bool
	NextID func() int

	// OnSession, when set, receives each session as it ends, and the
	// Analyzer then forgets it: Report.Sessions stays empty. Use it to
	// stream sessions with flat memory.
	OnSession func(*Session)
}

func (c *Config) defaults() {
	if len(c.ControlPorts) == 0 {
		c.ControlPorts = []uint16{21}
	}
	if c.MaxLineLen <= 0 {
		c.MaxLineLen = 8192
	}
	if c.ExpectLifetime <= 0 {
		c.ExpectLifetime = 2 * time.Minute
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 15 * time.Minute
	}
	if c.CloseGrace <= 0 {
		c.CloseGrace = 2 * time.Second
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 20000
	}
	if c.Shards > 1 {
		// The share's part of the bound: the Analyzers of one input
		// together follow as many sessions as one would.
		c.MaxSessions = max(1, (c.MaxSessions+c.Shards-1)/c.Shards)
	}
	if c.MaxChannels <= 0 {
		c.MaxChannels = 1024
	}
	if c.MaxLadder <= 0 {
		c.MaxLadder = 2000
	}
	if c.BruteForceLogins <= 0 {
		c.BruteForceLogins = 10
	}
	if c.BruteForceWindow <= 0 {
		c.BruteForceWindow = 5 * time.Minute
	}
}

// Analyzer follows FTP sessions through a stream of packets. Feed it with
// Packet in timestamp order and call Finish once. It is not safe for
// concurrent use.
type Analyzer struct {
	cfg     Config
	ctlPort [65536 / 64]uint64

	// fe decodes packets and keeps the decode errors of each input.
	fe *front

	now       time.Time // capture time of the newest packet
	nextTick  time.Time
	seq       int
	nextID    int
	live      map[*sess]struct{}
	done      []*Session
	conns     map[connKey]*dataConn
	expect    map[netip.AddrPort][]*expectation
	expectNAT map[netip.AddrPort][]*expectation
	hosts     map[hostPair][]*sess
	// connPorts counts the ports of the keys of conns (both of each),
	// expectPorts the ports of the keys of expect and expectNAT: a packet
	// with a port neither names is looked up in neither.
	connPorts, expectPorts portCount

	dropped int // control connections not followed because of MaxSessions
	// evicted counts sessions ended early to make room (MaxSessions);
	// lru orders the live sessions by their last packet.
	evicted int
	lru     lruList
	// unfollowed remembers those connections (and the sessions evicted),
	// so that each counts once and its later packets make no session.
	unfollowed *memo[struct{}]
	// channelsDropped counts setups not tracked because of MaxChannels.
	channelsDropped int
	// endedSessions and endedChannels count what was reported, streamed
	// or kept.
	endedSessions, endedChannels int
	// byTuple finds the session of a control connection by its 4-tuple,
	// so that a connection the reassembler let go while it was idle
	// carries on in the same session.
	byTuple map[connKey]*sess
	// logins counts failed logins across sessions (login-brute-force),
	// ranges the passive ports of each server (passive-port-range).
	logins loginTracker
	ranges rangeTracker
	// dups finds duplicate packets; jumps says where time ran backwards;
	// replay is set while the packet being analysed is older than the
	// newest by more than replaySlack.
	dups   dedup
	jumps  []timeJump
	replay bool
	// earlySeen holds when control connections that are no session yet
	// were first seen (see early).
	earlySeen map[connKey]time.Time
	// heldBytes counts the control bytes held out of order, over all
	// sessions (maxHeldTotal).
	heldBytes int
	// inTick says a tick is ending sessions, before the packet that
	// moved the clock is analysed (Session.endAt); finished says Finish
	// is. begun holds the ordinals of the sessions begun since Begun was
	// last called, when the analysis is shared (a Merger numbers
	// sessions).
	inTick, finished bool
	begun            []int
	// claimed holds the ordinals of the SYNs on a control port that
	// this Analyzer took for announced data connections since Begun was
	// last called, when the analysis is shared.
	claimed []int
	// probes counts control connections that were port probes, not
	// sessions (see sess.probe).
	probes int
	// candidates are connections greeted with 220 on other ports, and
	// ftpServers the server endpoints recognised as FTP by content
	// (detect.go); serversDropped counts those beyond maxFTPServers.
	candidates     map[connKey]*candidate
	ftpServers     map[netip.AddrPort]struct{}
	serversDropped int

	packets int
	bytes   int64
}

// NewAnalyzer returns an Analyzer for cfg.
func NewAnalyzer(cfg Config) *Analyzer {
	cfg.defaults()
	a := &Analyzer{
		cfg:        cfg,
		fe:         newFront(),
		live:       make(map[*sess]struct{}),
		conns:      make(map[connKey]*dataConn),
		expect:     make(map[netip.AddrPort][]*expectation),
		expectNAT:  make(map[netip.AddrPort][]*expectation),
		hosts:      make(map[hostPair][]*sess),
		byTuple:    make(map[connKey]*sess),
		candidates: make(map[connKey]*candidate),
		ftpServers: make(map[netip.AddrPort]struct{}),
	}
	for _, p := range cfg.ControlPorts {
		a.ctlPort[p/64] |= 1 << (p % 64)
	}
	return a
}

// OpenSessions is the number of sessions being followed: begun and not
// yet ended.
func (a *Analyzer) OpenSessions() int { return len(a.live) }

func (a *Analyzer) isControlPort(p uint16) bool {
	return a.ctlPort[p/64]&(1<<(p%64)) != 0
}

// Packet analyses one packet. Its data is not kept. It reports whether the
// packet belongs to an FTP control connection or a data connection it
// correlated (what -w saves).
func (a *Analyzer) Packet(p capture.Packet) bool {
	a.clock(p)
	h, ok := a.fe.decode(p)
	if !ok {
		return false
	}
	return a.analyse(p, h)
}

// Analyse analyses one packet that a Front decoded into h, for an
// Analyzer that shares the work with others (Config.Shards): every one
// of them is handed every packet, in order. It reads h, not p.Data, which
// may be nil: the Front counts the packets' bytes. Like Packet, it
// reports whether the packet belongs to a connection it follows.
func (a *Analyzer) Analyse(p capture.Packet, h *decode.Headers) bool {
	a.clock(p)
	if h == nil {
		return false
	}
	return a.analyse(p, h)
}

// clock counts a packet and moves the capture clock to it: once a
// second of capture time, tick ends what is due.
func (a *Analyzer) clock(p capture.Packet) {
	a.packets++
	a.bytes += int64(len(p.Data))
	ts := p.Info.Timestamp
	a.replay = ts.Before(a.now.Add(-replaySlack))
	if a.replay {
		a.backwards(p)
	}
	if ts.After(a.now) {
		a.now = ts
	}
	if a.nextTick.IsZero() {
		a.nextTick = a.now.Add(time.Second)
	} else if !a.now.Before(a.nextTick) {
		a.tick()
		a.nextTick = a.now.Add(time.Second)
	}
}

// analyse analyses a decoded packet.
func (a *Analyzer) analyse(p capture.Packet, h *decode.Headers) bool {
	switch {
	case h.HasTCP:
		if a.isControlPort(uint16(h.TCP.SrcPort)) || a.isControlPort(uint16(h.TCP.DstPort)) ||
			len(a.ftpServers) != 0 && (a.isFTPServer(netip.AddrPortFrom(h.Src, uint16(h.TCP.SrcPort))) || a.isFTPServer(netip.AddrPortFrom(h.Dst, uint16(h.TCP.DstPort)))) {
			// Most packets here belong to a session followed: no data
			// connection has the four-tuple of a live control one.
			if !h.TCP.SYN && a.owns(h) {
				src := netip.AddrPortFrom(h.Src, uint16(h.TCP.SrcPort))
				dst := netip.AddrPortFrom(h.Dst, uint16(h.TCP.DstPort))
				k := mkConnKey(p.Source, src, dst)
				if s := a.byTuple[k]; s != nil && !s.ended {
					a.controlOf(s, k, src, dst, p, h)
					return true
				}
			}
			if a.announcedData(p, h) {
				if a.cfg.Shards > 0 && h.TCP.SYN {
					// Another share may take it for a new control
					// connection: the Merger drops that session.
					a.claimed = append(a.claimed, a.packets)
				}
				return a.data(p, h)
			}
			a.control(p, h)
			return a.owns(h)
		}
		return a.data(p, h)
	case h.HasICMPError:
		return a.icmp(p, h)
	}
	return false
}

// Advance moves the capture clock to now without a packet: a live
// capture calls it while the interface is quiet, so that sessions that
// ended are handed on and idle ones end. A time before the newest
// packet's is ignored.
func (a *Analyzer) Advance(now time.Time) {
	if !now.After(a.now) {
		return
	}
	a.now = now
	if !a.nextTick.IsZero() && !a.now.Before(a.nextTick) {
		a.tick()
		a.nextTick = a.now.Add(time.Second)
	}
}

// tick runs once a second of capture time: it expires announcements,
// flushes control data stuck behind a gap and ends idle sessions.
func (a *Analyzer) tick() {
	now := a.now
	a.inTick = true
	defer func() { a.inTick = false }()
	// Announcements whose connection never came expire.
	for _, list := range a.expect {
		for _, e := range list {
			if e.live && now.After(e.deadline) {
				e.live = false
			}
		}
	}
	a.pruneExpect(a.expect)
	a.pruneExpect(a.expectNAT)
	a.fe.dec.ForgetFragments(now)
	if len(a.candidates) != 0 {
		a.expireCandidates(now.Add(-candidateExpiry))
	}
	var ended []*sess
	for s := range a.live {
		// Control bytes that waited holdTimeout for a segment missing
		// from the capture, with no ACK to say so, go on without it.
		if len(s.half[0].held) != 0 || len(s.half[1].held) != 0 {
			s.flushHeld(now.Add(-holdTimeout))
		}
		if s.closed && now.Sub(s.closedAt) > a.cfg.CloseGrace && !s.dataActive() {
			ended = append(ended, s)
		} else if now.Sub(s.lastSeen) > a.cfg.IdleTimeout {
			ended = append(ended, s)
		}
	}
	sort.Slice(ended, func(i, j int) bool { return ended[i].seq < ended[j].seq })
	for _, s := range ended {
		a.end(s)
	}
}

// Finish ends every session still open and returns the report. sources
// describes the inputs as the capture package saw them.
func (a *Analyzer) Finish(sources []capture.Info) *Report {
	a.finished = true
	var rest []*sess
	for s := range a.live {
		rest = append(rest, s)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].seq < rest[j].seq })
	for _, s := range rest {
		a.end(s)
	}
	r := &Report{Version: 1, Sessions: a.done, Findings: a.logins.findings(a.cfg.BruteForceLogins, a.cfg.BruteForceWindow),
		jumps: a.jumps}
	if !a.joined() {
		// A Merger draws them over every share.
		r.Findings = append(r.Findings, a.ranges.findings()...)
	}
	if r.Sessions == nil {
		r.Sessions = []*Session{}
	}
	sort.Slice(r.Sessions, func(i, j int) bool { return r.Sessions[i].ID < r.Sessions[j].ID })
	if len(sources) > 1 {
		correlatePoints(r.Sessions)
		for _, s := range r.Sessions {
			s.Verdict = VerdictOf(s.Worst())
		}
	}
	r.Sources = a.sources(sources)
	// Limits that were hit say so in the stats: the report is
	// incomplete.
	r.Stats = Stats{Packets: a.packets, Bytes: a.bytes, FTPSessions: a.endedSessions, DataChannels: a.endedChannels,
		Duplicates: a.dups.dropped, Probes: a.probes,
		Limits: Limits{SessionsEvicted: a.evicted, SessionsNotFollowed: a.dropped, ChannelsNotFollowed: a.channelsDropped,
			FailedLoginPairsNotFollowed: a.logins.dropped, ContentServersNotFollowed: a.serversDropped,
			PassiveRangeSessionsNotCounted: a.ranges.dropped}}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	return r
}

// sources turns capture infos into the report's sources, adding the
// decode errors met in each.
func (a *Analyzer) sources(infos []capture.Info) []Source {
	return buildSources(infos, a.fe, a.jumps)
}

// buildSources turns capture infos into the report's sources, adding the
// decode errors fe met in each and where time ran backwards.
func buildSources(infos []capture.Info, fe *front, jumps []timeJump) []Source {
	out := make([]Source, 0, len(infos))
	for i, in := range infos {
		s := Source{
			Name:      in.Name,
			LinkTypes: append([]string{}, in.LinkTypes...),
			Packets:   in.Packets,
			Bytes:     in.Bytes,
			FirstSeen: Time{in.FirstSeen},
			LastSeen:  Time{in.LastSeen},
			Errors:    append([]string{}, in.Errors...),
		}
		for _, e := range fe.srcErrors[i] {
			s.Errors = append(s.Errors, in.Name+": "+e)
		}
		for _, u := range fe.unsupportedLinks {
			if u.source == i {
				s.Errors = append(s.Errors, fmt.Sprintf("%s: packet %d: link type %d (%s) is not supported; its %d packets were skipped (supported: %s)",
					in.Name, u.first, int(u.linkType), u.linkType, u.count, decode.SupportedLinkTypes))
			}
		}
		for _, j := range jumps {
			if j.source == i {
				s.Errors = append(s.Errors, j.message(in.Name))
			}
		}
		if n := fe.srcErrorCount[i] - len(fe.srcErrors[i]); n > 0 {
			s.Errors = append(s.Errors, fmt.Sprintf("%s: %d more packets could not be decoded", in.Name, n))
		}
		if in.Dropped >= 0 { // live capture: the kernel counted drops
			d := in.Dropped
			s.Dropped = &d
		}
		out = append(out, s)
	}
	return out
}

// end finishes a session: it settles its data channels, draws its
// findings and hands it on.
func (a *Analyzer) end(s *sess) {
	if s.ended {
		return
	}
	// Bytes held behind a hole go on without it, and bytes left without
	// a line end are the last line.
	s.flushHeld(time.Time{})
	for d := range s.lines {
		if lb := &s.lines[d]; len(lb.buf) > 0 && !s.tls[d].on {
			s.line(d, lb.take(), nil)
		}
	}
	a.heldBytes -= s.half[0].heldBytes + s.half[1].heldBytes
	s.ended = true
	delete(a.live, s)
	a.lru.remove(s)
	a.forget(s)
	a.dups.ended(mkConnKey(s.source, s.client, s.server), s.out.Start.Time, s.lastSeen)
	s.out.Until = Time{a.now}
	s.out.endAt = a.endAt()
	if s.probe() {
		// A port probe: not an FTP session.
		a.probes++
		s.release()
		return
	}
	s.finalize()
	out := s.out
	s.release()
	a.logins.ended(out)
	if !a.joined() {
		a.ranges.ended(out)
	}
	a.endedSessions++
	a.endedChannels += len(out.DataChannels)
	if a.cfg.OnSession != nil {
		a.cfg.OnSession(out)
		return
	}
	a.done = append(a.done, out)
}

// forget drops every index entry that points at s.
func (a *Analyzer) forget(s *sess) {
	for _, dc := range s.dcs {
		a.withdraw(dc)
	}
	for _, c := range s.conns {
		// A newer connection on the same four-tuple may own the key.
		a.dropConn(c)
	}
	if k := mkConnKey(s.source, s.client, s.server); a.byTuple[k] == s {
		delete(a.byTuple, k)
	}
	hp := mkHostPair(s.client.Addr(), s.server.Addr())
	list := a.hosts[hp]
	keep := list[:0]
	for _, o := range list {
		if o != s {
			keep = append(keep, o)
		}
	}
	if len(keep) == 0 {
		delete(a.hosts, hp)
	} else {
		a.hosts[hp] = keep
	}
}

// notFollowed counts a control connection that is not followed because
// Config.MaxSessions sessions are open, once per connection.
func (a *Analyzer) notFollowed(k connKey) {
	if a.ignored(k) {
		return
	}
	a.remember(k)
	a.dropped++
}

// remember keeps a control connection that is not followed (any more),
// so that its later packets make no session; the oldest of maxIgnored
// is forgotten first.
func (a *Analyzer) remember(k connKey) {
	if a.unfollowed == nil {
		a.unfollowed = newMemo[struct{}](maxIgnored)
	}
	a.unfollowed.put(keyOf(k), struct{}{})
}

// ignored reports whether k is a control connection not followed.
func (a *Analyzer) ignored(k connKey) bool {
	if a.unfollowed == nil {
		return false
	}
	_, ok := a.unfollowed.get(keyOf(k))
	return ok
}

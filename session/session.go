package session

import (
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket/layers"
)

// sess is the state of one FTP session while it is followed.
type sess struct {
	a        *Analyzer
	out      *Session
	seq      int // creation order
	source   int // index of the input its first segment came from
	client   netip.AddrPort
	server   netip.AddrPort
	ended    bool
	closed   bool // the control connection closed (FIN both ways, or RST)
	closedAt time.Time
	finSeen  [2]bool
	// resetBy is 1 + the direction of the RST that closed the control
	// connection, 0 when none did.
	resetBy int
	lastSeen time.Time

	// ctl is what the capture shows of the control connection's own
	// handshake (control-blocked).
	ctl ControlHandshake
	// clientClosed is when the client first sent FIN or RST; lastSYN when
	// it last sent a SYN counted as an attempt.
	clientClosed, lastSYN time.Time

	// resync is set once control bytes went missing: replies are paired
	// by what they can answer from then on (see reply).
	resync bool

	// lruPrev and lruNext link the session into Analyzer.lru.
	lruPrev, lruNext *sess
	inLRU            bool

	// half puts each direction of the control connection in order
	// (control.go); clientISN is the client's initial sequence number.
	half      [2]half
	clientISN uint32

	lines        [2]lineBuf
	tls          [2]tlsSkipper
	replies      decode.ReplyAssembler
	pending      []*pendingCmd // commands awaiting their final reply
	dcs          []*dcState
	lastDC       *dcState // the newest data channel without a transfer command
	conns        []*dataConn
	authCmd      *pendingCmd // AUTH TLS/SSL awaiting 234
	authEvidence Evidence    // the 234 that turned TLS on

	// ct models the kernel's FTP helper on this connection
	// (conntrack_ftp.go), and ctRead is the endpoint it last read, from
	// a segment of direction ctReadDir starting at ctReadSeq; rawLine is the
	// control line being handled; replyStart the first line of the reply
	// being read; lastAnn the newest data channel announced by each
	// direction; ctHolder the channel whose announcement holds the
	// helper's one expectation.
	ct         ctConn
	ctRead     netip.AddrPort
	ctReadSeq  uint32
	ctReadDir  int8
	rawLine    []byte
	replyStart lineSpan
	lastAnn    [2]*dcState
	ctHolder   *dcState
	// idle follows the silences of the control connection
	// (control-idle-timeout).
	idle idleWatch

	gaps       []Evidence // where control bytes went missing
	unannounce []*dataConn
	ladderCut  int
	// hiddenLines counts the middle lines of the multi-line reply being
	// read, which the ladder leaves out.
	hiddenLines int
}

// release drops what an ended session no longer needs. The reassembler
// keeps the connection (and so this struct) until it is flushed, which
// for a connection that closed cleanly can be the idle timeout later.
func (s *sess) release() {
	s.out = nil
	s.lines = [2]lineBuf{}
	s.half = [2]half{}
	s.replies = decode.ReplyAssembler{}
	s.pending = nil
	s.dcs = nil
	s.lastDC = nil
	s.conns = nil
	s.authCmd = nil
	s.rawLine = nil
	s.lastAnn = [2]*dcState{}
	s.ctHolder = nil
	s.gaps = nil
	s.unannounce = nil
}

// pendingCmd is a command waiting for its final reply.
type pendingCmd struct {
	verb, arg string
	packet    int
	time      time.Time
	dc        *dcState // the data channel it set up or transfers over
	ex        int      // 1-based index of its Exchange in the transcript; 0 for none
}

// maxPending bounds the commands awaiting replies per session; a client
// that pipelines more is hostile or the replies were lost.
const maxPending = 64

func (s *sess) ref(r *pktRef) (int, Time) {
	if r == nil {
		return 0, Time{}
	}
	return r.number, Time{r.ts}
}

// begin makes the session of a control connection on k, at its first SYN
// or payload p; from and to are that segment's endpoints. It returns nil
// when the session cannot be followed (Config.MaxSessions).
func (a *Analyzer) begin(k connKey, from, to netip.AddrPort, tcp *layers.TCP, p capture.Packet) *sess {
	if !a.room(k, p.Info.Timestamp) {
		return nil
	}
	sp, dp := from.Port(), to.Port()
	// The server is the side on a control port; when both are, the side
	// the first SYN went to, or else the lower port.
	fromIsClient := true
	detected := DetectedByPort
	switch {
	case a.isFTPServer(to) && !a.isControlPort(sp):
		detected = DetectedByContent
	case a.isFTPServer(from) && !a.isControlPort(dp):
		fromIsClient = false
		detected = DetectedByContent
	case a.isControlPort(dp) && !a.isControlPort(sp):
	case a.isControlPort(sp) && !a.isControlPort(dp):
		fromIsClient = false
	case tcp.SYN && !tcp.ACK:
	case tcp.SYN && tcp.ACK:
		fromIsClient = false
	case sp < dp:
		fromIsClient = false
	}
	src0 := p.Source
	s := &sess{a: a, seq: a.seq, source: src0}
	a.seq++
	if fromIsClient {
		s.client, s.server = from, to
	} else {
		s.client, s.server = to, from
	}
	name := ""
	if src0 < len(a.cfg.SourceNames) {
		name = a.cfg.SourceNames[src0]
	}
	s.out = &Session{
		Source:       name,
		Client:       s.client,
		Server:       s.server,
		CommunityID:  decode.CommunityID(s.client, s.server, decode.ProtoTCP, 0),
		DetectedBy:   detected,
		Start:        Time{a.startOf(k, p.Info.Timestamp)},
		End:          Time{p.Info.Timestamp},
		Mode:         ModeNone,
		DataChannels: []*DataChannel{},
		Findings:     []Finding{},
	}
	s.lastSeen = p.Info.Timestamp
	a.lru.touch(s)
	if a.cfg.NextID != nil {
		s.out.ID = a.cfg.NextID()
	} else {
		a.nextID++
		s.out.ID = a.nextID
	}
	s.out.ordinal = a.packets
	if a.cfg.Shards > 0 {
		a.begun = append(a.begun, s.out.ordinal)
	}
	a.live[s] = struct{}{}
	a.byTuple[k] = s
	hp := mkHostPair(s.client.Addr(), s.server.Addr())
	a.hosts[hp] = append(a.hosts[hp], s)
	return s
}

// finalize settles a session's data channels and draws its findings.
func (s *sess) finalize() {
	out := s.out
	var active, passive bool
	for _, dc := range s.dcs {
		if dc.out.Mode == ModeActive {
			active = true
		} else {
			passive = true
		}
		best, third := dc.best(), false
		if best == nil && dc.fxp != nil {
			// The connection between the two servers of an FXP transfer
			// matched the PORT half; it is the passive half's too, opened
			// by neither of this session's sides.
			best, third = dc.fxp.best(), true
		}
		if best != nil {
			o := best.obs
			switch {
			case third:
				// The PORT half's server sent to (or read from) this
				// session's server.
				o.InitiatorRole = ""
				o.BytesToClient, o.BytesToServer = o.BytesToServer, o.BytesToClient
			case best.initIsClient:
				o.InitiatorRole = RoleClient
			default:
				o.InitiatorRole = RoleServer
			}
			o.CommunityID = decode.CommunityID(o.Initiator, o.Responder, decode.ProtoTCP, 0)
			o.LastPacket, o.LastTime = best.lastPkt, Time{best.lastSeen}
			dc.out.Observed = &o
			dc.out.Match = best.match
		}
		out.DataChannels = append(out.DataChannels, dc.out)
		// Draw each data connection in the ladder where its first SYN was.
		if o := dc.out.Observed; o != nil {
			s.record(LadderEvent{Packet: o.SYNPacket, Time: o.SYNTime, From: dc.initiatorRole(), Kind: LadderData, DataChannel: dc.out.ID,
				Text: dc.out.SetupCommand})
		}
	}
	switch {
	case active && passive:
		out.Mode = ModeMixed
	case active:
		out.Mode = ModeActive
	case passive:
		out.Mode = ModePassive
	}
	sortLadder(out.Ladder)
	out.LadderCut = s.ladderCut
	out.Control = s.ctl
	out.Gaps = s.gaps
	out.TLSEvidence = s.authEvidence
	out.Idle = s.idle.silences(out.Until.Time, !s.closed)
	for _, c := range s.unannounce {
		out.Unannounced = append(out.Unannounced, c.obs)
	}
	drawFindings(out, findingContext{filter: s.a.cfg.Filter})
	out.Verdict = VerdictOf(out.Worst())
}

// initiatorRole says which FTP side opened the observed connection.
func (dc *dcState) initiatorRole() Role {
	if o := dc.out.Observed; o != nil {
		return o.InitiatorRole
	}
	return RoleClient
}

// best picks the connection that represents the channel: the first
// established one, else the first one seen.
func (dc *dcState) best() *dataConn {
	// A connection whose SYN is in the capture answered the announcement;
	// one seen only in mid-stream may have been there before it.
	for _, syn := range []bool{true, false} {
		for _, c := range dc.conns {
			if c.obs.Established && c.sawSYN == syn {
				return c
			}
		}
	}
	if len(dc.conns) > 0 {
		return dc.conns[0]
	}
	return nil
}

// handshake follows the control connection's own TCP handshake: the
// client's SYNs, and whether and how the server answered.
func (s *sess) handshake(tcp *layers.TCP, d int, r *pktRef) {
	h := &s.ctl
	pkt, t := s.ref(r)
	if len(tcp.Payload) > 0 {
		h.Payload = true
	}
	if d == toServer {
		switch {
		case tcp.SYN && !tcp.ACK:
			// A retransmission comes a second or more after the SYN before
			// it (RFC 6298); a copy comes at once, or from the past.
			if len(h.SYNs) > 0 && t.Sub(s.lastSYN) < minSYNRetry {
				break
			}
			s.lastSYN = t.Time
			if h.Attempts == 0 {
				s.clientISN = tcp.Seq
			}
			h.Attempts++
			if len(h.SYNs) < maxSYNEvidence {
				h.SYNs = append(h.SYNs, Evidence{Packet: pkt, Time: t})
			}
		case (tcp.FIN || tcp.RST) && s.clientClosed.IsZero():
			s.clientClosed = t.Time
		}
		return
	}
	switch {
	case h.Answered:
	case tcp.RST:
		if h.RST == nil {
			h.RST = &Evidence{Packet: pkt, Time: t, What: "RST from " + s.server.String()}
		}
	default:
		// A SYN-ACK, or any other segment from the server (a capture
		// that starts after the handshake).
		h.Answered = true
		if tcp.SYN {
			h.SYNACK = &Evidence{Packet: pkt, Time: t}
		}
	}
}

// probe reports whether the session was a port probe rather than an FTP
// session: the server answered the handshake, nothing was said either
// way, and the client closed the connection within probeWindow of the
// answer (a port scanner's RST, or a connect scan's FIN).
func (s *sess) probe() bool {
	h := &s.ctl
	return h.Answered && !h.Payload && h.SYNACK != nil && !s.clientClosed.IsZero() &&
		s.clientClosed.Sub(h.SYNACK.Time.Time) <= probeWindow
}

// minSYNRetry is the least time between two SYNs counted as two attempts:
// stacks retransmit a SYN after a second or more (RFC 6298 section 2);
// SYNs closer together are copies of one.
const minSYNRetry = 200 * time.Millisecond

// probeWindow is how soon after the server's SYN-ACK a client that closes
// without a word is a port probe: an FTP client waits for the banner.
const probeWindow = 2 * time.Second

// startOf returns when the connection on k was first seen: at ts, or
// earlier when pure ACKs came first (see early).
func (a *Analyzer) startOf(k connKey, ts time.Time) time.Time {
	if t, ok := a.earlySeen[k]; ok {
		delete(a.earlySeen, k)
		if t.Before(ts) && ts.Sub(t) < time.Minute {
			return t
		}
	}
	return ts
}

// lruList orders the live sessions by their last packet, the one idle
// the longest first, through links in the sessions themselves: touching
// and removing cost a few pointer moves and no allocation.
type lruList struct{ head, tail *sess }

// touch moves s to the end of the list: it just had a packet.
func (l *lruList) touch(s *sess) {
	if l.tail == s {
		return
	}
	l.remove(s)
	s.lruPrev, s.lruNext = l.tail, nil
	if l.tail != nil {
		l.tail.lruNext = s
	} else {
		l.head = s
	}
	l.tail = s
	s.inLRU = true
}

// remove takes s out of the list.
func (l *lruList) remove(s *sess) {
	if !s.inLRU {
		return
	}
	if s.lruPrev != nil {
		s.lruPrev.lruNext = s.lruNext
	} else {
		l.head = s.lruNext
	}
	if s.lruNext != nil {
		s.lruNext.lruPrev = s.lruPrev
	} else {
		l.tail = s.lruPrev
	}
	s.lruPrev, s.lruNext, s.inLRU = nil, nil, false
}

// oldest returns the session idle the longest, or nil.
func (l *lruList) oldest() *sess { return l.head }

// evictIdle is how long a session must have been idle to be ended early
// to make room for a new one.
const evictIdle = time.Minute

// room reports whether a new session may be followed: there are fewer
// than Config.MaxSessions, or the one idle the longest has closed or been
// idle for evictIdle and ends now, reported with what it has (a stale
// session makes room for a new one). Otherwise the new connection is not
// followed: under a flood of connections that all stay busy, the ones
// followed are followed to the end.
func (a *Analyzer) room(k connKey, now time.Time) bool {
	if len(a.live) < a.cfg.MaxSessions {
		return true
	}
	old := a.lru.oldest()
	if old == nil || !old.closed && now.Sub(old.lastSeen) < evictIdle {
		a.notFollowed(k)
		return false
	}
	a.evicted++
	a.end(old)
	a.remember(mkConnKey(old.source, old.client, old.server))
	return true
}

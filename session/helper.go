package session

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The helper object of a data channel says whether a firewall's FTP
// helper on the path (Linux nf_conntrack_ftp, and ALGs that parse alike)
// would have opened its data connection. conntrack_ftp.go models what the
// kernel reads in each control segment; this file ties that to the
// announcing line of each data channel while the session is followed, and
// judges every channel when the session ends, together with what the
// kernel does with an expectation afterwards (one per control connection,
// five minutes, from the other side's address only).

// ctHelperPort is the control port nf_conntrack_ftp watches by default (its
// module parameter ports=21). ftpscope's --ports and content detection do
// not change what the kernel watches.
const ctHelperPort = 21

// ctExpectTimeout is the helper's expectation timeout (ftp_exp_policy).
const ctExpectTimeout = 300 * time.Second

// maxHelperLine bounds the announcing line kept for the helper's reason.
const maxHelperLine = 120

// helperSegment runs the model of the kernel's FTP helper over one
// control segment with payload, and notes its outcome in ref for the
// lines it carries.
func (s *sess) helperSegment(d int, seq uint32, payload []byte, announced int, ref *pktRef) {
	data := payload
	if len(data) > announced {
		data = data[:announced]
	}
	sender := s.client.Addr()
	if d == toClient {
		sender = s.server.Addr()
	}
	seen, ep := s.ct.segment(d, seq, data, len(data) >= announced, sender, sender.Is6() && !sender.Is4In6())
	ref.ct = seen
	if seen.outcome == ctRefused || seen.outcome == ctExpected {
		s.ctRead, s.ctReadSeq, s.ctReadDir = ep, seq, int8(d)
	}
	if seen.outcome != ctExpected {
		return
	}
	// One expectation per control connection (max_expected 1): a new one
	// evicts the one before, unless that one's data connection came
	// already, or it is the same one again.
	if h := s.ctHolder; h != nil && h.out.HelperSeen != nil && h.out.HelperSeen.Read != ep && len(h.conns) == 0 && h.out.HelperReplaced == nil {
		pkt, t := s.ref(ref)
		h.out.HelperReplaced = &Evidence{Packet: pkt, Time: t,
			What: fmt.Sprintf("%s announces %s: the helper's expectation for it replaces the one for %s", seen.kind, ep, h.out.HelperSeen.Read)}
	}
	s.ctHolder = nil // until the line that made it is read (helperSee)
	// A retransmission that carries, whole, an announcement whose first
	// transmission the helper could not read.
	if dc := s.lastAnn[d]; dc != nil && dc.lineStart == seq {
		if v := dc.out.HelperSeen; v != nil && v.Outcome != HelperExpected {
			pkt, t := s.ref(ref)
			v.Outcome, v.Packet, v.Time, v.EndPacket, v.EndTime, v.Offset, v.Read, v.Line = HelperExpected, pkt, t, 0, Time{}, 0, ep, ""
			s.ctHolder = dc
		}
	}
}

// helperSee notes what the kernel's FTP helper made of the line that
// announced dc's endpoint: the current line of its direction.
func (s *sess) helperSee(dc *dcState) {
	d := toServer
	if dc.out.Mode == ModePassive {
		d = toClient
	}
	sp := s.lines[d].span
	var first lineSpan
	if d == toClient {
		first = s.replyStart
	}
	var read netip.AddrPort
	if int(s.ctReadDir) == d && s.ctReadSeq == sp.start {
		read = s.ctRead
	}
	v := viewOf(sp, first, s.rawLine, read)
	dc.out.HelperSeen = v
	dc.lineStart = sp.start
	s.lastAnn[d] = dc
	if v != nil && v.Outcome == HelperExpected && v.Read.IsValid() {
		// The newest expectation the helper made: this one's.
		s.ctHolder = dc
	}
}

// viewOf says what the kernel's FTP helper made of a line: sp is where
// the line lies and which segments carried it, first the first line of
// its reply (for a reply; zero for a command), line its bytes without
// the LF, read what the helper read from a segment that starts with it.
// It returns nil when that is not known (the capture cut the segment, or
// the line came in no segment seen).
func viewOf(sp, first lineSpan, line []byte, read netip.AddrPort) *HelperView {
	v := &HelperView{}
	at := func(g segAt) { v.Packet, v.Time = int(g.packet), g.time() }
	f := sp.first
	if f.packet == 0 || f.ct.outcome == ctUnknown {
		return nil
	}
	at(f)
	if f.ct.seq == sp.start && (f.ct.outcome == ctExpected || f.ct.outcome == ctRefused) {
		// A segment that starts with the line and holds it whole.
		v.Read = read
		v.Outcome = HelperExpected
		if f.ct.outcome == ctRefused {
			v.Outcome = HelperAddress
		}
		return v
	}
	if f.ct.seq != sp.start {
		// A multi-line reply whose first line starts the segment: the
		// helper found "227-" there.
		if first.first.packet != 0 && first.start != sp.start && first.first.ct.seq == first.start {
			at(first.first)
			v.Outcome = HelperMultiLine
			return v
		}
		v.Outcome, v.Offset = HelperMidSegment, int(sp.start-f.ct.seq)
		return v
	}
	switch f.ct.outcome {
	case ctUnread:
		v.Outcome = HelperUnread
		if f.ct.first {
			v.Outcome = HelperFirst
		}
	case ctDropped:
		v.Outcome = HelperForm
		if !sp.ended || int32(sp.end-(f.ct.seq+f.ct.n)) > 0 {
			v.Outcome = HelperSplit
			if sp.ended && sp.endPacket != f.packet {
				v.EndPacket, v.EndTime = int(sp.endPacket), segAt{ts: sp.endTime}.time()
			}
		}
	default:
		v.Outcome = HelperNoMatch
	}
	if v.Outcome == HelperForm || v.Outcome == HelperNoMatch {
		// The reason quotes the line, with its line end as it came.
		text := line
		if len(text) > maxHelperLine {
			text = text[:maxHelperLine]
		}
		quoted := string(text)
		if sp.ended && len(line) <= maxHelperLine {
			quoted += "\n"
		}
		v.Line = strconv.Quote(quoted)
	}
	return v
}

// helperVerdict is the judgement of one data channel: whether the helper
// would have opened its data connection, and if not why (one sentence),
// in a few words for a summary, what to do about it, and the packets that
// show it.
type helperVerdict struct {
	would    bool
	why      HelperOutcome // the view's outcome, or one of the why* reasons below
	reason   string
	short    string
	fix      string
	evidence []Evidence
}

// Reasons beyond what the helper read.
const (
	whyPort     HelperOutcome = "port"     // the control port is not one the helper watches
	whyLong     HelperOutcome = "long"     // LPRT or LPSV, which the helper does not read
	whyReplaced HelperOutcome = "replaced" // a later announcement took the one expectation
	whyExpired  HelperOutcome = "expired"  // the data connection came after the expectation's 5 minutes
	whySource   HelperOutcome = "source"   // the data connection came from another address
	whyOther    HelperOutcome = "other"    // the helper read another endpoint than the one announced
)

// helper returns the contract's helper object of the verdict.
func (v *helperVerdict) helper() *Helper {
	if v == nil {
		return nil
	}
	h := &Helper{WouldExpect: v.would}
	if !v.would {
		r := v.reason
		h.Reason = &r
	}
	return h
}

// judgeHelper judges whether the kernel's FTP helper would have opened the
// data connection of d, from the session's model alone. It returns nil
// for a channel whose announcement is unusable or unknown.
func judgeHelper(s *Session, d *DataChannel) *helperVerdict {
	if d.Announced == nil {
		return nil
	}
	what, sender, peer := announcementName(d), "client", "server"
	senderAddr, peerAddr := s.Client.Addr(), s.Server.Addr()
	if d.Mode == ModePassive {
		sender, peer = "server", "client"
		senderAddr, peerAddr = s.Server.Addr(), s.Client.Addr()
	}
	// The evidence is written only for a verdict that needs it.
	annEv := func() Evidence {
		return ev(d.AnnouncePacket, d.AnnounceTime, fmt.Sprintf("%s announces %s", what, *d.Announced))
	}
	no := func(why HelperOutcome, reason, short, fix string, evs ...Evidence) *helperVerdict {
		return &helperVerdict{why: why, reason: reason, short: short, fix: fix, evidence: evs}
	}
	const rules = " Or stop relying on the helper: open the data ports by explicit firewall rules (passive-port-range suggests them for passive mode)."
	if port := s.Server.Port(); port != ctHelperPort {
		return no(whyPort,
			fmt.Sprintf("The helper watches control connections to port %d only (nf_conntrack_ftp ports=%d), and this one is on port %d.", ctHelperPort, ctHelperPort, port),
			fmt.Sprintf("the control connection is on port %d and the helper watches port %d only", port, ctHelperPort),
			fmt.Sprintf("Linux attaches nf_conntrack_ftp to a control connection by its server port: %d, unless the module is loaded with ports=%d,%d "+
				"or a CT rule assigns the helper to the port (iptables -t raw -A PREROUTING -p tcp --dport %d -j CT --helper ftp; nftables: ct helper set). "+
				"Attach it to port %d.", ctHelperPort, ctHelperPort, port, port, port)+rules,
			annEv())
	}
	switch d.SetupCommand {
	case "LPRT":
		return no(whyLong, "nf_conntrack_ftp reads PORT and EPRT commands only, not LPRT.", "the helper does not read LPRT",
			"Have the client use PORT or EPRT (or passive mode)."+rules, annEv())
	case "LPSV":
		return no(whyLong, "nf_conntrack_ftp reads 227 and 229 replies only, not the 228 reply to LPSV.", "the helper does not read 228 replies",
			"Have the client use PASV or EPSV."+rules, annEv())
	}
	v := d.HelperSeen
	if v == nil {
		return nil
	}
	segEv := func() Evidence {
		return ev(v.Packet, v.Time, fmt.Sprintf("the TCP segment that carries the %s", what))
	}
	switch v.Outcome {
	case HelperFirst:
		return no(v.Outcome,
			fmt.Sprintf("The %s starts a TCP segment (packet %d) that the helper does not search: it searches only segments that follow a line end from the %s, and had seen none yet.", what, v.Packet, sender),
			fmt.Sprintf("the %s came before any line end from the %s, so the helper did not search its segment", what, sender),
			"nf_conntrack_ftp searches a segment only when it starts right after a segment of the same direction that ended with a newline; the first segment of each direction is never searched."+rules,
			segEv())
	case HelperUnread:
		tls := ""
		if s.TLS {
			tls = " (TLS records came before it: after CCC the helper reads nothing until a segment ends a line)"
		}
		return no(v.Outcome,
			fmt.Sprintf("The %s starts a TCP segment (packet %d) that the helper does not search, because the %s's segment before it did not end with a line end%s.", what, v.Packet, sender, tls),
			fmt.Sprintf("the segment before the %s did not end a line, so the helper did not search it", what),
			fmt.Sprintf("nf_conntrack_ftp searches a segment only when it starts right after a segment of the same direction that ended with a newline; a %s (or a middlebox) that cuts lines across segments defeats it. Have it send whole lines in each segment.", sender)+rules,
			segEv())
	case HelperMidSegment:
		return no(v.Outcome,
			fmt.Sprintf("The %s does not start its TCP segment (packet %d; it starts %d bytes in), and the helper looks only at the start of a segment.", what, v.Packet, v.Offset),
			fmt.Sprintf("the %s does not start its TCP segment, where the helper looks", what),
			fmt.Sprintf("The %s wrote it in one segment after the line before it (%s). "+
				"nf_conntrack_ftp and ALGs that parse alike read only the start of each segment. Have the %s send the announcement in a segment of its own.", sender, pipelining(d), sender)+rules,
			segEv())
	case HelperMultiLine:
		return no(v.Outcome,
			fmt.Sprintf("The %s spans several lines, and the helper reads only the start of its TCP segment (packet %d), where it finds \"%d-\", not \"%d \".", what, v.Packet, deref(d.SetupReply), deref(d.SetupReply)),
			fmt.Sprintf("the %s spans several lines, which the helper does not read", what),
			"Have the server answer PASV/EPSV on one line (a message configured into the reply makes it multi-line)."+rules,
			segEv())
	case HelperSplit:
		pkts := fmt.Sprintf("packet %d and the next", v.Packet)
		evs := []Evidence{ev(v.Packet, v.Time, fmt.Sprintf("the first part of the %s: a partial match, which the kernel drops", what))}
		if v.EndPacket != 0 {
			pkts = fmt.Sprintf("packets %d and %d", v.Packet, v.EndPacket)
			evs = append(evs, ev(v.EndPacket, v.EndTime, fmt.Sprintf("the rest of the %s, in a segment the helper does not search", what)))
		}
		return no(v.Outcome,
			fmt.Sprintf("The %s is split across TCP segments (%s): the helper reads each segment on its own, takes the first for a partial match and drops it.", what, pkts),
			fmt.Sprintf("the %s was split across TCP segments (%s), which the helper cannot read", what, pkts),
			"nf_conntrack_ftp needs the whole announcement at the start of one segment; on a partial match the kernel drops the packet (logged as \"partial matching of\" the pattern), "+
				"and each retransmission alike unless the sender joins the pieces. Look for a small MSS or MTU on the path, a middlebox that re-segments, or a sender that writes lines in pieces."+rules,
			evs...)
	case HelperForm:
		return no(v.Outcome,
			fmt.Sprintf("The helper refuses this form of the %s (%s, packet %d): it wants %s, and drops the packet otherwise.", what, v.Line, v.Packet, ctWants(d)),
			fmt.Sprintf("the helper's parser refuses the form of the %s", what),
			fmt.Sprintf("nf_conntrack_ftp is stricter than FTP servers and clients; the %s must write the announcement as the helper parses it.", sender)+rules,
			segEv())
	case HelperNoMatch:
		return no(v.Outcome,
			fmt.Sprintf("The %s starts its TCP segment (packet %d) but not as the helper looks for it (%s): it compares the start of the segment with %q.", what, v.Packet, v.Line, ctPattern(d)),
			fmt.Sprintf("the %s does not start as the helper looks for it", what),
			fmt.Sprintf("The %s must write the announcement as nf_conntrack_ftp reads it.", sender)+rules,
			segEv())
	case HelperAddress:
		read := v.Read.Addr()
		if read.Is4() && senderAddr.Is6() {
			return no(v.Outcome,
				fmt.Sprintf("The %s names the IPv4 address %s on an IPv6 control connection, which the helper never takes for the %s's address.", what, read, sender),
				fmt.Sprintf("the %s names an IPv4 address on an IPv6 control connection", what),
				"Use EPRT and EPSV on IPv6 (RFC 2428)."+rules,
				segEv())
		}
		return no(v.Outcome,
			fmt.Sprintf("The %s announces %s, not the %s's address %s on the control connection, and the helper opens nothing for another address (nf_conntrack_ftp loose=0).", what, read, sender, senderAddr),
			fmt.Sprintf("the %s announces %s, not the %s's address %s", what, read, sender, senderAddr),
			fmt.Sprintf("The helper makes no expectation for an announced address that differs from the control connection's, unless the module is loaded with loose=1 "+
				"(which lets anyone on the control connection open holes to other hosts). Have the %s announce the address the other side uses, or let a NAT device's helper rewrite it.", sender)+rules,
			segEv())
	}
	// The helper made an expectation; what became of it.
	o := d.Observed
	exp := func() Evidence {
		return ev(v.Packet, v.Time, fmt.Sprintf("the helper expects a connection from %s to %s", peerAddr, v.Read))
	}
	if v.Read.Port() != d.Announced.Port() {
		return no(whyOther,
			fmt.Sprintf("The helper read port %d from the %s, not the %d the %s will use.", v.Read.Port(), what, d.Announced.Port(), peer),
			fmt.Sprintf("the helper read port %d from the %s, not %d", v.Read.Port(), what, d.Announced.Port()),
			"nf_conntrack_ftp parses the numbers differently from the FTP client here."+rules,
			exp())
	}
	// Replaced or expired matter only for a connection that came.
	if r := d.HelperReplaced; r != nil && o != nil && r.Time.Before(o.SYNTime.Time) {
		return no(whyReplaced,
			fmt.Sprintf("The helper keeps one expectation per control connection, and the announcement in packet %d replaced this one's before its data connection came.", r.Packet),
			fmt.Sprintf("a later announcement (packet %d) replaced the helper's expectation before the data connection came", r.Packet),
			"nf_conntrack_ftp allows one expectation per control connection (max_expected 1): a client that sends PASV or PORT again before it connects loses the first. "+
				"Have the client use each announcement before the next."+rules,
			exp(), *r)
	}
	if o != nil && o.SYNTime.Sub(v.Time.Time) > ctExpectTimeout {
		return no(whyExpired,
			fmt.Sprintf("The data connection came %s after the announcement, and the helper's expectation lasts %s.", humanDuration(o.SYNTime.Sub(v.Time.Time)), humanDuration(ctExpectTimeout)),
			fmt.Sprintf("the data connection came %s after the announcement, when the helper's expectation had expired", humanDuration(o.SYNTime.Sub(v.Time.Time))),
			"nf_conntrack_ftp forgets an expectation after 5 minutes (its expect policy)."+rules,
			exp(), ev(o.SYNPacket, o.SYNTime, "SYN "+o.Initiator.String()+" → "+o.Responder.String()))
	}
	if l := d.FXP; l != nil && d.Mode == ModePassive {
		// The other half of a server-to-server transfer: the other server
		// connects.
		return no(whySource,
			fmt.Sprintf("In this server-to-server transfer server %s connects, and the helper's expectation admits connections from the %s's address %s only.", l.Server.Addr(), peer, peerAddr),
			fmt.Sprintf("server %s connects, not the %s %s", l.Server.Addr(), peer, peerAddr),
			"The expectation nf_conntrack_ftp makes for a 227 or 229 names the client's address as the source; in FXP another server connects."+rules,
			exp(), l.Announce)
	}
	if o != nil && o.Initiator.Addr() != peerAddr {
		return no(whySource,
			fmt.Sprintf("The data connection came from %s, and the helper's expectation admits connections from the %s's address %s only.", o.Initiator.Addr(), peer, peerAddr),
			fmt.Sprintf("the data connection came from %s, not from the %s's address %s", o.Initiator.Addr(), peer, peerAddr),
			fmt.Sprintf("The expectation nf_conntrack_ftp makes names the address of the other side of the control connection as the source; a %s that connects from another address is not admitted.", peer)+rules,
			exp(), ev(o.SYNPacket, o.SYNTime, "SYN "+o.Initiator.String()+" → "+o.Responder.String()))
	}
	return &helperVerdict{would: true, why: HelperExpected}
}

// pipelining says how an announcement comes after another line in one
// segment.
func pipelining(d *DataChannel) string {
	if d.Mode == ModeActive {
		return "a client that pipelines its commands"
	}
	return "a server that answers two commands, or adds a line, in one write"
}

// announcementName names what announced d's endpoint: "PORT command",
// "227 reply".
func announcementName(d *DataChannel) string {
	if d.Mode == ModeActive {
		return d.SetupCommand + " command"
	}
	if d.SetupReply != nil {
		return strconv.Itoa(*d.SetupReply) + " reply"
	}
	return "reply to " + d.SetupCommand
}

// ctPattern is what the helper compares the start of a segment with for
// d's kind of announcement.
func ctPattern(d *DataChannel) string {
	switch d.SetupCommand {
	case "PORT":
		return "PORT"
	case "EPRT":
		return "EPRT"
	case "EPSV":
		return "229 "
	}
	return "227 "
}

// ctWants says in words the form the helper's parser takes.
func ctWants(d *DataChannel) string {
	switch d.SetupCommand {
	case "PORT":
		return "\"PORT\", one space, six numbers separated by commas and nothing else, and CR right after them"
	case "EPRT":
		return "\"EPRT\", one space, then |1|address|port| (|2| on IPv6) with one delimiter throughout and a port other than 0"
	case "EPSV":
		return "\"229 \", then (|||port|) with three equal delimiters and a port other than 0"
	}
	return "\"227 \", then six numbers separated by commas from the first digit on, followed by some other character"
}

// helperMiss explains a data connection that failed where a firewall's
// FTP helper could not have opened it either. It returns false when the
// channel did not fail, the helper would have opened it, or the reason is
// not what stopped it (an address the connection never went to).
func helperMiss(s *Session, d *DataChannel, v *helperVerdict) (Finding, bool) {
	if v == nil || v.would || d.Announced == nil {
		return Finding{}, false
	}
	var failed *Finding
	for i := range d.Findings {
		switch d.Findings[i].Code {
		case CodeActiveBlocked, CodePassiveBlocked, CodeDataMissing:
			failed = &d.Findings[i]
		}
	}
	if failed == nil {
		return helperStall(d, v)
	}
	// An announced address the connection went to is the problem itself
	// (private-address findings, ftp-bounce); the helper's refusal explains
	// a failure only when the connection went where the helper would
	// have had it go, the control peer's address.
	if v.why == HelperAddress && d.Match != "control-peer-port" {
		return Finding{}, false
	}
	ann := *d.Announced
	opener := "client"
	if d.Mode == ModeActive {
		opener = "server"
	}
	evs := append([]Evidence{}, v.evidence...)
	if o := d.Observed; o != nil && o.SYNPacket != 0 {
		evs = append(evs, ev(o.SYNPacket, o.SYNTime, "SYN "+o.Initiator.String()+" → "+o.Responder.String()+" ("+string(o.State)+")"))
	}
	if d.ReplyPacket != 0 && d.TransferReply != nil {
		evs = append(evs, ev(d.ReplyPacket, d.ReplyTime, fmt.Sprintf("%d reply", *d.TransferReply)))
	}
	fate := "which was blocked"
	if failed.Code == CodeDataMissing {
		fate = "which never came"
	}
	target := ann.String()
	if o := d.Observed; o != nil && o.Responder != ann {
		target = fmt.Sprintf("%s (announced as %s)", o.Responder, ann)
	}
	return Finding{Code: CodeHelperWouldMiss, Severity: SeverityWarning,
		Summary: fmt.Sprintf("A firewall FTP helper could not have opened the %s's data connection to %s, %s: %s.", opener, target, fate, v.short),
		Detail: v.reason + " So a firewall on the path that relies on nf_conntrack_ftp (or an ALG that parses alike) to open data connections drops this one, " +
			"which fits the failure seen. " + v.fix,
		Evidence: evs}, true
}

// helperStall explains an announcement that never got an answer when
// the helper drops the packet that carries it (a partial match, or a form
// it refuses): behind such a helper the control connection stalls there,
// and no data connection is ever tried.
func helperStall(d *DataChannel, v *helperVerdict) (Finding, bool) {
	if (v.why != HelperSplit && v.why != HelperForm) || d.SetupReply != nil || d.Observed != nil || d.Announced == nil {
		return Finding{}, false
	}
	sender, what := "client", d.SetupCommand
	if d.Mode == ModePassive {
		sender, what = "server", "reply to "+d.SetupCommand
	}
	return Finding{Code: CodeHelperWouldMiss, Severity: SeverityWarning,
		Summary: fmt.Sprintf("The %s's %s announcing %s was never answered, and a firewall FTP helper drops it: %s.", sender, what, *d.Announced, v.short),
		Detail: v.reason + " Behind a firewall that runs nf_conntrack_ftp (or an ALG that parses alike) the packet never arrives, and neither do its " +
			"retransmissions: the control connection stalls there and the transfer never starts, which fits what the capture shows. " + v.fix,
		Evidence: append([]Evidence{}, v.evidence...)}, true
}

// tlsHelperMiss explains data connections that failed after the control
// connection switched to TLS: no FTP helper can read the announcements.
func tlsHelperMiss(s *Session) (Finding, bool) {
	if !s.TLS {
		return Finding{}, false
	}
	var evs []Evidence
	var names []string
	for _, o := range s.Unannounced {
		if o.Established || o.SYNPacket == 0 {
			continue
		}
		evs = append(evs, ev(o.SYNPacket, o.SYNTime, fmt.Sprintf("SYN %s → %s (%s)", o.Initiator, o.Responder, o.State)))
		if len(names) < 3 {
			names = append(names, o.Initiator.String()+" → "+o.Responder.String())
		}
	}
	if len(evs) == 0 {
		return Finding{}, false
	}
	return Finding{Code: CodeHelperWouldMiss, Severity: SeverityWarning,
		Summary: fmt.Sprintf("%s between %s and %s failed after the control connection switched to TLS, which no firewall FTP helper can read: %s.",
			plural(len(evs), "data connection", "data connections"), s.Client.Addr(), s.Server.Addr(), strings.Join(names, ", ")),
		Detail: "After AUTH TLS the PASV/PORT exchanges are encrypted: nf_conntrack_ftp (and any ALG) sees only TLS records, makes no expectation, and a firewall " +
			"that relies on it drops the data connections. Open the data ports by explicit rules (for passive mode the server's passive port range, " +
			"which passive-port-range and the server's configuration give; for active mode the client's side), or, where the policy allows, " +
			"have the client send CCC after login so that the control connection is cleartext again.",
		Evidence: append([]Evidence{s.TLSEvidence}, evs...)}, true
}

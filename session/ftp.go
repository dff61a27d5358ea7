package session

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/decode"
)

// dcState is a data channel while its session is followed.
type dcState struct {
	out   *DataChannel
	s     *sess
	exp   *expectation // nil once matched for good, expired or withdrawn
	conns []*dataConn  // connections that matched, in order
	// lineStart is the sequence number of the announcing line's first
	// byte, in its direction.
	lineStart uint32
	// fxp is the other half of a server-to-server transfer (fxp.go),
	// whose connection, between the two servers, is this one's too.
	fxp *dcState
}

// command handles one client line (RFC 959 §4.1).
func (s *sess) command(line []byte, r *pktRef) {
	a := s.a
	pkt, t := s.ref(r)
	cmd, err := decode.ParseCommand(line)
	if err != nil {
		if len(line) > 0 {
			s.out.Unparsed++
			s.recordLine(pkt, t, RoleClient, line, "")
		}
		return
	}
	s.out.Commands++
	if cmd.Verb == "PASS" && !a.cfg.ShowPasswords {
		cmd.Arg = "***"
	}
	s.recordCommand(pkt, t, cmd.Verb, cmd.Arg)
	p := &pendingCmd{verb: cmd.Verb, arg: cmd.Arg, packet: pkt, time: t.Time}
	switch cmd.Verb {
	case "USER":
		u := cmd.Arg
		s.out.User = &u
	case "AUTH":
		if v := strings.ToUpper(strings.TrimSpace(cmd.Arg)); strings.HasPrefix(v, "TLS") || strings.HasPrefix(v, "SSL") {
			s.authCmd = p
		}
	case "PORT", "EPRT", "LPRT":
		p.dc = s.newChannel(cmd.Verb, ModeActive, pkt, t)
		var ep netip.AddrPort
		switch cmd.Verb {
		case "PORT":
			ep, err = decode.ParsePORT(cmd.Arg)
		case "EPRT":
			ep, err = decode.ParseEPRT(cmd.Arg)
		default:
			ep, err = decode.ParseLPRT(cmd.Arg)
		}
		if p.dc != nil && err == nil {
			s.fxpLink(p.dc, ep, pkt, t)
			s.announce(p.dc, ep, pkt, t)
		}
	case "PASV", "LPSV":
		p.dc = s.newChannel(cmd.Verb, ModePassive, pkt, t)
	case "EPSV":
		// "EPSV ALL" only tells the server that every later setup is
		// EPSV (RFC 2428 §4); it sets up no channel itself.
		if !strings.EqualFold(strings.TrimSpace(cmd.Arg), "ALL") {
			p.dc = s.newChannel(cmd.Verb, ModePassive, pkt, t)
		}
	default:
		if decode.IsTransferVerb(cmd.Verb) && s.lastDC != nil {
			dc := s.lastDC
			s.lastDC = nil
			v, arg := cmd.Verb, cmd.Arg
			dc.out.TransferCommand = &v
			if arg != "" {
				dc.out.Argument = &arg
			}
			dc.out.TransferPacket, dc.out.TransferTime = pkt, t
			p.dc = dc
		}
	}
	if a.cfg.Transcript && len(s.out.Transcript) < a.cfg.MaxLadder {
		ex := Exchange{Command: cmd.Verb, Arg: cmd.Arg, Packet: pkt, Time: t}
		if p.dc != nil {
			ex.DataChannel = p.dc.out.ID
		}
		s.out.Transcript = append(s.out.Transcript, ex)
		p.ex = len(s.out.Transcript)
	}
	if len(s.pending) >= maxPending {
		s.pending = s.pending[1:]
	}
	s.pending = append(s.pending, p)
}

// newChannel records a data-channel setup command.
func (s *sess) newChannel(verb string, mode Mode, pkt int, t Time) *dcState {
	if len(s.dcs) >= s.a.cfg.MaxChannels {
		s.a.channelsDropped++
		return nil
	}
	init := RoleClient
	if mode == ModeActive {
		init = RoleServer
	}
	dc := &dcState{s: s, out: &DataChannel{
		ID:                len(s.dcs) + 1,
		SetupCommand:      verb,
		SetupPacket:       pkt,
		SetupTime:         t,
		Mode:              mode,
		ExpectedInitiator: init,
		Findings:          []Finding{},
	}}
	s.dcs = append(s.dcs, dc)
	s.lastDC = dc
	return dc
}

// announce records the endpoint a setup announced and starts expecting
// the data connection there.
func (s *sess) announce(dc *dcState, ep netip.AddrPort, pkt int, t Time) {
	a := s.a
	ep = netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
	dc.out.Announced = &ep
	s.helperSee(dc)
	dc.out.AnnouncePacket, dc.out.AnnounceTime = pkt, t
	// The peer that should accept the connection: the server in passive
	// mode, the client in active mode. Behind NAT the connection goes to
	// the announced port at that peer's control address instead.
	peer := s.server.Addr()
	if dc.out.Mode == ModeActive {
		peer = s.client.Addr()
	}
	e := &expectation{dc: dc, ep: ep, deadline: t.Add(a.cfg.ExpectLifetime), live: true}
	if peer != ep.Addr() {
		e.nat = netip.AddrPortFrom(peer, ep.Port())
		a.setExpect(a.expectNAT, e.nat, append(a.expectNAT[e.nat], e))
	}
	a.setExpect(a.expect, ep, append(a.expect[ep], e))
	dc.exp = e
	// The connection may have started just before the announcement was
	// read (the capture holds its SYN before the reply, from two
	// interfaces or clocks): adopt it. One that started earlier than that
	// is another connection to the same port.
	for i, c := range s.unannounce {
		if c.sawSYN && c.synFirst.Before(t.Add(-inFlight)) {
			continue
		}
		if c.responder == ep || (e.nat.IsValid() && c.responder == e.nat) {
			c.dc = dc
			c.initIsClient = dc.out.Mode == ModePassive
			c.match = "announced"
			if c.responder != ep {
				c.match = "control-peer-port"
			}
			dc.conns = append(dc.conns, c)
			s.unannounce = append(s.unannounce[:i], s.unannounce[i+1:]...)
			if c.obs.Established {
				a.withdraw(dc)
			}
			break
		}
	}
}

// replyLine handles one server line (RFC 959 §4.2).
func (s *sess) replyLine(line []byte, r *pktRef) {
	pkt, t := s.ref(r)
	inside := s.replies.Pending()
	if !inside {
		s.replyStart = s.lines[toClient].span
	}
	rep, done, err := s.replies.Feed(line)
	switch {
	case err != nil:
		s.out.Unparsed++
		s.recordLine(pkt, t, RoleServer, line, "")
		return
	case !done && inside:
		// The middle of a multi-line reply: the ladder shows its first
		// and last lines only.
		s.hiddenLines++
		return
	}
	suffix := ""
	if done && s.hiddenLines > 0 {
		suffix = " (+" + strconv.Itoa(s.hiddenLines) + " lines)"
	}
	s.recordLine(pkt, t, RoleServer, line, suffix)
	if done {
		s.hiddenLines = 0
		s.reply(rep, pkt, t)
	}
}

// reply pairs a complete reply with the command it answers (RFC 959
// section 4.2: one final reply per command, in order). After control
// bytes went missing, a lost command or reply would shift that order for
// the rest of the session, so from then on a reply answers the oldest
// waiting command it can answer (decode.Answers: a 227 answers PASV, a
// 150 or 226 a transfer, a 331 USER...), and the commands before that
// one lost their replies.
func (s *sess) reply(rep decode.Reply, pkt int, t Time) {
	code := rep.Code
	if code == 220 && s.out.Greeting.Packet == 0 {
		s.out.Greeting = Evidence{Packet: pkt, Time: t, What: "220 greeting from " + s.server.String()}
		s.out.Banner = shorten(rep.Text(), maxBannerLen)
	}
	if code >= 100 && code < 200 {
		// Preliminary: the final reply follows. A 150 or 125 still says a
		// transfer command is the one being answered.
		if s.resync && decode.SpecificReply(code) {
			if i := s.answered(code); i > 0 {
				s.lost(i)
			}
		}
		return
	}
	if s.authCmd != nil && code == 234 {
		s.out.TLS = true
		s.authEvidence = Evidence{Packet: pkt, Time: t, What: "234 reply: the server accepted " + s.authCmd.verb + " " + s.authCmd.arg}
		s.tls[toServer] = tlsSkipper{on: true}
		s.tls[toClient] = tlsSkipper{on: true}
		s.lines[toServer].reset()
	}
	idx := 0
	// A reply that only a data-channel setup produces answers the oldest
	// waiting setup of that kind, gap or not; after a gap every reply
	// specific to a few commands looks for its command.
	if s.resync || code == 227 || code == 228 || code == 229 {
		idx = s.answered(code)
	}
	if idx < 0 || idx >= len(s.pending) {
		// Unsolicited: a banner, a 421, or the reply to a command that is
		// not in the capture.
		s.unpaired(rep, pkt, t)
		return
	}
	s.lost(idx)
	p := s.pending[0]
	s.pending = s.pending[1:]
	if p == s.authCmd {
		s.authCmd = nil
	}
	if p.ex > 0 {
		ex := &s.out.Transcript[p.ex-1]
		ex.Reply, ex.ReplyText, ex.ReplyPacket, ex.ReplyTime = code, rep.Text(), pkt, t
	}
	switch p.verb {
	case "USER", "PASS", "ACCT":
		s.login(p, rep, pkt, t)
	}
	if p.dc == nil {
		if decode.IsTransferVerb(p.verb) && code >= 400 && len(s.out.Refused) < maxRefused {
			// A transfer command with no data channel set up before it.
			s.out.Refused = append(s.out.Refused, Exchange{Command: p.verb, Arg: p.arg, Packet: p.packet, Time: Time{p.time},
				Reply: code, ReplyText: rep.Text(), ReplyPacket: pkt, ReplyTime: t})
		}
		return
	}
	dc := p.dc
	switch p.verb {
	case "PASV", "LPSV", "EPSV":
		dc.out.SetupReply = &code
		dc.out.SetupReplyPacket, dc.out.SetupReplyTime = pkt, t
		if ep, ok := passiveEndpoint(p.verb, rep, s.server.Addr()); ok {
			s.announce(dc, ep, pkt, t)
		}
	case "PORT", "EPRT", "LPRT":
		dc.out.SetupReply = &code
		dc.out.SetupReplyPacket, dc.out.SetupReplyTime = pkt, t
		if code >= 300 && dc.exp != nil {
			// Refused: the server will not connect.
			s.a.withdraw(dc)
		}
	default:
		dc.out.TransferReply = &code
		dc.out.ReplyPacket, dc.out.ReplyTime = pkt, t
		dc.out.ReplyText = rep.Text()
		if e := dc.exp; e != nil && len(dc.conns) == 0 {
			// The transfer is over and nothing connected: expect its
			// connection a moment longer only, as a capture may hold a
			// data packet just after the final reply.
			e.deadline = t.Add(finalGrace)
		}
	}
}

// inFlight is how much earlier than its announcement a data connection's
// SYN may be captured and still answer it.
const inFlight = 50 * time.Millisecond

// finalGrace is how long after a transfer's final reply its data
// connection may still first appear in the capture.
const finalGrace = time.Second

// maxRefused bounds the refused transfers without a data channel kept
// per session.
const maxRefused = 16

// answered returns the index of the oldest waiting command that a reply
// with code can answer, or -1 when none can.
func (s *sess) answered(code int) int {
	for i, p := range s.pending {
		if decode.Answers(code, p.verb) {
			return i
		}
	}
	return -1
}

// lost drops the n oldest waiting commands: their replies are not in the
// capture.
func (s *sess) lost(n int) {
	s.out.Unanswered += n
	s.pending = s.pending[n:]
}

// unpaired notes a final reply that answers no command in the capture. A
// 227, 228 or 229 still announces an endpoint: it makes a data channel of
// its own, set up by a command that is not in the capture, so that the
// connection to that endpoint and the transfer that follows are matched.
func (s *sess) unpaired(rep decode.Reply, pkt int, t Time) {
	if s.a.cfg.Transcript && len(s.out.Transcript) < s.a.cfg.MaxLadder {
		s.out.Transcript = append(s.out.Transcript, Exchange{Reply: rep.Code, ReplyText: rep.Text(), ReplyPacket: pkt, ReplyTime: t})
	}
	if rep.Code != 220 && rep.Code != 421 {
		s.out.Unpaired++
	}
	switch rep.Code {
	case 425, 426, 451:
		// A transfer failed whose command is not in the capture (it
		// starts mid-session, or holds one side of a NAT only).
		if len(s.out.UnpairedFailures) < maxRefused {
			s.out.UnpairedFailures = append(s.out.UnpairedFailures, Exchange{Reply: rep.Code, ReplyText: rep.Text(), ReplyPacket: pkt, ReplyTime: t})
		}
	}
	verb := map[int]string{227: "PASV", 228: "LPSV", 229: "EPSV"}[rep.Code]
	if verb == "" {
		return
	}
	ep, ok := passiveEndpoint(verb, rep, s.server.Addr())
	if !ok {
		return
	}
	dc := s.newChannel(verb, ModePassive, 0, Time{})
	if dc == nil {
		return
	}
	code := rep.Code
	dc.out.SetupReply = &code
	dc.out.SetupReplyPacket, dc.out.SetupReplyTime = pkt, t
	s.announce(dc, ep, pkt, t)
}

// login notes the reply to a USER, PASS or ACCT command (RFC 959 section
// 5.4): 230 and 232 log the user in, 4xx and 5xx reject the login.
func (s *sess) login(p *pendingCmd, rep decode.Reply, pkt int, t Time) {
	switch code := rep.Code; {
	case code == 230 || code == 232:
		yes := true
		s.out.LoggedIn = &yes
	case code >= 400:
		s.out.FailedLogins++
		if s.out.LoggedIn == nil {
			no := false
			s.out.LoggedIn = &no
		}
		if len(s.out.LoginFailures) < maxRefused {
			s.out.LoginFailures = append(s.out.LoginFailures, Exchange{Command: p.verb, Arg: p.arg, Packet: p.packet, Time: Time{p.time},
				Reply: code, ReplyText: rep.Text(), ReplyPacket: pkt, ReplyTime: t})
		}
		user := ""
		if s.out.User != nil {
			user = *s.out.User
		}
		s.a.logins.fail(s.client, s.server, user, pkt, t, s.a.packets)
	}
}

// passiveEndpoint reads the endpoint a 227, 228 or 229 reply announces;
// ok is false when the reply does not announce one.
func passiveEndpoint(verb string, rep decode.Reply, server netip.Addr) (netip.AddrPort, bool) {
	want := map[string]int{"PASV": 227, "LPSV": 228, "EPSV": 229}[verb]
	if rep.Code != want {
		return netip.AddrPort{}, false
	}
	// The numbers usually stand on the last line; look at every line,
	// last first.
	for i := len(rep.Lines) - 1; i >= 0; i-- {
		text := rep.Lines[i]
		switch verb {
		case "PASV":
			if ep, err := decode.Parse227(text); err == nil {
				return ep, true
			}
		case "LPSV":
			if ep, err := decode.Parse228(text); err == nil {
				return ep, true
			}
		case "EPSV":
			// RFC 2428 §3: the data connection goes to the address of
			// the control connection.
			if port, err := decode.Parse229(text); err == nil {
				return netip.AddrPortFrom(server, port), true
			}
		}
	}
	return netip.AddrPort{}, false
}

// printable makes a control line safe to show: control characters become
// '.', and the result is valid UTF-8.
func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			c = '.'
		}
		out = append(out, c)
	}
	return string(out)
}

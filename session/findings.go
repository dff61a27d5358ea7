package session

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// isPrivate reports addresses that are not reachable across the
// Internet: RFC 1918, RFC 4193, loopback, link-local and shared
// address space (RFC 6598).
func isPrivate(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
		return true
	}
	return a.Is4() && a.As4()[0] == 100 && a.As4()[1]&0xc0 == 64
}

func ev(pkt int, t Time, what string) Evidence {
	return Evidence{Packet: pkt, Time: t, What: what}
}

// drawFindings draws the findings of a finished session from its model
// alone: each data channel's, then the session's own.
func drawFindings(s *Session, ctx findingContext) {
	for _, d := range s.DataChannels {
		v := judgeHelper(s, d)
		d.Helper = v.helper()
		channelFindings(s, d, ctx)
		if f, ok := helperMiss(s, d, v); ok {
			d.Findings = append(d.Findings, f)
		}
	}
	sessionFindings(s)
}

// findingContext is what findings need to know beyond the session.
type findingContext struct {
	// filter is the capture filter the input went through ("" for none):
	// connections may be missing because of it.
	filter string
}

// pathUnseen explains a transfer that succeeded without its data
// connection in the capture.
func pathUnseen(s *Session, d *DataChannel, ann netip.AddrPort, annEv Evidence, ctx findingContext) Finding {
	detail := fmt.Sprintf("The server confirmed the transfer with %d, so the data connection existed; it took a path this capture point does not see "+
		"(another link or interface, asymmetric routing), or a capture or display filter removed it.", *d.TransferReply)
	if ctx.filter != "" {
		detail += fmt.Sprintf(" These packets went through the filter %q.", ctx.filter)
	} else if none(s) {
		detail += " None of this session's data connections is in the capture: it was probably captured or exported with a filter such as 'port 21'."
	}
	detail += " Nothing failed; to see the data connection, capture without a port filter where both hosts' traffic passes."
	return Finding{Code: CodeDataPathUnseen, Severity: SeverityInfo,
		Summary: fmt.Sprintf("The data connection of %s (%d) towards %s is not in the capture.", transferName(d), *d.TransferReply, ann),
		Detail:  detail,
		Evidence: []Evidence{annEv, ev(d.TransferPacket, d.TransferTime, *d.TransferCommand+" sent"),
			ev(d.ReplyPacket, d.ReplyTime, fmt.Sprintf("%d reply", *d.TransferReply))}}
}

// none reports whether no data channel of s has its connection in the
// capture.
func none(s *Session) bool {
	for _, d := range s.DataChannels {
		if d.Observed != nil {
			return false
		}
	}
	return true
}

// dataMissing explains a transfer that failed with no SYN towards the
// announced endpoint in the capture.
func dataMissing(d *DataChannel, ann netip.AddrPort, annEv Evidence, ctx findingContext) Finding {
	who, whom := "client", "server"
	if d.Mode == ModeActive {
		who, whom = "server", "client"
	}
	detail := fmt.Sprintf("The %s announced %s and %s was sent, then the transfer failed with %d, and no SYN towards that endpoint (or its port at the %s's address) is in the capture. ",
		whom, ann, *d.TransferCommand, *d.TransferReply, whom)
	if ctx.filter != "" {
		detail += fmt.Sprintf("The packets were filtered (%q): the filter may have removed the attempt, so look at an unfiltered capture before blaming either side.", ctx.filter)
	} else {
		detail += fmt.Sprintf("Either the %s never tried (it gave up, or its own host firewall dropped the SYN before the capture point), or the attempt took a path this capture does not see.", who)
	}
	return Finding{Code: CodeDataMissing, Severity: SeverityWarning,
		Summary: fmt.Sprintf("No connection towards %s was seen for %s, which failed with %d.", ann, transferName(d), *d.TransferReply),
		Detail:  detail,
		Evidence: []Evidence{annEv, ev(d.TransferPacket, d.TransferTime, *d.TransferCommand+" sent"),
			ev(d.ReplyPacket, d.ReplyTime, fmt.Sprintf("%d reply", *d.TransferReply))}}
}

// transferName is the transfer command with its argument: "RETR a.txt".
func transferName(d *DataChannel) string {
	if d.Argument != nil && *d.Argument != "" {
		return *d.TransferCommand + " " + shorten(*d.Argument, maxArgInSummary)
	}
	return deref2(d.TransferCommand)
}

// maxArgInSummary bounds a command argument quoted in a summary, which
// is one sentence: a hostile capture can send arguments of any length.
const maxArgInSummary = 120

// shorten cuts s to at most n bytes at a character boundary, marking the
// cut with "…".
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// rejected explains a transfer command the server refused: a server-side
// decision, not a network fault.
func rejected(s *Session, x Exchange) Finding {
	what := x.Command
	if x.Arg != "" {
		what += " " + shorten(x.Arg, maxArgInSummary)
	}
	return Finding{Code: CodeTransferRejected, Severity: SeverityWarning,
		Summary: fmt.Sprintf("Server %s refused %s: %d %s", s.Server, what, x.Reply, strings.TrimSuffix(firstLine(x.ReplyText), ".")+"."),
		Detail: "The server answered the transfer command with an error, so no data connection was due: this is the server refusing the request, not the network. " +
			refusalDetail(x.Reply),
		Evidence: []Evidence{ev(x.Packet, x.Time, x.Command+" sent"), ev(x.ReplyPacket, x.ReplyTime, fmt.Sprintf("%d reply", x.Reply))}}
}

// refusalDetail says what a refusal code usually means (RFC 959 section
// 4.2.1 and what servers put behind it).
func refusalDetail(code int) string {
	switch code {
	case 550:
		return "550: the file or directory does not exist, or the user may not read or write it (permissions, chroot, a hidden or denied path). Check the path and the server's permissions for this user."
	case 553:
		return "553: the file name is not allowed (characters, a denied pattern, an upload directory that does not accept it)."
	case 552, 452:
		return fmt.Sprintf("%d: the server has no room for it (disk full or the user's quota exceeded).", code)
	case 450:
		return "450: the file is unavailable for now (busy, locked, or an empty listing on some servers)."
	case 530, 532:
		return fmt.Sprintf("%d: the user is not logged in or lacks the account needed for this.", code)
	case 500, 501, 502, 504:
		return fmt.Sprintf("%d: the server does not understand or allow the command as sent.", code)
	}
	return "Read the reply text for the server's reason."
}

// channelFindings draws the findings of one data channel.
func channelFindings(s *Session, d *DataChannel, ctx findingContext) {
	if d.Announced == nil {
		return
	}
	ann := *d.Announced
	client, server := s.Client, s.Server
	var annEv Evidence
	if d.Mode == ModePassive {
		annEv = ev(d.AnnouncePacket, d.AnnounceTime, fmt.Sprintf("%d reply announces %s", deref(d.SetupReply), ann))
	} else {
		annEv = ev(d.SetupPacket, d.SetupTime, fmt.Sprintf("%s announces %s", d.SetupCommand, ann))
	}
	o := d.Observed
	worked := o != nil && o.Established

	// Announced addresses that differ from the control connection's.
	switch {
	case d.FXP != nil:
		// A server-to-server transfer explains the third-party address.
		d.Findings = append(d.Findings, fxpFinding(s, d, annEv))
		if d.Mode == ModeActive {
			break
		}
		fallthrough
	case d.Mode == ModePassive:
		if ann.Addr() != server.Addr() && isPrivate(ann.Addr()) {
			f := Finding{Code: CodePassivePrivate, Severity: SeverityWarning,
				Summary: fmt.Sprintf("Server %s announced the private address %s in its %d reply instead of its own address %s.",
					server, ann, deref(d.SetupReply), server.Addr()),
				Detail: "The server sits behind NAT and tells clients its internal address for passive data connections. " +
					"Clients outside cannot reach it, so transfers hang or fail unless the client ignores the announced address (curl does, many clients do not). " +
					"Set the server's public address for passive mode (vsftpd pasv_address, ProFTPD MasqueradeAddress, Pure-FTPd -P, FileZilla Server's external IP) " +
					"or let the NAT device rewrite the reply.",
				Evidence: []Evidence{annEv}}
			if worked && o.Responder != ann {
				f.Detail += fmt.Sprintf(" Here the client connected to %s instead, and that worked.", o.Responder)
			}
			d.Findings = append(d.Findings, f)
		}
	case d.Mode == ModeActive:
		switch {
		case ann.Addr() != client.Addr() && isPrivate(ann.Addr()):
			d.Findings = append(d.Findings, Finding{Code: CodeActivePrivate, Severity: SeverityWarning,
				Summary: fmt.Sprintf("Client %s announced the private address %s in %s, not the address %s the server sees.",
					client, ann, d.SetupCommand, client.Addr()),
				Detail: "The client sits behind NAT and no FTP helper (ALG) rewrote its " + d.SetupCommand + " command, so the server is told to connect to an address it cannot reach. " +
					"Use passive mode (PASV/EPSV), or enable the FTP helper on the NAT device (Linux: nf_conntrack_ftp with a CT helper rule); " +
					"a helper cannot help once the control connection is encrypted.",
				Evidence: []Evidence{annEv}})
		case ann.Addr() != client.Addr():
			d.Findings = append(d.Findings, bounce(d, annEv, fmt.Sprintf("Client %s told server %s to connect to a third host, %s", client, server, ann),
				"An FTP bounce (RFC 2577): PORT/EPRT names a host other than the client, which makes the server open connections on the client's behalf. "+
					"Servers should refuse it (vsftpd port_promiscuous=NO, the default); firewalls should not let the server reach arbitrary hosts."))
		}
		if ann.Port() < 1024 {
			d.Findings = append(d.Findings, bounce(d, annEv, fmt.Sprintf("Client %s announced the privileged port %d in %s", client, ann.Port(), d.SetupCommand),
				"Ports below 1024 belong to services (25 is mail, 80 is web): a PORT naming one is an FTP bounce attempt (RFC 2577) or a broken client. "+
					"Servers should refuse PORT to privileged ports."))
		}
	}

	positive := d.SetupReply != nil && *d.SetupReply >= 200 && *d.SetupReply < 300
	switch {
	case o == nil:
		// A transfer refused for reasons of its own (550 no such file,
		// 452 no space) needs no data connection, and one whose outcome
		// is not in the capture may not have needed it yet.
		if !positive || d.TransferCommand == nil || d.TransferReply == nil {
			break
		}
		switch r := *d.TransferReply; {
		case r >= 200 && r < 300 && d.FXP != nil:
			// fxp-transfer says where the data connection ran.
		case r >= 200 && r < 300:
			d.Findings = append(d.Findings, pathUnseen(s, d, ann, annEv, ctx))
		case r == 425 || r == 426:
			d.Findings = append(d.Findings, dataMissing(d, ann, annEv, ctx))
		}
	case !o.Established:
		d.Findings = append(d.Findings, blocked(s, d, ann, annEv))
	case o.Established && (d.Match == "control-peer-port" || o.Responder != ann):
		d.Findings = append(d.Findings, Finding{Code: CodeAddressRewritten, Severity: SeverityInfo,
			Summary: fmt.Sprintf("The data connection reached %s although %s was announced.", o.Responder, ann),
			Detail: "The announced address differs from the one the connection used, and the connection worked: a NAT device or FTP helper rewrote the address, " +
				"the capture point is behind NAT, or the client ignored the announced address and used the control connection's.",
			Evidence: []Evidence{annEv, ev(o.SYNPacket, o.SYNTime, "SYN "+o.Initiator.String()+" → "+o.Responder.String())}})
	}

	// The transfer's outcome.
	if r := d.TransferReply; r != nil && *r >= 400 && *r != 425 && *r != 426 && *r != 451 {
		d.Findings = append(d.Findings, rejected(s, Exchange{Command: *d.TransferCommand, Arg: deref2(d.Argument),
			Packet: d.TransferPacket, Time: d.TransferTime, Reply: *r, ReplyText: d.ReplyText, ReplyPacket: d.ReplyPacket, ReplyTime: d.ReplyTime}))
	} else if r := d.TransferReply; r != nil && (*r == 425 || *r == 426 || *r == 451) {
		d.Findings = append(d.Findings, Finding{Code: CodeTransferFailed, Severity: SeverityError,
			Summary: fmt.Sprintf("%s failed with %d: %s", deref2(d.TransferCommand), *r, firstLine(d.ReplyText)),
			Detail:  transferFailDetail(*r),
			Evidence: []Evidence{ev(d.TransferPacket, d.TransferTime, deref2(d.TransferCommand)+" sent"),
				ev(d.ReplyPacket, d.ReplyTime, fmt.Sprintf("%d reply", *r))}})
	} else if o != nil && o.State == StateReset && d.TransferCommand != nil {
		// A connection that carried no transfer command carried no file:
		// its reset ends nothing.
		d.Findings = append(d.Findings, Finding{Code: CodeTransferFailed, Severity: SeverityError,
			Summary:  fmt.Sprintf("The data connection %s → %s of %s was reset before it finished.", o.Initiator, o.Responder, transferName(d)),
			Detail:   "A RST ended the data connection before either side closed it with FIN: the transfer was aborted by one side or by a firewall in between, and the file is incomplete.",
			Evidence: []Evidence{ev(o.RSTPacket, o.RSTTime, "RST")}})
	}
}

func transferFailDetail(code int) string {
	switch code {
	case 425:
		return "425 means the server could not open or accept the data connection: in passive mode the client's connection did not arrive, in active mode the server could not reach the client. Look at the data-connection finding for where it was blocked."
	case 426:
		return "426 means the data connection was closed and the transfer aborted: a client abort (ABOR), a timeout or a firewall that dropped the connection mid-transfer."
	}
	return "451 means the server aborted the transfer because of a local error (disk full, file locked, permission)."
}

// blocked explains a data connection that was never established.
func blocked(s *Session, d *DataChannel, ann netip.AddrPort, annEv Evidence) Finding {
	o := d.Observed
	code, who, whom := CodePassiveBlocked, "client", "server"
	if d.Mode == ModeActive {
		code, who, whom = CodeActiveBlocked, "server", "client"
	}
	evs := []Evidence{annEv}
	for i, p := range o.SYNPackets {
		what := "SYN " + o.Initiator.String() + " → " + o.Responder.String()
		if i > 0 {
			what += fmt.Sprintf(" (retry %d)", i)
		}
		evs = append(evs, ev(p, o.SYNTimes[i], what))
	}
	var summary, detail string
	nat := false
	switch o.State {
	case StateRefused:
		evs = append(evs, ev(o.RSTPacket, o.RSTTime, "RST from "+o.Responder.String()))
		summary = fmt.Sprintf("%s %s's %s data connection to %s was refused with RST.", titleRole(who), o.Initiator.Addr(), d.Mode, o.Responder)
		detail = fmt.Sprintf("The %s answered the SYN with a reset: nothing listens on port %d there any more, or a firewall rejects the connection with RST. ", whom, ann.Port())
	case StateUnreachable:
		evs = append(evs, ev(o.ICMPPacket, o.ICMPTime, "ICMP "+o.ICMPWhat+" from "+o.ICMPFrom.String()))
		summary = fmt.Sprintf("%s %s's %s data connection to %s was rejected: ICMP %s from %s.", titleRole(who), o.Initiator.Addr(), d.Mode, o.Responder, o.ICMPWhat, o.ICMPFrom)
		detail = fmt.Sprintf("%s answered the SYN with an ICMP error (%s): a firewall or router on the path rejects the connection. ", o.ICMPFrom, o.ICMPWhat)
	default:
		peer := s.Server.Addr()
		if d.Mode == ModeActive {
			peer = s.Client.Addr()
		}
		if o.Responder == ann && isPrivate(ann.Addr()) && ann.Addr() != peer {
			summary = fmt.Sprintf("%s data connection blocked: the %s's SYNs went only to the private address %s it was told, not to %s, and got no answer (%d attempts).",
				titleRole(string(d.Mode)), who, ann, peer, o.SYNAttempts)
			detail = fmt.Sprintf("The %s announced an internal address from behind NAT; %s cannot be reached from the %s's side, so the SYNs die unanswered. ", whom, ann.Addr(), who)
			nat = true
			break
		}
		summary = fmt.Sprintf("%s data connection blocked: %s %s never answered the %s's SYN to port %d (%d attempts).",
			titleRole(string(d.Mode)), whom, o.Responder.Addr(), who, ann.Port(), o.SYNAttempts)
		detail = "The SYN got no answer at all: a firewall drops it silently. "
	}
	switch {
	case nat && d.Mode == ModePassive:
		detail += "Make the server announce its public address (vsftpd pasv_address, ProFTPD MasqueradeAddress, Pure-FTPd -P) and forward its passive port range, " +
			"or use a client that connects to the control connection's address instead (curl does by default)."
	case nat:
		detail += "Use passive mode, or enable an FTP helper on the client's NAT device (Linux: nf_conntrack_ftp with a CT helper rule) so that PORT is rewritten to the public address."
	case d.Mode == ModePassive:
		detail += "In passive mode the client connects to the port the server announced; the server's firewall must allow the server's passive port range " +
			"(vsftpd pasv_min_port/pasv_max_port, ProFTPD PassivePorts, Pure-FTPd -p) or run an FTP helper that opens it."
	default:
		detail += "In active mode the server connects back to the client; a client-side firewall or NAT usually blocks that. " +
			"Switch the client to passive mode, or allow inbound connections from the server (an FTP helper such as nf_conntrack_ftp does this while the control connection is cleartext)."
	}
	if d.ReplyPacket != 0 {
		evs = append(evs, ev(d.ReplyPacket, d.ReplyTime, fmt.Sprintf("%d reply", deref(d.TransferReply))))
	}
	return Finding{Code: code, Severity: SeverityError, Summary: summary, Detail: detail, Evidence: evs}
}

// sessionFindings draws the findings about the session as a whole.
func sessionFindings(out *Session) {
	if out.DetectedBy == DetectedByContent {
		out.Findings = append(out.Findings, nonstandardPort(out))
	}
	if f, ok := controlBlocked(out); ok {
		out.Findings = append(out.Findings, f)
	}
	setupFinding(out)
	if out.LoggedIn != nil && !*out.LoggedIn {
		out.Findings = append(out.Findings, loginFailed(out))
	}
	for _, x := range out.Refused {
		out.Findings = append(out.Findings, rejected(out, x))
	}
	for _, x := range out.UnpairedFailures {
		out.Findings = append(out.Findings, Finding{Code: CodeTransferFailed, Severity: SeverityError,
			Summary: fmt.Sprintf("A transfer between %s and %s failed with %d: %s (its command is not in the capture).",
				out.Client, out.Server, x.Reply, strings.TrimSuffix(firstLine(x.ReplyText), ".")),
			Detail: transferFailDetail(x.Reply) + " The command it answers, and the data channel's setup, are not in the capture " +
				"(it starts in the middle of the session, or holds only one side of a NAT), so which transfer failed cannot be said.",
			Evidence: []Evidence{ev(x.ReplyPacket, x.ReplyTime, fmt.Sprintf("%d reply", x.Reply))}})
	}
	if out.TLS {
		out.Findings = append(out.Findings, Finding{Code: CodeControlEncrypted, Severity: SeverityWarning,
			Summary: fmt.Sprintf("The control connection %s → %s switched to TLS: later commands and data-channel announcements are unreadable.", out.Client, out.Server),
			Detail: "After AUTH TLS/SSL the PORT/PASV exchanges are encrypted, so neither this analysis nor a firewall's FTP helper (conntrack, ALG) can see which data ports to open. " +
				"Passive transfers then need the server's passive port range open in every firewall on the path; active transfers need the client side open.",
			Evidence: []Evidence{out.TLSEvidence}})
	}
	if f, ok := idleTimeout(out); ok {
		out.Findings = append(out.Findings, f)
	}
	if f, ok := tlsHelperMiss(out); ok {
		out.Findings = append(out.Findings, f)
	}
	if out.ControlGaps > 0 {
		out.Findings = append(out.Findings, Finding{Code: CodeControlGap, Severity: SeverityWarning,
			Summary:  fmt.Sprintf("%d bytes of the control connection %s → %s are missing from the capture.", out.ControlGaps, out.Client, out.Server),
			Detail:   "Segments were lost before the capture point (a busy capture host, a SPAN port dropping packets, or a snap length cut): announcements in the missing bytes are unseen, so data connections may show as unannounced.",
			Evidence: out.Gaps})
	}
	if len(out.Unannounced) > 0 {
		var evs []Evidence
		var names []string
		for _, o := range out.Unannounced {
			evs = append(evs, ev(o.SYNPacket, o.SYNTime, "SYN "+o.Initiator.String()+" → "+o.Responder.String()))
			if len(names) < 3 {
				names = append(names, o.Initiator.String()+" → "+o.Responder.String())
			}
		}
		detail := "These connections run between the session's hosts while it is open but match no PORT/EPRT/LPRT or PASV/EPSV/LPSV announcement seen in the capture."
		if out.TLS {
			detail += " The control connection is encrypted, so the announcements could not be read."
		} else if out.ControlGaps > 0 {
			detail += " Part of the control connection is missing from the capture, which may have held the announcements."
		}
		out.Findings = append(out.Findings, Finding{Code: CodeDataUnannounced, Severity: SeverityInfo,
			Summary:  fmt.Sprintf("%d connection(s) between %s and %s match no announcement: %s.", len(out.Unannounced), out.Client.Addr(), out.Server.Addr(), strings.Join(names, ", ")),
			Detail:   detail,
			Evidence: evs})
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func deref2(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func titleRole(r string) string {
	if r == "" {
		return r
	}
	return strings.ToUpper(r[:1]) + r[1:]
}

// setupFinding says, for a session where a data connection failed, what
// the capture shows of the server's setup: the passive port range it
// announces and the source ports of its active-mode connections, which
// is what firewall rules must match.
func setupFinding(s *Session) {
	failed := false
	for _, d := range s.DataChannels {
		for _, f := range d.Findings {
			if f.Code == CodeActiveBlocked || f.Code == CodePassiveBlocked {
				failed = true
			}
		}
	}
	if !failed {
		return
	}
	var lo, hi uint16
	npasv := 0
	srcPorts := map[uint16]bool{}
	var evs []Evidence
	for _, d := range s.DataChannels {
		if d.Announced == nil {
			continue
		}
		ann := *d.Announced
		if d.Mode == ModePassive {
			if npasv == 0 || ann.Port() < lo {
				lo = ann.Port()
			}
			if ann.Port() > hi {
				hi = ann.Port()
			}
			npasv++
			if len(evs) < 8 {
				evs = append(evs, ev(d.AnnouncePacket, d.AnnounceTime, fmt.Sprintf("%d reply announces port %d", deref(d.SetupReply), ann.Port())))
			}
		} else if o := d.Observed; o != nil {
			srcPorts[o.Initiator.Port()] = true
			if len(evs) < 8 {
				evs = append(evs, ev(o.SYNPacket, o.SYNTime, "active-mode SYN from "+o.Initiator.String()))
			}
		}
	}
	var parts []string
	var detail []string
	if npasv > 0 {
		if lo == hi {
			parts = append(parts, fmt.Sprintf("announced passive port %d", lo))
		} else {
			parts = append(parts, fmt.Sprintf("announced passive ports %d–%d (%d announcements)", lo, hi, npasv))
		}
		detail = append(detail, "A firewall in front of the server must allow at least the announced passive ports; the server's configured range is usually wider (vsftpd pasv_min_port/pasv_max_port).")
	}
	if len(srcPorts) > 0 {
		var ps []int
		for p := range srcPorts {
			ps = append(ps, int(p))
		}
		sort.Ints(ps)
		var strs []string
		for _, p := range ps {
			strs = append(strs, strconv.Itoa(p))
		}
		parts = append(parts, "opened active-mode connections from port "+strings.Join(strs, ", "))
		if !srcPorts[20] {
			detail = append(detail, "Its active-mode connections do not come from port 20, so firewall rules that expect source port 20 do not match them.")
		} else {
			detail = append(detail, "Its active-mode connections come from port 20, as firewall rules for active FTP usually expect.")
		}
	}
	if len(parts) == 0 {
		return
	}
	s.Findings = append(s.Findings, Finding{Code: CodeSetupObserved, Severity: SeverityInfo,
		Summary:  fmt.Sprintf("Server %s %s.", s.Server, strings.Join(parts, " and ")),
		Detail:   strings.Join(detail, " "),
		Evidence: evs})
}

// loginFailed explains a session whose logins the server all rejected.
func loginFailed(s *Session) Finding {
	var evs []Evidence
	last := Exchange{}
	for _, x := range s.LoginFailures {
		what := x.Command
		if x.Arg != "" {
			what += " " + x.Arg
		}
		evs = append(evs, ev(x.Packet, x.Time, what+" sent"), ev(x.ReplyPacket, x.ReplyTime, fmt.Sprintf("%d %s", x.Reply, firstLine(x.ReplyText))))
		last = x
	}
	who := "the login"
	if s.User != nil {
		who = fmt.Sprintf("the login of user %s", *s.User)
	}
	attempts := ""
	if s.FailedLogins > 1 {
		attempts = fmt.Sprintf(", %d attempts", s.FailedLogins)
	}
	detail := "The server refused the login, so the session could not transfer anything: this is authentication, not the network. "
	switch {
	case last.Reply == 530:
		detail += "530 means a wrong user name or password, or an account that may not log in here (anonymous logins disabled, the user in a deny list, a shell or home directory the server refuses)."
	case last.Reply == 421:
		detail += "421 means the server refused service: too many connections from this address, or too many failed logins on this connection."
	case last.Reply >= 400 && last.Reply < 500:
		detail += fmt.Sprintf("%d is a temporary refusal: try again later.", last.Reply)
	default:
		detail += "Read the reply text for the server's reason."
	}
	return Finding{Code: CodeLoginFailed, Severity: SeverityWarning,
		Summary: fmt.Sprintf("Server %s rejected %s from %s (%d %s%s).", s.Server, who, s.Client.Addr(), last.Reply,
			strings.TrimSuffix(firstLine(last.ReplyText), "."), attempts),
		Detail:   detail,
		Evidence: evs}
}

// controlUnanswered is how long a single unanswered SYN must wait, to the
// end of the capture, before it counts as blocked: a client retransmits
// its SYN after 1 s (RFC 6298), so a lone SYN followed by this much
// silence got no answer at all, and one closer to the end of the capture
// says nothing yet.
const controlUnanswered = 3 * time.Second

// controlBlocked explains a control connection that was never
// established: its SYNs got no answer, an RST or an ICMP error. ok is
// false when the handshake worked, or when the capture ends too soon
// after a single SYN to tell.
func controlBlocked(s *Session) (Finding, bool) {
	h := &s.Control
	if h.Answered || h.Payload || h.Attempts == 0 {
		return Finding{}, false
	}
	evs := slices.Clone(h.SYNs)
	for i := range evs {
		evs[i].What = "SYN " + s.Client.String() + " → " + s.Server.String()
	}
	syns := plural(h.Attempts, "SYN", "SYNs")
	server := s.Server
	var summary, detail string
	switch {
	case h.RST != nil:
		evs = append(evs, *h.RST)
		summary = fmt.Sprintf("Control connection to %s refused: RST from %s after %s from %s.", server, server.Addr(), syns, s.Client)
		detail = fmt.Sprintf("The SYN to the FTP port was answered with a reset from %s: nothing listens on port %d there (the FTP server is down or on another port), "+
			"or a firewall in front of it rejects the connection with RST in its name. Check that the server runs and listens on %d, and the firewall rules for that port.",
			server.Addr(), server.Port(), server.Port())
	case h.ICMP != nil:
		evs = append(evs, *h.ICMP)
		who := h.ICMPFrom.String() + ", a router or firewall on the path"
		if h.ICMPFrom == server.Addr() {
			who = "the server's own address"
		}
		summary = fmt.Sprintf("Control connection to %s rejected: ICMP %s from %s.", server, h.ICMPWhat, h.ICMPFrom)
		detail = fmt.Sprintf("The SYN to the FTP port was answered with an ICMP error (%s) from %s: the connection is rejected there. "+
			"Check the firewall rules or routes of that device for traffic from %s to port %d.", h.ICMPWhat, who, s.Client.Addr(), server.Port())
	default:
		last := h.SYNs[len(h.SYNs)-1].Time
		if h.Attempts < 2 && s.Until.Sub(last.Time) < controlUnanswered {
			return Finding{}, false
		}
		summary = fmt.Sprintf("Control connection to %s never answered (%s from %s).", server, syns, s.Client)
		detail = fmt.Sprintf("The client's SYNs to the FTP port got no answer at all: a firewall between the client and %s drops them silently, "+
			"or the server is down or unreachable. Check the firewalls on the path (and the server's own) for port %d from %s; "+
			"if the capture was taken at the client, the SYN left it, so the block is further on.", server.Addr(), server.Port(), s.Client.Addr())
	}
	return Finding{Code: CodeControlBlocked, Severity: SeverityError, Summary: summary, Detail: detail, Evidence: evs}, true
}

// bounce makes an ftp-bounce finding: an error when the server accepted
// the PORT or EPRT, a warning when it refused it (an attempt that
// failed, as the server should make it).
func bounce(d *DataChannel, annEv Evidence, summary, detail string) Finding {
	f := Finding{Code: CodeBounce, Severity: SeverityError, Summary: summary + ".", Detail: detail, Evidence: []Evidence{annEv}}
	if r := d.SetupReply; r != nil && *r >= 400 {
		f.Severity = SeverityWarning
		f.Summary = fmt.Sprintf("%s; the server refused it with %d.", summary, *r)
		f.Detail += fmt.Sprintf(" Here the server refused it (%d): the attempt failed, as it should.", *r)
		if d.SetupReplyPacket != 0 {
			f.Evidence = append(f.Evidence, ev(d.SetupReplyPacket, d.SetupReplyTime, fmt.Sprintf("%d reply", *r)))
		}
	}
	return f
}

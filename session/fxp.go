package session

import (
	"fmt"
	"net/netip"
)

// In a server-to-server (FXP) transfer the client keeps two control
// connections: it puts one server in passive mode and gives the endpoint
// that server announced to the other with PORT or EPRT, and the second
// server connects to the first. The third-party address of that PORT is
// the other server's: not an FTP bounce. The two halves are linked when
// the PORT is read, while both sessions are followed, so that it works
// when sessions are streamed and forgotten as they end.

// fxpLink links dc, a PORT or EPRT announcing ep at packet pkt, with the
// passive announcement of ep in another session of the same client
// address that still waits for its data connection.
func (s *sess) fxpLink(dc *dcState, ep netip.AddrPort, pkt int, t Time) {
	ep = netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
	if ep.Addr() == s.client.Addr() {
		return
	}
	list := s.a.expect[ep]
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		o := e.dc
		if !e.live || o.s == s || o.s.ended || o.out.Mode != ModePassive || o.s.client.Addr() != s.client.Addr() || o.out.FXP != nil {
			continue
		}
		dc.out.FXP = &FXPLink{Channel: o.out.ID, Server: o.s.server, ordinal: o.s.out.ordinal,
			Announce: ev(o.out.AnnouncePacket, o.out.AnnounceTime, ""),
			what:     fmt.Sprintf("%s from %s announces %s", announcementName(o.out), o.s.server, ep)}
		dc.out.FXP.name(o.s.out.ID)
		o.out.FXP = &FXPLink{Channel: dc.out.ID, Server: s.server, ordinal: s.out.ordinal,
			Announce: ev(pkt, t, ""),
			what:     fmt.Sprintf("%s to %s names %s", dc.out.SetupCommand, s.server, ep)}
		o.out.FXP.name(s.out.ID)
		dc.fxp, o.fxp = o, dc
		return
	}
}

// fxpFinding explains a data channel that is one half of a
// server-to-server transfer.
func fxpFinding(s *Session, d *DataChannel, annEv Evidence) Finding {
	l := d.FXP
	ann := *d.Announced
	const detail = "In FXP the client keeps two control connections: it puts one server in passive mode and gives the endpoint that server announced " +
		"to the other with PORT, which then connects to it and sends or receives the file directly. The third-party address is the other server's, " +
		"not an FTP bounce. The data connection runs between the two servers and shows only in a capture where their traffic passes. " +
		"A firewall must let the PORT side's server reach the passive side's port; FTP helpers do not open it (the passive side's expectation " +
		"admits the client's address only, and a PORT naming another host makes none unless nf_conntrack_ftp is loaded with loose=1). " +
		"Servers refuse FXP unless told otherwise (vsftpd pasv_promiscuous and port_promiscuous, ProFTPD AllowForeignAddress)."
	evs := []Evidence{annEv, l.Announce}
	if o := d.Observed; o != nil && o.SYNPacket != 0 {
		evs = append(evs, ev(o.SYNPacket, o.SYNTime, "SYN "+o.Initiator.String()+" → "+o.Responder.String()))
	}
	if d.Mode == ModeActive {
		return Finding{Code: CodeFXP, Severity: SeverityInfo,
			Summary: fmt.Sprintf("Client %s had server %s connect to %s, which server %s announced to the same client in session %d: a server-to-server (FXP) transfer.",
				s.Client.Addr(), s.Server, ann, l.Server, l.Session),
			Detail: detail, Evidence: evs}
	}
	return Finding{Code: CodeFXP, Severity: SeverityInfo,
		Summary: fmt.Sprintf("Server %s announced %s to client %s, which gave it to server %s in session %d: a server-to-server (FXP) transfer.",
			s.Server, ann, s.Client.Addr(), l.Server, l.Session),
		Detail: detail, Evidence: evs}
}

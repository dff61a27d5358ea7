package session

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
)

// FTP on a port that is not one of Config.ControlPorts (a server on
// 2121, GridFTP on 2811) is recognised by its content: the server greets
// with 220 (RFC 959 section 5.4, connection establishment) and the
// client's first command is one that only FTP has (USER, AUTH, FEAT,
// OPTS, SYST...). An SMTP server greets with 220 too, but its client
// says EHLO or HELO; HTTP, SSH and TLS clients say something else
// altogether. The decision is taken on the first payload each way, and
// only a connection whose first server payload is a 220 greeting is held
// until the client speaks: every other connection costs three byte
// comparisons. Once a server endpoint spoke FTP, every connection to it
// is a control connection.

// Bounds of content detection.
const (
	maxCandidates   = 4096             // connections greeted with 220, waiting for the client
	maxHeldBytes    = 8192             // TCP bytes (header and payload) held per candidate
	maxHeldFrames   = 8                // segments held per candidate
	maxUndecided    = 4                // client segments with no decisive command
	candidateExpiry = 30 * time.Second // a greeted connection whose client never speaks
	maxFTPServers   = 1024             // server endpoints recognised by content
)

// candidate is a connection whose server greeted with 220.
type candidate struct {
	server    netip.AddrPort
	held      []heldFrame // copies of its segments so far, replayed when it turns out to be FTP
	heldBytes int
	undecided int
	seen      time.Time
}

// greeting reports whether a payload starts an FTP or SMTP greeting.
func greeting(b []byte) bool {
	return len(b) >= 4 && b[0] == '2' && b[1] == '2' && b[2] == '0' && (b[3] == ' ' || b[3] == '-')
}

// verdictOf is what a client's first line says of a greeted connection.
type clientSays int

const (
	saysUndecided clientSays = iota // a command FTP shares with others (QUIT, NOOP, HELP), or no full line yet
	saysFTP                         // a command only FTP has
	saysOther                       // another protocol, or not a command at all
)

// classify reads the first line of a client's payload after a 220
// greeting.
func classify(payload []byte) clientSays {
	line, _, full := bytes.Cut(payload, []byte("\n"))
	cmd, err := decode.ParseCommand(line)
	if err != nil {
		if !full && len(payload) < 16 && !bytes.ContainsAny(payload, "\x00\x16") {
			return saysUndecided // the start of a line
		}
		return saysOther
	}
	switch cmd.Verb {
	case "USER", "PASS", "ACCT", "AUTH", "ADAT", "PBSZ", "PROT", "CCC", "FEAT", "OPTS", "SYST", "CLNT", "HOST", "LANG",
		"PWD", "XPWD", "CWD", "XCWD", "CDUP", "XCUP", "TYPE", "STRU", "MODE", "PASV", "EPSV", "LPSV", "PORT", "EPRT", "LPRT",
		"LIST", "NLST", "MLSD", "MLST", "RETR", "STOR", "STOU", "APPE", "SIZE", "MDTM", "SITE", "REST", "RNFR", "RNTO",
		"DELE", "RMD", "XRMD", "MKD", "XMKD", "ALLO", "ABOR", "SMNT", "REIN", "STAT", "SPAS", "SPOR", "ERET", "ESTO", "SBUF",
		"DCAU", "CKSM", "MIC", "CONF", "ENC":
		return saysFTP
	case "QUIT", "NOOP", "HELP", "RSET":
		return saysUndecided
	}
	return saysOther // EHLO, HELO, LHLO, MAIL, STARTTLS, GET, ...
}

// detect looks at the payload of a TCP packet that belongs to no control
// connection and no announced data connection: it reports whether the
// packet turned out to be FTP control traffic (and was analysed as such).
func (a *Analyzer) detect(p capture.Packet, h *decode.Headers, src, dst netip.AddrPort) bool {
	k := mkConnKey(p.Source, src, dst)
	c := a.candidates[k]
	if c == nil {
		if !greeting(h.TCP.Payload) {
			return false
		}
		if len(a.candidates) >= maxCandidates {
			a.expireCandidates(time.Time{})
		}
		c = &candidate{server: src}
		a.candidates[k] = c
	}
	c.seen = p.Info.Timestamp
	if src == c.server {
		c.hold(p, h)
		return false
	}
	switch classify(h.TCP.Payload) {
	case saysFTP:
		delete(a.candidates, k)
		a.promote(c.server)
		for _, held := range c.held {
			a.replayControl(held)
		}
		a.control(p, h)
		return true
	case saysUndecided:
		if c.undecided++; c.undecided < maxUndecided {
			c.hold(p, h)
			return false
		}
	}
	delete(a.candidates, k)
	return false
}

// heldFrame is a segment of a candidate: the packet without its frame,
// and its headers with copies of the TCP header and payload.
type heldFrame struct {
	p capture.Packet
	h decode.Headers
}

// hold keeps a copy of a segment of the candidate, within its bounds.
func (c *candidate) hold(p capture.Packet, h *decode.Headers) {
	n := len(h.TCP.Contents) + len(h.TCP.Payload)
	if len(c.held) >= maxHeldFrames || c.heldBytes+n > maxHeldBytes {
		return
	}
	p.Data = nil
	f := heldFrame{p: p, h: *h}
	f.h.TCP.Contents = slices.Clone(h.TCP.Contents)
	f.h.TCP.Payload = slices.Clone(h.TCP.Payload)
	f.h.TCP.Options, f.h.TCP.Padding = nil, nil
	c.held = append(c.held, f)
	c.heldBytes += n
}

// promote makes server an FTP control endpoint: every connection to it is
// a control connection from now on.
func (a *Analyzer) promote(server netip.AddrPort) {
	if _, ok := a.ftpServers[server]; ok {
		return
	}
	if len(a.ftpServers) >= maxFTPServers {
		a.serversDropped++
		return
	}
	a.ftpServers[server] = struct{}{}
}

// isFTPServer reports whether ep was recognised as an FTP server by
// content.
func (a *Analyzer) isFTPServer(ep netip.AddrPort) bool {
	if len(a.ftpServers) == 0 {
		return false
	}
	_, ok := a.ftpServers[ep]
	return ok
}

// replayControl analyses a held segment of a connection that turned out
// to be FTP, as if it arrived now.
func (a *Analyzer) replayControl(f heldFrame) {
	a.control(f.p, &f.h)
}

// expireCandidates forgets the candidates not seen since before; with a
// zero time, the oldest one.
func (a *Analyzer) expireCandidates(before time.Time) {
	var oldest netip.AddrPort
	var oldestKey connKey
	var oldestSeen time.Time
	for k, c := range a.candidates {
		if !before.IsZero() {
			if c.seen.Before(before) {
				delete(a.candidates, k)
			}
			continue
		}
		if oldestSeen.IsZero() || c.seen.Before(oldestSeen) {
			oldestKey, oldestSeen, oldest = k, c.seen, c.server
		}
	}
	if before.IsZero() && oldest.IsValid() {
		delete(a.candidates, oldestKey)
	}
}

// nonstandardPort explains a session found by its content.
func nonstandardPort(s *Session) Finding {
	port := s.Server.Port()
	return Finding{Code: CodeNonstandardPort, Severity: SeverityInfo,
		Summary: fmt.Sprintf("FTP control traffic on port %d of %s was recognised by its content and analysed.", port, s.Server.Addr()),
		Detail: fmt.Sprintf("Port %d is not one of the control ports given (-p, default 21), but the server greeted with 220 and the client answered with an FTP command. "+
			"Run with -p 21,%d to treat it as FTP from its first packet; firewalls' FTP helpers, too, watch only the ports they are told (nf_conntrack_ftp ports=21,%d), "+
			"so data connections of sessions on this port are not opened for you by them.", port, port, port),
		Evidence: []Evidence{s.Greeting}}
}

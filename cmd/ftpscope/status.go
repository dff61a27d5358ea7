package main

import (
	"fmt"
	"io"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/session"
	"github.com/gopacket/gopacket/layers"
)

// listening is tcpdump's first line of a live capture, for stderr:
// "listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144
// bytes", with the link type of the capture (capture.LinkTyper).
func listening(iface string, lt layers.LinkType) string {
	return fmt.Sprintf("listening on %s, link-type %s, snapshot length %d bytes",
		iface, linkTypeName(lt), capture.DefaultSnaplen)
}

// linkTypeName names a link type as tcpdump does: its DLT name and
// description.
func linkTypeName(lt layers.LinkType) string {
	switch lt {
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return "RAW (Raw IP)"
	case layers.LinkTypeEthernet:
		return "EN10MB (Ethernet)"
	case layers.LinkTypeLinuxSLL:
		return "LINUX_SLL (Linux cooked v1)"
	case layers.LinkTypeLinuxSLL2:
		return "LINUX_SLL2 (Linux cooked v2)"
	case layers.LinkTypeNull:
		return "NULL (BSD loopback)"
	}
	return fmt.Sprintf("%d (%s)", int(lt), lt)
}

// statusEvery is how often the live status line is redrawn.
const statusEvery = time.Second

// liveStatus draws a status line on stderr while a live capture runs,
// when stderr is a terminal: packets read, sessions seen and open,
// sessions with problems, kernel drops. Everything runs on the analysis
// goroutine: Tick and the session callback are called from there.
type liveStatus struct {
	w     io.Writer
	width int
	infos func() []capture.Info // the capture's sockets
	iface string
	now   func() time.Time

	packets  int
	ended    int
	problems int
	next     time.Time
	drawn    bool
}

// newLiveStatus returns the status line of a live capture, or nil when
// none is drawn (a file, -q, or stderr is not a terminal).
func newLiveStatus(infos func() []capture.Info, o options, e env) *liveStatus {
	if o.iface == "" || o.quiet || !e.stderrTTY {
		return nil
	}
	return &liveStatus{w: e.stderr, width: e.errWidth, infos: infos, iface: o.iface, now: time.Now}
}

// packet counts a packet.
func (s *liveStatus) packet() {
	if s != nil {
		s.packets++
	}
}

// session counts a session that ended.
func (s *liveStatus) session(x *session.Session) {
	if s == nil {
		return
	}
	s.ended++
	if v := x.Verdict; v != "" && v != session.VerdictOK {
		s.problems++
	}
}

// tick redraws the line when a second has passed.
func (s *liveStatus) tick(an pipeline.Followed) {
	if s == nil {
		return
	}
	now := s.now()
	if now.Before(s.next) {
		return
	}
	s.next = now.Add(statusEvery)
	s.draw(s.line(an.OpenSessions()))
}

// line is the status text; the hint about Ctrl-C only when it fits.
func (s *liveStatus) line(open int) string {
	drops := "kernel drops unknown"
	if in := s.infos(); len(in) > 0 {
		var d int64
		for _, x := range in {
			if x.Dropped < 0 {
				d = -1
				break
			}
			d += x.Dropped
		}
		if d >= 0 {
			drops = fmt.Sprintf("%d kernel drops", d)
		}
	}
	text := fmt.Sprintf("%s: %s, %s (%d open), %s, %s", s.iface,
		plural(s.packets, "packet", "packets"), plural(s.ended+open, "FTP session", "FTP sessions"), open,
		plural(s.problems, "problem", "problems"), drops)
	if hint := ". Ctrl-C ends and reports."; len(text)+len(hint) < s.width {
		text += hint
	}
	return text
}

// draw writes text over the previous status line, cut to the terminal's
// width.
func (s *liveStatus) draw(text string) {
	if w := s.width - 1; w > 0 && len(text) > w {
		text = text[:w]
	}
	fmt.Fprintf(s.w, "\r%s\x1b[K", text)
	s.drawn = true
}

// done clears the status line before the report is written.
func (s *liveStatus) done() {
	if s != nil && s.drawn {
		fmt.Fprint(s.w, "\r\x1b[K")
	}
}

// plural writes "1 packet" or "3 packets".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

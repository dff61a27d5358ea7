package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/session"
)

// Limits of the comments written with -w.
const (
	// maxCites bounds the evidence citations remembered for comments
	// (about 100 bytes each, the finding's strings shared with the
	// report); past it the rest are counted and the report says so.
	maxCites = 1 << 20
	// maxPacketFindings bounds the finding comments on one packet; a last
	// comment says how many more cite it.
	maxPacketFindings = 8
	// maxWhat and maxSummary bound, in bytes, the two texts of a finding
	// comment that come from the analysis (which quotes the capture:
	// file and user names).
	maxWhat    = 240
	maxSummary = 720
	// maxName bounds a source's name in the comments.
	maxName = 1024
)

// notes are the pcapng comments of the packets -w writes: on every packet
// its source and number there, and on each packet that a finding cites as
// evidence one comment for that finding.
//
// A finding cites a packet by its number in the session's source and its
// time. The time decides where the comment goes: the packet with that
// number and that capture time, in whichever source, so that findings
// that cite a packet of another capture point (address-rewritten) or that
// belong to no session (login-brute-force) land on the right packet. Only
// evidence without a time goes by the session's source alone.
type notes struct {
	prefixes []string       // "ftpscope: NAME #" by source index
	index    map[string]int // source index by name
	cites    map[int][]cite // by packet number
	n        int            // citations remembered
	dropped  int            // citations past maxCites
	buf      []byte
	out      []string
}

// cite is one finding citing one packet.
type cite struct {
	source  int       // the citing session's source; -1 for a global finding
	time    time.Time // the evidence's time; zero when unknown
	finding *session.Finding
	where   string // "session 3", "data channel 3/1" or "" for a global finding
	what    string // the evidence's "what", those of one packet joined
}

func newNotes(sources []string) *notes {
	n := &notes{index: make(map[string]int, len(sources)), cites: make(map[int][]cite)}
	for i, name := range sources {
		n.prefixes = append(n.prefixes, "ftpscope: "+clean(name, maxName)+" #")
		n.index[name] = i
	}
	return n
}

// session remembers what the findings of s and of its data channels cite.
func (n *notes) session(s *session.Session) {
	src, ok := n.index[s.Source]
	if !ok {
		src = -1
	}
	where := "session " + strconv.Itoa(s.ID)
	for i := range s.Findings {
		n.finding(src, where, &s.Findings[i])
	}
	for _, dc := range s.DataChannels {
		if dc == nil {
			continue
		}
		where := fmt.Sprintf("data channel %d/%d", s.ID, dc.ID)
		for i := range dc.Findings {
			n.finding(src, where, &dc.Findings[i])
		}
	}
}

// global remembers what findings of no session cite.
func (n *notes) global(fs []session.Finding) {
	for i := range fs {
		n.finding(-1, "", &fs[i])
	}
}

// finding remembers each packet f cites, once: the evidence a finding has
// on one packet (several SYNs in one frame do not happen, but a reply
// cited twice does) makes one comment.
func (n *notes) finding(src int, where string, f *session.Finding) {
	for i, ev := range f.Evidence {
		if ev.Packet <= 0 || seenBefore(f.Evidence[:i], ev) {
			continue
		}
		what := ev.What
		for _, later := range f.Evidence[i+1:] {
			if samePacket(later, ev) && later.What != "" && later.What != what {
				what += "; " + later.What
			}
		}
		if n.n >= maxCites {
			n.dropped++
			continue
		}
		n.n++
		n.cites[ev.Packet] = append(n.cites[ev.Packet], cite{source: src, time: ev.Time.Time, finding: f, where: where, what: what})
	}
}

func samePacket(a, b session.Evidence) bool { return a.Packet == b.Packet && a.Time.Equal(b.Time.Time) }

func seenBefore(evs []session.Evidence, ev session.Evidence) bool {
	for _, e := range evs {
		if samePacket(e, ev) {
			return true
		}
	}
	return false
}

// on reports whether c cites packet p.
func (c *cite) on(p capture.Packet, sources int) bool {
	if !c.time.IsZero() {
		return c.time.Equal(p.Info.Timestamp)
	}
	return c.source == p.Source || c.source < 0 && sources == 1
}

// comments returns p's comments, valid until the next call: its source and
// number, then a line for each finding that cites it.
func (n *notes) comments(p capture.Packet) []string {
	n.buf = n.buf[:0]
	if p.Source >= 0 && p.Source < len(n.prefixes) {
		n.buf = append(n.buf, n.prefixes[p.Source]...)
	} else {
		n.buf = append(n.buf, "ftpscope: source "...)
		n.buf = strconv.AppendInt(n.buf, int64(p.Source), 10)
		n.buf = append(n.buf, " #"...)
	}
	n.buf = strconv.AppendInt(n.buf, int64(p.Number), 10)
	n.out = append(n.out[:0], string(n.buf))
	more := 0
	cs := n.cites[p.Number]
	// Errors first, then warnings, then the rest, each in report order.
	for rank := 3; rank >= 0; rank-- {
		for i := range cs {
			c := &cs[i]
			if c.finding.Severity.Rank() != rank || !c.on(p, len(n.prefixes)) {
				continue
			}
			if len(n.out) > maxPacketFindings {
				more++
				continue
			}
			n.out = append(n.out, findingComment(c))
		}
	}
	if more > 0 {
		n.out = append(n.out, fmt.Sprintf("ftpscope: %d more findings cite this packet (see the report)", more))
	}
	return n.out
}

// findingComment is one finding's comment on a packet it cites:
//
//	ftpscope: [error] active-blocked (data channel 1/1): SYN 10.0.0.2:20 → 10.0.0.1:50002 — Active data connection blocked: …
func findingComment(c *cite) string {
	var b strings.Builder
	f := c.finding
	b.WriteString("ftpscope: [")
	b.WriteString(string(f.Severity))
	b.WriteString("] ")
	b.WriteString(clean(string(f.Code), maxWhat))
	if c.where != "" {
		b.WriteString(" (")
		b.WriteString(c.where)
		b.WriteString(")")
	}
	b.WriteString(": ")
	if c.what != "" {
		b.WriteString(clean(c.what, maxWhat))
		b.WriteString(" — ")
	}
	b.WriteString(clean(f.Summary, maxSummary))
	return b.String()
}

// clean makes text from the analysis, which quotes the capture, safe for
// a one-line comment: control characters (CR, LF, tabs, escapes, C1) and
// line separators become spaces, invalid UTF-8 becomes U+FFFD, and text
// longer than max bytes is cut on a character boundary and ends with "…".
func clean(s string, max int) string {
	ok := len(s) <= max && utf8.ValidString(s)
	for _, r := range s {
		if !ok {
			break
		}
		ok = !unsafeRune(r)
	}
	if ok {
		return s
	}
	s = strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= max {
		return s
	}
	n := max - len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

package report

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/session"
)

// Arrow bodies.
const (
	bodyControl = '-'
	bodyData    = '='
	bodyICMP    = '.'
	bodyGap     = '~'
)

// failGap is the number of columns a stopped arrow leaves before the far
// column.
const failGap = 4

// WriteLadder writes a text sequence diagram of every session, in the
// spirit of the textbook figures of active and passive FTP: a header with
// the session and its verdict, then a CLIENT and a SERVER column, one row
// per ladder event in time order. Control lines are arrows between the
// columns, data connections are drawn in the direction their SYN actually
// went with their ports, and the outcome of each is noted under it. A
// legend ends the output. No line is wider than o.Width columns, and no
// text from the capture reaches the output unescaped.
func WriteLadder(w io.Writer, r *session.Report, o Options) error {
	if r == nil {
		return errNilReport
	}
	var b bytes.Buffer
	sessions := liveSessions(r.Sessions)
	if len(sessions) == 0 {
		b.WriteString("No FTP session found.\n")
	}
	c := newClock(o, r)
	for i, s := range sessions {
		if i > 0 {
			b.WriteByte('\n')
		}
		l := ladder{b: &b, s: s, o: o, width: o.width(), clock: c}
		l.write()
	}
	if len(sessions) > 0 {
		b.WriteByte('\n')
		b.WriteString(legendHead(c))
		b.WriteString(legend)
	}
	if _, err := w.Write(trimLines(b.Bytes())); err != nil {
		return fmt.Errorf("report: write ladder: %w", err)
	}
	return nil
}

// ladder draws one session.
type ladder struct {
	b     *bytes.Buffer
	s     *session.Session
	o     Options
	width int
	clock clock

	pktW, timeW int // widths of the packet and time columns
	inner       int // columns between the two lanes
	channels    map[int]*session.DataChannel
}

// shape is how a row is drawn between the lanes.
type shape int

const (
	shapeArrow   shape = iota // an arrow from one lane to the other
	shapeStopped              // an arrow that stops short of the far lane
	shapeICMP                 // an ICMP error coming back from where an arrow stopped
	shapeFill                 // a label centred in a row of fill runes
	shapeNote                 // text between the lanes, no arrow
)

// rowKind says what a row stands for, for renderers that draw each kind
// their own way (the HTML diagram); the text ladder draws by shape.
type rowKind int

const (
	kindControl rowKind = iota // a command or a reply
	kindSYN                    // a data connection's SYN, from its initiator
	kindSYNACK                 // the responder's SYN-ACK
	kindRST                    // the responder's RST to the SYN
	kindICMP                   // an ICMP error answering the SYN
	kindNote                   // what became of a data connection
	kindMissing                // a data channel whose connection was not seen
	kindGap                    // control bytes missing from the capture
)

// row is one line of the diagram, placed on the time line by key.
type row struct {
	key   time.Time // position on the time line
	pkt   int       // frame number, 0 for none
	at    session.Time
	shape shape
	label string // clean text
	body  rune   // arrow body or fill rune
	right bool   // the arrow points right (from the client)
	color string

	kind    rowKind
	channel int               // data channel id of a data row, 0 for none
	state   session.ConnState // what became of that channel's connection
}

func (l *ladder) write() {
	s := l.s
	rows := l.rows()
	l.layout(rows)
	l.header()
	if len(s.Ladder) == 0 {
		l.draw(row{shape: shapeNote, label: "(no control events recorded)"})
	}
	for _, r := range rows {
		l.draw(r)
	}
	l.lanes()
}

// timeZero is the time the relative times of a session's rows count
// from: its start, or else the first row with a time.
func timeZero(s *session.Session, rows []row) time.Time {
	if !s.Start.IsZero() {
		return s.Start.Time
	}
	for _, r := range rows {
		if !r.at.IsZero() {
			return r.at.Time
		}
	}
	return time.Time{}
}

// rows turns the session's events into rows sorted by time. A data event
// becomes several rows (SYN, answer, outcome), each at its own time; a
// data channel with a connection but no event of its own is drawn all the
// same, and one without a connection gets a note after its transfer
// command. Rows without a time keep their place after the row before them.
// The text ladder and the HTML diagram both draw these rows.
func (l *ladder) rows() []row {
	s := l.s
	l.channels = map[int]*session.DataChannel{}
	for _, dc := range s.DataChannels {
		if dc != nil {
			l.channels[dc.ID] = dc
		}
	}
	var rows []row
	var last time.Time
	add := func(r row) {
		r.key = r.at.Time
		if r.key.IsZero() {
			r.key = last
		}
		last = r.key
		rows = append(rows, r)
	}
	drawn := map[int]bool{}
	for _, ev := range s.Ladder {
		switch ev.Kind {
		case session.LadderData:
			drawn[ev.DataChannel] = true
			l.dataRows(ev, add)
		case session.LadderGap:
			text := clean(strings.TrimSpace(ev.Text))
			if text == "" {
				text = "bytes missing"
			}
			add(row{pkt: ev.Packet, at: ev.Time, shape: shapeFill, label: text, body: bodyGap, color: ansiYellow, kind: kindGap})
		default:
			add(row{pkt: ev.Packet, at: ev.Time, shape: shapeArrow, label: clean(strings.TrimSpace(ev.Text)),
				body: bodyControl, right: ev.From != session.RoleServer})
		}
	}
	for _, dc := range s.DataChannels {
		if dc == nil || drawn[dc.ID] {
			continue
		}
		if dc.Observed != nil {
			l.dataRows(session.LadderEvent{Kind: session.LadderData, DataChannel: dc.ID}, add)
			continue
		}
		at := dc.TransferTime
		if at.IsZero() {
			at = dc.SetupTime
		}
		if at.IsZero() {
			// Nowhere to place it in time: at the end.
			for _, r := range rows {
				if r.key.After(at.Time) {
					at = session.Time{Time: r.key}
				}
			}
		}
		rows = append(rows, row{key: at.Time, shape: shapeNote, label: missingText(dc.ID, dc), color: ansiRed,
			kind: kindMissing, channel: dc.ID})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].key.Before(rows[j].key) })
	if s.LadderCut > 0 {
		end := time.Time{}
		if len(rows) > 0 {
			end = rows[len(rows)-1].key
		}
		rows = append(rows, row{key: end, shape: shapeNote, color: ansiYellow, kind: kindNote,
			label: fmt.Sprintf("… %s not drawn: the analysis keeps the first %d of a session", plural(s.LadderCut, "more event", "more events"), len(s.Ladder))})
	}
	return rows
}

// missingText notes a data channel for which no connection was seen.
func missingText(id int, dc *session.DataChannel) string {
	text := fmt.Sprintf("data channel %d: no connection seen", id)
	if dc != nil && dc.Announced != nil {
		text += fmt.Sprintf(" (expected %s → %s)", orDash(clean(string(dc.ExpectedInitiator))),
			truncate(dc.Announced.String(), maxEndpointCell))
	}
	return text
}

// dataRows adds the rows of a data connection: its SYN from initiator to
// responder, the answer (SYN-ACK, RST or ICMP error) and the outcome.
func (l *ladder) dataRows(ev session.LadderEvent, add func(row)) {
	dc := l.channels[ev.DataChannel]
	if dc == nil || dc.Observed == nil {
		add(row{pkt: ev.Packet, at: ev.Time, shape: shapeNote, label: missingText(ev.DataChannel, dc), color: ansiRed,
			kind: kindMissing, channel: ev.DataChannel})
		return
	}
	ob := dc.Observed
	fromClient := initiatorIsClient(dc)
	ip, rp := portOf(ob.Initiator), portOf(ob.Responder)
	label := "SYN :" + ip + " → :" + rp
	if !fromClient {
		label = "SYN :" + rp + " ← :" + ip
	}
	label = fmt.Sprintf("data %d: %s", dc.ID, label)
	if ob.SYNAttempts > 1 {
		label += fmt.Sprintf(" ×%d", ob.SYNAttempts)
	}
	state := ob.State
	if state == "" && ob.Established {
		state = session.StateEstablished
	}
	syn := row{pkt: ob.SYNPacket, at: ob.SYNTime, shape: shapeArrow, label: label, body: bodyData, right: fromClient,
		kind: kindSYN, channel: dc.ID, state: state}
	if syn.pkt == 0 && syn.at.IsZero() {
		syn.pkt, syn.at = ev.Packet, ev.Time
	}
	note := func(pkt int, at session.Time, text, color string) {
		add(row{pkt: pkt, at: at, shape: shapeNote, label: text, color: color, kind: kindNote, channel: dc.ID, state: state})
	}
	switch state {
	case session.StateUnanswered:
		syn.shape, syn.color = shapeStopped, ansiRed
		add(syn)
		what := fmt.Sprintf("SYN ×%d unanswered", max(ob.SYNAttempts, 1))
		if len(ob.SYNPackets) > 1 {
			what += " (packets " + joinInts(ob.SYNPackets) + ")"
		}
		// The note stands at the last SYN sent, when it is known.
		var lastPkt int
		var lastSYN session.Time
		if n := len(ob.SYNPackets); n > 0 && n == len(ob.SYNTimes) {
			lastPkt, lastSYN = ob.SYNPackets[n-1], ob.SYNTimes[n-1]
		}
		note(lastPkt, lastSYN, what, ansiRed)
	case session.StateUnreachable:
		syn.shape, syn.color = shapeStopped, ansiRed
		add(syn)
		what := "ICMP error"
		if ob.ICMPWhat != "" {
			what = "ICMP " + clean(ob.ICMPWhat)
		}
		if ob.ICMPFrom.IsValid() {
			what += " from " + ob.ICMPFrom.String()
		}
		add(row{pkt: ob.ICMPPacket, at: ob.ICMPTime, shape: shapeICMP, label: what, body: bodyICMP, right: !fromClient, color: ansiRed,
			kind: kindICMP, channel: dc.ID, state: state})
		note(0, session.Time{}, "unreachable: no connection", ansiRed)
	case session.StateRefused:
		add(syn)
		add(row{pkt: ob.RSTPacket, at: ob.RSTTime, shape: shapeArrow, label: "RST: connection refused",
			body: bodyData, right: !fromClient, color: ansiRed, kind: kindRST, channel: dc.ID, state: state})
	default:
		add(syn)
		if ob.SYNACKPacket > 0 || !ob.SYNACKTime.IsZero() {
			ack := "SYN-ACK"
			if ob.HandshakeRTTms != nil {
				ack += fmt.Sprintf(" (%.2f ms)", *ob.HandshakeRTTms)
			}
			add(row{pkt: ob.SYNACKPacket, at: ob.SYNACKTime, shape: shapeArrow, label: ack, body: bodyData, right: !fromClient,
				kind: kindSYNACK, channel: dc.ID, state: state})
		}
		outcome := orDash(clean(string(state))) +
			fmt.Sprintf(": %s to client, %s to server", humanBytes(ob.BytesToClient), humanBytes(ob.BytesToServer))
		if ob.Closed {
			outcome += ", closed"
		} else {
			outcome += ", still open"
		}
		if state != session.StateEstablished {
			if state == session.StateReset && (ob.RSTPacket > 0 || !ob.RSTTime.IsZero()) {
				add(row{pkt: ob.RSTPacket, at: ob.RSTTime, shape: shapeNote, label: "RST: connection reset", color: ansiRed,
					kind: kindRST, channel: dc.ID, state: state})
			}
			note(0, session.Time{}, outcome, ansiRed)
			return
		}
		note(0, session.Time{}, outcome, ansiGreen)
	}
}

// layout sizes the packet and time columns from every row, and the space
// between the lanes from what remains of the width.
func (l *ladder) layout(rows []row) {
	l.pktW, l.timeW = len("pkt"), textWidth(l.timeHead())
	for _, r := range rows {
		if r.pkt > 0 {
			l.pktW = max(l.pktW, len(fmt.Sprint(r.pkt)))
		}
		l.timeW = max(l.timeW, len(l.rel(r.at)))
	}
	// Keep room between the lanes whatever the numbers.
	l.pktW = min(l.pktW, 10)
	l.timeW = min(l.timeW, 15)
	l.inner = l.width - (l.pktW + 2 + l.timeW + 2) - 2
}

// rel writes t in the report's time base: the time of day, or seconds
// since the first packet of the input.
func (l *ladder) rel(t session.Time) string {
	if t.IsZero() {
		return ""
	}
	if s := l.clock.timeOfDay(t); s != "-" {
		return s
	}
	return ""
}

// timeHead is the head of the time column, which names the time base.
func (l *ladder) timeHead() string {
	switch l.clock.base {
	case TimeLocal:
		return "local time"
	case TimeRelative:
		return "seconds"
	}
	return "UTC time"
}

// legendHead is the first lines of the legend: the columns.
func legendHead(c clock) string {
	switch c.base {
	case TimeLocal:
		return "Legend: pkt = frame number in the capture; local time =\nthe time of day in the local zone (-t utc, -t relative).\n"
	case TimeRelative:
		return "Legend: pkt = frame number in the capture; seconds = time\nsince the first packet of the input (-t relative).\n"
	}
	return "Legend: pkt = frame number in the capture; UTC time = the\ntime of day in UTC (-t utc).\n"
}

// header writes the session's title, endpoints, verdict and the column
// heads.
func (l *ladder) header() {
	s := l.s
	title := fmt.Sprintf("── Session %d", s.ID)
	if s.Source != "" {
		title += " · " + truncate(clean(s.Source), maxEndpointCell)
	}
	title = truncate(title, l.width-1) + " "
	title += strings.Repeat("─", max(0, l.width-textWidth(title)))
	l.line(paint(l.o.Color, ansiBold, title))

	l.wrapped(fmt.Sprintf("client %s → server %s",
		truncate(endpoint(s.Client), maxEndpointCell), truncate(endpoint(s.Server), maxEndpointCell)))
	facts := sessionFacts(s, maxUserCell)
	if !s.Start.IsZero() {
		facts = append(facts, "started "+l.clock.date(s.Start))
	}
	if s.TLS {
		facts = append(facts, "TLS")
	}
	if s.ControlGaps > 0 {
		facts = append(facts, humanBytes(s.ControlGaps)+" missing from the control stream")
	}
	if s.LongLines > 0 {
		facts = append(facts, plural(s.LongLines, "over-long line cut", "over-long lines cut"))
	}
	if s.Unparsed > 0 {
		facts = append(facts, plural(s.Unparsed, "line neither command nor reply", "lines neither command nor reply"))
	}
	if s.Unanswered > 0 {
		facts = append(facts, plural(s.Unanswered, "command without its reply", "commands without their replies"))
	}
	if s.Unpaired > 0 {
		facts = append(facts, plural(s.Unpaired, "reply without its command", "replies without their commands"))
	}
	l.wrapped(strings.Join(facts, " · "))
	v := Verdict(s)
	for _, line := range wrap(v, l.width) {
		l.line(paint(l.o.Color, verdictColor(v), line))
	}
	l.b.WriteByte('\n')

	span := l.inner + 2
	pad := strings.Repeat(" ", l.width-span)
	heads := padLeft("pkt", l.pktW) + "  " + padLeft(l.timeHead(), l.timeW) + "  "
	l.line(heads + "CLIENT" + strings.Repeat(" ", span-len("CLIENT")-len("SERVER")) + "SERVER")
	c := truncate(endpoint(s.Client), span)
	sv := truncate(endpoint(s.Server), span)
	if textWidth(c)+1+textWidth(sv) <= span {
		l.line(pad + c + strings.Repeat(" ", span-textWidth(c)-textWidth(sv)) + sv)
	} else {
		l.line(pad + c)
		l.line(pad + padLeft(sv, span))
	}
	l.lanes()
}

// wrapped writes text wrapped at the width.
func (l *ladder) wrapped(text string) {
	for _, line := range wrap(text, l.width) {
		l.line(line)
	}
}

// line writes one line.
func (l *ladder) line(s string) {
	l.b.WriteString(s)
	l.b.WriteByte('\n')
}

// lanes writes an empty row: the two vertical lines alone.
func (l *ladder) lanes() {
	l.write1(0, session.Time{}, strings.Repeat(" ", l.inner), "")
}

// draw writes one row; a note too long for one line takes several.
func (l *ladder) draw(r row) {
	var body string
	switch r.shape {
	case shapeArrow:
		body = arrow(r.label, l.inner, r.body, r.right, false)
	case shapeStopped:
		body = arrow(r.label, l.inner, r.body, r.right, true)
	case shapeICMP:
		body = icmpArrow(r.label, l.inner, !r.right)
	case shapeFill:
		body = fill(r.label, l.inner, r.body)
	default:
		pkt, at := r.pkt, r.at
		for _, line := range wrap(truncate(r.label, maxNote), l.inner-4) {
			l.write1(pkt, at, "  "+padRight(line, l.inner-2), r.color)
			pkt, at = 0, session.Time{}
		}
		return
	}
	l.write1(r.pkt, r.at, body, r.color)
}

// write1 writes the packet and time columns, the lanes and body between
// them; body must be exactly l.inner columns wide and free of colour.
func (l *ladder) write1(pkt int, t session.Time, body, color string) {
	p := ""
	if pkt > 0 {
		p = fmt.Sprint(pkt)
	}
	l.b.WriteString(padLeft(truncate(p, l.pktW), l.pktW))
	l.b.WriteString("  ")
	l.b.WriteString(padLeft(truncate(l.rel(t), l.timeW), l.timeW))
	l.b.WriteString("  |")
	l.b.WriteString(paint(l.o.Color, color, body))
	l.b.WriteString("|\n")
}

// initiatorIsClient says on which side a data connection's SYN started,
// as the analysis saw it; else the side the announcement expected.
func initiatorIsClient(dc *session.DataChannel) bool {
	if r := dc.Observed.InitiatorRole; r != "" {
		return r == session.RoleClient
	}
	return dc.ExpectedInitiator != session.RoleServer
}

// arrow draws a labelled arrow n columns wide, pointing right when right
// is set. A stopped arrow ends in an x short of the far lane.
func arrow(label string, n int, body rune, right, stopped bool) string {
	span := n
	if stopped {
		span = n - failGap
	}
	head := "x"
	if !stopped {
		head = ">"
		if !right {
			head = "<"
		}
	}
	// body, space, label, space, body; at least two body runes each side
	// and the head.
	label = truncate(label, span-7)
	lw := textWidth(label)
	bodyW := span - lw - 3 // head and two spaces
	if label == "" {
		bodyW = span - 1
	}
	leftW := bodyW / 2
	rightW := bodyW - leftW
	b := string(body)
	var mid string
	if label == "" {
		mid = strings.Repeat(b, bodyW)
	} else {
		mid = strings.Repeat(b, leftW) + " " + label + " " + strings.Repeat(b, rightW)
	}
	gap := strings.Repeat(" ", n-span)
	if right {
		return mid + head + gap
	}
	return gap + head + mid
}

// icmpArrow draws an ICMP error coming back to the initiator from where
// its SYN stopped.
func icmpArrow(label string, n int, toLeft bool) string {
	span := n - failGap
	label = truncate(label, span-6)
	bodyW := span - textWidth(label) - 4
	l, r := bodyW/2, bodyW-bodyW/2
	b := string(bodyICMP)
	mid := strings.Repeat(b, l) + " " + label + " " + strings.Repeat(b, r)
	gap := strings.Repeat(" ", failGap)
	if toLeft {
		return "<" + mid + "+" + gap
	}
	return gap + "+" + mid + ">"
}

// fill centres a label in a row of fill runes n columns wide.
func fill(label string, n int, f rune) string {
	label = truncate(label, n-6)
	w := n - textWidth(label) - 2
	return strings.Repeat(string(f), w/2) + " " + label + " " + strings.Repeat(string(f), w-w/2)
}

// legend explains the symbols of the ladder; no line is wider than
// minWidth.
const legend = `  ---->  <----  control: a command or a reply
  ====>  <====  data connection: SYN from the side that
                opened it, then SYN-ACK or RST back
  ====x         SYN with no answer (×N: sent N times)
  <....+        ICMP error, from the host named
  ~~~~~~        control bytes missing from the capture
`

// portOf returns the port of an endpoint, or "-" when it is not valid.
func portOf(ep netip.AddrPort) string {
	if !ep.IsValid() {
		return "-"
	}
	return strconv.Itoa(int(ep.Port()))
}

// joinInts writes 30, 33, 39.
func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}

// sessionFacts are the first facts the ladder header and the HTML card
// give of a session: its user (cut to userMax), mode, and how many
// commands and data channels it had.
func sessionFacts(s *session.Session, userMax int) []string {
	var facts []string
	if s.User != nil {
		facts = append(facts, "user "+truncate(clean(*s.User), userMax))
	}
	if s.Mode != "" {
		facts = append(facts, "mode "+clean(string(s.Mode)))
	}
	return append(facts, plural(s.Commands, "command", "commands"),
		plural(len(s.DataChannels), "data channel", "data channels"))
}

package report

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ftpscope/ftpscope/session"
)

// Geometry of a sequence diagram, in SVG user units (pixels at 100 %).
const (
	dgWidth   = 960
	dgPktX    = 56  // right edge of the packet numbers
	dgTimeX   = 150 // right edge of the times
	dgClientX = 280 // the client's lifeline
	dgServerX = 800 // the server's lifeline
	dgTop     = 62  // where the lifelines start
	dgHead    = 9   // length of an arrowhead
	dgStop    = 0.7 // share of the way a SYN with no answer is drawn
	dgChar    = 7.3 // width of a character of the 12px monospace labels
	// maxDiagramRows bounds the rows drawn for one session; the text
	// ladder draws them all.
	maxDiagramRows = 400
)

// Row heights by what they hold.
const (
	dgRowArrow = 26 // a label above an arrow
	dgRowData  = 36 // a label above a data arrow, ports under it
	dgRowNote  = 22 // a line of text
)

// diagram is the SVG sequence diagram of one session, in the style of
// the textbook figures of active and passive FTP: CLIENT and SERVER
// lifelines headed with their address and control port, a thin arrow for
// every command and reply, a thick one for every data connection's
// handshake in the direction its SYN went, labelled with both ports and
// coloured by what became of it, and a cross where it failed. Packet
// numbers and times since the session's start run down the left.
type diagram struct {
	W, H           int
	ClientX        int
	ServerX        int
	Top, Bottom    int
	PktX, TimeX    int
	Client, Server lifeline
	Rows           []dgRow
	Label          string // what the picture shows, for screen readers
	Cut            int    // rows left out past maxDiagramRows
	CutY           int
	NoEvents       bool // the ladder events were not recorded
	NoEventsY      int

	// The control endpoints of the lifelines.
	client, server netip.AddrPort
}

// lifeline heads one side of the diagram.
type lifeline struct {
	Role string // CLIENT or SERVER
	Host string
	Port string // "port 21 (control)"
}

// dgRow is one row of a diagram: an arrow with its label, or a note.
type dgRow struct {
	Kind    string // control, syn, syn-ack, rst, icmp, note, missing, gap
	Class   string // CSS classes: the kind and the state's colour
	Channel int    // data channel id, 0 for a control row
	State   string // the state's colour name, for data rows
	Pkt     int
	Time    string
	NumY    int // baseline of the packet number and time
	Line    *dgLine
	Head    string // path of the arrowhead
	Cross   string // path of the cross that marks a failure
	Wave    string // path of a gap's zigzag
	Dot     *dgPoint
	Label   string
	LabelX  int
	LabelY  int
	Anchor  string // text-anchor of the label
	Title   string // the full text, shown on hover, when there is more than the label
	Ports   []dgText
}

// dgLine is a horizontal line.
type dgLine struct{ X1, X2, Y int }

// dgPoint is a point.
type dgPoint struct{ X, Y int }

// dgText is a text placed on its own.
type dgText struct {
	X, Y   int
	Anchor string
	Text   string
}

// newDiagram lays out the rows the text ladder draws for s.
func newDiagram(s *session.Session) *diagram {
	l := ladder{s: s}
	rows := l.rows()
	base := timeZero(s, rows)
	d := &diagram{
		W: dgWidth, ClientX: dgClientX, ServerX: dgServerX, Top: dgTop, PktX: dgPktX, TimeX: dgTimeX,
		Client: lifeline{Role: "CLIENT", Host: hostOf(s.Client), Port: controlPort(s.Client)},
		Server: lifeline{Role: "SERVER", Host: hostOf(s.Server), Port: controlPort(s.Server)},
		Label: fmt.Sprintf("Sequence diagram of session %d: client %s, server %s",
			s.ID, endpoint(s.Client), endpoint(s.Server)),
		client: s.Client, server: s.Server,
	}
	y := dgTop + 8
	if len(s.Ladder) == 0 {
		d.NoEvents = true
		d.NoEventsY = y + 14
		y += dgRowNote
	}
	for i, r := range rows {
		if i == maxDiagramRows {
			d.Cut = len(rows) - i
			d.CutY = y + 14
			y += dgRowNote
			break
		}
		row := d.row(l.channels, r, y)
		if r.pkt > 0 {
			row.Pkt = r.pkt
		}
		if !r.at.IsZero() && !base.IsZero() {
			row.Time = seconds(r.at.Sub(base))
		}
		d.Rows = append(d.Rows, row)
		y += rowHeight(r)
	}
	d.Bottom = y + 6
	d.H = d.Bottom + 8
	return d
}

// rowHeight is the height a row takes.
func rowHeight(r row) int {
	switch {
	case r.kind == kindSYN:
		return dgRowData
	case r.shape == shapeNote:
		return dgRowNote
	}
	return dgRowArrow
}

// hostOf is the address of an endpoint, or "-".
func hostOf(ep netip.AddrPort) string {
	if !ep.IsValid() {
		return "-"
	}
	return ep.Addr().String()
}

// controlPort labels the port of a control endpoint.
func controlPort(ep netip.AddrPort) string {
	if !ep.IsValid() {
		return "control port unknown"
	}
	return fmt.Sprintf("port %d (control)", ep.Port())
}

// kindNames name the row kinds in the page (the data-kind attribute and a
// CSS class).
var kindNames = map[rowKind]string{
	kindControl: "control", kindSYN: "syn", kindSYNACK: "syn-ack", kindRST: "rst",
	kindICMP: "icmp", kindNote: "note", kindMissing: "missing", kindGap: "gap",
}

// row lays out one ladder row whose top is at y.
func (d *diagram) row(channels map[int]*session.DataChannel, r row, y int) dgRow {
	out := dgRow{Kind: kindNames[r.kind], Channel: r.channel}
	classes := []string{out.Kind}
	if r.kind != kindControl && r.kind != kindGap {
		out.State = stateClass(r.state)
		if r.kind == kindMissing {
			out.State = "missing"
		}
		classes = append(classes, "data", "st-"+out.State)
	}
	out.Class = strings.Join(classes, " ")

	// From and to are where the arrow starts and ends: the sender's
	// lifeline and the other one.
	from, to := d.ServerX, d.ClientX
	if r.right {
		from, to = d.ClientX, d.ServerX
	}
	lineY := y + 20
	out.LabelY = y + 14
	out.NumY = lineY + 4
	switch {
	case r.kind == kindGap:
		out.LabelY = y + 11
		out.Wave = zigzag(d.ClientX-12, d.ServerX+12, lineY)
		d.label(&out, r.label, (d.ClientX+d.ServerX)/2, d.ServerX-d.ClientX)
	case r.kind == kindMissing:
		// The connection that was due, in the direction it was due,
		// dashed: nothing was seen.
		from, to = d.ClientX, d.ServerX
		if dc := channels[r.channel]; dc != nil && dc.ExpectedInitiator == session.RoleServer {
			from, to = d.ServerX, d.ClientX
		}
		d.arrow(&out, from, to, lineY)
		d.label(&out, r.label, (from+to)/2, d.ServerX-d.ClientX)
	case r.shape == shapeNote:
		out.NumY = out.LabelY
		x := d.ClientX + 14
		if r.kind == kindRST {
			// A data connection reset after it was established.
			out.Cross = cross(x+6, out.LabelY-4)
			x += 20
		}
		d.label(&out, r.label, x, d.ServerX-x-8)
		out.Anchor = "start"
	case r.kind == kindICMP:
		// The ICMP error comes back from where the SYN stopped.
		stop := stopX(to, from)
		out.Dot = &dgPoint{stop, lineY}
		d.arrow(&out, stop, to, lineY)
		d.label(&out, r.label, (d.ClientX+d.ServerX)/2, d.ServerX-d.ClientX)
	case r.kind == kindSYN:
		d.syn(&out, channels[r.channel], r, from, to, lineY, y)
	case r.kind == kindRST:
		// Refused: the RST comes back from the responder's lifeline,
		// which is where the connection failed.
		d.arrow(&out, from, to, lineY)
		out.Cross = cross(from, lineY)
		d.label(&out, r.label, (from+to)/2, abs(from-to))
	default:
		d.arrow(&out, from, to, lineY)
		d.label(&out, r.label, (from+to)/2, abs(from-to))
	}
	return out
}

// syn lays out a data connection's SYN: a thick arrow from the side that
// opened it, labelled with the channel and the attempts, with the ports
// at both ends (and the addresses where they are not the lifelines'),
// stopped short with a cross when it was never answered.
func (d *diagram) syn(out *dgRow, dc *session.DataChannel, r row, from, to, lineY, y int) {
	label := fmt.Sprintf("data %d · SYN", r.channel)
	var ob *session.Observed
	if dc != nil {
		ob = dc.Observed
	}
	if ob != nil && ob.SYNAttempts > 1 {
		label += fmt.Sprintf(" ×%d", ob.SYNAttempts)
	}
	end := to
	if r.shape == shapeStopped {
		end = stopX(from, to)
		out.Cross = cross(end, lineY)
		if r.state == session.StateUnanswered {
			label += " · no answer"
		}
	}
	d.arrowTo(out, from, end, lineY, r.shape != shapeStopped)
	d.label(out, label, (from+end)/2, abs(from-end))
	out.Title = r.label
	if ob == nil {
		return
	}
	// The ports under the arrow, each by the lifeline of its host.
	portY := y + 33
	place := func(ep netip.AddrPort, x int, lifelineHost netip.AddrPort) {
		text := ":" + portOf(ep)
		if ep.IsValid() && lifelineHost.IsValid() && ep.Addr() != lifelineHost.Addr() {
			text = truncate(ep.String(), 40)
		}
		anchor := "start"
		if x == d.ServerX {
			anchor = "end"
			x -= 6
		} else {
			x += 6
		}
		out.Ports = append(out.Ports, dgText{X: x, Y: portY, Anchor: anchor, Text: text})
	}
	if from == d.ClientX {
		place(ob.Initiator, d.ClientX, d.client)
		place(ob.Responder, d.ServerX, d.server)
	} else {
		place(ob.Responder, d.ClientX, d.client)
		place(ob.Initiator, d.ServerX, d.server)
	}
	out.Title = fmt.Sprintf("data channel %d: %s → %s, %s; SYN in packet %d",
		r.channel, endpoint(ob.Initiator), endpoint(ob.Responder), orDash(clean(string(ob.State))), ob.SYNPacket)
	if ob.SYNAttempts > 1 {
		out.Title += fmt.Sprintf(", sent %d times", ob.SYNAttempts)
	}
}

// arrow lays out an arrow from one x to another at y, head at the end.
func (d *diagram) arrow(out *dgRow, from, to, y int) { d.arrowTo(out, from, to, y, true) }

// arrowTo lays out a line from one x to another at y, with a head at the
// end when head is set.
func (d *diagram) arrowTo(out *dgRow, from, to, y int, head bool) {
	if !head {
		out.Line = &dgLine{X1: from, X2: to, Y: y}
		return
	}
	dir := 1
	if to < from {
		dir = -1
	}
	base := to - dir*dgHead
	out.Line = &dgLine{X1: from, X2: base + dir, Y: y}
	out.Head = fmt.Sprintf("M%d %dL%d %dL%d %dZ", to, y, base, y-4, base, y+4)
}

// label places text centred at x, cut to fit width.
func (d *diagram) label(out *dgRow, text string, x, width int) {
	maxCols := int(float64(width-2*dgHead) / dgChar)
	short := truncate(text, maxCols)
	if short != text && out.Title == "" {
		out.Title = truncate(text, htmlMaxSummary)
	}
	out.Label, out.LabelX, out.Anchor = short, x, "middle"
}

// stopX is where a SYN that got no answer stops, on its way from one x to
// the other.
func stopX(from, to int) int { return from + int(float64(to-from)*dgStop) }

// cross is the path of a cross centred at x, y.
func cross(x, y int) string {
	const r = 6
	return fmt.Sprintf("M%d %dL%d %dM%d %dL%d %d", x-r, y-r, x+r, y+r, x+r, y-r, x-r, y+r)
}

// zigzag is the path of a zigzag line from x1 to x2 at y.
func zigzag(x1, x2, y int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "M%d %d", x1, y)
	up := true
	for x := x1 + 6; x <= x2; x += 6 {
		dy := 4
		if up {
			dy = -4
		}
		fmt.Fprintf(&b, "L%d %d", x, y+dy)
		up = !up
	}
	return b.String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

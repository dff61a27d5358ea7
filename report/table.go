package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ftpscope/ftpscope/session"
)

// Truncation limits of free text, in columns: a capture can make any of
// these arbitrarily long.
const (
	maxUserCell     = 24   // user names in cells and headers
	maxTransferCell = 36   // transfer command and argument
	maxEndpointCell = 48   // host:port, longer only when malformed
	maxSummary      = 240  // a finding's summary, a verdict
	maxDetail       = 1200 // a finding's detail
	maxLine         = 300  // an evidence line, a source error, a ladder note
	maxNote         = maxLine
)

// WriteTable writes the default human-readable report: one line per input,
// a table of sessions, a table of data channels, then for each session its
// verdict and findings, the findings that belong to no session, and the
// totals. Text from the capture is escaped (see the package doc); detail
// text wraps at o.Width. The output is assembled in memory and written
// with one call, with no trailing spaces on any line.
func WriteTable(w io.Writer, r *session.Report, o Options) error {
	if r == nil {
		return errNilReport
	}
	var b bytes.Buffer
	t := tableWriter{b: &b, r: r, o: o, width: o.width()}
	if err := t.write(); err != nil {
		return err
	}
	if _, err := w.Write(trimLines(b.Bytes())); err != nil {
		return fmt.Errorf("report: write table: %w", err)
	}
	return nil
}

// tableWriter holds what WriteTable needs while it renders.
type tableWriter struct {
	b     *bytes.Buffer
	r     *session.Report
	o     Options
	width int
}

func (t *tableWriter) write() error {
	for _, s := range t.r.Sources {
		t.source(s)
	}
	sessions := liveSessions(t.r.Sessions)
	if len(t.r.Sources) > 0 {
		t.b.WriteByte('\n')
	}
	if len(sessions) == 0 {
		t.b.WriteString("No FTP session found.\n")
	} else {
		t.b.WriteString(paint(t.o.Color, ansiBold, "FTP sessions") + "\n")
		if err := t.sessionTable(sessions); err != nil {
			return err
		}
		t.b.WriteByte('\n')
		if countChannels(sessions) == 0 {
			t.b.WriteString("No data channel was set up.\n")
		} else {
			t.b.WriteString(paint(t.o.Color, ansiBold, "Data channels") + "\n")
			if err := t.channelTable(sessions); err != nil {
				return err
			}
		}
		for _, s := range sessions {
			t.b.WriteByte('\n')
			t.sessionFindings(s)
		}
	}
	if len(t.r.Findings) > 0 {
		t.b.WriteByte('\n')
		t.b.WriteString(paint(t.o.Color, ansiBold, "Findings outside any session") + "\n")
		base := earliestSource(t.r.Sources)
		for _, f := range t.r.Findings {
			t.finding(f, "", base)
		}
	}
	t.b.WriteByte('\n')
	t.stats()
	return nil
}

// source writes the one-line summary of an input and its errors.
func (t *tableWriter) source(s session.Source) {
	links := "no frames"
	if len(s.LinkTypes) > 0 {
		parts := make([]string, len(s.LinkTypes))
		for i, l := range s.LinkTypes {
			parts[i] = clean(l)
		}
		links = strings.Join(parts, ", ")
	}
	line := fmt.Sprintf("%s: %s; %s (%s)", clean(s.Name), links,
		plural(s.Packets, "packet", "packets"), humanBytes(s.Bytes))
	if !s.FirstSeen.IsZero() {
		last := stamp(s.LastSeen)
		if s.FirstSeen.UTC().Format(time.DateOnly) == s.LastSeen.UTC().Format(time.DateOnly) {
			last = s.LastSeen.UTC().Format("15:04:05.000")
		}
		line += fmt.Sprintf(", %s to %s UTC", stamp(s.FirstSeen), last)
	}
	if s.Dropped != nil {
		line += fmt.Sprintf(", %d dropped by the kernel", *s.Dropped)
	}
	if len(s.Errors) == 0 {
		line += "; no errors"
	} else {
		line += "; " + paint(t.o.Color, ansiRed, plural(len(s.Errors), "error", "errors"))
	}
	t.wrapped("", "  ", line)
	for _, e := range s.Errors {
		t.wrapped("  ! ", "    ", truncate(clean(e), maxLine))
	}
}

// sessionTable writes the table of sessions.
func (t *tableWriter) sessionTable(sessions []*session.Session) error {
	tab := newTable(t.b, "#", "CLIENT", "SERVER", "USER", "MODE", "CMDS", "DATA", "TLS", "GAPS", "START", "DURATION")
	timeOnly := sameDay(sessions)
	for _, s := range sessions {
		start := stamp(s.Start)
		if timeOnly && !s.Start.IsZero() {
			start = s.Start.UTC().Format("15:04:05.000")
		}
		dur := "-"
		if !s.Start.IsZero() && !s.End.IsZero() {
			dur = duration(s.End.Sub(s.Start.Time))
		}
		tls := "no"
		if s.TLS {
			tls = paint(t.o.Color, ansiYellow, "yes")
		}
		gaps := "0"
		if s.ControlGaps > 0 {
			gaps = paint(t.o.Color, ansiYellow, humanBytes(s.ControlGaps))
		}
		mode := clean(string(s.Mode))
		if mode == "" {
			mode = "-"
		}
		if err := tab.Append([]string{
			fmt.Sprint(s.ID),
			truncate(endpoint(s.Client), maxEndpointCell),
			truncate(endpoint(s.Server), maxEndpointCell),
			truncate(strOr(s.User, "-"), maxUserCell),
			mode,
			fmt.Sprint(s.Commands),
			fmt.Sprint(len(s.DataChannels)),
			tls,
			gaps,
			start,
			dur,
		}); err != nil {
			return fmt.Errorf("report: session table: %w", err)
		}
	}
	if err := tab.Render(); err != nil {
		return fmt.Errorf("report: session table: %w", err)
	}
	return nil
}

// channelTable writes the table of data channels of every session.
func (t *tableWriter) channelTable(sessions []*session.Session) error {
	tab := newTable(t.b, "#", "SETUP", "ANNOUNCED", "EXPECTED", "SEEN", "STATE", "SYN", "BYTES", "TRANSFER", "REPLY")
	for _, s := range sessions {
		for _, dc := range s.DataChannels {
			if dc == nil {
				continue
			}
			setup := clean(dc.SetupCommand)
			if dc.SetupPacket > 0 {
				setup += fmt.Sprintf(" #%d", dc.SetupPacket)
			}
			seen, state, syn, bytes := "-", paint(t.o.Color, ansiRed, "not seen"), "-", "-"
			if ob := dc.Observed; ob != nil {
				seen = handshake(ob)
				state = t.state(ob.State)
				syn = fmt.Sprint(ob.SYNAttempts)
				bytes = humanBytes(ob.BytesToClient + ob.BytesToServer)
			}
			transfer := "-"
			if dc.TransferCommand != nil {
				transfer = clean(*dc.TransferCommand)
				if dc.Argument != nil && *dc.Argument != "" {
					transfer += " " + clean(*dc.Argument)
				}
				transfer = truncate(transfer, maxTransferCell)
			}
			if err := tab.Append([]string{
				fmt.Sprintf("%d/%d", s.ID, dc.ID),
				setup,
				truncate(endpointOr(dc.Announced), maxEndpointCell),
				orDash(clean(string(dc.ExpectedInitiator))),
				seen,
				state,
				syn,
				bytes,
				transfer,
				intOr(dc.TransferReply, "-"),
			}); err != nil {
				return fmt.Errorf("report: data channel table: %w", err)
			}
		}
	}
	if err := tab.Render(); err != nil {
		return fmt.Errorf("report: data channel table: %w", err)
	}
	return nil
}

// state writes a connection state, red when it failed.
func (t *tableWriter) state(s session.ConnState) string {
	text := orDash(clean(string(s)))
	if s == session.StateEstablished {
		return paint(t.o.Color, ansiGreen, text)
	}
	return paint(t.o.Color, ansiRed, text)
}

// sessionFindings writes a session's verdict and its findings, those of
// its data channels included.
func (t *tableWriter) sessionFindings(s *session.Session) {
	head := fmt.Sprintf("Session %d: %s → %s", s.ID, endpoint(s.Client), endpoint(s.Server))
	t.wrapped("", "  ", paint(t.o.Color, ansiBold, head))
	v := Verdict(s)
	t.wrapped("  ", "    ", paint(t.o.Color, verdictColor(v), v))
	base := sourceStart(t.r.Sources, s)
	// The worst first: what broke, then what to watch, then notes.
	type placed struct {
		f     session.Finding
		where string
	}
	var all []placed
	for _, f := range s.Findings {
		all = append(all, placed{f, ""})
	}
	for _, dc := range s.DataChannels {
		if dc == nil {
			continue
		}
		for _, f := range dc.Findings {
			all = append(all, placed{f, fmt.Sprintf(" (data channel %d/%d)", s.ID, dc.ID)})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].f.Severity.Rank() > all[j].f.Severity.Rank() })
	for _, p := range all {
		t.finding(p.f, p.where, base)
	}
}

// finding writes one finding: a tag line, the wrapped detail and the
// evidence, with times relative to base (the start of the capture).
func (t *tableWriter) finding(f session.Finding, where string, base time.Time) {
	tag := paint(t.o.Color, severityColor(f.Severity), "["+orDash(clean(string(f.Severity)))+"]")
	head := fmt.Sprintf("%s %s%s", tag, truncate(clean(string(f.Code)), maxEndpointCell), where)
	if sum := truncate(clean(strings.TrimSpace(f.Summary)), maxSummary); sum != "" {
		head += ": " + sum
	}
	t.wrapped("  ", "      ", head)
	if d := truncate(clean(strings.TrimSpace(f.Detail)), maxDetail); d != "" {
		t.wrapped("      ", "      ", d)
	}
	for _, e := range f.Evidence {
		t.wrapped("      ", "        ", truncate(evidenceLine(e, base), maxLine))
	}
}

// stats writes the closing totals line.
func (t *tableWriter) stats() {
	st := t.r.Stats
	line := fmt.Sprintf("%s (%s), %s, %s",
		plural(st.Packets, "packet", "packets"), humanBytes(st.Bytes),
		plural(st.FTPSessions, "FTP session", "FTP sessions"),
		plural(st.DataChannels, "data channel", "data channels"))
	if st.ElapsedMS > 0 {
		line += fmt.Sprintf("; analysed in %.1f ms", st.ElapsedMS)
	}
	t.wrapped("", "  ", line+".")
}

// wrapped writes text wrapped at the layout width, the first line after
// first and the others after indent. text must be clean, apart from
// colour sequences that paint added.
func (t *tableWriter) wrapped(first, indent, text string) {
	for i, line := range wrap(text, t.width-textWidth(indent)) {
		if i == 0 {
			t.b.WriteString(first)
		} else {
			t.b.WriteString(indent)
		}
		t.b.WriteString(line)
		t.b.WriteByte('\n')
	}
}

// newTable returns a borderless table with a header line, the style of
// every table of the report.
func newTable(w io.Writer, header ...string) *tablewriter.Table {
	r := renderer.NewBlueprint(tw.Rendition{
		Borders: tw.BorderNone,
		Symbols: tw.NewSymbols(tw.StyleLight),
		Settings: tw.Settings{
			Lines:      tw.Lines{ShowHeaderLine: tw.On},
			Separators: tw.Separators{BetweenColumns: tw.On, ShowHeader: tw.On},
		},
	})
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeader(header),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
}

// handshake draws the connection seen: initiator → responder.
func handshake(ob *session.Observed) string {
	return truncate(endpoint(ob.Initiator), maxEndpointCell) + " → " + truncate(endpoint(ob.Responder), maxEndpointCell)
}

// evidenceLine writes "packet 17 (00:00:01.234567): what", the time
// relative to base, or absolute when base is unknown.
func evidenceLine(e session.Evidence, base time.Time) string {
	var at string
	switch {
	case e.Time.IsZero():
	case base.IsZero():
		at = stamp(e.Time) + " UTC"
	default:
		at = clock(e.Time.Sub(base))
	}
	what := clean(strings.TrimSpace(e.What))
	switch {
	case e.Packet > 0 && at != "":
		return fmt.Sprintf("packet %d (%s): %s", e.Packet, at, what)
	case e.Packet > 0:
		return fmt.Sprintf("packet %d: %s", e.Packet, what)
	case at != "":
		return fmt.Sprintf("at %s: %s", at, what)
	}
	return what
}

// sourceStart is the first timestamp of the source s came from, the zero
// of Wireshark's relative times; the earliest of all sources when s names
// none of them.
func sourceStart(sources []session.Source, s *session.Session) time.Time {
	for _, src := range sources {
		if src.Name == s.Source && !src.FirstSeen.IsZero() {
			return src.FirstSeen.Time
		}
	}
	return earliestSource(sources)
}

// earliestSource is the earliest first timestamp of all sources, zero when
// none has one.
func earliestSource(sources []session.Source) time.Time {
	var t time.Time
	for _, src := range sources {
		if !src.FirstSeen.IsZero() && (t.IsZero() || src.FirstSeen.Before(t)) {
			t = src.FirstSeen.Time
		}
	}
	return t
}

// sameDay reports whether every session starts on the same UTC day, so
// that the table can show times of day alone.
func sameDay(sessions []*session.Session) bool {
	day := ""
	for _, s := range sessions {
		if s.Start.IsZero() {
			continue
		}
		d := s.Start.UTC().Format(time.DateOnly)
		if day != "" && d != day {
			return false
		}
		day = d
	}
	return true
}

// liveSessions returns the non-nil sessions.
func liveSessions(all []*session.Session) []*session.Session {
	out := make([]*session.Session, 0, len(all))
	for _, s := range all {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// countChannels counts the non-nil data channels of sessions.
func countChannels(sessions []*session.Session) int {
	n := 0
	for _, s := range sessions {
		for _, dc := range s.DataChannels {
			if dc != nil {
				n++
			}
		}
	}
	return n
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// trimLines removes trailing spaces from every line of b.
func trimLines(b []byte) []byte {
	out := make([]byte, 0, len(b))
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), len(b)+1)
	for sc.Scan() {
		out = append(out, bytes.TrimRight(sc.Bytes(), " ")...)
		out = append(out, '\n')
	}
	return out
}

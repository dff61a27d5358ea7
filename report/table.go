package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

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

// Narrowest widths of the columns that give way.
const (
	minEndpointCell = 24 // an IPv6 endpoint squeezed: [2001:db8:…:bbbb:aaaa]:21
	minVerdictCell  = 24
)

// WriteTable writes the default human-readable report: one line per input,
// a table of sessions, a table of data channels, then for each session its
// verdict and findings, the findings that belong to no session, and the
// totals. The tables choose their columns and abbreviations so that no
// line is wider than o.Width; text from the capture is escaped (see the
// package doc) and detail text wraps. With o.SummarizeAbove set and more
// sessions than that, it writes the summary and only the sessions that
// are not ok instead. The output is assembled in memory and written with
// one call, with no trailing spaces on any line.
func WriteTable(w io.Writer, r *session.Report, o Options) error {
	if r == nil {
		return errNilReport
	}
	var b bytes.Buffer
	t := newTextWriter(&b, r, o)
	sessions := liveSessions(r.Sessions)
	if o.SummarizeAbove > 0 && len(sessions) > o.SummarizeAbove {
		t.brief(sessions)
	} else {
		t.full(sessions)
	}
	if _, err := w.Write(trimLines(b.Bytes())); err != nil {
		return fmt.Errorf("report: write table: %w", err)
	}
	return nil
}

// textWriter holds what the text formats need while they render.
type textWriter struct {
	b     *bytes.Buffer
	r     *session.Report
	o     Options
	width int
	clock clock
	top   int // rows of each ranking of the summary
}

func newTextWriter(b *bytes.Buffer, r *session.Report, o Options) *textWriter {
	return &textWriter{b: b, r: r, o: o, width: o.width(), clock: newClock(o, r)}
}

// full writes every session: the tables, then the findings.
func (t *textWriter) full(sessions []*session.Session) {
	t.sources()
	if len(sessions) == 0 {
		t.b.WriteString("No FTP session found.\n")
	} else {
		t.title("FTP sessions")
		t.sessionTable(sessions, false)
		t.b.WriteByte('\n')
		if countChannels(sessions) == 0 {
			t.b.WriteString("No data channel was set up.\n")
		} else {
			t.title("Data channels")
			t.channelTable(sessions)
		}
		for _, s := range sessions {
			t.b.WriteByte('\n')
			t.sessionFindings(s)
		}
	}
	t.globalFindings()
	t.b.WriteByte('\n')
	t.stats()
}

// briefMax is the most sessions the default table lists after the
// summary; past it, the failed ones come first.
const briefMax = 50

// brief writes the summary and a table of the sessions that are not ok:
// all of them up to briefMax, else the failed first.
func (t *textWriter) brief(sessions []*session.Session) {
	t.sources()
	t.summaryBody(sessions, false)
	var bad []*session.Session
	for _, s := range sessions {
		if VerdictOf(s) != session.VerdictOK {
			bad = append(bad, s)
		}
	}
	shown := bad
	if len(bad) > briefMax {
		shown = slices.Clone(bad)
		slices.SortStableFunc(shown, func(a, b *session.Session) int {
			return verdictRank(VerdictOf(b)) - verdictRank(VerdictOf(a))
		})
		shown = shown[:briefMax]
		slices.SortFunc(shown, func(a, b *session.Session) int { return a.ID - b.ID })
	}
	t.b.WriteByte('\n')
	if len(bad) > 0 {
		title := fmt.Sprintf("Sessions that are not OK (%s of %s)", count(len(bad)), count(len(sessions)))
		if len(shown) < len(bad) {
			title = fmt.Sprintf("Sessions that are not OK: %s of %s, the failed first", count(len(shown)), count(len(bad)))
		}
		t.title(title)
		t.sessionTable(shown, true)
		t.b.WriteByte('\n')
	}
	var hint []string
	if ok := len(sessions) - len(bad); ok > 0 {
		hint = append(hint, pluralCount(ok, "OK session is", "OK sessions are")+" not listed")
	}
	if n := len(bad) - len(shown); n > 0 {
		hint = append(hint, pluralCount(n, "session that is not OK is", "sessions that are not OK are")+" not listed either")
	}
	line := "See one session in full with --session N; every session with -o table"
	if len(bad) > 0 {
		line += "; every session that is not OK, with its findings, with --only-problems"
	}
	if len(hint) > 0 {
		line = strings.Join(hint, "; ") + ". " + line
	}
	t.wrapped("", "", line+".")
	t.b.WriteByte('\n')
	t.stats()
}

// title writes a section title.
func (t *textWriter) title(s string) {
	t.wrapped("", "", paint(t.o.Color, ansiBold, s))
}

// sources writes a line per input, and how relative times count.
func (t *textWriter) sources() {
	for _, s := range t.r.Sources {
		t.source(s)
	}
	if t.clock.base == TimeRelative && !t.clock.zero.IsZero() {
		t.wrapped("", "  ", fmt.Sprintf("Times are seconds since the first packet, %s.",
			t.clock.stamp(session.Time{Time: t.clock.zero})))
	}
	if len(t.r.Sources) > 0 || t.clock.base == TimeRelative {
		t.b.WriteByte('\n')
	}
}

// source writes the one-line summary of an input and its errors.
func (t *textWriter) source(s session.Source) {
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
		line += ", " + t.clock.span(s.FirstSeen, s.LastSeen)
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

// status is the word of the STATUS column and its colour.
func status(v session.Verdict) (string, string) {
	switch v {
	case session.VerdictFailed:
		return "FAIL", ansiRed + ansiBold
	case session.VerdictWarning:
		return "WARN", ansiYellow + ansiBold
	}
	return "OK", ansiGreen
}

// sessionTable writes a table of sessions, a row each. brief tables (the
// sessions that are not ok, after the summary) put the verdict first.
func (t *textWriter) sessionTable(sessions []*session.Session, brief bool) {
	endpointFit := func(c *column) func(i, w int) string {
		return func(i, w int) string { return shortEndpoint(c.cells[i].text, w) }
	}
	id := &column{head: "#", right: true}
	st := &column{head: "STATUS"}
	src := &column{head: "SOURCE", prio: 3, flex: true, min: 8, squeeze: true}
	src.fit = func(i, w int) string { return truncateLeft(src.cells[i].text, w) }
	client := &column{head: "CLIENT", min: minEndpointCell}
	client.fit = endpointFit(client)
	server := &column{head: "SERVER", min: minEndpointCell}
	server.fit = endpointFit(server)
	user := &column{head: "USER", prio: 2, flex: true, min: 6, squeeze: true}
	pass := &column{head: "PASSWORD", prio: 2, flex: true, min: 8, squeeze: true}
	mode := &column{head: "MODE", prio: 1, squeeze: true}
	start := &column{head: "START (" + t.clock.label() + ")", prio: 4}
	dur := &column{head: "DURATION", prio: 6, right: true}
	chans := &column{head: "CHANNELS", prio: 5, right: true}
	verdict := &column{head: "VERDICT", prio: 7, flex: true, min: minVerdictCell}
	cmds := &column{head: "COMMANDS", prio: 8, right: true}
	tls := &column{head: "TLS", prio: 9}
	gaps := &column{head: "MISSING", prio: 10, right: true}
	if brief {
		verdict.prio, verdict.squeeze = 1, true
		mode.prio = 2
	}
	for _, s := range sessions {
		id.add(fmt.Sprint(s.ID), "")
		st.add(status(VerdictOf(s)))
		src.add(orDash(clean(s.Source)), "")
		client.add(truncate(endpoint(s.Client), maxEndpointCell), "")
		server.add(truncate(endpoint(s.Server), maxEndpointCell), "")
		user.add(truncate(strOr(s.User, "-"), maxUserCell), "")
		pass.add(truncate(password(s), maxUserCell), "")
		mode.add(orDash(clean(string(s.Mode))), "")
		start.add(t.clock.short(s.Start), "")
		d := "-"
		if !s.Start.IsZero() && !s.End.IsZero() {
			d = duration(s.End.Sub(s.Start.Time))
		}
		dur.add(d, "")
		chans.add(fmt.Sprint(len(s.DataChannels)), "")
		verdict.add(verdictText(s), "")
		cmds.add(fmt.Sprint(s.Commands), "")
		if s.TLS {
			tls.add("yes", ansiYellow)
		} else {
			tls.add("no", "")
		}
		if s.ControlGaps > 0 {
			gaps.add(humanBytes(s.ControlGaps), ansiYellow)
		} else {
			gaps.add("0", "")
		}
	}
	cols := []*column{id, st}
	if len(t.r.Sources) > 1 {
		cols = append(cols, src)
	}
	cols = append(cols, client, server, mode, user)
	if t.o.ShowPasswords {
		cols = append(cols, pass)
	}
	cols = append(cols, start, dur)
	if !brief {
		cols = append(cols, chans, cmds, tls, gaps)
	}
	cols = append(cols, verdict)
	if !brief || shows(cols, t.width, verdict) {
		writeTable(t.b, cols, t.width, "", t.o.Color)
		return
	}
	// The verdict is what a list of problems is for: when it does not fit
	// its row, it goes whole under it.
	cols = cols[:len(cols)-1]
	writeTableAfter(t.b, cols, t.width, "", t.o.Color, func(i int) {
		v := verdict.cells[i].text
		t.wrapped("    ", "    ", paint(t.o.Color, verdictColor(Verdict(sessions[i])), v))
	})
}

// verdictText is a session's verdict without its OK:/WARNING:/FAILED:
// word, which the STATUS column shows.
func verdictText(s *session.Session) string {
	v := Verdict(s)
	for _, p := range []string{verdictOK, verdictWarning, verdictFailed} {
		if strings.HasPrefix(v, p) {
			return strings.TrimPrefix(v, p)
		}
	}
	return v
}

// password is the argument of the last PASS command of s's transcript,
// "-" when there is none.
func password(s *session.Session) string {
	p := "-"
	for _, ex := range s.Transcript {
		if ex.Command == "PASS" {
			p = clean(ex.Arg)
		}
	}
	return p
}

// channelTable writes the table of data channels of every session.
func (t *textWriter) channelTable(sessions []*session.Session) {
	id := &column{head: "#"}
	setup := &column{head: "SETUP", min: 4}
	setup.fit = func(i, w int) string { return strings.Fields(setup.cells[i].text + " ")[0] }
	opener := &column{head: "OPENED BY", prio: 1, squeeze: true}
	ann := &column{head: "ANNOUNCED", min: minEndpointCell}
	ann.fit = func(i, w int) string { return shortEndpoint(ann.cells[i].text, w) }
	conn := &column{head: "CONNECTION"}
	transfer := &column{head: "TRANSFER", prio: 2, flex: true, min: 8, squeeze: true}
	reply := &column{head: "REPLY", prio: 1, squeeze: true}
	bytesCol := &column{head: "BYTES", prio: 3, right: true}
	tries := &column{head: "SYNS SENT", prio: 4, right: true}
	seen := &column{head: "CONNECTION SEEN", prio: 5}
	for _, s := range sessions {
		for _, dc := range s.DataChannels {
			if dc == nil {
				continue
			}
			id.add(fmt.Sprintf("%d/%d", s.ID, dc.ID), "")
			su := orDash(clean(dc.SetupCommand))
			if dc.SetupPacket > 0 {
				su += fmt.Sprintf(" #%d", dc.SetupPacket)
			}
			setup.add(su, "")
			opener.add(orDash(clean(string(dc.ExpectedInitiator))), "")
			ann.add(truncate(endpointOr(dc.Announced), maxEndpointCell), "")
			if ob := dc.Observed; ob != nil {
				conn.add(t.state(ob.State))
				seen.add(handshake(ob), "")
				tries.add(fmt.Sprint(ob.SYNAttempts), "")
				bytesCol.add(humanBytes(ob.BytesToClient+ob.BytesToServer), "")
			} else {
				conn.add("not seen", ansiRed)
				seen.add("-", "")
				tries.add("-", "")
				bytesCol.add("-", "")
			}
			tr := "-"
			if dc.TransferCommand != nil {
				tr = clean(*dc.TransferCommand)
				if dc.Argument != nil && *dc.Argument != "" {
					tr += " " + clean(*dc.Argument)
				}
				tr = truncate(tr, maxTransferCell)
			}
			transfer.add(tr, "")
			reply.add(intOr(dc.TransferReply, "-"), "")
		}
	}
	writeTable(t.b, []*column{id, setup, opener, ann, conn, transfer, reply, bytesCol, tries, seen}, t.width, "", t.o.Color)
}

// state is a connection state and its colour: red when it failed.
func (t *textWriter) state(s session.ConnState) (string, string) {
	text := orDash(clean(string(s)))
	if s == session.StateEstablished {
		return text, ansiGreen
	}
	return text, ansiRed
}

// sessionFindings writes a session's verdict and its findings, those of
// its data channels included, and with o.Transcript its commands.
func (t *textWriter) sessionFindings(s *session.Session) {
	head := fmt.Sprintf("Session %d: %s → %s", s.ID, endpoint(s.Client), endpoint(s.Server))
	t.wrapped("", "  ", paint(t.o.Color, ansiBold, head))
	v := Verdict(s)
	t.wrapped("  ", "    ", paint(t.o.Color, verdictColor(v), v))
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
		t.finding(p.f, p.where)
	}
	if t.o.Transcript {
		t.transcript(s)
	}
}

// transcript writes the commands of s with the replies that answered
// them: ftpscope -v.
func (t *textWriter) transcript(s *session.Session) {
	if len(s.Transcript) == 0 {
		t.wrapped("  ", "    ", "No command transcript was recorded.")
		return
	}
	t.wrapped("  ", "    ", "Commands and replies:")
	pkt := &column{head: "PACKET", right: true}
	at := &column{head: "TIME (" + t.clock.label() + ")", prio: 1}
	cmd := &column{head: "COMMAND", flex: true, min: 12}
	reply := &column{head: "REPLY", flex: true, min: 12}
	dc := &column{head: "DATA", prio: 2}
	for _, ex := range s.Transcript {
		p := ex.Packet
		when := ex.Time
		if p == 0 {
			p, when = ex.ReplyPacket, ex.ReplyTime
		}
		pkt.add(orDash(intStr(p)), "")
		at.add(t.clock.long(when), "")
		c := "-"
		if ex.Command != "" {
			c = strings.TrimSpace(clean(ex.Command + " " + ex.Arg))
		}
		cmd.add(truncate(c, maxTransferCell*2), "")
		r := "-"
		if ex.Reply != 0 {
			text, _, _ := strings.Cut(ex.ReplyText, "\n")
			r = strings.TrimSpace(fmt.Sprintf("%d %s", ex.Reply, truncate(clean(strings.TrimSpace(text)), maxSummary)))
		}
		color := ""
		if ex.Reply >= 400 {
			color = ansiRed
		}
		reply.add(r, color)
		d := "-"
		if ex.DataChannel != 0 {
			d = fmt.Sprintf("%d/%d", s.ID, ex.DataChannel)
		}
		dc.add(d, "")
	}
	writeTable(t.b, []*column{pkt, at, cmd, reply, dc}, t.width, "    ", t.o.Color)
}

// intStr writes n, or "" for 0.
func intStr(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// globalFindings writes the findings that belong to no session.
func (t *textWriter) globalFindings() {
	if len(t.r.Findings) == 0 {
		return
	}
	t.b.WriteByte('\n')
	t.title("Findings outside any session")
	for _, f := range t.r.Findings {
		t.finding(f, "")
	}
}

// finding writes one finding: a tag line, the wrapped detail and the
// evidence, with times in the report's base.
func (t *textWriter) finding(f session.Finding, where string) {
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
		t.wrapped("      ", "        ", truncate(t.evidenceLine(e), maxLine))
	}
}

// stats writes the closing totals line.
func (t *textWriter) stats() {
	st := t.r.Stats
	line := fmt.Sprintf("%s (%s), %s, %s",
		plural(st.Packets, "packet", "packets"), humanBytes(st.Bytes),
		plural(st.FTPSessions, "FTP session", "FTP sessions"),
		plural(st.DataChannels, "data channel", "data channels"))
	if st.ElapsedMS > 0 {
		line += fmt.Sprintf("; analysed in %.1f ms", st.ElapsedMS)
	}
	t.wrapped("", "  ", line+".")
	var notes []string
	if st.Duplicates > 0 {
		notes = append(notes, plural(st.Duplicates, "duplicate packet dropped", "duplicate packets dropped"))
	}
	if st.Probes > 0 {
		notes = append(notes, plural(st.Probes, "port probe of a control port", "port probes of control ports")+" (no session)")
	}
	l := st.Limits
	if l.SessionsEvicted > 0 {
		notes = append(notes, plural(l.SessionsEvicted, "session", "sessions")+" ended early to make room for newer ones (the one idle the longest first)")
	}
	if l.SessionsNotFollowed > 0 {
		notes = append(notes, plural(l.SessionsNotFollowed, "control connection", "control connections")+" not followed (too many sessions at once)")
	}
	if l.ChannelsNotFollowed > 0 {
		notes = append(notes, plural(l.ChannelsNotFollowed, "data-channel setup", "data-channel setups")+" not followed (too many in one session)")
	}
	if l.FailedLoginPairsNotFollowed > 0 {
		notes = append(notes, plural(l.FailedLoginPairsNotFollowed, "failed login", "failed logins")+" not counted for brute force (too many client/server pairs)")
	}
	if l.ContentServersNotFollowed > 0 {
		notes = append(notes, plural(l.ContentServersNotFollowed, "FTP server found by content", "FTP servers found by content")+" not remembered (too many)")
	}
	if l.PassiveRangeSessionsNotCounted > 0 {
		notes = append(notes, plural(l.PassiveRangeSessionsNotCounted, "session's", "sessions'")+" passive ports not counted for passive-port-range (too many servers)")
	}
	if len(notes) > 0 {
		t.wrapped("", "  ", "Also: "+strings.Join(notes, "; ")+".")
	}
}

// wrapped writes text wrapped at the layout width, the first line after
// first and the others after indent. text must be clean, apart from
// colour sequences that paint added.
func (t *textWriter) wrapped(first, indent string, text string) {
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

// handshake draws the connection seen: initiator → responder.
func handshake(ob *session.Observed) string {
	return truncate(endpoint(ob.Initiator), maxEndpointCell) + " → " + truncate(endpoint(ob.Responder), maxEndpointCell)
}

// evidenceLine writes "packet 17 (14:00:01.234567): what", the time in
// the report's base.
func (t *textWriter) evidenceLine(e session.Evidence) string {
	var at string
	if !e.Time.IsZero() {
		at = t.clock.long(e.Time)
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

// truncateLeft shortens s to at most max columns by cutting its start:
// "…/captures/inside.pcap". s must be clean.
func truncateLeft(s string, max int) string {
	if textWidth(s) <= max {
		return s
	}
	rs := []rune(s)
	w := 0
	i := len(rs)
	for i > 0 && w+runeWidth(rs[i-1]) <= max-1 {
		i--
		w += runeWidth(rs[i])
	}
	return ellipsis + string(rs[i:])
}

// count writes n with thousands separators: 20,000.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
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

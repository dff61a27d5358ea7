package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/ftpscope/ftpscope/session"
)

// Rows shown in each ranking of the summary.
const (
	summaryTop   = 10 // servers, clients, passive ranges
	briefTop     = 5  // the same in the summary atop the default table
	summaryWorst = 10 // worst sessions
)

// WriteSummary writes -o summary: a line per input, the sessions counted
// by verdict, the findings by code, the sessions by server and by client
// (those with the most problems first), the passive ports each server
// announced, the worst sessions with their numbers for --session N, and
// the totals. It fits a screen whatever the number of sessions, and no
// line is wider than o.Width.
func WriteSummary(w io.Writer, r *session.Report, o Options) error {
	if r == nil {
		return errNilReport
	}
	var b bytes.Buffer
	t := newTextWriter(&b, r, o)
	t.sources()
	t.summaryBody(liveSessions(r.Sessions), true)
	t.b.WriteByte('\n')
	t.stats()
	if _, err := w.Write(trimLines(b.Bytes())); err != nil {
		return fmt.Errorf("report: write summary: %w", err)
	}
	return nil
}

// tally counts sessions by verdict.
type tally struct {
	key           string
	ok, warn, bad int
}

func (x *tally) add(v session.Verdict) {
	switch v {
	case session.VerdictFailed:
		x.bad++
	case session.VerdictWarning:
		x.warn++
	default:
		x.ok++
	}
}

func (x *tally) total() int { return x.ok + x.warn + x.bad }

// worseTally orders tallies with the most failed sessions first, then the
// most warnings, then the most sessions, then by key.
func worseTally(a, b *tally) int {
	if c := cmp.Compare(b.bad, a.bad); c != 0 {
		return c
	}
	if c := cmp.Compare(b.warn, a.warn); c != 0 {
		return c
	}
	if c := cmp.Compare(b.total(), a.total()); c != 0 {
		return c
	}
	return compareKeys(a.key, b.key)
}

// compareKeys orders addresses and endpoints numerically (10.0.0.2
// before 10.0.0.10), other keys as text.
func compareKeys(a, b string) int {
	pa, ea := netip.ParseAddrPort(a)
	pb, eb := netip.ParseAddrPort(b)
	if ea == nil && eb == nil {
		return pa.Compare(pb)
	}
	aa, ea := netip.ParseAddr(a)
	ab, eb := netip.ParseAddr(b)
	if ea == nil && eb == nil {
		return aa.Compare(ab)
	}
	return cmp.Compare(a, b)
}

// summaryBody writes the summary's sections; worst adds the worst
// sessions (the brief table lists every problem session instead, and
// its rankings are shorter).
func (t *textWriter) summaryBody(sessions []*session.Session, worst bool) {
	t.top = summaryTop
	if !worst {
		t.top = briefTop
	}
	var all tally
	for _, s := range sessions {
		all.add(VerdictOf(s))
	}
	line := fmt.Sprintf("%s: %s, %s, %s.", pluralCount(len(sessions), "FTP session", "FTP sessions"),
		paint(t.o.Color, ansiGreen, count(all.ok)+" OK"),
		paint(t.o.Color, ansiYellow+ansiBold, count(all.warn)+" WARN"),
		paint(t.o.Color, ansiRed+ansiBold, count(all.bad)+" FAIL"))
	if len(sessions) == 0 {
		line = "No FTP session found."
	}
	t.title("Summary")
	t.wrapped("", "  ", line)
	t.findingCounts(sessions)
	t.rankings(sessions)
	t.passiveRanges(sessions)
	if worst {
		t.worstSessions(sessions)
	}
}

// findingCounts writes a row per finding code: its severity, the
// sessions it was found in and how many times.
func (t *textWriter) findingCounts(sessions []*session.Session) {
	type row struct {
		code     string
		sev      session.Severity
		sessions int
		n        int
	}
	byCode := map[string]*row{}
	get := func(f session.Finding) *row {
		k := string(f.Code)
		x := byCode[k]
		if x == nil {
			x = &row{code: k, sev: f.Severity}
			byCode[k] = x
		}
		if f.Severity.Rank() > x.sev.Rank() {
			x.sev = f.Severity
		}
		x.n++
		return x
	}
	for _, s := range sessions {
		seen := map[*row]bool{}
		each := func(fs []session.Finding) {
			for _, f := range fs {
				seen[get(f)] = true
			}
		}
		each(s.Findings)
		for _, dc := range s.DataChannels {
			if dc != nil {
				each(dc.Findings)
			}
		}
		for x := range seen {
			x.sessions++
		}
	}
	for _, f := range t.r.Findings {
		get(f)
	}
	t.b.WriteByte('\n')
	if len(byCode) == 0 {
		t.title("Findings: none")
		return
	}
	rows := make([]*row, 0, len(byCode))
	for _, x := range byCode {
		rows = append(rows, x)
	}
	slices.SortFunc(rows, func(a, b *row) int {
		if c := cmp.Compare(b.sev.Rank(), a.sev.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.sessions, a.sessions); c != 0 {
			return c
		}
		return cmp.Compare(a.code, b.code)
	})
	t.title("Findings by code")
	code := &column{head: "CODE", flex: true, min: 16}
	sev := &column{head: "SEVERITY"}
	ns := &column{head: "SESSIONS", right: true}
	nf := &column{head: "FINDINGS", right: true, prio: 1}
	for _, x := range rows {
		code.add(truncate(clean(x.code), maxEndpointCell), "")
		sev.add(clean(string(x.sev)), severityColor(x.sev))
		if x.sessions == 0 {
			ns.add("-", "")
		} else {
			ns.add(count(x.sessions), "")
		}
		nf.add(count(x.n), "")
	}
	writeTable(t.b, []*column{code, sev, ns, nf}, t.width, "  ", t.o.Color)
}

// rankings writes the sessions counted by server (address and control
// port) and by client (address), those with the most problems first.
func (t *textWriter) rankings(sessions []*session.Session) {
	servers := map[string]*tally{}
	clients := map[string]*tally{}
	bump := func(m map[string]*tally, k string, v session.Verdict) {
		x := m[k]
		if x == nil {
			x = &tally{key: k}
			m[k] = x
		}
		x.add(v)
	}
	for _, s := range sessions {
		v := VerdictOf(s)
		bump(servers, endpoint(s.Server), v)
		client := "-"
		if s.Client.IsValid() {
			client = s.Client.Addr().String()
		}
		bump(clients, client, v)
	}
	t.ranking("Servers", "SERVER", servers)
	t.ranking("Clients", "CLIENT", clients)
}

// ranking writes one table of tallies.
func (t *textWriter) ranking(title, head string, m map[string]*tally) {
	if len(m) == 0 {
		return
	}
	rows := make([]*tally, 0, len(m))
	for _, x := range m {
		rows = append(rows, x)
	}
	slices.SortFunc(rows, worseTally)
	t.b.WriteByte('\n')
	if len(rows) > t.top {
		t.title(fmt.Sprintf("%s: %s, those with the most problems first", title, count(len(rows))))
	} else {
		t.title(title)
	}
	key := &column{head: head, min: minEndpointCell}
	key.fit = func(i, w int) string { return shortEndpoint(key.cells[i].text, w) }
	ns := &column{head: "SESSIONS", right: true}
	ok := &column{head: "OK", right: true}
	warn := &column{head: "WARN", right: true}
	bad := &column{head: "FAIL", right: true}
	for i, x := range rows {
		if i == t.top {
			var rest tally
			for _, y := range rows[i:] {
				rest.ok += y.ok
				rest.warn += y.warn
				rest.bad += y.bad
			}
			x = &rest
			x.key = fmt.Sprintf("(%s more)", count(len(rows)-i))
		}
		key.add(truncate(clean(x.key), maxEndpointCell), "")
		ns.add(count(x.total()), "")
		ok.add(count(x.ok), "")
		warn.add(count(x.warn), warnColor(x.warn, ansiYellow))
		bad.add(count(x.bad), warnColor(x.bad, ansiRed))
		if i == t.top {
			break
		}
	}
	writeTable(t.b, []*column{key, ns, ok, warn, bad}, t.width, "  ", t.o.Color)
}

// warnColor is color when n is not 0.
func warnColor(n int, color string) string {
	if n == 0 {
		return ""
	}
	return color
}

// passiveRanges writes, per server, the lowest and highest passive port
// it announced, how many distinct ports and data channels, and the
// addresses announced when they are not the server's own.
func (t *textWriter) passiveRanges(sessions []*session.Session) {
	type rng struct {
		server    string
		lo, hi    uint16
		ports     map[uint16]bool
		channels  int
		announced map[netip.Addr]bool
	}
	byServer := map[string]*rng{}
	for _, s := range sessions {
		for _, dc := range s.DataChannels {
			if dc == nil || dc.Mode != session.ModePassive || dc.Announced == nil || !dc.Announced.IsValid() {
				continue
			}
			k := endpoint(s.Server)
			x := byServer[k]
			p := dc.Announced.Port()
			if x == nil {
				x = &rng{server: k, lo: p, hi: p, ports: map[uint16]bool{}, announced: map[netip.Addr]bool{}}
				byServer[k] = x
			}
			x.lo, x.hi = min(x.lo, p), max(x.hi, p)
			x.ports[p] = true
			x.channels++
			if a := dc.Announced.Addr(); a != s.Server.Addr() {
				x.announced[a] = true
			}
		}
	}
	t.b.WriteByte('\n')
	if len(byServer) == 0 {
		t.title("Passive ports: no passive data channel was announced")
		return
	}
	rows := make([]*rng, 0, len(byServer))
	for _, x := range byServer {
		rows = append(rows, x)
	}
	slices.SortFunc(rows, func(a, b *rng) int {
		if c := cmp.Compare(b.channels, a.channels); c != 0 {
			return c
		}
		return compareKeys(a.server, b.server)
	})
	t.title("Passive ports announced, by server")
	server := &column{head: "SERVER", min: minEndpointCell}
	server.fit = func(i, w int) string { return shortEndpoint(server.cells[i].text, w) }
	ports := &column{head: "PORTS"}
	distinct := &column{head: "DISTINCT", right: true, prio: 1}
	chans := &column{head: "CHANNELS", right: true, prio: 2}
	as := &column{head: "ANNOUNCED AS", flex: true, min: 12, prio: 3}
	for i, x := range rows {
		if i == t.top {
			server.add(fmt.Sprintf("(%s more)", count(len(rows)-i)), "")
			for _, c := range []*column{ports, distinct, chans, as} {
				c.add("", "")
			}
			break
		}
		server.add(x.server, "")
		if x.lo == x.hi {
			ports.add(fmt.Sprint(x.lo), "")
		} else {
			ports.add(fmt.Sprintf("%d-%d", x.lo, x.hi), "")
		}
		distinct.add(count(len(x.ports)), "")
		chans.add(count(x.channels), "")
		var addrs []string
		for a := range x.announced {
			addrs = append(addrs, a.String())
		}
		slices.Sort(addrs)
		as.add(orDash(strings.Join(addrs, ", ")), "")
	}
	cols := []*column{server, ports, distinct, chans, as}
	if len(slices.DeleteFunc(slices.Clone(as.cells), func(c cell) bool { return c.text == "-" || c.text == "" })) == 0 {
		cols = cols[:4] // every server announced its own address
	}
	writeTable(t.b, cols, t.width, "  ", t.o.Color)
}

// worstSessions writes the sessions that are not ok, the failed first,
// then those with most errors and warnings, at most summaryWorst of them.
func (t *textWriter) worstSessions(sessions []*session.Session) {
	type scored struct {
		s              *session.Session
		rank, err, wrn int
	}
	var bad []scored
	for _, s := range sessions {
		v := VerdictOf(s)
		if v == session.VerdictOK {
			continue
		}
		x := scored{s: s, rank: 1}
		if v == session.VerdictFailed {
			x.rank = 2
		}
		each := func(fs []session.Finding) {
			for _, f := range fs {
				switch f.Severity {
				case session.SeverityError:
					x.err++
				case session.SeverityWarning:
					x.wrn++
				}
			}
		}
		each(s.Findings)
		for _, dc := range s.DataChannels {
			if dc != nil {
				each(dc.Findings)
			}
		}
		bad = append(bad, x)
	}
	t.b.WriteByte('\n')
	if len(bad) == 0 {
		t.title("Worst sessions: none, every session is OK")
		return
	}
	slices.SortStableFunc(bad, func(a, b scored) int {
		if c := cmp.Compare(b.rank, a.rank); c != 0 {
			return c
		}
		if c := cmp.Compare(b.err, a.err); c != 0 {
			return c
		}
		return cmp.Compare(b.wrn, a.wrn)
	})
	title := "Worst sessions"
	if len(bad) > summaryWorst {
		title = fmt.Sprintf("Worst sessions: %d of %s", summaryWorst, count(len(bad)))
		bad = bad[:summaryWorst]
	}
	t.title(title + " (--session N shows one in full)")
	list := make([]*session.Session, len(bad))
	for i, x := range bad {
		list[i] = x.s
	}
	t.sessionTable(list, true)
}

// pluralCount is plural with thousands separators: "20,000 sessions".
func pluralCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

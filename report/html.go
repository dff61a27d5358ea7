package report

import (
	"bufio"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/ftpscope/ftpscope/session"
)

// HTMLOptions controls WriteHTML.
type HTMLOptions struct {
	// MaxDiagrams is how many sessions are drawn in full (findings,
	// sequence diagram, data channels), the sessions with problems first;
	// the others are listed one line each, so that a capture of many
	// thousand sessions still makes a page a browser opens at once.
	// 0 means 200; a negative value draws every session.
	MaxDiagrams int
}

// defaultMaxDiagrams is HTMLOptions.MaxDiagrams when it is 0.
const defaultMaxDiagrams = 200

// Limits on the text a page shows, in columns; the rest is cut with "…".
const (
	htmlMaxField    = 200  // user names, file names, endpoints, sources
	htmlMaxSummary  = 600  // a finding's summary, an evidence line
	htmlMaxDetail   = 3000 // a finding's detail
	htmlMaxListed   = 50   // servers and passive ranges listed in the summary
	htmlOpenListing = 500  // a listing of problem sessions longer than this is folded
	htmlFoldHealthy = 20   // more healthy sessions than this are folded even when all are healthy
)

// codePassivePortRange is the global finding that states the passive
// ports of each server with firewall rules; when the report has it, the
// page shows it instead of the ranges it derives itself.
const codePassivePortRange session.Code = "passive-port-range"

// WriteHTML writes r as one self-contained HTML page, a picture of the
// report to send or attach to a ticket: no script, no font, no request of
// any kind leaves it (its Content-Security-Policy forbids them too).
//
// The page starts with a summary: the inputs, verdict counts, finding
// codes, servers, the passive port ranges the servers announced with
// firewall rules that allow them, and the findings that belong to no
// session. Then come the sessions with problems (failed, then warning),
// each with its verdict and findings in plain words, a sequence diagram
// in the style of the textbook figures of active and passive FTP (see
// diagram) and its data channels; then the healthy sessions, folded when
// there are problems or many of them. Past o.MaxDiagrams drawn sessions
// the others are listed one line each.
//
// Every text taken from the capture is cleaned as for the terminal (so
// that invisible and control characters show as escapes) and then
// escaped by html/template for where it stands, so a banner or a file
// name cannot add markup to the page. The diagrams need the ladder
// events of session.Config.Ladder; without them they show the data
// connections only.
func WriteHTML(w io.Writer, r *session.Report, o HTMLOptions) error {
	if r == nil {
		return errNilReport
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := pageTemplate.Execute(bw, newPage(r, o)); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	return nil
}

// page is what the page template shows: every text in it is clean and
// cut to length, every number ready to print.
type page struct {
	Title   string
	Policy  string       // the Content-Security-Policy
	Style   template.CSS // the style sheet, whose hash Policy allows
	Sources []pageSource
	Totals  string

	Sessions int
	Verdicts []verdictCount
	Codes    []codeCount
	Servers  []serverRow
	// ServersMore counts the servers left out of Servers.
	ServersMore int

	// PortRangeFindings are the report's passive-port-range findings;
	// when there are none, Ranges are derived from the announcements.
	PortRangeFindings []pageFinding
	Ranges            []passiveRange
	RangesMore        int

	Global []pageFinding

	Problems group
	Healthy  group
	// HealthyOpen unfolds the healthy sessions: none has a problem and
	// there are few.
	HealthyOpen bool
	// Undrawn counts the sessions listed without a diagram.
	Undrawn int
}

// pageSource is one input.
type pageSource struct {
	Name   string
	Facts  string
	Errors []string
}

// verdictCount is the number of sessions with one verdict.
type verdictCount struct {
	Verdict string // ok, warning, failed
	Label   string
	Count   int
}

// codeCount is how often a finding code was raised.
type codeCount struct {
	Code     string
	Severity string
	Count    int
	Sessions int // sessions with at least one; 0 for global findings only
}

// serverRow is one FTP server (control endpoint) and its sessions.
type serverRow struct {
	Server                          string
	Sessions, Failed, Warning, OK   int
	Modes                           string
	ActiveChannels, PassiveChannels int
}

// passiveRange is what the passive announcements of one server ask a
// firewall in front of it to allow.
type passiveRange struct {
	Server    string // the server's control address
	Ports     string // 40001-40015, or one port
	Count     string // "3 announced, in 2 sessions"
	Announced string // other addresses the announcements named (NAT), or ""
	Nft       string
	Iptables  string
}

// group is the sessions of one kind: drawn in full, then listed.
type group struct {
	Count  int
	Cards  []*card
	Listed []listedSession
	// ListedOpen unfolds the listing.
	ListedOpen bool
}

// card is a session drawn in full.
type card struct {
	ID       int
	Verdict  string // ok, warning, failed
	Text     string // the one-line verdict
	Source   string
	Client   string
	Server   string
	Facts    string
	Findings []pageFinding
	Diagram  *diagram
	Channels []pageChannel
}

// listedSession is a session shown on one line.
type listedSession struct {
	ID      int
	Verdict string
	Client  string
	Server  string
	User    string
	Mode    string
	Start   string
	Text    string
}

// pageFinding is one finding in words.
type pageFinding struct {
	Code     string
	Severity string
	Where    string // "data channel 2", or "" for the session or the report
	Summary  string
	Detail   string
	Evidence []pageEvidence
}

// pageEvidence is one packet that supports a finding.
type pageEvidence struct {
	Packet int
	What   string
}

// pageChannel is one data channel, a row of the session's table.
type pageChannel struct {
	ID        int
	Setup     string
	Announced string
	Expected  string
	Seen      string
	State     string // a ConnState, or "missing"
	StateText string
	SYN       string
	Bytes     string
	Transfer  string
	Reply     string
}

// newPage builds the page of r.
func newPage(r *session.Report, o HTMLOptions) *page {
	var sessions []*session.Session
	for _, s := range r.Sessions {
		if s != nil {
			sessions = append(sessions, s)
		}
	}
	p := &page{Policy: contentPolicy, Style: pageStyle, Sessions: len(sessions)}
	p.sources(r)
	p.verdicts(sessions)
	p.codes(r, sessions)
	p.servers(sessions)
	p.ranges(r, sessions)
	for _, f := range r.Findings {
		if f.Code != codePassivePortRange {
			p.Global = append(p.Global, newFinding(f, ""))
		}
	}

	budget := o.MaxDiagrams
	switch {
	case budget == 0:
		budget = defaultMaxDiagrams
	case budget < 0:
		budget = len(sessions)
	}
	var problems, healthy []*session.Session
	for _, s := range sessions {
		if verdictOf(s) == session.VerdictOK {
			healthy = append(healthy, s)
		} else {
			problems = append(problems, s)
		}
	}
	// Failed before warning, each in the order of the capture.
	slices.SortStableFunc(problems, func(a, b *session.Session) int {
		return cmp.Compare(verdictRank(verdictOf(b)), verdictRank(verdictOf(a)))
	})
	p.Problems = newGroup(problems, &budget)
	p.Healthy = newGroup(healthy, &budget)
	p.Problems.ListedOpen = len(p.Problems.Listed) <= htmlOpenListing
	p.HealthyOpen = len(problems) == 0 && len(healthy) <= htmlFoldHealthy
	p.Undrawn = len(p.Problems.Listed) + len(p.Healthy.Listed)
	return p
}

// newGroup draws sessions in full while the budget lasts and lists the
// rest.
func newGroup(sessions []*session.Session, budget *int) group {
	g := group{Count: len(sessions)}
	for _, s := range sessions {
		if *budget > 0 {
			*budget--
			g.Cards = append(g.Cards, newCard(s))
			continue
		}
		g.Listed = append(g.Listed, listedSession{
			ID: s.ID, Verdict: string(verdictOf(s)),
			Client: endpoint(s.Client), Server: endpoint(s.Server),
			User: truncate(strOr(s.User, "-"), htmlMaxField), Mode: orDash(clean(string(s.Mode))),
			Start: stamp(s.Start), Text: Verdict(s),
		})
	}
	return g
}

// verdictOf is the session's verdict; a report made by hand may leave it
// empty, and then it follows from the findings.
func verdictOf(s *session.Session) session.Verdict {
	switch s.Verdict {
	case session.VerdictOK, session.VerdictWarning, session.VerdictFailed:
		return s.Verdict
	}
	return session.VerdictOf(s.Worst())
}

// verdictRank orders verdicts: failed 2, warning 1, ok 0.
func verdictRank(v session.Verdict) int {
	switch v {
	case session.VerdictFailed:
		return 2
	case session.VerdictWarning:
		return 1
	}
	return 0
}

// sources describes the inputs and the totals of the run.
func (p *page) sources(r *session.Report) {
	var names []string
	for _, src := range r.Sources {
		name := truncate(clean(src.Name), htmlMaxField)
		names = append(names, name)
		facts := fmt.Sprintf("%s (%s)", plural(src.Packets, "packet", "packets"), humanBytes(src.Bytes))
		if len(src.LinkTypes) > 0 {
			var lt []string
			for _, l := range src.LinkTypes {
				lt = append(lt, truncate(clean(l), htmlMaxField))
			}
			facts += ", " + strings.Join(lt, ", ")
		}
		if !src.FirstSeen.IsZero() {
			facts += ", " + stamp(src.FirstSeen) + " to " + stamp(src.LastSeen) + " UTC"
		}
		if src.Dropped != nil && *src.Dropped > 0 {
			facts += fmt.Sprintf(", %d dropped by the kernel", *src.Dropped)
		}
		ps := pageSource{Name: name, Facts: facts}
		for _, e := range src.Errors {
			ps.Errors = append(ps.Errors, truncate(clean(e), htmlMaxSummary))
		}
		p.Sources = append(p.Sources, ps)
	}
	switch {
	case len(names) == 1:
		p.Title = "ftpscope: " + names[0]
	case len(names) > 1:
		p.Title = fmt.Sprintf("ftpscope: %s and %s", names[0], plural(len(names)-1, "more input", "more inputs"))
	default:
		p.Title = "ftpscope report"
	}
	st := r.Stats
	p.Totals = fmt.Sprintf("%s (%s), %s, %s.",
		plural(st.Packets, "packet", "packets"), humanBytes(st.Bytes),
		plural(st.FTPSessions, "FTP session", "FTP sessions"),
		plural(st.DataChannels, "data channel", "data channels"))
}

// verdicts counts the sessions by verdict, worst first.
func (p *page) verdicts(sessions []*session.Session) {
	n := map[session.Verdict]int{}
	for _, s := range sessions {
		n[verdictOf(s)]++
	}
	p.Verdicts = []verdictCount{
		{"failed", "failed", n[session.VerdictFailed]},
		{"warning", "warning", n[session.VerdictWarning]},
		{"ok", "ok", n[session.VerdictOK]},
	}
}

// codes counts the findings by code, the most severe and most frequent
// first.
func (p *page) codes(r *session.Report, sessions []*session.Session) {
	byCode := map[session.Code]*codeCount{}
	add := func(f session.Finding, sessionSeen map[session.Code]bool) {
		c := byCode[f.Code]
		if c == nil {
			c = &codeCount{Code: truncate(clean(string(f.Code)), htmlMaxField), Severity: string(f.Severity)}
			byCode[f.Code] = c
		}
		c.Count++
		if f.Severity.Rank() > session.Severity(c.Severity).Rank() {
			c.Severity = string(f.Severity)
		}
		if sessionSeen != nil && !sessionSeen[f.Code] {
			sessionSeen[f.Code] = true
			c.Sessions++
		}
	}
	for _, s := range sessions {
		seen := map[session.Code]bool{}
		for _, f := range s.Findings {
			add(f, seen)
		}
		for _, dc := range s.DataChannels {
			if dc != nil {
				for _, f := range dc.Findings {
					add(f, seen)
				}
			}
		}
	}
	for _, f := range r.Findings {
		add(f, nil)
	}
	for _, c := range byCode {
		c.Severity = clean(c.Severity)
		p.Codes = append(p.Codes, *c)
	}
	slices.SortFunc(p.Codes, func(a, b codeCount) int {
		return cmp.Or(
			cmp.Compare(session.Severity(b.Severity).Rank(), session.Severity(a.Severity).Rank()),
			cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Code, b.Code))
	})
}

// servers counts the sessions of each server, those with failures first.
func (p *page) servers(sessions []*session.Session) {
	type acc struct {
		row   serverRow
		modes map[session.Mode]bool
	}
	by := map[netip.AddrPort]*acc{}
	var order []netip.AddrPort
	for _, s := range sessions {
		a := by[s.Server]
		if a == nil {
			a = &acc{row: serverRow{Server: truncate(endpoint(s.Server), htmlMaxField)}, modes: map[session.Mode]bool{}}
			by[s.Server] = a
			order = append(order, s.Server)
		}
		a.row.Sessions++
		switch verdictOf(s) {
		case session.VerdictFailed:
			a.row.Failed++
		case session.VerdictWarning:
			a.row.Warning++
		default:
			a.row.OK++
		}
		for _, dc := range s.DataChannels {
			if dc == nil {
				continue
			}
			switch dc.Mode {
			case session.ModeActive:
				a.row.ActiveChannels++
				a.modes[session.ModeActive] = true
			case session.ModePassive:
				a.row.PassiveChannels++
				a.modes[session.ModePassive] = true
			}
		}
	}
	for _, k := range order {
		a := by[k]
		var modes []string
		for _, m := range []session.Mode{session.ModeActive, session.ModePassive} {
			if a.modes[m] {
				modes = append(modes, string(m))
			}
		}
		a.row.Modes = orDash(strings.Join(modes, ", "))
		p.Servers = append(p.Servers, a.row)
	}
	slices.SortStableFunc(p.Servers, func(a, b serverRow) int {
		return cmp.Or(cmp.Compare(b.Failed, a.Failed), cmp.Compare(b.Warning, a.Warning), cmp.Compare(b.Sessions, a.Sessions))
	})
	if len(p.Servers) > htmlMaxListed {
		p.ServersMore = len(p.Servers) - htmlMaxListed
		p.Servers = p.Servers[:htmlMaxListed]
	}
}

// ranges shows the report's passive-port-range findings, or else derives
// per server the range of the passive ports it announced and the rules
// that would let clients reach them.
func (p *page) ranges(r *session.Report, sessions []*session.Session) {
	for _, f := range r.Findings {
		if f.Code == codePassivePortRange {
			p.PortRangeFindings = append(p.PortRangeFindings, newFinding(f, ""))
		}
	}
	if len(p.PortRangeFindings) > 0 {
		return
	}
	type acc struct {
		ports     map[uint16]bool
		sessions  int
		announced map[netip.Addr]bool
	}
	by := map[netip.Addr]*acc{}
	for _, s := range sessions {
		server := s.Server.Addr().Unmap()
		counted := false
		for _, dc := range s.DataChannels {
			if dc == nil || dc.Mode != session.ModePassive || dc.Announced == nil || !dc.Announced.IsValid() {
				continue
			}
			a := by[server]
			if a == nil {
				a = &acc{ports: map[uint16]bool{}, announced: map[netip.Addr]bool{}}
				by[server] = a
			}
			a.ports[dc.Announced.Port()] = true
			if ann := dc.Announced.Addr().Unmap(); ann != server {
				a.announced[ann] = true
			}
			if !counted {
				a.sessions++
				counted = true
			}
		}
	}
	servers := make([]netip.Addr, 0, len(by))
	for addr := range by {
		servers = append(servers, addr)
	}
	slices.SortFunc(servers, netip.Addr.Compare)
	for _, addr := range servers {
		a := by[addr]
		ports := make([]uint16, 0, len(a.ports))
		for port := range a.ports {
			ports = append(ports, port)
		}
		slices.Sort(ports)
		var other []string
		for ann := range a.announced {
			other = append(other, ann.String())
		}
		slices.Sort(other)
		pr := passiveRange{Server: addr.String(),
			Count: plural(len(ports), "port", "ports") + " announced, in " + plural(a.sessions, "session", "sessions")}
		if len(other) > 0 {
			pr.Announced = truncate(strings.Join(other, ", "), htmlMaxSummary)
		}
		pr.Ports, pr.Nft, pr.Iptables = firewallRules(addr, ports[0], ports[len(ports)-1])
		p.Ranges = append(p.Ranges, pr)
	}
	if len(p.Ranges) > htmlMaxListed {
		p.RangesMore = len(p.Ranges) - htmlMaxListed
		p.Ranges = p.Ranges[:htmlMaxListed]
	}
}

// firewallRules writes the port range lo-hi and an nftables and an
// iptables rule that accept new TCP connections to it at server.
func firewallRules(server netip.Addr, lo, hi uint16) (ports, nft, ipt string) {
	ports, nftPorts, iptPorts := fmt.Sprint(lo), fmt.Sprint(lo), fmt.Sprint(lo)
	if hi != lo {
		ports = fmt.Sprintf("%d-%d", lo, hi)
		nftPorts, iptPorts = ports, fmt.Sprintf("%d:%d", lo, hi)
	}
	family, iptables := "ip", "iptables"
	if server.Is6() {
		family, iptables = "ip6", "ip6tables"
	}
	nft = fmt.Sprintf("nft add rule inet filter input %s daddr %s tcp dport %s ct state new accept", family, server, nftPorts)
	ipt = fmt.Sprintf("%s -A INPUT -p tcp -d %s --dport %s -m conntrack --ctstate NEW -j ACCEPT", iptables, server, iptPorts)
	return ports, nft, ipt
}

// newCard draws one session in full.
func newCard(s *session.Session) *card {
	c := &card{
		ID: s.ID, Verdict: string(verdictOf(s)), Text: Verdict(s),
		Source: truncate(clean(s.Source), htmlMaxField),
		Client: endpoint(s.Client), Server: endpoint(s.Server),
	}
	facts := sessionFacts(s, htmlMaxField)
	if s.TLS {
		facts = append(facts, "TLS")
	}
	if s.ControlGaps > 0 {
		facts = append(facts, humanBytes(s.ControlGaps)+" missing from the control stream")
	}
	if !s.Start.IsZero() {
		facts = append(facts, "started "+stamp(s.Start)+" UTC")
		if !s.End.IsZero() {
			facts = append(facts, "lasted "+duration(s.End.Sub(s.Start.Time)))
		}
	}
	c.Facts = strings.Join(facts, " · ")

	for _, f := range s.Findings {
		c.Findings = append(c.Findings, newFinding(f, ""))
	}
	for _, dc := range s.DataChannels {
		if dc == nil {
			continue
		}
		for _, f := range dc.Findings {
			c.Findings = append(c.Findings, newFinding(f, fmt.Sprintf("data channel %d", dc.ID)))
		}
		c.Channels = append(c.Channels, newChannel(dc))
	}
	// The worst first: what broke, then what to watch, then notes.
	slices.SortStableFunc(c.Findings, func(a, b pageFinding) int {
		return cmp.Compare(session.Severity(b.Severity).Rank(), session.Severity(a.Severity).Rank())
	})
	c.Diagram = newDiagram(s)
	return c
}

// newFinding puts a finding in words.
func newFinding(f session.Finding, where string) pageFinding {
	pf := pageFinding{
		Code:     truncate(clean(string(f.Code)), htmlMaxField),
		Severity: orDash(truncate(clean(string(f.Severity)), htmlMaxField)),
		Where:    where,
		Summary:  truncate(clean(strings.TrimSpace(f.Summary)), htmlMaxSummary),
		Detail:   truncate(clean(strings.TrimSpace(f.Detail)), htmlMaxDetail),
	}
	for _, e := range f.Evidence {
		pf.Evidence = append(pf.Evidence, pageEvidence{Packet: e.Packet, What: truncate(clean(e.What), htmlMaxSummary)})
	}
	return pf
}

// newChannel writes one data channel as a table row.
func newChannel(dc *session.DataChannel) pageChannel {
	pc := pageChannel{
		ID: dc.ID, Setup: truncate(clean(dc.SetupCommand), htmlMaxField),
		Announced: truncate(endpointOr(dc.Announced), htmlMaxField),
		Expected:  orDash(clean(string(dc.ExpectedInitiator))),
		Seen:      "not seen", State: "missing", StateText: "not seen", SYN: "-", Bytes: "-", Transfer: "-",
		Reply: intOr(dc.TransferReply, "-"),
	}
	if dc.SetupPacket > 0 {
		pc.Setup += fmt.Sprintf(" #%d", dc.SetupPacket)
	}
	if dc.SetupReply != nil {
		pc.Setup += fmt.Sprintf(" → %d", *dc.SetupReply)
	}
	if ob := dc.Observed; ob != nil {
		pc.Seen = endpoint(ob.Initiator) + " → " + endpoint(ob.Responder)
		pc.State = stateClass(ob.State)
		pc.StateText = orDash(clean(string(ob.State)))
		pc.SYN = fmt.Sprintf("#%d", ob.SYNPacket)
		if ob.SYNAttempts > 1 {
			pc.SYN += fmt.Sprintf(" ×%d", ob.SYNAttempts)
		}
		pc.Bytes = fmt.Sprintf("%s to client, %s to server", humanBytes(ob.BytesToClient), humanBytes(ob.BytesToServer))
	}
	if dc.TransferCommand != nil {
		pc.Transfer = clean(*dc.TransferCommand)
		if dc.Argument != nil && *dc.Argument != "" {
			pc.Transfer += " " + clean(*dc.Argument)
		}
		pc.Transfer = truncate(pc.Transfer, htmlMaxField)
	}
	return pc
}

// stateClass names the colour of a connection state: the state itself
// when it is one of the model's, else "other".
func stateClass(s session.ConnState) string {
	switch s {
	case session.StateEstablished, session.StateUnanswered, session.StateRefused,
		session.StateUnreachable, session.StateReset:
		return string(s)
	}
	return "other"
}

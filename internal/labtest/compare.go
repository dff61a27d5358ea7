package labtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// truth is the part of a truth file (testdata/lab/truth/*.json, and the peer
// truth files of ../shared/peer-captures) that the comparison reads.
type truth struct {
	Capture          string         `json:"capture"`
	Scenario         string         `json:"scenario"` // the lab scenario that made it (lab truth files only)
	Ports            *string        `json:"ports"`    // --ports value; null for the default 21
	ControlSessions  []truthSession `json:"control_sessions"`
	ExpectedFindings []string       `json:"expected_findings"`
	Healthy          bool           `json:"healthy"`
	Notes            string         `json:"notes"`
	// GlobalFindings are the expected codes that belong to no session (lab
	// truth files only; nil in the peer truth files).
	GlobalFindings []string `json:"global_findings"`
	// LoginBruteForce lists the client address and server pairs with enough
	// failed logins for login-brute-force (lab truth files only: nil in the
	// peer truth files, empty when no pair qualifies).
	LoginBruteForce *[]struct {
		Client       string `json:"client"`
		Server       string `json:"server"`
		FailedLogins int    `json:"failed_logins"`
	} `json:"login_brute_force"`
	// PassivePorts lists, per server address, the passive ports it
	// announced: one passive-port-range finding each (lab truth files only:
	// nil in the peer truth files, empty when no passive announcement is
	// readable).
	PassivePorts *[]passiveServer `json:"passive_ports"`
}

// passiveServer is one server address of a lab truth file's passive_ports:
// the range of passive ports it announced.
type passiveServer struct {
	Server  string `json:"server"`
	MinPort int    `json:"min_port"`
	MaxPort int    `json:"max_port"`
}

type truthSession struct {
	Client       string         `json:"client"`
	Server       string         `json:"server"`
	DataChannels []truthChannel `json:"data_channels"`
	// Lab truth files only; absent (zero) in the peer truth files.
	Verdict      string          `json:"verdict"`       // ok, warning or failed
	LoggedIn     json.RawMessage `json:"logged_in"`     // true, false or null; empty when absent
	FailedLogins *int            `json:"failed_logins"` // USER, PASS and ACCT answered 4xx/5xx
	DetectedBy   string          `json:"detected_by"`   // port or content
	ControlState *string         `json:"control_state"` // established, unanswered, refused, unreachable, or null
}

type truthChannel struct {
	SetupCommand string         `json:"setup_command"`
	Announced    string         `json:"announced"`
	Mode         string         `json:"mode"`
	Observed     *truthObserved `json:"observed"` // null when no data connection is in the capture
	// Frames and transfer, for describing a channel (lab truth files only).
	SetupFrame      int     `json:"setup_frame"`
	AnnounceFrame   int     `json:"announce_frame"`
	TransferCommand *string `json:"transfer_command"`
	TransferReply   *string `json:"transfer_reply"`
	// HelperExpected is what the real conntrack FTP helper on the path did
	// with the announcement (lab truth files of scenarios with a helper
	// router only): true when the data connection crossed a router that
	// drops new connections, false when it was blocked there. Null where no
	// helper was on the path or the capture does not show it.
	HelperExpected *bool   `json:"helper_expected"`
	HelperReason   *string `json:"helper_reason"` // control-port, split or address, when false
	// ObservedDetail is set by the lab's truth.py (and, without a state, by the
	// peer truth files) when the data connection is in the capture.
	ObservedDetail *struct {
		State string `json:"state"` // established, unanswered, refused, unreachable or reset
	} `json:"observed_detail"`
}

type truthObserved struct {
	Initiator   *string `json:"initiator"`
	Responder   *string `json:"responder"`
	Established *bool   `json:"established"`
}

// report is the part of ftpscope's JSON report (CONTRACT.md) that the
// comparison reads.
type report struct {
	Sessions []reportSession `json:"sessions"`
	Findings []finding       `json:"findings"`
}

type reportSession struct {
	Client       string          `json:"client"`
	Server       string          `json:"server"`
	Verdict      string          `json:"verdict"`
	LoggedIn     *bool           `json:"logged_in"`
	FailedLogins *int            `json:"failed_logins"`
	DetectedBy   string          `json:"detected_by"`
	Commands     *int            `json:"commands"`
	DataChannels []reportChannel `json:"data_channels"`
	Findings     []finding       `json:"findings"`
}

type reportChannel struct {
	SetupCommand string          `json:"setup_command"`
	Announced    *string         `json:"announced"`
	Mode         string          `json:"mode"`
	Observed     *reportObserved `json:"observed"`
	Helper       *reportHelper   `json:"helper"`
	Findings     []finding       `json:"findings"`
}

// reportHelper is a data channel's helper object (CONTRACT.md): what a
// firewall FTP helper would make of its announcement.
type reportHelper struct {
	WouldExpect *bool   `json:"would_expect"`
	Reason      *string `json:"reason"`
}

type reportObserved struct {
	Initiator   string `json:"initiator"`
	Responder   string `json:"responder"`
	Established bool   `json:"established"`
	State       string `json:"state"`
}

type finding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
}

// readTruth reads one truth file.
func readTruth(path string) (truth, error) {
	var t truth
	b, err := os.ReadFile(path)
	if err != nil {
		return t, fmt.Errorf("labtest: read truth: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("labtest: decode truth %s: %w", path, err)
	}
	return t, nil
}

// canon returns ep as "ip:port" with an IPv4-mapped IPv6 address unmapped, so
// that 10.0.0.1:21 and [::ffff:10.0.0.1]:21 compare equal. An endpoint that is
// not host:port, or whose host is not an IP address, is returned trimmed.
func canon(ep string) string {
	ep = strings.TrimSpace(ep)
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		return ep
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host + ":" + port
	}
	return addr.Unmap().WithZone("").String() + ":" + port
}

func canonPtr(ep *string) string {
	if ep == nil {
		return ""
	}
	return canon(*ep)
}

// allFindings lists the report's findings at every level.
func allFindings(r report) []finding {
	out := slices.Clone(r.Findings)
	for _, s := range r.Sessions {
		out = append(out, s.Findings...)
		for _, d := range s.DataChannels {
			out = append(out, d.Findings...)
		}
	}
	return out
}

type sessionKey struct{ client, server string }

// blockedStates are the truth's control_state values of a control connection
// that was never established (CONTRACT.md control-blocked).
var blockedStates = []string{"unanswered", "refused", "unreachable"}

// showBool writes a JSON boolean that may be null.
func showBool(b *bool) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprint(*b)
}

// showInt writes a JSON number that may be null.
func showInt(n *int) string {
	if n == nil {
		return "null"
	}
	return fmt.Sprint(*n)
}

// compareSession checks the session-level facts of one truth session that
// the truth states (lab truth files) against the reported session paired
// with it.
func compareSession(ts truthSession, s reportSession, bad func(string, ...any)) (checks int) {
	name := canon(ts.Client) + " -> " + canon(ts.Server)
	if ts.Verdict != "" {
		checks++
		if s.Verdict != ts.Verdict {
			bad("%s: verdict %q, want %q", name, s.Verdict, ts.Verdict)
		}
	}
	if len(ts.LoggedIn) > 0 {
		checks++
		var want *bool
		if err := json.Unmarshal(ts.LoggedIn, &want); err != nil {
			bad("%s: truth logged_in %s: %v", name, ts.LoggedIn, err)
		} else if showBool(s.LoggedIn) != showBool(want) {
			bad("%s: logged_in %s, want %s", name, showBool(s.LoggedIn), showBool(want))
		}
	}
	if ts.FailedLogins != nil {
		checks++
		if showInt(s.FailedLogins) != showInt(ts.FailedLogins) {
			bad("%s: failed_logins %s, want %d", name, showInt(s.FailedLogins), *ts.FailedLogins)
		}
	}
	if ts.DetectedBy != "" {
		checks++
		if s.DetectedBy != ts.DetectedBy {
			bad("%s: detected_by %q, want %q", name, s.DetectedBy, ts.DetectedBy)
		}
	}
	if ts.ControlState != nil && slices.Contains(blockedStates, *ts.ControlState) {
		checks++
		if s.Commands == nil || *s.Commands != 0 {
			bad("%s: control connection %s, but commands %s, want 0", name, *ts.ControlState, showInt(s.Commands))
		}
	}
	return checks
}

// compare checks a report against a truth with the rules of
// ../shared/conformance/check and returns how many checks it made and the
// problems it found, one sentence each.
func compare(t truth, r report) (checks int, problems []string) {
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	byEnds := make(map[sessionKey][]reportSession)
	var order []sessionKey
	for _, s := range r.Sessions {
		k := sessionKey{canon(s.Client), canon(s.Server)}
		if _, ok := byEnds[k]; !ok {
			order = append(order, k)
		}
		byEnds[k] = append(byEnds[k], s)
	}
	inTruth := make(map[sessionKey]int)
	for _, ts := range t.ControlSessions {
		k := sessionKey{canon(ts.Client), canon(ts.Server)}
		checks++
		cands := byEnds[k]
		// The n-th truth session with these endpoints (a four-tuple used
		// again) is the n-th reported one.
		nth := inTruth[k]
		inTruth[k]++
		if len(cands) == 0 {
			bad("session %s -> %s not reported", k.client, k.server)
			continue
		}
		if nth < len(cands) {
			checks += compareSession(ts, cands[nth], bad)
		}
		var chans []reportChannel
		for _, s := range cands {
			chans = append(chans, s.DataChannels...)
		}
		used := make([]bool, len(chans))
		for _, td := range ts.DataChannels {
			wantCmd := strings.ToUpper(td.SetupCommand)
			wantAnn := canon(td.Announced)
			match := -1
			for j, d := range chans {
				if !used[j] && strings.ToUpper(d.SetupCommand) == wantCmd && canonPtr(d.Announced) == wantAnn {
					match = j
					break
				}
			}
			checks++
			if match < 0 {
				bad("%s: data channel %s %s not reported", k.client, wantCmd, wantAnn)
				continue
			}
			used[match] = true
			d := chans[match]
			checks++
			if td.Mode != "" && d.Mode != td.Mode {
				bad("%s %s: mode %q, want %q", wantCmd, wantAnn, d.Mode, td.Mode)
			}
			// Beyond conformance/check: what the real helper did.
			if w := td.HelperExpected; w != nil {
				checks++
				var got *bool
				if d.Helper != nil {
					got = d.Helper.WouldExpect
				}
				if showBool(got) != showBool(w) {
					did := "opened it"
					if !*w {
						did = "did not open it"
						if td.HelperReason != nil {
							did += ", " + *td.HelperReason
						}
					}
					bad("%s %s: helper.would_expect %s, want %v (the kernel's helper on the path %s)", wantCmd, wantAnn,
						showBool(got), *w, did)
				}
			}
			if td.Observed == nil {
				continue
			}
			checks++
			if d.Observed == nil {
				bad("%s %s: no data connection reported, want %s -> %s", wantCmd, wantAnn,
					canonPtr(td.Observed.Initiator), canonPtr(td.Observed.Responder))
				continue
			}
			if w := td.Observed.Initiator; w != nil && canon(d.Observed.Initiator) != canon(*w) {
				bad("%s %s: initiator %s, want %s", wantCmd, wantAnn, d.Observed.Initiator, *w)
			}
			if w := td.Observed.Responder; w != nil && canon(d.Observed.Responder) != canon(*w) {
				bad("%s %s: responder %s, want %s", wantCmd, wantAnn, d.Observed.Responder, *w)
			}
			if w := td.Observed.Established; w != nil && d.Observed.Established != *w {
				bad("%s %s: established %v, want %v", wantCmd, wantAnn, d.Observed.Established, *w)
			}
			// Beyond conformance/check: the connection state, where the truth has one.
			if od := td.ObservedDetail; od != nil && od.State != "" {
				checks++
				if d.Observed.State != od.State {
					bad("%s %s: state %q, want %q", wantCmd, wantAnn, d.Observed.State, od.State)
				}
			}
		}
	}
	// Every reported session must be one the packets show: an SMTP
	// conversation beside FTP is no session.
	checks++
	for _, k := range order {
		for range len(byEnds[k]) - inTruth[k] {
			bad("unexpected session %s -> %s (not in the truth)", k.client, k.server)
		}
	}
	findings := allFindings(r)
	var codes []string
	for _, f := range findings {
		if f.Code != "" && !slices.Contains(codes, f.Code) {
			codes = append(codes, f.Code)
		}
	}
	slices.Sort(codes)
	for _, code := range t.ExpectedFindings {
		checks++
		if !slices.Contains(codes, code) {
			bad("finding %s not reported (got %v)", code, codes)
		}
	}
	var global []string
	for _, f := range r.Findings {
		global = append(global, f.Code)
	}
	for _, code := range t.GlobalFindings {
		checks++
		if !slices.Contains(global, code) {
			bad("global finding %s not among the report's top-level findings (got %v)", code, global)
		}
	}
	if bf := t.LoginBruteForce; bf != nil {
		// One login-brute-force per client address and server pair, and
		// none where no pair has enough failed logins.
		checks++
		var n int
		for _, f := range findings {
			if f.Code == "login-brute-force" {
				n++
			}
		}
		if n != len(*bf) {
			var pairs []string
			for _, p := range *bf {
				pairs = append(pairs, fmt.Sprintf("%s -> %s (%d failed)", p.Client, p.Server, p.FailedLogins))
			}
			bad("%d login-brute-force findings, want %d: %v", n, len(*bf), pairs)
		}
	}
	if pp := t.PassivePorts; pp != nil {
		// One passive-port-range per server address with passive
		// announcements, at the top level, and none where there are none.
		checks++
		var n int
		for _, f := range r.Findings {
			if f.Code == "passive-port-range" {
				n++
			}
		}
		if n != len(*pp) {
			var servers []string
			for _, p := range *pp {
				servers = append(servers, fmt.Sprintf("%s %d-%d", p.Server, p.MinPort, p.MaxPort))
			}
			bad("%d top-level passive-port-range findings, want %d: %v", n, len(*pp), servers)
		}
	}
	if t.Healthy {
		checks++
		var errs []string
		for _, f := range findings {
			if f.Severity == "error" {
				errs = append(errs, f.Code)
			}
		}
		if len(errs) > 0 {
			bad("healthy capture but error findings reported: %v", errs)
		}
	}
	return checks, problems
}

package labtest

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanon(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "ipv4", in: "10.0.0.1:21", want: "10.0.0.1:21"},
		{name: "ipv4-mapped ipv6", in: "[::ffff:10.0.0.1]:21", want: "10.0.0.1:21"},
		{name: "ipv6 long form", in: "[fd00:0001:0000::0002]:40000", want: "fd00:1::2:40000"},
		{name: "surrounding blanks", in: " 198.51.100.2:20 ", want: "198.51.100.2:20"},
		{name: "host name kept", in: "ftp.example.invalid:21", want: "ftp.example.invalid:21"},
		{name: "no port", in: "10.0.0.1", want: "10.0.0.1"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canon(tt.in); got != tt.want {
				t.Errorf("canon(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// truthJSON is a small truth in the shape truth.py writes: one passive
// channel that worked, one active channel that was blocked.
const truthJSON = `{
 "capture": "x.pcap", "ports": null, "healthy": false,
 "expected_findings": ["active-blocked"],
 "control_sessions": [{
  "client": "10.0.1.2:50000", "server": "10.0.2.2:21",
  "data_channels": [
   {"setup_command": "PASV", "announced": "10.0.2.2:40000", "mode": "passive",
    "observed": {"initiator": "10.0.1.2:50001", "responder": "10.0.2.2:40000", "established": true}},
   {"setup_command": "PORT", "announced": "10.0.1.2:50002", "mode": "active",
    "observed": {"initiator": "10.0.2.2:20", "responder": "10.0.1.2:50002", "established": false},
    "observed_detail": {"state": "unanswered", "syn_attempts": 4}},
   {"setup_command": "EPSV", "announced": "10.0.2.2:40001", "mode": "passive", "observed": null}
  ]}]
}`

// reportJSON is ftpscope's report that agrees with truthJSON.
const reportJSON = `{
 "version": 1, "findings": [],
 "sessions": [{
  "client": "[::ffff:10.0.1.2]:50000", "server": "10.0.2.2:21", "findings": [],
  "data_channels": [
   {"setup_command": "PASV", "announced": "10.0.2.2:40000", "mode": "passive", "findings": [],
    "observed": {"initiator": "10.0.1.2:50001", "responder": "10.0.2.2:40000", "established": true}},
   {"setup_command": "PORT", "announced": "10.0.1.2:50002", "mode": "active",
    "findings": [{"code": "active-blocked", "severity": "error"}],
    "observed": {"initiator": "10.0.2.2:20", "responder": "10.0.1.2:50002", "established": false, "state": "unanswered"}},
   {"setup_command": "EPSV", "announced": "10.0.2.2:40001", "mode": "passive", "findings": [],
    "observed": {"initiator": "10.0.1.2:50003", "responder": "10.0.2.2:40001", "established": true}}
  ]}]
}`

func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		editTruth  func(*truth)
		editReport func(*report)
		wantChecks int
		want       []string
	}{
		{
			name:       "agreeing report, observed in report but not in truth is fine",
			wantChecks: 12,
		},
		{
			name:       "session missing",
			editReport: func(r *report) { r.Sessions[0].Client = "10.0.1.2:50999" },
			wantChecks: 3,
			want: []string{
				"session 10.0.1.2:50000 -> 10.0.2.2:21 not reported",
				"unexpected session 10.0.1.2:50999 -> 10.0.2.2:21 (not in the truth)",
			},
		},
		{
			name: "channel with another announced port",
			editReport: func(r *report) {
				s := "10.0.2.2:40009"
				r.Sessions[0].DataChannels[0].Announced = &s
			},
			wantChecks: 10,
			want:       []string{"10.0.1.2:50000: data channel PASV 10.0.2.2:40000 not reported"},
		},
		{
			name:       "null announcement",
			editReport: func(r *report) { r.Sessions[0].DataChannels[2].Announced = nil },
			wantChecks: 11,
			want:       []string{"10.0.1.2:50000: data channel EPSV 10.0.2.2:40001 not reported"},
		},
		{
			name:       "wrong mode",
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Mode = "passive" },
			wantChecks: 12,
			want:       []string{`PORT 10.0.1.2:50002: mode "passive", want "active"`},
		},
		{
			name:       "no data connection reported",
			editReport: func(r *report) { r.Sessions[0].DataChannels[0].Observed = nil },
			wantChecks: 12,
			want:       []string{"PASV 10.0.2.2:40000: no data connection reported, want 10.0.1.2:50001 -> 10.0.2.2:40000"},
		},
		{
			name: "initiator, responder and established all wrong",
			editReport: func(r *report) {
				o := r.Sessions[0].DataChannels[1].Observed
				o.Initiator, o.Responder, o.Established = "10.0.2.2:21", "10.0.1.2:1", true
			},
			wantChecks: 12,
			want: []string{
				"PORT 10.0.1.2:50002: initiator 10.0.2.2:21, want 10.0.2.2:20",
				"PORT 10.0.1.2:50002: responder 10.0.1.2:1, want 10.0.1.2:50002",
				"PORT 10.0.1.2:50002: established true, want false",
			},
		},
		{
			name:       "wrong state",
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Observed.State = "refused" },
			wantChecks: 12,
			want:       []string{`PORT 10.0.1.2:50002: state "refused", want "unanswered"`},
		},
		{
			name:       "no state in the truth, none checked",
			editTruth:  func(tr *truth) { tr.ControlSessions[0].DataChannels[1].ObservedDetail = nil },
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Observed.State = "refused" },
			wantChecks: 11,
		},
		{
			name:       "expected finding missing",
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Findings = nil },
			wantChecks: 12,
			want:       []string{"finding active-blocked not reported (got [])"},
		},
		{
			name: "expected finding at the top level counts",
			editReport: func(r *report) {
				r.Sessions[0].DataChannels[1].Findings = nil
				r.Findings = []finding{{Code: "active-blocked", Severity: "error"}}
			},
			wantChecks: 12,
		},
		{
			name:       "healthy truth with an error finding",
			editTruth:  func(tr *truth) { tr.Healthy, tr.ExpectedFindings = true, nil },
			wantChecks: 12,
			want:       []string{"healthy capture but error findings reported: [active-blocked]"},
		},
		{
			name:      "healthy truth with a warning finding",
			editTruth: func(tr *truth) { tr.Healthy, tr.ExpectedFindings = true, nil },
			editReport: func(r *report) {
				r.Sessions[0].DataChannels[1].Findings = []finding{{Code: "control-gap", Severity: "warning"}}
			},
			wantChecks: 12,
		},
		{
			name: "helper would_expect agrees with what the kernel did",
			editTruth: func(tr *truth) {
				no := false
				tr.ControlSessions[0].DataChannels[1].HelperExpected = &no
			},
			editReport: func(r *report) {
				no := false
				r.Sessions[0].DataChannels[1].Helper = &reportHelper{WouldExpect: &no}
			},
			wantChecks: 13,
		},
		{
			name: "no helper object where the kernel's helper opened the connection",
			editTruth: func(tr *truth) {
				yes := true
				tr.ControlSessions[0].DataChannels[0].HelperExpected = &yes
			},
			wantChecks: 13,
			want: []string{"PASV 10.0.2.2:40000: helper.would_expect null, want true " +
				"(the kernel's helper on the path opened it)"},
		},
		{
			name: "helper would_expect true where the kernel's helper did not open it",
			editTruth: func(tr *truth) {
				no, why := false, "control-port"
				tr.ControlSessions[0].DataChannels[2].HelperExpected = &no
				tr.ControlSessions[0].DataChannels[2].HelperReason = &why
			},
			editReport: func(r *report) {
				yes := true
				r.Sessions[0].DataChannels[2].Helper = &reportHelper{WouldExpect: &yes}
			},
			wantChecks: 13,
			want: []string{"EPSV 10.0.2.2:40001: helper.would_expect true, want false " +
				"(the kernel's helper on the path did not open it, control-port)"},
		},
		{
			name: "the same announcement twice matches two channels in order",
			editTruth: func(tr *truth) {
				ch := tr.ControlSessions[0].DataChannels[0]
				tr.ControlSessions[0].DataChannels = append(tr.ControlSessions[0].DataChannels, ch)
			},
			wantChecks: 13,
			want:       []string{"10.0.1.2:50000: data channel PASV 10.0.2.2:40000 not reported"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tr truth
			if err := json.Unmarshal([]byte(truthJSON), &tr); err != nil {
				t.Fatal(err)
			}
			var r report
			if err := json.Unmarshal([]byte(reportJSON), &r); err != nil {
				t.Fatal(err)
			}
			if tt.editTruth != nil {
				tt.editTruth(&tr)
			}
			if tt.editReport != nil {
				tt.editReport(&r)
			}
			checks, got := compare(tr, r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("compare() problems mismatch (-want +got):\n%s", diff)
			}
			if checks != tt.wantChecks {
				t.Errorf("compare() checks = %d, want %d", checks, tt.wantChecks)
			}
		})
	}
}

// labTruthJSON is a truth in the shape the lab's truth.py writes with the
// session facts: a control connection that was never established, and a
// session found by its content on port 2121 whose every login failed, from a
// client that tried often enough for login-brute-force.
const labTruthJSON = `{
 "capture": "x.pcap", "scenario": "x", "ports": null, "healthy": false,
 "expected_findings": ["control-blocked", "login-brute-force", "login-failed", "nonstandard-control-port"],
 "global_findings": ["login-brute-force"],
 "login_brute_force": [{"client": "10.0.1.2", "server": "10.0.2.2:2121", "failed_logins": 12}],
 "control_sessions": [
  {"client": "10.0.1.2:50000", "server": "10.0.2.2:21", "data_channels": [],
   "verdict": "failed", "logged_in": null, "failed_logins": 0, "detected_by": "port", "control_state": "unanswered"},
  {"client": "10.0.1.2:50001", "server": "10.0.2.2:2121", "data_channels": [],
   "verdict": "warning", "logged_in": false, "failed_logins": 12, "detected_by": "content", "control_state": "established"}
 ]
}`

// labReportJSON is ftpscope's report that agrees with labTruthJSON.
const labReportJSON = `{
 "version": 1,
 "findings": [{"code": "login-brute-force", "severity": "warning"}],
 "sessions": [
  {"client": "10.0.1.2:50000", "server": "10.0.2.2:21", "verdict": "failed", "logged_in": null,
   "failed_logins": 0, "detected_by": "port", "commands": 0, "data_channels": [],
   "findings": [{"code": "control-blocked", "severity": "error"}]},
  {"client": "10.0.1.2:50001", "server": "10.0.2.2:2121", "verdict": "warning", "logged_in": false,
   "failed_logins": 12, "detected_by": "content", "commands": 24, "data_channels": [],
   "findings": [{"code": "nonstandard-control-port", "severity": "info"}, {"code": "login-failed", "severity": "warning"}]}
 ]
}`

// portRange is a passive-port-range finding of a report.
var portRange = finding{Code: "passive-port-range", Severity: "info"}

// passivePorts is a truth's passive_ports with one entry per server address.
func passivePorts(servers ...string) *[]passiveServer {
	pp := make([]passiveServer, len(servers))
	for i, s := range servers {
		pp[i] = passiveServer{Server: s, MinPort: 40000, MaxPort: 40049}
	}
	return &pp
}

func TestCompareSessionFacts(t *testing.T) {
	smtp := reportSession{Client: "10.0.1.2:50002", Server: "10.0.2.2:25", Verdict: "ok", DetectedBy: "content"}
	tests := []struct {
		name       string
		editTruth  func(*truth)
		editReport func(*report)
		wantChecks int
		want       []string
	}{
		{
			name:       "agreeing report",
			wantChecks: 18,
		},
		{
			name:       "verdict",
			editReport: func(r *report) { r.Sessions[1].Verdict = "failed" },
			wantChecks: 18,
			want:       []string{`10.0.1.2:50001 -> 10.0.2.2:2121: verdict "failed", want "warning"`},
		},
		{
			name: "logged_in false where no login is in the capture",
			editReport: func(r *report) {
				no := false
				r.Sessions[0].LoggedIn = &no
			},
			wantChecks: 18,
			want:       []string{"10.0.1.2:50000 -> 10.0.2.2:21: logged_in false, want null"},
		},
		{
			name:       "logged_in null where every login failed",
			editReport: func(r *report) { r.Sessions[1].LoggedIn = nil },
			wantChecks: 18,
			want:       []string{"10.0.1.2:50001 -> 10.0.2.2:2121: logged_in null, want false"},
		},
		{
			name:       "failed_logins missing from the report",
			editReport: func(r *report) { r.Sessions[1].FailedLogins = nil },
			wantChecks: 18,
			want:       []string{"10.0.1.2:50001 -> 10.0.2.2:2121: failed_logins null, want 12"},
		},
		{
			name:       "detected_by",
			editReport: func(r *report) { r.Sessions[1].DetectedBy = "port" },
			wantChecks: 18,
			want:       []string{`10.0.1.2:50001 -> 10.0.2.2:2121: detected_by "port", want "content"`},
		},
		{
			name: "commands on a control connection never established",
			editReport: func(r *report) {
				n := 2
				r.Sessions[0].Commands = &n
			},
			wantChecks: 18,
			want:       []string{"10.0.1.2:50000 -> 10.0.2.2:21: control connection unanswered, but commands 2, want 0"},
		},
		{
			name:       "an SMTP conversation reported as a session",
			editReport: func(r *report) { r.Sessions = append(r.Sessions, smtp) },
			wantChecks: 18,
			want:       []string{"unexpected session 10.0.1.2:50002 -> 10.0.2.2:25 (not in the truth)"},
		},
		{
			name: "a four-tuple used again is one session too many when the truth has one",
			editReport: func(r *report) {
				r.Sessions = append(r.Sessions, r.Sessions[0])
			},
			wantChecks: 18,
			want:       []string{"unexpected session 10.0.1.2:50000 -> 10.0.2.2:21 (not in the truth)"},
		},
		{
			name: "a four-tuple used again: sessions pair in order",
			editTruth: func(tr *truth) {
				again := tr.ControlSessions[0]
				again.Verdict, again.ControlState = "ok", nil
				tr.ControlSessions = append(tr.ControlSessions, again)
			},
			editReport: func(r *report) {
				again := r.Sessions[0]
				again.Verdict = "ok"
				r.Sessions = append(r.Sessions, again)
			},
			wantChecks: 23,
		},
		{
			name: "login-brute-force in a session, not at the top level",
			editReport: func(r *report) {
				r.Sessions[1].Findings = append(r.Sessions[1].Findings, r.Findings[0])
				r.Findings = nil
			},
			wantChecks: 18,
			want:       []string{"global finding login-brute-force not among the report's top-level findings (got [])"},
		},
		{
			name:       "login-brute-force twice for one pair",
			editReport: func(r *report) { r.Findings = append(r.Findings, r.Findings[0]) },
			wantChecks: 18,
			want:       []string{"2 login-brute-force findings, want 1: [10.0.1.2 -> 10.0.2.2:2121 (12 failed)]"},
		},
		{
			name: "login-brute-force where no pair has enough failed logins",
			editTruth: func(tr *truth) {
				tr.GlobalFindings = nil
				*tr.LoginBruteForce = nil
				tr.ExpectedFindings = slices.DeleteFunc(tr.ExpectedFindings, func(c string) bool { return c == "login-brute-force" })
			},
			wantChecks: 16,
			want:       []string{"1 login-brute-force findings, want 0: []"},
		},
		{
			name:       "one passive-port-range per server with passive announcements",
			editTruth:  func(tr *truth) { tr.PassivePorts = passivePorts("10.0.2.2", "10.0.4.2") },
			editReport: func(r *report) { r.Findings = append(r.Findings, portRange, portRange) },
			wantChecks: 19,
		},
		{
			name:       "passive-port-range missing",
			editTruth:  func(tr *truth) { tr.PassivePorts = passivePorts("10.0.2.2") },
			wantChecks: 19,
			want:       []string{"0 top-level passive-port-range findings, want 1: [10.0.2.2 40000-40049]"},
		},
		{
			name:       "passive-port-range where no passive announcement is readable",
			editTruth:  func(tr *truth) { tr.PassivePorts = passivePorts() },
			editReport: func(r *report) { r.Findings = append(r.Findings, portRange) },
			wantChecks: 19,
			want:       []string{"1 top-level passive-port-range findings, want 0: []"},
		},
		{
			name: "a peer truth file states none of the session facts",
			editTruth: func(tr *truth) {
				for i := range tr.ControlSessions {
					tr.ControlSessions[i] = truthSession{Client: tr.ControlSessions[i].Client, Server: tr.ControlSessions[i].Server}
				}
				tr.GlobalFindings, tr.LoginBruteForce = nil, nil
			},
			editReport: func(r *report) { r.Sessions[1].Verdict, r.Sessions[1].DetectedBy = "failed", "port" },
			wantChecks: 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tr truth
			if err := json.Unmarshal([]byte(labTruthJSON), &tr); err != nil {
				t.Fatal(err)
			}
			var r report
			if err := json.Unmarshal([]byte(labReportJSON), &r); err != nil {
				t.Fatal(err)
			}
			if tt.editTruth != nil {
				tt.editTruth(&tr)
			}
			if tt.editReport != nil {
				tt.editReport(&r)
			}
			checks, got := compare(tr, r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("compare() problems mismatch (-want +got):\n%s", diff)
			}
			if checks != tt.wantChecks {
				t.Errorf("compare() checks = %d, want %d", checks, tt.wantChecks)
			}
		})
	}
}

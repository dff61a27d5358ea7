package labtest

import (
	"encoding/json"
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
			wantChecks: 11,
		},
		{
			name:       "session missing",
			editReport: func(r *report) { r.Sessions[0].Client = "10.0.1.2:50999" },
			wantChecks: 2,
			want:       []string{"session 10.0.1.2:50000 -> 10.0.2.2:21 not reported"},
		},
		{
			name: "channel with another announced port",
			editReport: func(r *report) {
				s := "10.0.2.2:40009"
				r.Sessions[0].DataChannels[0].Announced = &s
			},
			wantChecks: 9,
			want:       []string{"10.0.1.2:50000: data channel PASV 10.0.2.2:40000 not reported"},
		},
		{
			name:       "null announcement",
			editReport: func(r *report) { r.Sessions[0].DataChannels[2].Announced = nil },
			wantChecks: 10,
			want:       []string{"10.0.1.2:50000: data channel EPSV 10.0.2.2:40001 not reported"},
		},
		{
			name:       "wrong mode",
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Mode = "passive" },
			wantChecks: 11,
			want:       []string{`PORT 10.0.1.2:50002: mode "passive", want "active"`},
		},
		{
			name:       "no data connection reported",
			editReport: func(r *report) { r.Sessions[0].DataChannels[0].Observed = nil },
			wantChecks: 11,
			want:       []string{"PASV 10.0.2.2:40000: no data connection reported, want 10.0.1.2:50001 -> 10.0.2.2:40000"},
		},
		{
			name: "initiator, responder and established all wrong",
			editReport: func(r *report) {
				o := r.Sessions[0].DataChannels[1].Observed
				o.Initiator, o.Responder, o.Established = "10.0.2.2:21", "10.0.1.2:1", true
			},
			wantChecks: 11,
			want: []string{
				"PORT 10.0.1.2:50002: initiator 10.0.2.2:21, want 10.0.2.2:20",
				"PORT 10.0.1.2:50002: responder 10.0.1.2:1, want 10.0.1.2:50002",
				"PORT 10.0.1.2:50002: established true, want false",
			},
		},
		{
			name:       "wrong state",
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Observed.State = "refused" },
			wantChecks: 11,
			want:       []string{`PORT 10.0.1.2:50002: state "refused", want "unanswered"`},
		},
		{
			name:       "no state in the truth, none checked",
			editTruth:  func(tr *truth) { tr.ControlSessions[0].DataChannels[1].ObservedDetail = nil },
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Observed.State = "refused" },
			wantChecks: 10,
		},
		{
			name:       "expected finding missing",
			editReport: func(r *report) { r.Sessions[0].DataChannels[1].Findings = nil },
			wantChecks: 11,
			want:       []string{"finding active-blocked not reported (got [])"},
		},
		{
			name: "expected finding at the top level counts",
			editReport: func(r *report) {
				r.Sessions[0].DataChannels[1].Findings = nil
				r.Findings = []finding{{Code: "active-blocked", Severity: "error"}}
			},
			wantChecks: 11,
		},
		{
			name:       "healthy truth with an error finding",
			editTruth:  func(tr *truth) { tr.Healthy, tr.ExpectedFindings = true, nil },
			wantChecks: 11,
			want:       []string{"healthy capture but error findings reported: [active-blocked]"},
		},
		{
			name:      "healthy truth with a warning finding",
			editTruth: func(tr *truth) { tr.Healthy, tr.ExpectedFindings = true, nil },
			editReport: func(r *report) {
				r.Sessions[0].DataChannels[1].Findings = []finding{{Code: "control-gap", Severity: "warning"}}
			},
			wantChecks: 11,
		},
		{
			name: "the same announcement twice matches two channels in order",
			editTruth: func(tr *truth) {
				ch := tr.ControlSessions[0].DataChannels[0]
				tr.ControlSessions[0].DataChannels = append(tr.ControlSessions[0].DataChannels, ch)
			},
			wantChecks: 12,
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

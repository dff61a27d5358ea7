package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mattn/go-runewidth"

	"github.com/ftpscope/ftpscope/internal/synth"
)

var elapsedText = regexp.MustCompile(`analysed in [0-9.]+ ms`)

// normaliseText makes a text report independent of the machine: the
// closing totals line, whose elapsed time varies and may wrap
// differently, is joined into one line with the time left out, and the
// path of testdata is cut.
func normaliseText(s string) string {
	s = strings.ReplaceAll(s, testdataDir+"/", "")
	paras := strings.Split(strings.TrimRight(s, "\n"), "\n\n")
	last := strings.Fields(paras[len(paras)-1])
	paras[len(paras)-1] = elapsedText.ReplaceAllString(strings.Join(last, " "), "analysed in N ms")
	return strings.Join(paras, "\n\n") + "\n"
}

// textCases are the inputs of the text goldens: IPv4, IPv6, and two
// capture points of one NAT.
var textCases = []struct {
	name  string
	files []string
}{
	{"passive", []string{"passive.pcap"}},
	{"ipv6", []string{"epsv-eprt-ipv6.pcap"}},
	{"three-files", []string{"epsv-eprt-ipv6.pcap", "transfer-failed-426.pcap", "vlan.pcap"}},
	{"two-points", []string{"lab/captures/snat-port-helper-client.pcap", "lab/captures/snat-port-helper-server.pcap"}},
}

// TestGoldenText keeps the table, the summary and the ladder of real
// captures at 80, 120 and 200 columns (COLUMNS, as when the output is not
// a terminal), in local time (testZone). Run with -update to rewrite
// testdata/text, and review every diff.
func TestGoldenText(t *testing.T) {
	for _, tc := range textCases {
		for _, format := range []string{"table", "summary", "ladder"} {
			for _, width := range []string{"80", "120", "200"} {
				name := tc.name + "." + format + "." + width + ".txt"
				t.Run(name, func(t *testing.T) {
					args := []string{"-q", "-o", format}
					for _, f := range tc.files {
						args = append(args, "-r", filepath.Join(testdataDir, f))
					}
					code, out, errOut := ftpscopeEnv(t, map[string]string{"COLUMNS": width}, args...)
					if code != exitOK {
						t.Fatalf("exit %d: %s", code, errOut)
					}
					got := normaliseText(out)
					golden := filepath.Join(testdataDir, "text", name)
					if *update {
						if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatalf("%v (run go test ./cmd/ftpscope -update)", err)
					}
					if diff := cmp.Diff(string(want), got); diff != "" {
						t.Errorf("differs from %s (-want +got):\n%s", golden, diff)
					}
				})
			}
		}
	}
}

// TestEightyColumns: whatever the capture, no line of the default
// output, the summary, the ladder or the verbose table is wider than 80
// terminal cells when the output is not a terminal.
func TestEightyColumns(t *testing.T) {
	for _, path := range captures(t) {
		name := filepath.Base(path)
		for _, args := range [][]string{{}, {"-o", "summary"}, {"-o", "ladder"}, {"-v", "--show-passwords"}, {"-t", "relative"}} {
			t.Run(name+strings.Join(args, ""), func(t *testing.T) {
				args := append([]string{"-r", path, "-q"}, args...)
				args = append(args, extraArgs[name]...)
				_, out, _ := ftpscope(t, args...)
				for i, l := range strings.Split(out, "\n") {
					if w := runewidth.StringWidth(l); w > 80 {
						t.Errorf("line %d is %d cells wide: %q", i+1, w, l)
					}
				}
			})
		}
	}
}

// bigCapture writes a synthetic capture of n healthy sessions.
func bigCapture(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synth.BigCapture(f, n, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestManySessions: past 50 sessions the default output is the summary
// and the sessions that are not OK, and says how to see the others; -o
// table lists them all.
func TestManySessions(t *testing.T) {
	big := bigCapture(t, 60)
	blocked := filepath.Join(testdataDir, "active-blocked.pcap")
	_, out, _ := ftpscope(t, "-q", "-r", big, "-r", blocked)
	for _, want := range []string{"61 FTP sessions: 60 OK, 0 WARN, 1 FAIL.", "Sessions that are not OK (1 of 61)",
		"60 OK sessions are not listed", "--session N", "-o table", "--only-problems"} {
		if !strings.Contains(out, want) {
			t.Errorf("default output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n > 50 {
		t.Errorf("default output of 61 sessions is %d lines, want a screen (50 at most):\n%s", n, out)
	}
	_, all, _ := ftpscope(t, "-q", "-o", "table", "-r", big, "-r", blocked)
	if !strings.Contains(all, "Session 61:") || strings.Contains(all, "not listed") {
		t.Errorf("-o table does not list every session:\n%s", all)
	}
}

// TestSelection: --only-problems and --session N choose the same
// sessions in every format, and the stats count everything.
func TestSelection(t *testing.T) {
	// Two files whose sessions have different endpoints: an IPv6 one
	// that works and an IPv4 one that fails.
	passive := filepath.Join(testdataDir, "epsv-eprt-ipv6.pcap")
	blocked := filepath.Join(testdataDir, "active-blocked.pcap")
	type view struct {
		Sessions []int
		Stats    int
	}
	decode := func(format, out string) view {
		var v view
		if format == "json" {
			var r struct {
				Sessions []struct{ ID int } `json:"sessions"`
				Stats    struct {
					FTPSessions int `json:"ftp_sessions"`
				} `json:"stats"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			for _, s := range r.Sessions {
				v.Sessions = append(v.Sessions, s.ID)
			}
			v.Stats = r.Stats.FTPSessions
			return v
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var x struct {
				Type        string
				ID          int
				FTPSessions int `json:"ftp_sessions"`
			}
			if err := json.Unmarshal([]byte(l), &x); err != nil {
				t.Fatal(err)
			}
			switch x.Type {
			case "session":
				v.Sessions = append(v.Sessions, x.ID)
			case "stats":
				v.Stats = x.FTPSessions
			}
		}
		return v
	}
	for _, tt := range []struct {
		flags []string
		want  []int
	}{
		{nil, []int{1, 2}},
		{[]string{"--only-problems"}, []int{2}},
		{[]string{"--session", "1"}, []int{1}},
		{[]string{"--session", "2", "--only-problems"}, []int{2}},
	} {
		for _, format := range []string{"json", "ndjson"} {
			t.Run(format+strings.Join(tt.flags, ""), func(t *testing.T) {
				args := append([]string{"-q", "-r", passive, "-r", blocked, "-o", format}, tt.flags...)
				_, out, _ := ftpscope(t, args...)
				if diff := cmp.Diff(view{tt.want, 2}, decode(format, out)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
	_, out, _ := ftpscope(t, "-q", "-r", passive, "-r", blocked, "--only-problems")
	if strings.Contains(out, "Session 1:") || !strings.Contains(out, "Session 2:") {
		t.Errorf("--only-problems table:\n%s", out)
	}
	_, out, _ = ftpscope(t, "-q", "-r", passive, "-r", blocked, "--session", "2", "-o", "ladder")
	if strings.Count(out, "── Session") != 1 || !strings.Contains(out, "── Session 2") {
		t.Errorf("--session 2 -o ladder is not one diagram of session 2:\n%s", out)
	}
}

// TestCountWithRead: -c N stops reading a file after N packets, as
// tcpdump -c does.
func TestCountWithRead(t *testing.T) {
	_, out, _ := ftpscope(t, "-q", "-c", "5", "-r", filepath.Join(testdataDir, "passive.pcap"), "-o", "json")
	var r struct {
		Stats struct{ Packets int } `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Stats.Packets != 5 {
		t.Errorf("-c 5 analysed %d packets", r.Stats.Packets)
	}
}

// TestWriteStdout: -w - writes pcapng to stdout and the report to stderr.
func TestWriteStdout(t *testing.T) {
	code, out, errOut := ftpscope(t, "-q", "-w", "-", "-r", filepath.Join(testdataDir, "passive.pcap"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !bytes.HasPrefix([]byte(out), []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		t.Errorf("stdout does not start with a pcapng section header: %q", out[:min(len(out), 16)])
	}
	if !strings.Contains(errOut, "FTP sessions") || !strings.Contains(errOut, "OK: 1 passive transfer") {
		t.Errorf("the report is not on stderr:\n%s", errOut)
	}
}

// TestTimeBases: every time column says its base, and -t moves the
// times of the table, the findings and the ladder together.
func TestTimeBases(t *testing.T) {
	blocked := filepath.Join(testdataDir, "active-blocked.pcap")
	for _, tt := range []struct {
		base string
		want []string
	}{
		// The capture starts at 00:00:00 UTC; testZone is two hours east.
		{"local", []string{"START (local)", "02:00:00.000", "packet 14 (02:00:00.018366)", "local time", "CEST"}},
		{"utc", []string{"START (UTC)", "00:00:00.000", "packet 14 (00:00:00.018366)", "UTC time", "UTC"}},
		{"relative", []string{"START (relative)", "packet 14 (0.018366)", "seconds since the first packet"}},
	} {
		t.Run(tt.base, func(t *testing.T) {
			_, table, _ := ftpscopeEnv(t, map[string]string{"COLUMNS": "200"}, "-q", "-r", blocked, "-t", tt.base)
			_, ladder, _ := ftpscope(t, "-q", "-r", blocked, "-t", tt.base, "-o", "ladder")
			for _, w := range tt.want {
				if !strings.Contains(table, w) && !strings.Contains(ladder, w) {
					t.Errorf("-t %s: neither the table nor the ladder has %q:\n%s\n%s", tt.base, w, table, ladder)
				}
			}
		})
	}
}

// TestVersionText: --version names the commit and its date when the
// build info has them.
func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-30T10:11:12Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	got := versionText(bi, true)
	for _, want := range []string{"ftpscope v1.2.3\n", "commit 0123456789abcdef0123456789abcdef01234567 with uncommitted changes, committed 2026-11-30 10:11:12 UTC", "go1.26.8"} {
		if !strings.Contains(got, want) {
			t.Errorf("version text lacks %q:\n%s", want, got)
		}
	}
	if got := versionText(nil, false); !strings.HasPrefix(got, "ftpscope "+version+"\n") {
		t.Errorf("without build info: %q", got)
	}
}

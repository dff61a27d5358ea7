package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mattn/go-runewidth"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../../testdata")

const testdataDir = "../../testdata"

// testZone is the local zone of the tests: two hours east of UTC, so
// that local times differ from the UTC ones of the captures. The live
// tests run the binary with TZ set to the same offset.
var testZone = time.FixedZone("CEST", 2*3600)

func init() { time.Local = testZone }

// ftpscope runs the command as a user would, with an environment of its
// own (no COLUMNS), and returns its exit code, stdout and stderr.
func ftpscope(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	return ftpscopeEnv(t, nil, args...)
}

// ftpscopeEnv is ftpscope with environment variables.
func ftpscopeEnv(t testing.TB, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	code := run(context.Background(), args, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv})
	return code, out.String(), errb.String()
}

// extraArgs are the flags a capture of testdata needs beyond -r.
var extraArgs = map[string][]string{
	"port-2121.pcap": {"--ports", "21,2121"},
}

var elapsed = regexp.MustCompile(`"elapsed_ms": [0-9.e+-]+`)

// normalise makes a JSON report independent of the machine: the elapsed
// time is zeroed and the source path made relative to testdata.
func normalise(s string) string {
	s = elapsed.ReplaceAllString(s, `"elapsed_ms": 0`)
	return strings.ReplaceAll(s, testdataDir+"/", "")
}

func captures(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.pcap.gz"} {
		m, err := filepath.Glob(filepath.Join(testdataDir, pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		t.Fatalf("no captures in %s: run go run ./internal/synth/cmd/synth -out testdata", testdataDir)
	}
	return out
}

// goldenFormats are the outputs kept as golden files for every capture,
// by the suffix of their file.
var goldenFormats = []struct{ format, suffix string }{
	{"json", ".golden.json"},
	{"zeek", ".zeek"},
	{"zeek-json", ".zeek.json"},
	{"eve", ".eve.json"},
}

// TestGolden analyses every synthetic capture and compares the JSON
// report, the Zeek ftp.log (TSV and JSON) and the EVE events with their
// golden files. Run with -update to rewrite them, and review every diff.
func TestGolden(t *testing.T) {
	for _, path := range captures(t) {
		name := filepath.Base(path)
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), filepath.Ext(strings.TrimSuffix(name, ".gz")))
		for _, f := range goldenFormats {
			t.Run(name+"/"+f.format, func(t *testing.T) {
				args := append([]string{"-r", path, "-o", f.format, "-q"}, extraArgs[name]...)
				code, out, _ := ftpscope(t, args...)
				if code != exitOK {
					t.Fatalf("exit %d", code)
				}
				got := normalise(out)
				golden := filepath.Join(testdataDir, base+f.suffix)
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
					t.Errorf("report differs from %s (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

// TestGoldenLadder keeps the ladder diagrams of an active and a passive
// session, as shown in the README.
func TestGoldenLadder(t *testing.T) {
	for _, name := range []string{"active", "passive", "active-blocked"} {
		t.Run(name, func(t *testing.T) {
			code, out, _ := ftpscope(t, "-r", filepath.Join(testdataDir, name+".pcap"), "-o", "ladder", "-q")
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			out = strings.ReplaceAll(out, testdataDir+"/", "")
			golden := filepath.Join(testdataDir, name+".ladder.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("ladder differs from %s (-want +got):\n%s", golden, diff)
			}
			for i, l := range strings.Split(out, "\n") {
				if n := runewidth.StringWidth(l); n > 80 {
					t.Errorf("line %d is %d columns wide: %q", i+1, n, l)
				}
			}
		})
	}
}

// report is the part of the JSON report the tests look at.
type jsonReport struct {
	Stats struct {
		Packets int `json:"packets"`
	} `json:"stats"`
	Sources []struct {
		Name   string   `json:"name"`
		Errors []string `json:"errors"`
	} `json:"sources"`
	Sessions []struct {
		Client       string `json:"client"`
		Server       string `json:"server"`
		Verdict      string `json:"verdict"`
		DataChannels []struct {
			Findings []struct {
				Code     string `json:"code"`
				Severity string `json:"severity"`
			} `json:"findings"`
		} `json:"data_channels"`
		Findings []struct {
			Code     string `json:"code"`
			Severity string `json:"severity"`
		} `json:"findings"`
	} `json:"sessions"`
	Findings []struct {
		Code     string `json:"code"`
		Severity string `json:"severity"`
	} `json:"findings"`
}

func decodeReport(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return r
}

func codes(r jsonReport) map[string]string {
	out := map[string]string{}
	for _, f := range r.Findings {
		out[f.Code] = f.Severity
	}
	for _, s := range r.Sessions {
		for _, f := range s.Findings {
			out[f.Code] = f.Severity
		}
		for _, d := range s.DataChannels {
			for _, f := range d.Findings {
				out[f.Code] = f.Severity
			}
		}
	}
	return out
}

func TestExitStatus(t *testing.T) {
	blocked := filepath.Join(testdataDir, "active-blocked.pcap")
	passive := filepath.Join(testdataDir, "passive.pcap")
	// Byte offsets need the libpcap build, which reads them in files too.
	offsetFilter, offsetStderr := exitUsage, "libpcap"
	if capture.FullFilterSyntax {
		offsetFilter, offsetStderr = exitOK, ""
	}
	tests := []struct {
		name string
		args []string
		want int
		// stderr must contain this
		stderr string
	}{
		{"analysed", []string{"-r", passive, "-q"}, exitOK, ""},
		{"fail-on error met", []string{"-r", blocked, "-q", "--fail-on", "error"}, exitFailOn, ""},
		{"fail-on error not met", []string{"-r", passive, "-q", "--fail-on", "error"}, exitOK, ""},
		{"fail-on info met by warning", []string{"-r", blocked, "-q", "--fail-on", "info"}, exitFailOn, ""},
		{"no input", []string{}, exitUsage, "nothing to read"},
		{"unknown flag", []string{"--bogus"}, exitUsage, "unknown flag"},
		{"bad format", []string{"-r", passive, "-o", "xml"}, exitUsage, `unknown format "xml"`},
		{"bad fail-on", []string{"-r", passive, "--fail-on", "fatal"}, exitUsage, "--fail-on"},
		{"bad port", []string{"-r", passive, "-p", "21,x"}, exitUsage, `bad port "x"`},
		{"missing file", []string{"-r", "no-such.pcap"}, exitUsage, "no-such.pcap"},
		{"not a capture", []string{"-r", "main.go"}, exitUsage, "main.go"},
		{"byte offsets in the filter", []string{"-r", passive, "-q", "tcp[13] & 2 != 0"}, offsetFilter, offsetStderr},
		{"filter syntax error", []string{"-r", passive, "port 21 and"}, exitUsage, `filter: "port 21 and"`},
		{"metrics without interface", []string{"-r", passive, "--metrics", "127.0.0.1:0"}, exitUsage, "--metrics applies to live capture"},
		{"count with a file", []string{"-r", passive, "-c", "5", "-q"}, exitOK, ""},
		{"duration without interface", []string{"-r", passive, "--duration", "5s"}, exitUsage, "--duration applies to live capture"},
		{"format in capitals", []string{"-r", passive, "-q", "-o", "JSON"}, exitOK, ""},
		{"time base in capitals", []string{"-r", passive, "-q", "-t", "UTC", "--fail-on", "Error"}, exitOK, ""},
		{"bad time base", []string{"-r", passive, "-t", "gmt"}, exitUsage, `unknown -t time base "gmt": use local, utc or relative`},
		{"numeric as tcpdump", []string{"-nn", "-r", passive, "-q"}, exitOK, ""},
		{"verbose", []string{"-v", "-r", passive, "-q"}, exitOK, ""},
		{"capture without -r", []string{passive}, exitUsage, "did you mean -r " + passive + "?"},
		{"second capture without -r", []string{"-r", passive, blocked}, exitUsage, "did you mean -r " + passive + " -r " + blocked + "?"},
		{"missing capture without -r", []string{"nosuch.pcapng"}, exitUsage, "did you mean -r nosuch.pcapng?"},
		{"same file twice", []string{"-r", passive, "-r", passive}, exitUsage, "is given twice"},
		{"same file by two names", []string{"-r", passive, "-r", "./" + passive}, exitUsage, "are the same file"},
		{"stdin twice", []string{"-r", "-", "-r", "-"}, exitUsage, "standard input) is given twice"},
		{"session zero", []string{"-r", passive, "--session", "0"}, exitUsage, "--session takes a session number"},
		{"no such session", []string{"-r", passive, "--session", "9", "-q"}, exitUsage, "no session 9: the input has 1 FTP session"},
		{"help", []string{"-h"}, exitOK, ""},
		{"version", []string{"--version"}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := ftpscope(t, tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.stderr)
			}
		})
	}
}

// TestFileFilter: a filter on a file keeps the packets tcpdump -r keeps.
// Byte offsets, lengths and link-layer addresses need the libpcap build;
// the default one says so.
func TestFileFilter(t *testing.T) {
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed; apt-get install tcpdump to compare with it")
	}
	path := filepath.Join(testdataDir, "passive.pcap")
	for _, tt := range []struct {
		expr string
		full bool // needs the whole tcpdump syntax
	}{
		{"tcp port 21", false},
		{"port 21 or portrange 1024-65535", false},
		{"tcp[13] & 2 != 0", true},
		{"greater 100", true},
		{"ether src 02:00:00:00:00:01", true},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			code, out, stderr := ftpscope(t, "-r", path, "-o", "json", "-q", tt.expr)
			if tt.full && !capture.FullFilterSyntax {
				if code != exitUsage || !strings.Contains(stderr, "build with -tags libpcap") {
					t.Errorf("exit %d, stderr %q; want a usage error naming the libpcap build", code, stderr)
				}
				return
			}
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			tcpdump, err := exec.Command(bin, "-r", path, "--count", tt.expr).Output()
			if err != nil {
				t.Fatalf("tcpdump -r %s --count %q: %v", path, tt.expr, err)
			}
			want, _ := strings.CutSuffix(strings.TrimSpace(string(tcpdump)), " packets")
			if got := strconv.Itoa(decodeReport(t, out).Stats.Packets); got != want {
				t.Errorf("stats.packets = %s, tcpdump -r keeps %s", got, want)
			}
		})
	}
}

func TestHelpShowsExamples(t *testing.T) {
	_, out, _ := ftpscope(t, "--help")
	for _, want := range []string{"Examples:", "-r capture.pcap", "--fail-on", "-o ladder", "This build captures live packets with",
		"--only-problems", "--session N", "-t, --time BASE", "-w -"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	for i, l := range strings.Split(out, "\n") {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("--help line %d is %d columns: %q", i+1, w, l)
		}
	}
}

// TestTruncatedCaptureStillReported: damage is reported on stderr and in
// sources[].errors, everything before it is analysed, and the exit is 0.
func TestTruncatedCaptureStillReported(t *testing.T) {
	code, out, stderr := ftpscope(t, "-r", filepath.Join(testdataDir, "truncated.pcap"), "-o", "json", "-q")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	r := decodeReport(t, out)
	if len(r.Sources) != 1 || len(r.Sources[0].Errors) == 0 {
		t.Fatalf("no damage reported in sources[].errors: %+v", r.Sources)
	}
	if !strings.Contains(stderr, r.Sources[0].Errors[0]) {
		t.Errorf("stderr %q lacks the damage %q", stderr, r.Sources[0].Errors[0])
	}
	if len(r.Sessions) == 0 {
		t.Errorf("the session before the damage was not reported")
	}
}

// TestPasswordsRedacted: PASS arguments never reach the output unless
// asked for.
func TestPasswordsRedacted(t *testing.T) {
	path := filepath.Join(testdataDir, "passive.pcap")
	for _, format := range []string{"json", "table", "ladder", "ndjson"} {
		_, out, _ := ftpscope(t, "-r", path, "-o", format, "-q")
		if strings.Contains(out, "PASS ") && !strings.Contains(out, "PASS ***") {
			t.Errorf("-o %s shows a password:\n%s", format, out)
		}
	}
	_, out, _ := ftpscope(t, "-r", path, "-o", "ladder", "-q", "--show-passwords")
	if strings.Contains(out, "PASS ***") {
		t.Errorf("--show-passwords still redacts")
	}
}

// TestIntegrationPasswords: the Zeek and EVE outputs show a password
// only with --show-passwords (Zeek's <hidden> and the contract's *** in
// its place otherwise).
func TestIntegrationPasswords(t *testing.T) {
	path := filepath.Join(testdataDir, "lprt-lpsv.pcap")
	for _, format := range []string{"zeek", "zeek-json", "eve"} {
		args := []string{"-r", path, "-o", format, "-q"}
		_, out, _ := ftpscope(t, args...)
		if strings.Contains(out, "Secr3t!") {
			t.Errorf("-o %s shows the password:\n%s", format, out)
		}
		_, out, _ = ftpscope(t, append(args, "--show-passwords")...)
		if !strings.Contains(out, "Secr3t!") {
			t.Errorf("-o %s --show-passwords does not show the password:\n%s", format, out)
		}
	}
}

// TestNDJSONStream: one object per line, sessions first, stats last.
func TestNDJSONStream(t *testing.T) {
	_, out, _ := ftpscope(t, "-r", filepath.Join(testdataDir, "many-transfers-mixed.pcap"), "-o", "ndjson", "-q")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var types []string
	for _, l := range lines {
		var v struct{ Type string }
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		types = append(types, v.Type)
	}
	// The finding is passive-port-range, outside any session.
	want := []string{"session", "source", "finding", "stats"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("line types (-want +got):\n%s", diff)
	}
}

// TestFindingCodes: each finding code of the contract is triggered by its
// generated capture, at the contract's severity.
func TestFindingCodes(t *testing.T) {
	tests := []struct {
		capture, code, severity string
	}{
		{"active-blocked.pcap", "active-blocked", "error"},
		{"passive-blocked-rst.pcap", "passive-blocked", "error"},
		{"passive-blocked-icmp.pcap", "passive-blocked", "error"},
		{"passive-blocked-icmp6.pcap", "passive-blocked", "error"},
		{"passive-private-nat.pcap", "passive-private-address", "warning"},
		{"passive-private-nat.pcap", "passive-blocked", "error"},
		{"passive-nat-curl-ok.pcap", "passive-private-address", "warning"},
		{"passive-nat-curl-ok.pcap", "address-rewritten", "info"},
		{"active-private-nat.pcap", "active-private-address", "warning"},
		{"active-private-nat.pcap", "active-blocked", "error"},
		{"address-rewritten.pcap", "address-rewritten", "info"},
		{"ftp-bounce.pcap", "ftp-bounce", "error"},
		{"control-encrypted.pcap", "control-encrypted", "warning"},
		{"control-encrypted.pcap", "data-connection-unannounced", "info"},
		{"data-unannounced.pcap", "data-connection-unannounced", "info"},
		{"transfer-failed-426.pcap", "transfer-failed", "error"},
		{"control-gap.pcap", "control-gap", "warning"},
		{"data-connection-missing.pcap", "data-connection-missing", "warning"},
		{"data-connection-missing.pcap", "transfer-failed", "error"},
		{"control-blocked.pcap", "control-blocked", "error"},
		{"control-refused-rst.pcap", "control-blocked", "error"},
		{"control-unreachable-icmp.pcap", "control-blocked", "error"},
		{"login-failed.pcap", "login-failed", "warning"},
		{"login-brute-force.pcap", "login-brute-force", "warning"},
		{"login-brute-force.pcap", "login-failed", "warning"},
		{"transfer-rejected.pcap", "transfer-rejected", "warning"},
		{"data-path-unseen.pcap", "data-path-unseen", "info"},
		{"reply-resync.pcap", "control-gap", "warning"},
		{"content-detected.pcap", "nonstandard-control-port", "info"},
		{"helper-pipelined-port.pcap", "helper-would-miss", "warning"},
		{"helper-pipelined-port.pcap", "active-blocked", "error"},
		{"helper-nonstandard-port.pcap", "helper-would-miss", "warning"},
		{"helper-second-pasv.pcap", "helper-would-miss", "warning"},
		{"helper-pasv-address.pcap", "helper-would-miss", "warning"},
		{"helper-tls.pcap", "helper-would-miss", "warning"},
		{"control-idle-timeout.pcap", "control-idle-timeout", "error"},
		{"control-idle-reset.pcap", "control-idle-timeout", "error"},
		{"control-idle-cut.pcap", "control-idle-timeout", "error"},
		{"passive-port-range.pcap", "passive-port-range", "info"},
		{"passive.pcap", "passive-port-range", "info"},
		{"fxp-transfer.pcap", "fxp-transfer", "info"},
	}
	for _, tt := range tests {
		t.Run(tt.capture+"/"+tt.code, func(t *testing.T) {
			_, out, _ := ftpscope(t, "-r", filepath.Join(testdataDir, tt.capture), "-o", "json", "-q")
			got := codes(decodeReport(t, out))
			if sev, ok := got[tt.code]; !ok {
				t.Errorf("%s not reported; got %v", tt.code, got)
			} else if sev != tt.severity {
				t.Errorf("%s at %s, want %s", tt.code, sev, tt.severity)
			}
		})
	}
}

// TestHealthyCapturesHaveNoWarnings: captures of transfers that worked
// produce no warning or error.
func TestHealthyCapturesHaveNoWarnings(t *testing.T) {
	for _, name := range []string{"passive.pcap", "active.pcap", "active-nonstandard-port.pcap", "epsv-eprt-ipv6.pcap",
		"lprt-lpsv.pcap", "multiline-replies.pcap", "split-227.pcap", "out-of-order.pcap", "midstream.pcap", "vlan.pcap",
		"sll.pcap", "sll2.pcap", "pcapng-two-interfaces.pcapng", "nanosecond.pcap", "loopback-null.pcap", "raw-ip.pcap",
		"many-transfers-mixed.pcap", "data-tuple-reused.pcap", "control-tuple-reused.pcap", "ip-fragments.pcap", "ip6-fragments.pcap",
		"data-path-unseen.pcap", "span-duplicates.pcap", "concatenated.pcap", "reset-after-transfer.pcap", "payload-only.pcap",
		"connection-before-announcement.pcap", "content-detected.pcap", "helper-forms.pcap", "passive-port-range.pcap", "fxp-transfer.pcap"} {
		t.Run(name, func(t *testing.T) {
			_, out, _ := ftpscope(t, "-r", filepath.Join(testdataDir, name), "-o", "json", "-q")
			r := decodeReport(t, out)
			for code, sev := range codes(r) {
				if sev != "info" {
					t.Errorf("healthy capture has %s finding %s", sev, code)
				}
			}
			for _, s := range r.Sessions {
				if s.Verdict != "ok" {
					t.Errorf("session %s → %s: verdict %q, want ok", s.Client, s.Server, s.Verdict)
				}
			}
		})
	}
}

// TestUnknownLinkType: a capture of a link type ftpscope cannot decode is
// named once with its packet count, and the other inputs are analysed.
func TestUnknownLinkType(t *testing.T) {
	// A pcap header with link type 147 (USER0) and three 40-byte packets.
	b := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 147, 0, 0, 0}
	for i := range 3 {
		b = append(b, byte(i), 0, 0, 0x65, 0, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0)
		b = append(b, make([]byte, 40)...)
	}
	path := filepath.Join(t.TempDir(), "user0.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := ftpscope(t, "-r", path, "-r", filepath.Join(testdataDir, "passive.pcap"), "-o", "json", "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decodeReport(t, out)
	if len(r.Sessions) != 1 {
		t.Errorf("%d sessions, want the 1 of passive.pcap", len(r.Sessions))
	}
	want := "packet 1: link type 147 (UnknownLinkType) is not supported; its 3 packets were skipped"
	if len(r.Sources) != 2 || len(r.Sources[0].Errors) != 1 || !strings.Contains(r.Sources[0].Errors[0], want) {
		t.Errorf("sources[0].errors = %q, want one error with %q", r.Sources[0].Errors, want)
	}
	if strings.Count(stderr, "link type 147") != 1 {
		t.Errorf("stderr names the link type %d times, want once:\n%s", strings.Count(stderr, "link type 147"), stderr)
	}
}

// TestTwoCapturePoints: one session captured on both sides of a NAT and
// given as two files is analysed per capture point as each file alone,
// and where an FTP helper rewrote an announcement between the points, an
// address-rewritten finding says so.
func TestTwoCapturePoints(t *testing.T) {
	lab := filepath.Join(testdataDir, "lab", "captures")
	type view struct{ Source, Setup, Announced, Initiator, Responder string }
	views := func(out string) []view {
		var r struct {
			Sessions []struct {
				Source       string `json:"source"`
				DataChannels []struct {
					SetupCommand string  `json:"setup_command"`
					Announced    *string `json:"announced"`
					Observed     *struct{ Initiator, Responder string }
				} `json:"data_channels"`
			} `json:"sessions"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		var vs []view
		for _, s := range r.Sessions {
			for _, d := range s.DataChannels {
				v := view{Source: filepath.Base(s.Source), Setup: d.SetupCommand, Announced: str(d.Announced)}
				if d.Observed != nil {
					v.Initiator, v.Responder = d.Observed.Initiator, d.Observed.Responder
				}
				vs = append(vs, v)
			}
		}
		return vs
	}
	for _, tt := range []struct {
		pair      string
		rewritten bool
	}{
		{"snat-port-helper", true},
		{"snat-port-nohelper", false},
		{"dnat-pasv-private", false},
		{"dnat-pasv-address", false},
	} {
		t.Run(tt.pair, func(t *testing.T) {
			client := filepath.Join(lab, tt.pair+"-client.pcap")
			server := filepath.Join(lab, tt.pair+"-server.pcap")
			var want []view
			for _, f := range []string{client, server} {
				_, out, _ := ftpscope(t, "-r", f, "-o", "json", "-q")
				want = append(want, views(out)...)
			}
			_, out, _ := ftpscope(t, "-r", client, "-r", server, "-o", "json", "-q")
			got := views(out)
			less := func(a, b view) bool { return a.Source+a.Setup+a.Announced < b.Source+b.Setup+b.Announced }
			if diff := cmp.Diff(want, got, cmpopts.SortSlices(less)); diff != "" {
				t.Errorf("both files together differ from each alone (-alone +together):\n%s", diff)
			}
			r := decodeReport(t, out)
			n, channels := 0, 0
			for _, s := range r.Sessions {
				for _, d := range s.DataChannels {
					channels++
					for _, f := range d.Findings {
						if f.Code == "address-rewritten" {
							n++
						}
					}
				}
			}
			// Alone, dnat-pasv-address's server view already reports the
			// rewrite done by DNAT; count only what two points add.
			alone := 0
			for _, f := range []string{client, server} {
				_, o, _ := ftpscope(t, "-r", f, "-o", "json", "-q")
				for _, s := range decodeReport(t, o).Sessions {
					for _, d := range s.DataChannels {
						for _, f := range d.Findings {
							if f.Code == "address-rewritten" {
								alone++
							}
						}
					}
				}
			}
			added := n - alone
			if tt.rewritten && added != channels {
				t.Errorf("%d address-rewritten findings added for %d data channels, want one each", added, channels)
			}
			if !tt.rewritten && added != 0 {
				t.Errorf("%d address-rewritten findings added, want none", added)
			}
		})
	}
}

// TestDuplicatesAreDropped: a capture holding every packet twice, or
// repeating itself after time ran backwards, reads as the capture it
// copies, and says how many packets it dropped.
func TestDuplicatesAreDropped(t *testing.T) {
	for _, name := range []string{"span-duplicates.pcap", "concatenated.pcap"} {
		t.Run(name, func(t *testing.T) {
			_, out, stderr := ftpscope(t, "-r", filepath.Join(testdataDir, name), "-o", "json", "-q")
			var r struct {
				Sessions []struct {
					DataChannels []struct {
						Observed struct {
							SYNAttempts int `json:"syn_attempts"`
						} `json:"observed"`
					} `json:"data_channels"`
				} `json:"sessions"`
				Stats struct {
					Duplicates int `json:"duplicates"`
				} `json:"stats"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Sessions) != 1 || len(r.Sessions[0].DataChannels) != 1 || r.Sessions[0].DataChannels[0].Observed.SYNAttempts != 1 {
				t.Errorf("want one session with one data connection of one SYN: %+v", r.Sessions)
			}
			if r.Stats.Duplicates == 0 {
				t.Error("stats.duplicates is 0")
			}
			if name == "concatenated.pcap" && !strings.Contains(stderr, "time runs backwards") {
				t.Errorf("stderr does not say time ran backwards: %s", stderr)
			}
		})
	}
}

// TestMessyCaptures: each class of capture that other people's tools and
// stacks make, and that ftpscope once got wrong, reads as what happened.
func TestMessyCaptures(t *testing.T) {
	type obs struct {
		Initiator   string `json:"initiator"`
		State       string `json:"state"`
		SYNAttempts int    `json:"syn_attempts"`
		Established bool   `json:"established"`
	}
	type report struct {
		Sessions []struct {
			Verdict      string `json:"verdict"`
			DataChannels []struct {
				Observed *obs `json:"observed"`
				Findings []struct {
					Code, Severity string
				} `json:"findings"`
			} `json:"data_channels"`
		} `json:"sessions"`
		Stats struct {
			Probes int `json:"probes"`
		} `json:"stats"`
	}
	tests := []struct {
		capture string
		check   func(t *testing.T, r report, codes map[string]string)
	}{
		{"reset-after-transfer.pcap", func(t *testing.T, r report, codes map[string]string) {
			// A reset after the sender's FIN and 226 ends the transfer
			// normally; a data connection with no transfer command is no
			// transfer.
			if _, ok := codes["transfer-failed"]; ok || r.Sessions[0].Verdict != "ok" {
				t.Errorf("verdict %s, codes %v", r.Sessions[0].Verdict, codes)
			}
		}},
		{"payload-only.pcap", func(t *testing.T, r report, codes map[string]string) {
			// Payload proves the connection, handshake or not, and the data
			// segment just after the 226 is linked.
			o := r.Sessions[0].DataChannels[0].Observed
			if o == nil || !o.Established || o.State != "established" || o.SYNAttempts != 0 {
				t.Errorf("observed %+v", o)
			}
		}},
		{"port-to-client-21.pcap", func(t *testing.T, r report, codes map[string]string) {
			// The server's SYN from port 20 to the client's port 21 answers
			// the PORT; it is no control connection of its own.
			o := r.Sessions[0].DataChannels[0].Observed
			if len(r.Sessions) != 1 || o == nil || o.Initiator != "10.0.0.2:20" || o.State != "refused" {
				t.Errorf("%d sessions, observed %+v", len(r.Sessions), o)
			}
		}},
		{"connection-before-announcement.pcap", func(t *testing.T, r report, codes map[string]string) {
			// The connection that started before the PORT is not its data
			// connection; the server's from port 20 is.
			o := r.Sessions[0].DataChannels[0].Observed
			if o == nil || o.Initiator != "10.0.0.2:20" {
				t.Errorf("observed %+v, want the connection from 10.0.0.2:20", o)
			}
		}},
		{"reply-without-command.pcap", func(t *testing.T, r report, codes map[string]string) {
			if codes["transfer-failed"] != "error" {
				t.Errorf("a 425 whose command is not in the capture: codes %v", codes)
			}
		}},
		{"port-scan.pcap", func(t *testing.T, r report, codes map[string]string) {
			// The scan's probe of port 21 is no session and collects no
			// connections; the refused bounce is a warning.
			if r.Stats.Probes != 1 || len(r.Sessions) != 1 {
				t.Errorf("%d probes, %d sessions; want 1 and 1", r.Stats.Probes, len(r.Sessions))
			}
			if _, ok := codes["data-connection-unannounced"]; ok || codes["ftp-bounce"] != "warning" {
				t.Errorf("codes %v", codes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			_, out, _ := ftpscope(t, "-r", filepath.Join(testdataDir, tt.capture), "-o", "json", "-q")
			var r report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Sessions) == 0 || len(r.Sessions[0].DataChannels) == 0 && tt.capture != "reply-without-command.pcap" {
				t.Fatalf("no session or data channel: %s", out)
			}
			tt.check(t, r, codes(decodeReport(t, out)))
		})
	}
}

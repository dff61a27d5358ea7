package main

// The comparisons of ftpscope's -o zeek and -o eve with what Zeek and
// Suricata themselves write for the peer captures: the baselines of their
// own test suites, copied into ../shared/peer-captures/baselines.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
)

const baselineDir = peerDir + "/baselines"

// analysePeer analyses a peer capture as the Zeek and EVE formats do.
func analysePeer(t *testing.T, capName string, showPasswords bool) *session.Report {
	t.Helper()
	src, err := capture.OpenFiles([]string{filepath.Join(peerDir, "pcaps", capName)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := pipeline.Run(context.Background(), src, pipeline.Options{Session: session.Config{
		Transcript: true, Ladder: true, ShowPasswords: showPasswords,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Report
}

// zeekLog is a Zeek ASCII log: its field names and its rows, each a map
// from field name to the value as written.
type zeekLog struct {
	fields []string
	rows   []map[string]string
}

func readZeekLog(t *testing.T, b []byte) zeekLog {
	t.Helper()
	var l zeekLog
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
			l.fields = strings.Split(f, "\t")
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != len(l.fields) {
			t.Fatalf("row with %d columns under %d fields: %q", len(cols), len(l.fields), line)
		}
		row := map[string]string{}
		for i, f := range l.fields {
			row[f] = cols[i]
		}
		l.rows = append(l.rows, row)
	}
	return l
}

// zeekTest reads what a Zeek test script changes of the FTP defaults: the
// commands added to FTP::logged_commands, and whether passwords are
// captured.
func zeekTest(t *testing.T, script []byte) (commands []string, capturePasswords bool) {
	t.Helper()
	commands = append(commands, report.ZeekDefaultCommands...)
	if m := regexp.MustCompile(`redef FTP::logged_commands \+= \{([^}]*)\}`).FindSubmatch(script); m != nil {
		for _, c := range regexp.MustCompile(`"([A-Z]+)"`).FindAllSubmatch(m[1], -1) {
			commands = append(commands, string(c[1]))
		}
	}
	return commands, regexp.MustCompile(`redef FTP::default_capture_password = T`).Match(script)
}

// zeekCompared are the ftp.log fields compared with Zeek's: all but ts
// and uid, which btest masks (Zeek's uid is random), and fuid, random
// too, compared for being set or not.
var zeekCompared = []string{"id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "user", "password", "command", "arg",
	"mime_type", "file_size", "reply_code", "reply_msg", "data_channel.passive", "data_channel.orig_h", "data_channel.resp_h",
	"data_channel.resp_p", "fuid"}

// zeekDifference is a field where ftpscope's ftp.log differs from Zeek's,
// and why.
type zeekDifference struct {
	Capture    string
	Row        int // 1-based
	Field      string
	Zeek, Ours string
}

// zeekKnownDifferences are the differences from Zeek's baselines that
// ftpscope makes on purpose, with their reason (docs/integrations.md
// says the same). Any other difference fails the test.
var zeekKnownDifferences = map[zeekDifference]string{
	// Zeek drops command lines over FTP::max_command_length (100 bytes):
	// the 132-byte TYPE and SYST lines of this capture never reach its
	// script, and it pairs every reply from there on with the command
	// before. ftpscope keeps lines up to 8192 bytes and pairs each reply
	// with its own command.
	{"zeek-fake-long-commands", 2, "reply_code", "200", "215"}:                                                      "long-commands",
	{"zeek-fake-long-commands", 2, "reply_msg", "Response to TYPEEEEEEEEEEEEE command", "Response to SYST command"}: "long-commands",
	{"zeek-fake-long-commands", 3, "reply_code", "215", "227"}:                                                      "long-commands",
	{"zeek-fake-long-commands", 3, "reply_msg", "Response to SYSTTTTTTTTTTTTT command", "Response to PASV command"}: "long-commands",
	// Zeek logs the password of a guest user (anonymous); ftpscope
	// writes <hidden> for every password unless --show-passwords.
	{"zeek-fake-long-commands", 2, "password", "anonymous@zeek.org", "<hidden>"}: "redacted",
	{"zeek-fake-long-commands", 3, "password", "anonymous@zeek.org", "<hidden>"}: "redacted",
	{"zeek-fake-long-commands", 4, "password", "anonymous@zeek.org", "<hidden>"}: "redacted",
	{"zeek-fake-long-commands", 5, "password", "anonymous@zeek.org", "<hidden>"}: "redacted",
	{"zeek-ipv4", 1, "password", "test", "<hidden>"}:                             "redacted",
	{"zeek-ipv4", 2, "password", "test", "<hidden>"}:                             "redacted",
	{"zeek-ipv4", 3, "password", "test", "<hidden>"}:                             "redacted",
	{"zeek-ipv4", 4, "password", "test", "<hidden>"}:                             "redacted",
	{"zeek-ipv4", 5, "password", "test", "<hidden>"}:                             "redacted",
	{"zeek-ipv4", 6, "password", "test", "<hidden>"}:                             "redacted",
	{"zeek-ipv6-retr-samba", 2, "password", "root@freebsd-5453", "<hidden>"}:     "redacted",
	{"zeek-ipv6-retr-samba", 2, "arg", "root@freebsd-5453", "<hidden>"}:          "redacted",
	{"zeek-ipv6-retr-samba", 3, "password", "root@freebsd-5453", "<hidden>"}:     "redacted",
	{"zeek-ipv6-retr-samba", 4, "password", "root@freebsd-5453", "<hidden>"}:     "redacted",
	// A reply line that breaks the grammar (no code; no space after the
	// code): Zeek flags a protocol violation and stops analysing the
	// connection, so the command before it is logged at the end with the
	// reply still in its record, and the QUIT after it is not logged.
	// ftpscope reads on: it takes "230no_space" as a 230, and pairs the
	// reply after a line without code with the oldest command waiting.
	{"zeek-ftp-invalid-reply-code", 3, "reply_code", "230", "221"}:                      "violation",
	{"zeek-ftp-invalid-reply-code", 3, "reply_msg", "PASS OK", "Bye"}:                   "violation",
	{"zeek-ftp-invalid-reply-code", 4, "row", "-", "QUIT"}:                              "violation",
	{"zeek-ftp-missing-space-after-reply-code", 3, "reply_msg", "PASS OK", "_no_space"}: "violation",
	{"zeek-ftp-missing-space-after-reply-code", 4, "row", "-", "QUIT"}:                  "violation",
}

// zeekReasons explains each kind of known difference, for the summary.
var zeekReasons = map[string]string{
	"long-commands": "Zeek drops command lines over 100 bytes (FTP::max_command_length) and then pairs later replies with the wrong commands; ftpscope keeps lines up to 8192 bytes",
	"redacted":      "Zeek logs guest (anonymous) passwords; ftpscope writes <hidden> unless --show-passwords",
	"mime":          "Zeek sniffs the MIME type of each file on the data connection; ftpscope does not look into the data",
	"violation":     "a reply line that breaks the grammar makes Zeek stop analysing the connection (stale reply on the command before, later commands unlogged); ftpscope reads on",
}

// TestZeekBaselines compares ftpscope's -o zeek with the ftp.log that
// Zeek's own test suite expects for the Zeek peer captures, run with the
// settings of each test script (extra logged commands, password
// capture): row by row, field by field. The differences must be exactly
// the known ones; the summary is logged (go test -v).
func TestZeekBaselines(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(baselineDir, "zeek", "*"))
	if len(dirs) == 0 {
		t.Skipf("no Zeek baselines in %s (the shared folder is not beside the repository)", baselineDir)
	}
	var diffs []zeekDifference
	rows, fields, same := 0, 0, 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		want, err := os.ReadFile(filepath.Join(dir, "ftp.log"))
		if os.IsNotExist(err) {
			continue // a test of other logs only
		}
		if err != nil {
			t.Fatal(err)
		}
		script, err := os.ReadFile(filepath.Join(dir, "test.zeek"))
		if err != nil {
			t.Fatal(err)
		}
		commands, capture := zeekTest(t, script)
		r := analysePeer(t, name+".pcap", capture)
		var out bytes.Buffer
		if err := report.WriteZeek(&out, r, report.ZeekOptions{Commands: commands, ShowPasswords: capture}); err != nil {
			t.Fatal(err)
		}
		zl, ol := readZeekLog(t, want), readZeekLog(t, out.Bytes())
		if diff := cmp.Diff(zl.fields, ol.fields); diff != "" {
			t.Errorf("%s: #fields (-zeek +ftpscope):\n%s", name, diff)
		}
		for i := len(zl.rows); i < len(ol.rows); i++ {
			diffs = append(diffs, zeekDifference{name, i + 1, "row", "-", ol.rows[i]["command"]})
		}
		for i := len(ol.rows); i < len(zl.rows); i++ {
			diffs = append(diffs, zeekDifference{name, i + 1, "row", zl.rows[i]["command"], "-"})
		}
		for i := range min(len(zl.rows), len(ol.rows)) {
			rows++
			for _, f := range zeekCompared {
				z, o := zl.rows[i][f], ol.rows[i][f]
				if f == "fuid" { // random in Zeek: compare set or unset
					z, o = setOrNot(z), setOrNot(o)
				}
				fields++
				if z == o {
					same++
					continue
				}
				diffs = append(diffs, zeekDifference{name, i + 1, f, z, o})
			}
		}
	}
	if rows == 0 {
		t.Fatal("no Zeek ftp.log baseline was compared")
	}
	byReason := map[string]int{}
	for _, d := range diffs {
		reason, ok := zeekKnownDifferences[d]
		if d.Field == "mime_type" && d.Ours == "-" {
			reason, ok = "mime", true
		}
		if !ok {
			t.Errorf("%s row %d %s: Zeek %q, ftpscope %q", d.Capture, d.Row, d.Field, d.Zeek, d.Ours)
			continue
		}
		byReason[reason]++
	}
	for k := range zeekKnownDifferences {
		found := false
		for _, d := range diffs {
			found = found || d == k
		}
		if !found {
			t.Errorf("known difference no longer seen (update the list and docs/integrations.md): %+v", k)
		}
	}
	summary := fmt.Sprintf("Zeek ftp.log baselines: %d rows of Zeek's compared, %d fields, %d equal; %d differences", rows, fields, same, len(diffs))
	var reasons []string
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		summary += fmt.Sprintf("\n  %d: %s", byReason[r], zeekReasons[r])
	}
	t.Log(summary)
}

func setOrNot(v string) string {
	if v == "-" {
		return "unset"
	}
	return "set"
}

// suricataTest is the part of a suricata-verify test.yaml that says what
// EVE must hold.
type suricataTest struct {
	Args   []string `yaml:"args"`
	Checks []struct {
		Filter *struct {
			Count int            `yaml:"count"`
			Match map[string]any `yaml:"match"`
		} `yaml:"filter"`
		Shell any `yaml:"shell"`
	} `yaml:"checks"`
}

// eveValue finds a dotted key ("ftp.dynamic_port", "ftp.command_data.__len")
// in an event.
func eveValue(ev map[string]any, key string) (any, bool) {
	var cur any = ev
	parts := strings.Split(key, ".")
	for i, p := range parts {
		if p == "__len" && i == len(parts)-1 {
			switch v := cur.(type) {
			case string:
				return float64(len(v)), true
			case []any:
				return float64(len(v)), true
			}
			return nil, false
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// eveMatches says whether ev has every key of match with its value (and
// lacks the not-has-key one).
func eveMatches(ev map[string]any, match map[string]any) bool {
	for k, want := range match {
		if k == "not-has-key" {
			if _, ok := eveValue(ev, fmt.Sprint(want)); ok {
				return false
			}
			continue
		}
		got, ok := eveValue(ev, k)
		if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
			return false
		}
	}
	return true
}

// suricataKnownDifferences are the suricata-verify checks ftpscope's EVE
// does not meet, on purpose, by capture and check number, with the
// reason (docs/integrations.md says the same).
var suricataKnownDifferences = map[string]string{
	"suricata-verify-bug-8489-01/1":                "max-tx",
	"suricata-verify-bug-8489-03/1":                "max-tx",
	"suricata-verify-ftp-too-long-command/1":       "line-limit",
	"suricata-verify-ftp-too-long-command-first/1": "line-limit",
}

var suricataReasons = map[string]string{
	"max-tx":     "the test runs Suricata with app-layer.protocols.ftp.max-tx=1, which stops logging transactions of a flow past the limit; ftpscope has no such limit and logs every command",
	"line-limit": "Suricata cuts command lines at 4096 bytes (command_data of 4091 bytes, command_truncated true); ftpscope's limit is 8192, so this 5005-byte RETR line is whole (command_data of 5000 bytes, not truncated)",
}

// TestSuricataBaselines checks ftpscope's -o eve of the suricata-verify
// peer captures against the checks of each test's test.yaml: a check on
// ftp or ftp_data events must hold with its exact count; a check on an
// alert or fileinfo event that names ftp or ftp_data keys must find
// events with those values (ftpscope has no rules, so only the app-layer
// part is compared); checks on other events (stats, anomaly, flow, drop)
// and shell checks have nothing to compare. The summary is logged.
func TestSuricataBaselines(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(baselineDir, "suricata-verify", "*.test.yaml"))
	if len(files) == 0 {
		t.Skipf("no suricata-verify baselines in %s (the shared folder is not beside the repository)", baselineDir)
	}
	held, differ, partial, none := 0, 0, 0, 0
	byReason := map[string]int{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".test.yaml")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var st suricataTest
		if err := yaml.Unmarshal(b, &st); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		r := analysePeer(t, name+".pcap", false)
		var out bytes.Buffer
		if err := report.WriteEVE(&out, r, report.EVEOptions{}); err != nil {
			t.Fatal(err)
		}
		var evs []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l == "" {
				continue
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			evs = append(evs, ev)
		}
		for i, c := range st.Checks {
			id := fmt.Sprintf("%s/%d", name, i+1)
			if c.Filter == nil {
				none++
				continue
			}
			typ := fmt.Sprint(c.Filter.Match["event_type"])
			appLayer := map[string]any{}
			for k, v := range c.Filter.Match {
				if strings.HasPrefix(k, "ftp.") || strings.HasPrefix(k, "ftp_data.") || (k == "not-has-key" && strings.HasPrefix(fmt.Sprint(v), "ftp")) {
					appLayer[k] = v
				}
			}
			var ok bool
			switch {
			case typ == "ftp" || typ == "ftp_data":
				n := 0
				for _, ev := range evs {
					if eveMatches(ev, c.Filter.Match) {
						n++
					}
				}
				ok = n == c.Filter.Count
				if !ok && suricataKnownDifferences[id] == "" {
					t.Errorf("%s: %d events match %v, Suricata's test wants %d", id, n, c.Filter.Match, c.Filter.Count)
				}
			case len(appLayer) > 0:
				// An alert or fileinfo carrying the transaction's keys:
				// the ftp or ftp_data event with them must exist.
				partial++
				found := false
				for _, ev := range evs {
					found = found || eveMatches(ev, appLayer)
				}
				ok = found == (c.Filter.Count > 0)
				if !ok && suricataKnownDifferences[id] == "" {
					t.Errorf("%s: an event with %v found %v, want %v", id, appLayer, found, c.Filter.Count > 0)
				}
			default:
				none++
				continue
			}
			if ok {
				held++
				if suricataKnownDifferences[id] != "" {
					t.Errorf("%s: known difference no longer seen (update the list and docs/integrations.md)", id)
				}
			} else {
				differ++
				byReason[suricataKnownDifferences[id]]++
			}
		}
	}
	summary := fmt.Sprintf("suricata-verify checks: %d compared (%d of them on an alert's or fileinfo's ftp keys), %d hold, %d differ; %d have nothing to compare (stats, anomaly, flow, drop, rules, shell)",
		held+differ, partial, held, differ, none)
	var reasons []string
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		summary += fmt.Sprintf("\n  %d: %s", byReason[r], suricataReasons[r])
	}
	t.Log(summary)
}

// TestIntegrationsDocZeekCut keeps the zeek-cut example of
// docs/integrations.md true: the command it shows, run here with the
// columns cut as zeek-cut cuts them, prints the lines the doc shows.
func TestIntegrationsDocZeekCut(t *testing.T) {
	doc, err := os.ReadFile("../../docs/integrations.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\\$ ftpscope -r (\\S+) -o zeek \\| zeek-cut ([^\\n]+)\\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no zeek-cut example in docs/integrations.md")
	}
	capture, cols, want := string(m[1]), strings.Fields(string(m[2])), string(m[3])
	code, out, _ := ftpscope(t, "-r", filepath.Join("../..", capture), "-o", "zeek", "-q")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	l := readZeekLog(t, []byte(out))
	var got strings.Builder
	for _, row := range l.rows {
		var vals []string
		for _, c := range cols {
			vals = append(vals, row[c])
		}
		got.WriteString(strings.Join(vals, "\t") + "\n")
	}
	if diff := cmp.Diff(want, got.String()); diff != "" {
		t.Errorf("the doc's zeek-cut example (-doc +now):\n%s", diff)
	}
}

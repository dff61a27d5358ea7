package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mattn/go-runewidth"

	"github.com/ftpscope/ftpscope/session"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// render runs one output format on r.
type render func(buf *bytes.Buffer, r *session.Report) error

// formats are the outputs with golden files, by file extension.
var formats = []struct {
	ext string
	fn  render
}{
	{"json", func(b *bytes.Buffer, r *session.Report) error { return WriteJSON(b, r) }},
	{"ndjson", writeNDJSON},
	{"table.txt", func(b *bytes.Buffer, r *session.Report) error { return WriteTable(b, r, Options{}) }},
	{"ladder.txt", func(b *bytes.Buffer, r *session.Report) error { return WriteLadder(b, r, Options{}) }},
}

// writeNDJSON writes r as -o ndjson does.
func writeNDJSON(b *bytes.Buffer, r *session.Report) error { return WriteNDJSON(b, r) }

func TestGolden(t *testing.T) {
	for _, fx := range fixtures() {
		for _, f := range formats {
			t.Run(fx.name+"."+f.ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := f.fn(&b, fx.r()); err != nil {
					t.Fatal(err)
				}
				golden(t, fx.name+"."+f.ext, b.Bytes())
			})
		}
	}
}

// cest is the zone of the local-time goldens: two hours east of UTC, so
// that a time in the wrong base shows.
var cest = time.FixedZone("CEST", 2*3600)

// textFormats are the human formats, by golden file infix.
var textFormats = []struct {
	name string
	fn   func(w *bytes.Buffer, r *session.Report, o Options) error
}{
	{"table", func(b *bytes.Buffer, r *session.Report, o Options) error { return WriteTable(b, r, o) }},
	{"summary", func(b *bytes.Buffer, r *session.Report, o Options) error { return WriteSummary(b, r, o) }},
	{"ladder", func(b *bytes.Buffer, r *session.Report, o Options) error { return WriteLadder(b, r, o) }},
}

// TestGoldenWidths keeps the table, the summary and the ladder at 80, 120
// and 200 columns in local time, for IPv4 and IPv6, one source and two,
// one session and many: the default table of "many" is its summary and
// its problem sessions.
func TestGoldenWidths(t *testing.T) {
	for _, fx := range fixtures() {
		switch fx.name {
		case "passive_ok", "ipv6", "outcomes", "many":
		default:
			continue
		}
		for _, f := range textFormats {
			for _, width := range []int{80, 120, 200} {
				name := fmt.Sprintf("%s.%s.%d.txt", fx.name, f.name, width)
				t.Run(name, func(t *testing.T) {
					o := Options{Width: width, Time: TimeLocal, Location: cest, SummarizeAbove: 50}
					var b bytes.Buffer
					if err := f.fn(&b, fx.r(), o); err != nil {
						t.Fatal(err)
					}
					golden(t, name, b.Bytes())
				})
			}
		}
	}
}

// TestGoldenOptions keeps the table with the transcript of -v, with and
// without --show-passwords, the relative time base, and an explicit
// -o table of many sessions (every session listed).
func TestGoldenOptions(t *testing.T) {
	tests := []struct {
		name string
		r    *session.Report
		o    Options
	}{
		{"transcript", withTranscript(passiveOK(), "***"), Options{Transcript: true}},
		{"passwords", withTranscript(passiveOK(), "s3cret"), Options{Transcript: true, ShowPasswords: true}},
		{"relative", outcomes(), Options{Time: TimeRelative}},
		{"many-all", many(), Options{Width: 120}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTable(&b, tt.r, tt.o); err != nil {
				t.Fatal(err)
			}
			golden(t, "options-"+tt.name+".table.txt", b.Bytes())
		})
	}
}

func TestGoldenColor(t *testing.T) {
	for _, name := range []string{"active_blocked", "outcomes"} {
		var r *session.Report
		for _, fx := range fixtures() {
			if fx.name == name {
				r = fx.r()
			}
		}
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTable(&b, r, Options{Color: true}); err != nil {
				t.Fatal(err)
			}
			if err := WriteLadder(&b, r, Options{Color: true}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b.Bytes(), []byte(ansiRed)) {
				t.Errorf("colour output has no red in it")
			}
			golden(t, name+".color.txt", b.Bytes())
		})
	}
}

// TestNoControlBytes checks that without colour the human formats hold no
// control character but newlines, whatever the capture put in its text.
func TestNoControlBytes(t *testing.T) {
	for _, fx := range fixtures() {
		for _, f := range formats[2:] {
			t.Run(fx.name+"."+f.ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := f.fn(&b, fx.r()); err != nil {
					t.Fatal(err)
				}
				for i, r := range b.String() {
					if r != '\n' && !isPrintable(r) {
						t.Fatalf("non-printable %U at byte %d: %q", r, i, around(b.String(), i))
					}
				}
			})
		}
	}
}

// isPrintable is the property clean guarantees.
func isPrintable(r rune) bool {
	return r == ' ' || (r != 0xfffd && isCleanSlow(string(r)))
}

func around(s string, i int) string {
	return s[max(0, i-20):min(len(s), i+20)]
}

// ansiSeq matches the SGR sequences paint writes.
var ansiSeq = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestWidth checks that no line of the table, the summary or the ladder
// is wider than the width asked for, counted in terminal cells with
// colour sequences left out, whatever the fixture.
func TestWidth(t *testing.T) {
	for _, fx := range fixtures() {
		for _, f := range textFormats {
			for _, width := range []int{0, 60, 80, 100, 120, 132, 200} {
				for _, color := range []bool{false, true} {
					o := Options{Width: width, Color: color, Time: TimeLocal, Location: cest, SummarizeAbove: 50, Transcript: true}
					r := fx.r()
					if fx.name == "passive_ok" {
						r = withTranscript(r, "***")
					}
					var b bytes.Buffer
					if err := f.fn(&b, r, o); err != nil {
						t.Fatal(err)
					}
					limit := o.width()
					sc := bufio.NewScanner(&b)
					sc.Buffer(nil, 1<<20)
					for n := 1; sc.Scan(); n++ {
						line := ansiSeq.ReplaceAllString(sc.Text(), "")
						if w := runewidth.StringWidth(line); w > limit {
							t.Errorf("%s %s width %d colour %v: line %d is %d columns: %q", fx.name, f.name, width, color, n, w, line)
						}
					}
				}
			}
		}
	}
}

// TestLadderRowsAligned checks that every diagram row has its lanes at
// the same columns.
func TestLadderRowsAligned(t *testing.T) {
	for _, fx := range fixtures() {
		var b bytes.Buffer
		if err := WriteLadder(&b, fx.r(), Options{}); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(b.String(), "\n") {
			if !strings.HasSuffix(line, "|") {
				continue
			}
			if w := textWidth(line); w != defaultWidth {
				t.Errorf("%s: row is %d columns, want %d: %q", fx.name, w, defaultWidth, line)
			}
		}
	}
}

// contract lists the keys of every object of CONTRACT.md; optional keys
// outside the contract that may appear are listed apart.
var contract = map[string]struct{ keys, optional []string }{
	"report": {keys: []string{"version", "sources", "sessions", "findings", "stats"}},
	"source": {keys: []string{"name", "link_types", "packets", "bytes", "first_seen", "last_seen", "errors", "dropped"}},
	"session": {keys: []string{"id", "source", "client", "server", "community_id", "start", "end", "user", "tls",
		"verdict", "logged_in", "failed_logins", "detected_by", "mode", "commands", "control_gaps", "data_channels", "findings"}},
	"channel": {keys: []string{"id", "setup_command", "setup_packet", "setup_time", "setup_reply", "mode", "announced",
		"expected_initiator", "observed", "transfer_command", "argument", "transfer_reply", "helper", "findings"}},
	"observed": {keys: []string{"initiator", "responder", "community_id", "syn_packet", "syn_time", "syn_attempts", "state", "established", "handshake_rtt_ms", "bytes_to_client", "bytes_to_server", "closed"}},
	"finding":  {keys: []string{"code", "severity", "summary", "detail", "evidence"}},
	"evidence": {keys: []string{"packet", "time", "what"}},
	"stats":    {keys: []string{"packets", "bytes", "ftp_sessions", "data_channels", "duplicates", "probes", "limits", "elapsed_ms"}},
}

// checkKeys reports the keys of obj missing from or foreign to kind.
func checkKeys(t *testing.T, where, kind string, obj any) map[string]any {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Errorf("%s: %T, want an object", where, obj)
		return nil
	}
	c := contract[kind]
	allowed := map[string]bool{}
	for _, k := range c.keys {
		allowed[k] = true
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing", where, k)
		}
	}
	for _, k := range c.optional {
		allowed[k] = true
	}
	for k := range m {
		if !allowed[k] {
			t.Errorf("%s: key %q is not in the contract", where, k)
		}
	}
	return m
}

// list returns m[key] as a list, failing when it is null or absent.
func list(t *testing.T, where string, m map[string]any, key string) []any {
	t.Helper()
	v, ok := m[key].([]any)
	if !ok {
		t.Errorf("%s.%s = %#v, want a list ([] when empty)", where, key, m[key])
	}
	return v
}

func checkFindings(t *testing.T, where string, m map[string]any) {
	t.Helper()
	for _, f := range list(t, where, m, "findings") {
		fm := checkKeys(t, where+".findings[]", "finding", f)
		for _, e := range list(t, where+".findings[]", fm, "evidence") {
			checkKeys(t, where+".evidence[]", "evidence", e)
		}
	}
}

// checkReport walks a parsed -o json document and checks every object
// against the contract.
func checkReport(t *testing.T, doc any) {
	t.Helper()
	m := checkKeys(t, "report", "report", doc)
	if m == nil {
		return
	}
	if m["version"] != float64(1) {
		t.Errorf("version = %v, want 1", m["version"])
	}
	for _, s := range list(t, "report", m, "sources") {
		sm := checkKeys(t, "source", "source", s)
		list(t, "source", sm, "errors")
		list(t, "source", sm, "link_types")
	}
	for _, s := range list(t, "report", m, "sessions") {
		sm := checkKeys(t, "session", "session", s)
		for _, dc := range list(t, "session", sm, "data_channels") {
			dm := checkKeys(t, "channel", "channel", dc)
			if ob := dm["observed"]; ob != nil {
				checkKeys(t, "observed", "observed", ob)
			}
			checkFindings(t, "channel", dm)
		}
		checkFindings(t, "session", sm)
	}
	checkFindings(t, "report", m)
	checkKeys(t, "stats", "stats", m["stats"])
}

func TestJSONContract(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, fx.r()); err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
			checkReport(t, doc)
		})
	}
}

// TestJSONNulls checks that absent facts are null, not omitted or zero.
func TestJSONNulls(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, nulls()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	src := doc["sources"].([]any)[0].(map[string]any)
	sess := doc["sessions"].([]any)[0].(map[string]any)
	dc := sess["data_channels"].([]any)[0].(map[string]any)
	tests := []struct {
		obj  map[string]any
		keys []string
	}{
		{src, []string{"first_seen", "last_seen"}},
		{sess, []string{"start", "end", "user"}},
		{dc, []string{"setup_time", "setup_reply", "announced", "observed", "transfer_command", "argument", "transfer_reply"}},
	}
	for _, tt := range tests {
		for _, k := range tt.keys {
			t.Run(k, func(t *testing.T) {
				v, ok := tt.obj[k]
				if !ok {
					t.Fatalf("key %q omitted, want null", k)
				}
				if v != nil {
					t.Errorf("%q = %#v, want null", k, v)
				}
			})
		}
	}
	if v, ok := src["dropped"]; !ok || v != nil {
		t.Errorf("dropped = %#v (present %v) for a file source, want null", v, ok)
	}
}

// TestNotModified checks that rendering leaves the report as it was, nil
// lists included.
func TestNotModified(t *testing.T) {
	opts := cmp.Options{
		cmp.Comparer(func(a, b session.Time) bool { return a.Equal(b.Time) }),
		cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}),
		cmpopts.IgnoreUnexported(session.Report{}, session.Session{}, session.Finding{}, session.FXPLink{}),
	}
	for _, fx := range fixtures() {
		r := fx.r()
		for _, f := range formats {
			if err := f.fn(&bytes.Buffer{}, r); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(fx.r(), r, opts); diff != "" {
			t.Errorf("%s: report modified (-before +after):\n%s", fx.name, diff)
		}
	}
}

func TestNDJSONLines(t *testing.T) {
	var b bytes.Buffer
	if err := writeNDJSON(&b, outcomes()); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, `{"type":"`) {
			t.Errorf("line does not start with its type: %.60s", line)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line is not JSON: %v: %.60s", err, line)
		}
		typ, _ := m["type"].(string)
		types = append(types, typ)
		delete(m, "type")
		kind := map[string]string{"source": "source", "session": "session", "finding": "finding", "stats": "stats"}[typ]
		checkKeys(t, typ, kind, m)
	}
	want := []string{"session", "session", "source", "source", "finding", "stats"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("line types (-want +got):\n%s", diff)
	}
}

func TestNilReport(t *testing.T) {
	tests := []struct {
		name string
		fn   func() error
	}{
		{"json", func() error { return WriteJSON(&bytes.Buffer{}, nil) }},
		{"table", func() error { return WriteTable(&bytes.Buffer{}, nil, Options{}) }},
		{"ladder", func() error { return WriteLadder(&bytes.Buffer{}, nil, Options{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(); !errors.Is(err, errNilReport) {
				t.Errorf("err = %v, want %v", err, errNilReport)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteErrors(t *testing.T) {
	r := passiveOK()
	n := NewNDJSON(failWriter{})
	tests := []struct {
		name string
		fn   func() error
	}{
		{"json", func() error { return WriteJSON(failWriter{}, r) }},
		{"table", func() error { return WriteTable(failWriter{}, r, Options{}) }},
		{"ladder", func() error { return WriteLadder(failWriter{}, r, Options{}) }},
		{"ndjson source", func() error { return n.Source(r.Sources[0]) }},
		{"ndjson session", func() error { return n.Session(r.Sessions[0]) }},
		{"ndjson finding", func() error { return n.Finding(session.Finding{}) }},
		{"ndjson stats", func() error { return n.Stats(r.Stats) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(); !errors.Is(err, errWrite) {
				t.Errorf("err = %v, want it to wrap %v", err, errWrite)
			}
		})
	}
}

func BenchmarkWriteJSON(b *testing.B) {
	r := outcomes()
	// A capture's worth: 200 sessions.
	for i := 0; len(r.Sessions) < 200; i++ {
		r.Sessions = append(r.Sessions, r.Sessions[i%2])
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteJSON(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// TestWriteJSONMatchesEncoder: WriteJSON writes the document part by part;
// the bytes must be those of one json.Encoder over the whole (normalised)
// report, so that no field of session.Report is left out.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.r()
			var got, want bytes.Buffer
			if err := WriteJSON(&got, r); err != nil {
				t.Fatal(err)
			}
			doc := normReport(r)
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(&doc); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("-encoder +WriteJSON:\n%s", diff)
			}
		})
	}
}

// TestBriefCapsProblems: past 50 sessions that are not ok, the default
// table lists 50, the failed first, and says how many it left out.
func TestBriefCapsProblems(t *testing.T) {
	r := &session.Report{Version: 1}
	for i := 1; i <= 120; i++ {
		var s *session.Session
		switch {
		case i%2 == 0:
			s = passiveOK().Sessions[0]
		case i%3 == 0:
			s = activeBlocked().Sessions[0]
		default:
			s = outcomes().Sessions[1] // a warning
		}
		s.ID = i
		r.Sessions = append(r.Sessions, s)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, r, Options{SummarizeAbove: 50, Width: 200}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Sessions that are not OK: 50 of 60, the failed first", "60 OK sessions are not listed",
		"10 sessions that are not OK are not listed either", "--only-problems"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	row := func(status string) int {
		return len(regexp.MustCompile(`(?m)^ *[0-9]+  `+status+` `).FindAllString(out, -1))
	}
	if n := row("FAIL"); n != 20 {
		t.Errorf("%d failed sessions listed, want all 20", n)
	}
	if n := row("WARN"); n != 30 {
		t.Errorf("%d sessions with warnings listed, want 30 of the 40", n)
	}
}

// TestLadderSaysWhatWasCut: a session whose events went past the
// analysis's bound says, at the end of its diagram and page, how many
// were not drawn.
func TestLadderSaysWhatWasCut(t *testing.T) {
	r := judged(passiveOK)()
	r.Sessions[0].LadderCut = 7
	var b bytes.Buffer
	if err := WriteLadder(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "7 more events not drawn") {
		t.Errorf("the diagram does not say what was cut:\n%s", b.String())
	}
	b.Reset()
	if err := WriteHTML(&b, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "7 more events not drawn") {
		t.Errorf("the page does not say what was cut")
	}
}

// TestLadderCountsUnpaired: the diagram's header says how many commands
// lost their reply and replies their command.
func TestLadderCountsUnpaired(t *testing.T) {
	r := judged(passiveOK)()
	r.Sessions[0].Unanswered, r.Sessions[0].Unpaired = 2, 1
	var b bytes.Buffer
	if err := WriteLadder(&b, r, Options{Width: 200}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 commands without their replies", "1 reply without its command"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("ladder without %q:\n%s", want, b.String())
		}
	}
}

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/report"
)

// analysedIn is the one line of a table that differs from run to run.
var analysedIn = regexp.MustCompile(`analysed in [0-9.]+\s+(ms|s)`)

// ndElapsed is the elapsed time of an NDJSON stats line.
var ndElapsed = regexp.MustCompile(`"elapsed_ms":[0-9.e+-]+`)

// TestShardMerge: for every capture of testdata, the lab and the peers,
// the merge of its 1, 2, 3 and 4 shards gives the JSON, the NDJSON and
// the table one run gives, byte for byte.
func TestShardMerge(t *testing.T) {
	files := captures(t)
	lab, _ := filepath.Glob(filepath.Join(testdataDir, "lab", "captures", "*.pcap"))
	peers, _ := filepath.Glob(filepath.Join(peerDir, "pcaps", "*.pcap"))
	if len(peers) == 0 {
		t.Logf("no peer captures in %s (the shared folder is not beside the repository): testdata and lab only", peerDir)
	}
	files = append(append(files, lab...), peers...)
	for _, f := range files {
		base := filepath.Base(f)
		args := append([]string{"-q", "-r", f}, extraArgs[base]...)
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			want := map[string]string{}
			for _, format := range []string{"json", "ndjson", "table"} {
				code, out, stderr := ftpscope(t, append(args, "-o", format)...)
				if code != exitOK {
					t.Fatalf("-o %s: exit %d: %s", format, code, stderr)
				}
				want[format] = mask(out)
			}
			dir := t.TempDir()
			for n := 1; n <= 4; n++ {
				var shards []string
				for k := range n {
					code, out, stderr := ftpscope(t, append(args, "--shard", strings.Join([]string{itoa(k), itoa(n)}, "/"))...)
					if code != exitOK {
						t.Fatalf("--shard %d/%d: exit %d: %s", k, n, code, stderr)
					}
					name := filepath.Join(dir, "shard-"+itoa(k)+"-of-"+itoa(n)+".ndjson")
					if err := os.WriteFile(name, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					shards = append(shards, name)
				}
				formats := []string{"json", "ndjson"}
				if n == 3 {
					formats = append(formats, "table")
				}
				for _, format := range formats {
					code, out, stderr := ftpscope(t, append([]string{"merge", "-o", format}, shards...)...)
					if code != exitOK {
						t.Fatalf("merge of %d shards, -o %s: exit %d: %s", n, format, code, stderr)
					}
					if got := mask(out); got != want[format] {
						t.Errorf("merge of %d shards, -o %s, differs from one run:\n%s", n, format, firstDiff(want[format], got))
					}
				}
			}
		})
	}
}

// mask zeroes what differs between runs.
func mask(s string) string {
	s = elapsed.ReplaceAllString(s, `"elapsed_ms": 0`)
	s = ndElapsed.ReplaceAllString(s, `"elapsed_ms":0`)
	return analysedIn.ReplaceAllString(s, "analysed in X")
}

// firstDiff shows where two outputs part, with a line of context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return "(same lines, different endings)"
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestShardErrors: the mistakes a user can make with --shard and merge
// are refused with a message that says what to do.
func TestShardErrors(t *testing.T) {
	capFile := filepath.Join(testdataDir, "passive.pcap")
	other := filepath.Join(testdataDir, "active.pcap")
	dir := t.TempDir()
	shard := func(f, spec string) string {
		t.Helper()
		code, out, stderr := ftpscope(t, "-q", "-r", f, "--shard", spec)
		if code != exitOK {
			t.Fatalf("--shard %s: exit %d: %s", spec, code, stderr)
		}
		name := filepath.Join(dir, filepath.Base(f)+strings.ReplaceAll(spec, "/", "of")+".ndjson")
		if err := os.WriteFile(name, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	s0, s1 := shard(capFile, "0/2"), shard(capFile, "1/2")
	o1 := shard(other, "1/2")
	plain := filepath.Join(dir, "plain.ndjson")
	_, out, _ := ftpscope(t, "-q", "-r", capFile, "-o", "ndjson")
	if err := os.WriteFile(plain, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.ndjson")
	if err := os.WriteFile(huge, []byte(`{"type":"shard","index":0,"of":2000000000,"begun":[],"claimed":[]}`+"\n"+`{"type":"stats","packets":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-r", capFile, "--shard", "2/2"}, "K counts from 0, so it is 0 to 1"},
		{[]string{"-r", capFile, "--shard", "1"}, "--shard takes K/N"},
		{[]string{"-r", capFile, "--shard", "0/2", "-o", "json"}, "give the format to the merge"},
		{[]string{"-r", capFile, "-r", other, "--shard", "0/2"}, "one capture file"},
		{[]string{"-r", capFile, "--shard", "0/2", "--only-problems"}, "give --only-problems or --session to 'ftpscope merge'"},
		{[]string{"merge", s0}, "missing shard 1/2"},
		{[]string{"merge", s0, s0}, "given twice"},
		{[]string{"merge", s0, o1}, "read different inputs"},
		{[]string{"merge", s0, plain}, "not the output of ftpscope --shard K/N"},
		{[]string{"merge", "-o", "ladder", s0, s1}, "unknown format"},
		{[]string{"merge", "-r", capFile, s0, s1}, "the shards were analysed already"},
		{[]string{"merge"}, "no shards"},
		{[]string{"merge", huge}, "not a number of shards"},
	}
	for _, tt := range tests {
		code, _, stderr := ftpscope(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("ftpscope %s: exit %d, %q; want exit %d and %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
	if code, _, stderr := ftpscope(t, "merge", "-o", "summary", s1, s0); code != exitOK {
		t.Errorf("merge in any order: exit %d: %s", code, stderr)
	}
}

// FuzzMerge: no shard file makes the merge panic, whatever it holds.
func FuzzMerge(f *testing.F) {
	for _, name := range []string{"passive.pcap", "fxp-transfer.pcap", "login-brute-force.pcap"} {
		_, out, _ := ftpscope(f, "-q", "-r", filepath.Join(testdataDir, name), "--shard", "0/1")
		f.Add([]byte(out))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sh, err := report.ReadShard(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		r, err := joinShards([]*report.Shard{sh}, []string{"fuzz"})
		if err != nil {
			return
		}
		for _, format := range mergeFormats {
			o := options{format: format, timeBase: "utc"}
			if _, err := writeMerged(o, r, env{stdout: io.Discard, stderr: io.Discard}); err != nil {
				t.Fatalf("-o %s: %v", format, err)
			}
		}
	})
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGoldenHTML keeps the HTML pages of an active, a passive, a blocked
// and an IPv6 session, and of a capture full of markup, as -o html writes
// them (the README shows their screenshots, made by the browser tests of
// package report).
func TestGoldenHTML(t *testing.T) {
	for _, name := range []string{"active", "passive", "active-blocked", "epsv-eprt-ipv6", "markup-injection"} {
		t.Run(name, func(t *testing.T) {
			code, out, _ := ftpscope(t, "-r", filepath.Join(testdataDir, name+".pcap"), "-o", "html", "-q")
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			out = strings.ReplaceAll(out, testdataDir+"/", "")
			golden := filepath.Join(testdataDir, name+".html")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/ftpscope -update)", err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("page differs from %s (-want +got):\n%s", golden, diff)
			}
			// The diagram needs the control lines: -o html records them
			// as -o ladder does.
			if !strings.Contains(out, `data-kind="control"`) {
				t.Errorf("the page draws no control line")
			}
		})
	}
}

// TestOutputFile checks that --output (-O) puts exactly what standard
// output would get into the file, for every format, and leaves standard
// output empty.
func TestOutputFile(t *testing.T) {
	capture := filepath.Join(testdataDir, "active-blocked.pcap")
	dir := t.TempDir()
	for _, format := range []string{"table", "json", "ndjson", "ladder", "html"} {
		for _, flag := range []string{"--output", "-O"} {
			t.Run(format+flag, func(t *testing.T) {
				path := filepath.Join(dir, format+flag)
				code, stdout, stderr := ftpscope(t, "-r", capture, "-o", format, "-q", flag, path)
				if code != exitOK || stdout != "" {
					t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				_, want, _ := ftpscope(t, "-r", capture, "-o", format, "-q")
				if diff := cmp.Diff(machineFree(want), machineFree(string(got))); diff != "" {
					t.Errorf("the file differs from standard output (-stdout +file):\n%s", diff)
				}
			})
		}
	}
	t.Run("fail-on still counts", func(t *testing.T) {
		code, _, _ := ftpscope(t, "-r", capture, "-q", "-O", filepath.Join(dir, "x"), "--fail-on", "error")
		if code != exitFailOn {
			t.Errorf("exit %d, want %d", code, exitFailOn)
		}
	})
	t.Run("cannot create", func(t *testing.T) {
		code, _, stderr := ftpscope(t, "-r", capture, "-q", "-O", filepath.Join(dir, "no", "such", "dir", "x"))
		if code != exitUsage || !strings.Contains(stderr, "--output") {
			t.Errorf("exit %d, stderr %q; want exit %d naming --output", code, stderr, exitUsage)
		}
	})
}

// runTime is the wall-clock time of an analysis in every format.
var runTime = regexp.MustCompile(`"elapsed_ms": ?[0-9.e+-]+|analysed in [0-9.]+ ms`)

// machineFree blanks the analysis time out of a report.
func machineFree(s string) string { return runTime.ReplaceAllString(s, "TIME") }

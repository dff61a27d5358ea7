package main

// Tests of -w: the packets written, the comments on them, and that the
// file says what the input said.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/pcapgo"
)

// numberComment is the first comment of every packet -w writes.
var numberComment = regexp.MustCompile(`^ftpscope: (.+) #([0-9]+)$`)

// frameOf maps a packet of the input (its source's name and its number
// there) to its frame number in a file -w wrote.
type frameOf map[string]map[int]int

// writtenFrames reads the comments of a file -w wrote, with pcapgo, and
// returns where each input packet went.
func writtenFrames(t *testing.T, path string) frameOf {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	m := frameOf{}
	for frame := 1; ; frame++ {
		_, _, opts, err := r.ReadPacketDataWithOptions()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(opts.Comments) == 0 {
			t.Fatalf("%s: frame %d has no comment", path, frame)
		}
		c := numberComment.FindStringSubmatch(opts.Comments[0])
		if c == nil {
			t.Fatalf("%s: frame %d: first comment %q", path, frame, opts.Comments[0])
		}
		n, _ := strconv.Atoi(c[2])
		if m[c[1]] == nil {
			m[c[1]] = map[int]int{}
		}
		m[c[1]][n] = frame
	}
}

// wFinding is a finding of the JSON report, with where it is.
type wFinding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Evidence []struct {
		Packet int    `json:"packet"`
		What   string `json:"what"`
	} `json:"evidence"`
}

type wReport struct {
	Sessions []struct {
		ID           int        `json:"id"`
		Source       string     `json:"source"`
		Findings     []wFinding `json:"findings"`
		DataChannels []struct {
			ID       int        `json:"id"`
			Findings []wFinding `json:"findings"`
		} `json:"data_channels"`
	} `json:"sessions"`
	Findings []wFinding `json:"findings"`
}

// TestWriteTshark runs -w on captures with findings and reads the file
// back with tshark, as a Wireshark user would see it: every packet says
// its source and number there, and every packet a finding cites says the
// finding, its severity, code, the evidence and the summary.
func TestWriteTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skipf("skipping: tshark is not installed (apt-get install tshark): %v", err)
	}
	for _, names := range [][]string{
		{"active-blocked.pcap"},
		{"passive-private-nat.pcap"},
		{"active-blocked.pcap", "passive-private-nat.pcap"},
	} {
		t.Run(strings.Join(names, "+"), func(t *testing.T) {
			t.Chdir(testdataDir) // the sources' names as a user gives them
			out := filepath.Join(t.TempDir(), "out.pcapng")
			args := []string{"-o", "json", "-w", out}
			for _, n := range names {
				args = append(args, "-r", n)
			}
			code, stdout, stderr := ftpscope(t, args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			var rep wReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}

			cmd := exec.Command(tshark, "-r", out, "-Y", "frame.comment", "-T", "fields",
				"-e", "frame.number", "-e", "frame.comment", "-E", "aggregator=\x1f")
			var tsErr strings.Builder
			cmd.Stderr = &tsErr
			tsOut, err := cmd.Output()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, tsErr.String())
			}
			comments := map[string]map[int][]string{} // by source and number
			frames := 0
			for line := range strings.Lines(strings.TrimSuffix(string(tsOut), "\n")) {
				frames++
				num, list, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
				cs := strings.Split(list, "\x1f")
				m := numberComment.FindStringSubmatch(cs[0])
				if m == nil || !slices.Contains(names, m[1]) {
					t.Errorf("frame %s: first comment %q does not name an input and a packet", num, cs[0])
					continue
				}
				n, _ := strconv.Atoi(m[2])
				if comments[m[1]] == nil {
					comments[m[1]] = map[int][]string{}
				}
				comments[m[1]][n] = cs[1:]
			}
			if frames == 0 {
				t.Fatal("tshark shows no packet with a comment")
			}
			cited := 0
			check := func(source, where string, fs []wFinding) {
				for _, f := range fs {
					for _, ev := range f.Evidence {
						want := fmt.Sprintf("ftpscope: [%s] %s (%s): %s — %s", f.Severity, f.Code, where, ev.What, f.Summary)
						got, ok := comments[source][ev.Packet]
						if !ok {
							t.Errorf("%s: packet %d, cited by %s, is not in the file", source, ev.Packet, f.Code)
							continue
						}
						cited++
						if !slices.Contains(got, want) {
							t.Errorf("%s: packet %d lacks the comment\n%s\nit has\n%s", source, ev.Packet, want, strings.Join(got, "\n"))
						}
					}
				}
			}
			for _, s := range rep.Sessions {
				check(s.Source, fmt.Sprintf("session %d", s.ID), s.Findings)
				for _, d := range s.DataChannels {
					check(s.Source, fmt.Sprintf("data channel %d/%d", s.ID, d.ID), d.Findings)
				}
			}
			// A finding of no session (passive-port-range) says no
			// where; its packet is in one of the inputs.
			for _, f := range rep.Findings {
				for _, ev := range f.Evidence {
					want := fmt.Sprintf("ftpscope: [%s] %s: %s — %s", f.Severity, f.Code, ev.What, f.Summary)
					found := false
					for _, name := range names {
						found = found || slices.Contains(comments[name][ev.Packet], want)
					}
					if !found {
						t.Errorf("no packet %d of the inputs has the comment\n%s", ev.Packet, want)
					}
					cited++
				}
			}
			if cited == 0 {
				t.Errorf("no packet cited: not the captures this test expects")
			}
		})
	}
}

// unkept lists the captures whose written file does not say all the input
// said, because the analysis does not keep every packet that matters.
var unkept = map[string]string{
	"content-detected.pcap":        "a control connection recognised by its content: its packets before the recognition are not kept",
	"control-encrypted.pcap":       "data-connection-unannounced cites a connection whose packets are not kept",
	"control-gap.pcap":             "data-connection-unannounced cites a connection whose packets are not kept",
	"data-unannounced.pcap":        "data-connection-unannounced cites a connection whose packets are not kept",
	"helper-nonstandard-port.pcap": "a control connection recognised by its content: its packets before the recognition are not kept",
	"helper-tls.pcap":              "data-connection-unannounced and helper-would-miss cite a connection whose packets are not kept",
	"reply-resync.pcap":            "data-connection-unannounced cites a connection whose packets are not kept",
}

// TestWriteReadBack: the file -w writes, analysed in its turn, gives the
// report of the input: the same sessions, data channels and findings,
// with the packet numbers of the written file (which its comments map)
// instead of the input's. Only the counts of packets, bytes and
// duplicates may differ, being about the input as a whole.
func TestWriteReadBack(t *testing.T) {
	for _, path := range captures(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			if why, ok := unkept[name]; ok {
				t.Skipf("skipping: %s", why)
			}
			out := filepath.Join(t.TempDir(), "out.pcapng")
			args := append([]string{"-o", "json", "-r", path, "-w", out}, extraArgs[name]...)
			code, in, stderr := ftpscope(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			code, back, stderr := ftpscope(t, append([]string{"-o", "json", "-r", out}, extraArgs[name]...)...)
			if code != exitOK {
				t.Fatalf("reading back: exit %d: %s", code, stderr)
			}
			frames := writtenFrames(t, out)
			want := readBackView(t, in, func(source string, n int) any {
				if source == "" { // a global finding: the only source
					source = path
				}
				if f, ok := frames[source][n]; ok {
					return f
				}
				return fmt.Sprintf("packet %d of %s, not written", n, source)
			})
			got := readBackView(t, back, func(_ string, n int) any { return n })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the written file's report (+) differs from the input's (-), packets renumbered:\n%s", diff)
			}
		})
	}
}

// readBackView is a JSON report without what depends on the input as a
// whole (sources, packet and byte counts, duplicates, elapsed time), with
// every packet number passed through renumber and every source name
// made "S".
func readBackView(t *testing.T, report string, renumber func(source string, n int) any) any {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatal(err)
	}
	delete(r, "sources")
	if st, ok := r["stats"].(map[string]any); ok {
		for _, k := range []string{"packets", "bytes", "duplicates", "elapsed_ms"} {
			delete(st, k)
		}
	}
	var walk func(v any, source string) any
	walk = func(v any, source string) any {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["source"].(string); ok {
				source = s
				v["source"] = "S"
			}
			for k, x := range v {
				if n, ok := x.(float64); ok && n > 0 && (k == "packet" || strings.HasSuffix(k, "_packet")) {
					v[k] = renumber(source, int(n))
					continue
				}
				v[k] = walk(x, source)
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x, source)
			}
		}
		return v
	}
	return walk(r, "")
}

package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/internal/synth"
	"github.com/ftpscope/ftpscope/session"
)

// written is one packet of a file -w wrote.
type written struct {
	frame    int // its frame number in the written file
	data     []byte
	ts       time.Time
	comments []string
}

// inputPacket is one packet of the input, by source and number.
type inputPacket struct {
	source, number int
}

// runWrite runs the analysis of files with -w into memory and returns the
// report and the packets written.
func runWrite(t *testing.T, files ...string) (*session.Report, []written) {
	t.Helper()
	src, err := capture.OpenFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var b bytes.Buffer
	w, err := capture.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.SetSources(src.Infos())
	res, err := Run(context.Background(), src, Options{Write: w, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(&b, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []written
	for {
		data, ci, opts, err := r.ReadPacketDataWithOptions()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, written{frame: len(out) + 1, data: data, ts: ci.Timestamp, comments: opts.Comments})
	}
	return res.Report, out
}

// readInputs returns every packet of files by source and number.
func readInputs(t *testing.T, files ...string) map[inputPacket]written {
	t.Helper()
	src, err := capture.OpenFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := make(map[inputPacket]written)
	for {
		p, err := src.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		m[inputPacket{p.Source, p.Number}] = written{data: append([]byte(nil), p.Data...), ts: p.Info.Timestamp}
	}
}

var numberComment = regexp.MustCompile(`^ftpscope: (.+) #([0-9]+)$`)

// checkNumbers checks that the first comment of every written packet
// names its source and number there, and that it is that packet, and
// returns where each input packet went.
func checkNumbers(t *testing.T, files []string, out []written) map[inputPacket]written {
	t.Helper()
	in := readInputs(t, files...)
	index := make(map[string]int)
	for i, f := range files {
		index[f] = i
	}
	where := make(map[inputPacket]written)
	last := make(map[int]int)
	for _, w := range out {
		if len(w.comments) == 0 {
			t.Errorf("frame %d has no comment", w.frame)
			continue
		}
		m := numberComment.FindStringSubmatch(w.comments[0])
		if m == nil {
			t.Errorf("frame %d: first comment %q does not say the source and number", w.frame, w.comments[0])
			continue
		}
		src, ok := index[m[1]]
		n, _ := strconv.Atoi(m[2])
		key := inputPacket{src, n}
		orig, found := in[key]
		switch {
		case !ok:
			t.Errorf("frame %d: comment names source %q, not an input", w.frame, m[1])
		case !found:
			t.Errorf("frame %d: comment names packet %d of %s, which it does not have", w.frame, n, m[1])
		case !bytes.Equal(orig.data, w.data) || !orig.ts.Equal(w.ts):
			t.Errorf("frame %d is not packet %d of %s", w.frame, n, m[1])
		case n <= last[src]:
			t.Errorf("frame %d: packet %d of %s after packet %d", w.frame, n, m[1], last[src])
		}
		last[src] = n
		where[key] = w
	}
	return where
}

// citation is one finding citing one packet, as the report says.
type citation struct {
	where   string // what the comment says in brackets
	source  string // the citing session's source, "" for a global finding
	f       session.Finding
	ev      session.Evidence
	comment string // what the packet's comment must contain
}

func citations(r *session.Report) []citation {
	var out []citation
	add := func(where, source string, fs []session.Finding) {
		for _, f := range fs {
			for _, ev := range f.Evidence {
				if ev.Packet <= 0 {
					continue
				}
				c := fmt.Sprintf("ftpscope: [%s] %s", f.Severity, f.Code)
				if where != "" {
					c += " (" + where + ")"
				}
				c += ": "
				out = append(out, citation{where, source, f, ev, c})
			}
		}
	}
	for _, s := range r.Sessions {
		add(fmt.Sprintf("session %d", s.ID), s.Source, s.Findings)
		for _, d := range s.DataChannels {
			add(fmt.Sprintf("data channel %d/%d", s.ID, d.ID), s.Source, d.Findings)
		}
	}
	add("", "", r.Findings)
	return out
}

// checkCitations checks that every packet a finding cites, when it is in
// the written file, carries a comment for that finding with the
// evidence's "what" and the summary, and returns the citations of packets
// the file does not hold.
func checkCitations(t *testing.T, files []string, r *session.Report, where map[inputPacket]written) []citation {
	t.Helper()
	var missing []citation
	for _, c := range citations(r) {
		// The session's source first; then any source that has the
		// packet at that time (address-rewritten cites the other
		// capture point's packet; global findings name no source).
		var w written
		found := false
		for i, f := range files {
			got, ok := where[inputPacket{i, c.ev.Packet}]
			if ok && got.ts.Equal(c.ev.Time.Time) && (!found || f == c.source) {
				w, found = got, true
			}
		}
		if !found {
			missing = append(missing, c)
			continue
		}
		ok := false
		for _, cm := range w.comments[1:] {
			if strings.HasPrefix(cm, c.comment) && strings.Contains(cm, clean(c.ev.What, maxWhat)) &&
				strings.Contains(cm, clean(c.f.Summary, maxSummary)) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("frame %d (packet %d, %s) lacks the comment %q… for %q; it has:\n%s",
				w.frame, c.ev.Packet, c.ev.What, c.comment, c.f.Summary, strings.Join(w.comments, "\n"))
		}
	}
	return missing
}

// TestWriteComments: every packet written carries its source and number,
// and every packet a finding cites carries the finding, for one source,
// for two capture points of one session (whose findings cite each
// other's packets) and for a finding of no session.
func TestWriteComments(t *testing.T) {
	lab := "../testdata/lab/captures/"
	for _, files := range [][]string{
		{"../testdata/active-blocked.pcap"},
		{"../testdata/passive-private-nat.pcap"},
		{"../testdata/control-blocked.pcap"},
		{"../testdata/login-brute-force.pcap"},
		{"../testdata/active-blocked.pcap", "../testdata/passive-private-nat.pcap"},
		{lab + "snat-port-helper-client.pcap", lab + "snat-port-helper-server.pcap"},
	} {
		t.Run(strings.Join(files, "+"), func(t *testing.T) {
			r, out := runWrite(t, files...)
			if len(out) == 0 {
				t.Fatal("nothing written")
			}
			where := checkNumbers(t, files, out)
			if len(citations(r)) == 0 {
				t.Fatal("the report cites no packet")
			}
			for _, c := range checkCitations(t, files, r, where) {
				t.Errorf("%s cites packet %d (%s), which was not written", c.f.Code, c.ev.Packet, c.ev.What)
			}
		})
	}
}

// TestWriteCommentsEveryCapture runs -w on every capture of testdata:
// every packet a finding cites that is in the file carries the finding.
// Packets the analysis does not keep are not written; their citations
// are listed in the log.
func TestWriteCommentsEveryCapture(t *testing.T) {
	var files []string
	for _, pat := range []string{"../testdata/*.pcap", "../testdata/*.pcapng", "../testdata/*.pcap.gz", "../testdata/lab/captures/*.pcap"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("found only %d captures", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, out := runWrite(t, f)
			where := checkNumbers(t, []string{f}, out)
			for _, c := range checkCitations(t, []string{f}, r, where) {
				t.Logf("not in the file: packet %d, cited by %s (%s)", c.ev.Packet, c.f.Code, c.ev.What)
			}
		})
	}
}

func TestClean(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain → text", 100, "plain → text"},
		{"line\r\nbreak\ttab\x1b[31m", 100, "line  break tab [31m"},
		{"C1 \u0085 and \u2028 separators", 100, "C1   and   separators"},
		{"bad \xff utf-8", 100, "bad \uFFFD utf-8"},
		{"0123456789", 10, "0123456789"},
		{"01234567890", 10, "0123456…"},
		{"ééééé", 8, "éé…"}, // cut on a character boundary
	} {
		if got := clean(tt.in, tt.max); got != tt.want {
			t.Errorf("clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// TestNotesBound: one packet shows at most maxPacketFindings findings,
// errors first, and says how many more cite it.
func TestNotesBound(t *testing.T) {
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := newNotes([]string{"x.pcap"})
	var fs []session.Finding
	for i := range maxPacketFindings + 3 {
		sev := session.SeverityInfo
		if i == maxPacketFindings+2 {
			sev = session.SeverityError
		}
		fs = append(fs, session.Finding{Code: session.Code(fmt.Sprint("code-", i)), Severity: sev, Summary: "summary",
			Evidence: []session.Evidence{{Packet: 5, Time: session.Time{Time: ts}, What: "a"}, {Packet: 5, Time: session.Time{Time: ts}, What: "b"}}})
	}
	n.global(fs)
	got := n.comments(capture.Packet{Number: 5, Info: gopacket.CaptureInfo{Timestamp: ts}})
	want := []string{"ftpscope: x.pcap #5", fmt.Sprintf("ftpscope: [error] code-%d: a; b — summary", maxPacketFindings+2)}
	for i := range maxPacketFindings - 1 {
		want = append(want, fmt.Sprintf("ftpscope: [info] code-%d: a; b — summary", i))
	}
	want = append(want, "ftpscope: 3 more findings cite this packet (see the report)")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	// Another time: another packet with the same number.
	if got := n.comments(capture.Packet{Number: 5, Info: gopacket.CaptureInfo{Timestamp: ts.Add(1)}}); len(got) != 1 {
		t.Errorf("a packet at another time got %q", got)
	}
}

// ipv4Fragment returns a raw IPv4 packet: a fragment of datagram id
// unless mf is false and offset 0.
func ipv4Fragment(id uint16, proto byte, mf bool, offset uint16, src, dst netip.Addr) []byte {
	b := make([]byte, 28)
	b[0] = 0x45
	b[2], b[3] = 0, 28
	b[4], b[5] = byte(id>>8), byte(id)
	fo := offset / 8
	if mf {
		fo |= 0x2000
	}
	b[6], b[7] = byte(fo>>8), byte(fo)
	b[8], b[9] = 64, proto
	copy(b[12:], src.AsSlice())
	copy(b[16:], dst.AsSlice())
	return b
}

// TestWriteQueue: unkept fragments of TCP wait, with what follows them,
// until their datagram is kept (then they are written in their place) or
// they are given up; other packets go straight to the spool.
func TestWriteQueue(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pkt := func(n int, sec float64, data []byte) capture.Packet {
		ts := t0.Add(time.Duration(sec * float64(time.Second)))
		return capture.Packet{Data: data, Number: n, LinkType: layers.LinkTypeRaw,
			Info: gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}}
	}
	whole := ipv4Fragment(9, 6, false, 0, a, b)
	steps := []struct {
		p    capture.Packet
		keep bool
	}{
		{pkt(1, 0, whole), true},                                  // written at once
		{pkt(2, 1, ipv4Fragment(7, 6, true, 0, a, b)), false},     // waits: datagram 7
		{pkt(3, 2, ipv4Fragment(8, 17, true, 0, a, b)), false},    // UDP: not held
		{pkt(4, 3, whole), true},                                  // waits behind 2
		{pkt(5, 4, ipv4Fragment(6, 6, true, 0, a, b)), false},     // waits: datagram 6, never kept
		{pkt(6, 5, ipv4Fragment(7, 6, false, 1480, a, b)), true},  // completes 7: 2 and 4 go, 5 waits
		{pkt(7, 6, whole), true},                                  // behind 5
		{pkt(8, 6+61, ipv4Fragment(5, 1, true, 0, b, a)), false},  // ICMP: held; 5 given up, 6 and 7 go
		{pkt(9, 6+62, ipv4Fragment(5, 1, false, 8, b, a)), false}, // not kept either
	}
	s, err := capture.NewSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := &writeQueue{spool: s}
	var spooled []int
	for i, st := range steps {
		if err := q.add(st.p, st.keep); err != nil {
			t.Fatal(err)
		}
		if i == 6 {
			spooled = append(spooled, s.Len())
		}
	}
	if err := q.end(); err != nil {
		t.Fatal(err)
	}
	spooled = append(spooled, s.Len())
	var got []int
	if err := s.Replay(func(p capture.Packet) error { got = append(got, p.Number); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 2, 4, 6, 7}, got); diff != "" {
		t.Errorf("packets written (-want +got):\n%s", diff)
	}
	// After packet 7 only 1, 2 and 4 are in the spool: 5 holds the rest
	// back.
	if diff := cmp.Diff([]int{3, 5}, spooled); diff != "" {
		t.Errorf("spooled after packet 7 and at the end (-want +got):\n%s", diff)
	}
	if q.waiting != 0 || q.bytes != 0 || len(q.held) != 0 {
		t.Errorf("queue not empty at the end: %d waiting, %d bytes, %d held", q.waiting, q.bytes, len(q.held))
	}
}

// BenchmarkRunWrite is the cost of -w per packet: the same analysis
// without -w, and with -w into a discarding writer (the spool on disk,
// then the final write with comments). Compare ns/packet and
// allocs/packet.
func BenchmarkRunWrite(b *testing.B) {
	// 1,000 sessions of the capture bench/run.sh measures: half the
	// packets are FTP, the rest noise -w leaves out.
	var capFile bytes.Buffer
	if _, err := synth.BigCapture(&capFile, 1000, 1); err != nil {
		b.Fatal(err)
	}
	data := capFile.Bytes()
	for _, withWrite := range []bool{false, true} {
		name := "without"
		if withWrite {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			packets, written, runs := 0, 0, 0
			for b.Loop() {
				src, err := capture.OpenFilesFrom([]string{"-"}, bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				o := Options{}
				if withWrite {
					if o.Write, err = capture.NewWriter(io.Discard); err != nil {
						b.Fatal(err)
					}
					o.SpoolDir = dir
				}
				res, err := Run(context.Background(), src, o)
				if err != nil {
					b.Fatal(err)
				}
				if withWrite {
					written += o.Write.Packets()
				}
				packets += res.Report.Stats.Packets
				runs++
				src.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/packet")
			b.ReportMetric(float64(packets)/float64(runs), "packets/op")
			if withWrite {
				b.ReportMetric(float64(written)/float64(runs), "written/op")
			}
		})
	}
}

// BenchmarkWritePath is the cost of -w for one packet alone, without the
// analysis: into the queue and the spool, read back, its comment made and
// written as pcapng.
func BenchmarkWritePath(b *testing.B) {
	var capFile bytes.Buffer
	if _, err := synth.BigCapture(&capFile, 200, 1); err != nil {
		b.Fatal(err)
	}
	src, err := capture.OpenFilesFrom([]string{"-"}, &capFile)
	if err != nil {
		b.Fatal(err)
	}
	var packets []capture.Packet
	for {
		p, err := src.Next()
		if err != nil {
			break
		}
		p.Data = append([]byte(nil), p.Data...)
		packets = append(packets, p)
	}
	dir := b.TempDir()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s, err := capture.NewSpool(dir)
		if err != nil {
			b.Fatal(err)
		}
		q := &writeQueue{spool: s}
		for _, p := range packets {
			if err := q.add(p, true); err != nil {
				b.Fatal(err)
			}
		}
		w, err := capture.NewWriter(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if err := writeSpooled(q, newNotes([]string{"-"}), &session.Report{}, w); err != nil {
			b.Fatal(err)
		}
		s.Close()
		n += len(packets)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/packet")
}

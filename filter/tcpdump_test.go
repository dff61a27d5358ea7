package filter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"
)

// diffExprs are the expressions compared with tcpdump, packet by packet.
var diffExprs = []string{
	"host 10.0.0.1",
	"src host 10.0.0.1",
	"dst host 10.0.0.2",
	"host 10.0.0.1 or 10.0.0.2",
	"host 10.0.0.1 and host 10.0.0.2",
	"src 10.0.0.1 and dst 10.0.0.2",
	"src and dst host 10.0.0.1",
	"host 2001:db8::1",
	"src host 2001:db8::1 or dst host 2001:db8::2",
	"host 2001:db8::1 or 10.0.0.1",
	"host ::ffff:10.0.0.1",
	"host 10.1",
	"host 10",
	"dst 22",
	"net 10.0.0.0/8",
	"net 10.0.0.0 mask 255.0.0.0",
	"net 10.0.0.0 mask 255.0",
	"net 192.168.1",
	"net 10",
	"src net 10.0.0.0/24",
	"dst net 172.16.0.0/12",
	"src net 10.0.0.0/24 or 10.1",
	"net 2001:db8::/32",
	"net 2001:db8:1::/48",
	"ip6 net 2001:db8::/64",
	"net ::/0",
	"ip host 10.0.0.1",
	"arp host 10.0.0.1",
	"rarp net 10.0.0.0/8",
	"port 21",
	"port 20 or port 21",
	"port 21 or 20",
	"port 21 || 20",
	"port 21 or (20 or 2121)",
	"port 21 or (20)",
	"port 21 and not 22",
	"port 21 and (not 22 or 23)",
	"not port 21 or 22",
	"port 021",
	"port 0x15",
	"tcp port 21",
	"udp port 53",
	"sctp port 21",
	"src port 21",
	"dst port 21",
	"src and dst port 21",
	"tcp src port 21 or 22",
	"port ftp",
	"port ftp-data or port ftps",
	"portrange 20-21",
	"portrange 2121-20",
	"portrange 50000-65535",
	"tcp portrange 1024-65535",
	"udp src portrange 20-53",
	"tcp",
	"udp",
	"sctp",
	"icmp",
	"icmp6",
	"ip",
	"ip6",
	"arp",
	"rarp",
	"not tcp",
	"!ip6",
	"tcp and not port 22",
	"host 10.0.0.1 and (port 21 or port 20)",
	"(host 10.0.0.1 or host 10.0.0.2) and tcp port 21",
	"host 1.2.3.4 or (port 21 and 22)",
	"port 21 or (host 10.0.0.1) or 2121",
	"ip and port 21",
	"ip6 and port 21",
	"ip6 and tcp",
	"tcp or udp and port 53",
	"not (tcp or udp)",
	"vlan",
	"vlan 100",
	"vlan 200",
	"vlan 100 and port 21",
	"vlan and host 10.0.0.1",
	"vlan 100 and vlan 200",
	"vlan and vlan and ip6",
	"vlan or port 21",
	"port 21 or vlan",
	"not vlan",
	"(vlan 100 and tcp) or port 21",
	"host 10.0.0.1 and not port 22 and not icmp",
	"tcp port 21 and host 10.0.0.1 or udp port 53 and net 2001:db8::/32",
	"ip and ip6",
	"host 10.0.0.1 or port 21 or host 10.0.0.2",
	"port 21 or src port 20",
	"src port 21 or port 20",
	"port 21 or portrange 20-30",
	"host 2001:db8::1 or 2001:db8::2",
	"host 2001:db8::1 or host 10.0.0.1 or 2001:db8::2",
	"net 10.0.0.0/8 or 192.168.1.0/24",
	"net 10.0.0.0/8 or 10.1.2.3",
	"port 21 and port 50000",
	"host 10.0.0.1 and host 10.0.0.2 and port 21",
	"(port 21 or port 20) and (host 10.0.0.1 or host 10.0.0.2)",
	"not (port 21 or port 20)",
	"tcp port 21 or tcp port 20 or udp port 53 or udp port 20",
	"vlan 100 and (port 21 or port 20)",
	"port 21 or (vlan and port 20)",
}

// truncationOnlyExprs are expressions where tcpdump's optimiser skips
// loads that this package's program makes: in "port 21 or tcp or port 20"
// a TCP packet is accepted as soon as its protocol is known, without
// loading its ports. The verdicts can then differ only on packets cut
// before the ports; TestTruncationOnlyDifferences holds that.
var truncationOnlyExprs = []string{
	"port 21 or tcp or port 20",
	"port 21 or ip",
	"tcp port 21 or tcp",
}

// peerExprs are the expressions compared on the shared real captures:
// every third of diffExprs and the FTP-minded ones, fewer with -short.
func peerExprs(short bool) []string {
	var out []string
	for i, e := range diffExprs {
		if i%3 == 0 || strings.Contains(e, "ftp") || strings.HasPrefix(e, "port 2") {
			out = append(out, e)
		}
	}
	if short {
		out = out[:10]
	}
	return out
}

// tcpdumpBin returns tcpdump's path, or skips the test.
func tcpdumpBin(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed; apt-get install tcpdump to compare with it")
	}
	return bin
}

// errRejectsAll is tcpdump refusing an expression that matches nothing.
var errRejectsAll = errors.New("expression rejects all packets")

// tcpdumpProgram returns tcpdump's program for expr and link type dlt
// (tcpdump's -y name), from its -ddd output. For the BSD loopback link
// types it compiles for an empty capture file of that type, since libpcap
// compiles them differently for files (see linkState.linktype).
func tcpdumpProgram(bin, dlt, expr string) ([]bpf.RawInstruction, error) {
	var stdout, stderr bytes.Buffer
	args := []string{"-ddd", "-y", dlt, expr}
	if lt := map[string]layers.LinkType{"NULL": layers.LinkTypeNull, "LOOP": layers.LinkTypeLoop}[dlt]; lt != 0 || dlt == "NULL" {
		path, err := emptyCapture(lt)
		if err != nil {
			return nil, err
		}
		defer os.Remove(path)
		args = []string{"-ddd", "-r", path, expr}
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "rejects all packets") {
			return nil, errRejectsAll
		}
		return nil, fmt.Errorf("tcpdump -ddd -y %s %q: %v: %s", dlt, expr, err, strings.TrimSpace(stderr.String()))
	}
	var prog []bpf.RawInstruction
	sc := bufio.NewScanner(&stdout)
	sc.Scan() // the instruction count
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			return nil, fmt.Errorf("tcpdump -ddd: bad line %q", sc.Text())
		}
		var v [4]uint64
		for i := range f {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("tcpdump -ddd: bad line %q: %v", sc.Text(), err)
			}
			v[i] = n
		}
		prog = append(prog, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	return prog, nil
}

// emptyCapture writes a pcap file of link type lt with no packets and
// returns its path.
func emptyCapture(lt layers.LinkType) (string, error) {
	fh, err := os.CreateTemp("", "filter-*.pcap")
	if err != nil {
		return "", err
	}
	defer fh.Close()
	if err := pcapgo.NewWriter(fh).WriteFileHeader(DefaultSnaplen, lt); err != nil {
		return "", err
	}
	return fh.Name(), fh.Close()
}

// newVM loads prog into x/net/bpf's machine as Matcher does.
func newVM(t *testing.T, prog []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	vm, err := vmFor(prog)
	if err != nil {
		t.Fatalf("program rejected by x/net/bpf: %v", err)
	}
	return vm
}

// accepts runs vm on pkt and tells whether it accepts the packet.
func accepts(t *testing.T, vm *bpf.VM, pkt []byte) bool {
	t.Helper()
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("x/net/bpf: %v", err)
	}
	return n != 0
}

func disasm(prog []bpf.RawInstruction) string {
	var b strings.Builder
	for i, ri := range prog {
		fmt.Fprintf(&b, "(%03d) %v\n", i, ri.Disassemble())
	}
	return b.String()
}

// TestProgramsBehaveAsTcpdump compiles each expression for each link type
// with this package and with tcpdump, runs both programs over the corpus
// on golang.org/x/net/bpf's VM and requires the same verdict on every
// packet, also from a Matcher.
func TestProgramsBehaveAsTcpdump(t *testing.T) {
	bin := tcpdumpBin(t)
	samples := corpus()
	compared, verdicts := 0, 0
	for _, expr := range diffExprs {
		t.Run(expr, func(t *testing.T) {
			f, err := Parse(expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			m := f.NewMatcher()
			for _, l := range linkTypes {
				want, werr := tcpdumpProgram(bin, l.dlt, expr)
				got, gerr := f.Compile(l.lt, 0)
				if werr != nil && werr != errRejectsAll {
					if gerr == nil {
						t.Errorf("%s: tcpdump refuses (%v), Compile does not", l.dlt, werr)
					}
					continue
				}
				if gerr != nil {
					t.Errorf("%s: Compile: %v", l.dlt, gerr)
					continue
				}
				if werr == errRejectsAll {
					want = []bpf.RawInstruction{{Op: opRetK, K: 0}}
				}
				vmWant, vmGot := newVM(t, want), newVM(t, got)
				bad := 0
				for i, s := range samples {
					pkt := s.frame(l.lt, i)
					w := accepts(t, vmWant, pkt)
					g := accepts(t, vmGot, pkt)
					if mg := m.Match(pkt, l.lt); mg != g {
						t.Fatalf("%s: Matcher says %v, program %v for %s", l.dlt, mg, g, s.name)
					}
					verdicts++
					if g != w {
						bad++
						if bad <= 5 {
							t.Errorf("%s: %s (% x): got %v, tcpdump %v", l.dlt, s.name, pkt, g, w)
						}
					}
				}
				if bad > 0 {
					t.Errorf("%s: %d of %d packets differ\nours:\n%s\ntcpdump's:\n%s", l.dlt, bad, len(samples), disasm(got), disasm(want))
				}
			}
			compared++
		})
	}
	t.Logf("%d expressions x %d link types compared with tcpdump -ddd over %d packets: %d verdicts", compared, len(linkTypes), len(samples), verdicts)
}

// TestTruncationOnlyDifferences requires that for truncationOnlyExprs the
// programs of tcpdump and of this package disagree only on packets cut
// short by the capture (samples named "truncated").
func TestTruncationOnlyDifferences(t *testing.T) {
	bin := tcpdumpBin(t)
	samples := corpus()
	for _, expr := range truncationOnlyExprs {
		t.Run(expr, func(t *testing.T) {
			f, err := Parse(expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range linkTypes {
				want, werr := tcpdumpProgram(bin, l.dlt, expr)
				got, gerr := f.Compile(l.lt, 0)
				if werr != nil || gerr != nil {
					t.Fatalf("%s: tcpdump: %v, Compile: %v", l.dlt, werr, gerr)
				}
				vmWant, vmGot := newVM(t, want), newVM(t, got)
				differ := 0
				for i, s := range samples {
					pkt := s.frame(l.lt, i)
					if accepts(t, vmWant, pkt) != accepts(t, vmGot, pkt) {
						differ++
						if !strings.Contains(s.name, "truncated") {
							t.Errorf("%s: %s: verdicts differ on a whole packet", l.dlt, s.name)
						}
					}
				}
				t.Logf("%s: %d truncated packets judged differently", l.dlt, differ)
			}
		})
	}
}

// capPacket is one packet read from a capture file.
type capPacket struct {
	ci   gopacket.CaptureInfo
	data []byte
	lt   layers.LinkType
}

// readCapture reads every packet of a pcap or pcapng file.
func readCapture(path string) ([]capPacket, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []capPacket
	if r, err := pcapgo.NewReader(bytes.NewReader(raw)); err == nil {
		for {
			data, ci, err := r.ReadPacketData()
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, fmt.Errorf("reading %s: %w", path, err)
			}
			out = append(out, capPacket{ci, data, r.LinkType()})
		}
	}
	r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		return nil, fmt.Errorf("reading %s: neither pcap nor pcapng: %w", path, err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading %s: %w", path, err)
		}
		intf, err := r.Interface(ci.InterfaceIndex)
		if err != nil {
			return out, fmt.Errorf("reading %s: %w", path, err)
		}
		out = append(out, capPacket{ci, data, intf.LinkType})
	}
}

// tcpdumpSelect returns the indices of the packets of in (read from path)
// that tcpdump -r path -w out expr keeps. ok is false when tcpdump refuses
// the expression for another reason than that it matches nothing.
func tcpdumpSelect(t *testing.T, bin, path, expr string, in []capPacket) (idx []int, ok bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.pcap")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-r", path, "-w", out, expr)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "rejects all packets") {
			return []int{}, true
		}
		return nil, false // vlan on a link type without it, as Compile refuses too
	}
	kept, err := readCapture(out)
	if err != nil {
		t.Fatalf("reading tcpdump's output: %v", err)
	}
	// tcpdump writes the packets it keeps, in order and unchanged (to the
	// microsecond): find them in the input.
	idx = []int{}
	j := 0
	for i, p := range in {
		if j < len(kept) && kept[j].ci.Timestamp.UnixMicro() == p.ci.Timestamp.UnixMicro() && bytes.Equal(kept[j].data, p.data) {
			idx = append(idx, i)
			j++
		}
	}
	if j != len(kept) {
		t.Fatalf("tcpdump -r %s %q: %d of its %d packets not found in the input", path, expr, len(kept)-j, len(kept))
	}
	return idx, true
}

// compareSelection requires Matcher and tcpdump to keep the same packets
// of the capture at path for every expression of exprs, and returns the
// number of expressions compared and of packets kept.
func compareSelection(t *testing.T, bin, path string, exprs []string) (compared, kept int) {
	t.Helper()
	in, err := readCapture(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, expr := range exprs {
		f, err := Parse(expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		want, ok := tcpdumpSelect(t, bin, path, expr, in)
		m := f.NewMatcher()
		if !ok {
			if err := m.Prepare(in[0].lt); err == nil {
				t.Errorf("%s %q: tcpdump refuses the expression, Matcher does not", filepath.Base(path), expr)
			}
			continue
		}
		got := []int{}
		for i, p := range in {
			if m.Match(p.data, p.lt) {
				got = append(got, i)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %q: packets kept (-tcpdump +Matcher):\n%s", filepath.Base(path), expr, diff)
		}
		compared++
		kept += len(got)
	}
	return compared, kept
}

// TestFileSelectionMatchesTcpdump writes the corpus as a capture file of
// each link type, filters it with tcpdump -r -w and with Matcher, and
// requires the same packets kept.
func TestFileSelectionMatchesTcpdump(t *testing.T) {
	bin := tcpdumpBin(t)
	samples := corpus()
	dir := t.TempDir()
	total, totalKept := 0, 0
	for _, l := range linkTypes {
		t.Run(l.dlt, func(t *testing.T) {
			path := filepath.Join(dir, l.dlt+".pcap")
			fh, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			w := pcapgo.NewWriter(fh)
			if err := w.WriteFileHeader(DefaultSnaplen, l.lt); err != nil {
				t.Fatal(err)
			}
			start := time.Unix(1700000000, 0)
			for i, s := range samples {
				pkt := s.frame(l.lt, i)
				ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(pkt), Length: len(pkt)}
				if strings.HasPrefix(s.name, "truncated") {
					ci.Length += 100 // as a capture with a short snapshot length has it
				}
				if err := w.WritePacket(ci, pkt); err != nil {
					t.Fatal(err)
				}
			}
			if err := fh.Close(); err != nil {
				t.Fatal(err)
			}
			n, kept := compareSelection(t, bin, path, diffExprs)
			total += n
			totalKept += kept
		})
	}
	t.Logf("%d expression x link type selections compared with tcpdump -r over %d packets each (%d expressions); %d packets kept in all", total, len(samples), len(diffExprs), totalKept)
}

// TestPeerCapturesMatchTcpdump compares Matcher's and tcpdump's selection
// on the real captures in shared/peer-captures.
func TestPeerCapturesMatchTcpdump(t *testing.T) {
	bin := tcpdumpBin(t)
	paths, _ := filepath.Glob("../../shared/peer-captures/pcaps/*.pcap")
	if len(paths) == 0 {
		t.Skip("no captures in ../../shared/peer-captures/pcaps")
	}
	exprs := peerExprs(testing.Short())
	total, kept, packets := 0, 0, 0
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in, err := readCapture(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(in) == 0 {
				t.Skip("empty capture")
			}
			packets += len(in)
			n, k := compareSelection(t, bin, path, exprs)
			total += n
			kept += k
		})
	}
	t.Logf("%d captures, %d packets, %d expressions: %d expression x capture selections compared with tcpdump -r, %d packets kept in all", len(paths), packets, len(exprs), total, kept)
}

package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

func TestCompileErrors(t *testing.T) {
	f, err := Parse("port 21 or vlan 100")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Compile(layers.LinkTypeLinuxSLL, 0)
	var e *Error
	if !errors.As(err, &e) || e.Offset != 11 || e.Near != "vlan" {
		t.Errorf("Compile(vlan, SLL) = %v; want an *Error at column 12 naming vlan", err)
	}
	if _, err := f.Compile(layers.LinkTypePPP, 0); !errors.Is(err, ErrLinkType) {
		t.Errorf("Compile(PPP) = %v; want ErrLinkType", err)
	}
	m := f.NewMatcher()
	if err := m.Prepare(layers.LinkTypePPP); !errors.Is(err, ErrLinkType) {
		t.Errorf("Prepare(PPP) = %v; want ErrLinkType", err)
	}
	if m.Match([]byte{0xff, 0x03, 0x00, 0x21}, layers.LinkTypePPP) {
		t.Errorf("Match on an unsupported link type accepted the packet")
	}
}

// TestVMRefusesWhatItWouldMisrun: x/net/bpf's machine runs some valid
// kernel instructions otherwise than the kernel, or not at all; vmFor
// refuses them rather than have packets judged wrongly.
func TestVMRefusesWhatItWouldMisrun(t *testing.T) {
	tests := []struct {
		name string
		ins  bpf.RawInstruction
	}{
		{"neg", bpf.RawInstruction{Op: clsALU | 0x80}},
		{"ldx len, which it loads into A", bpf.RawInstruction{Op: clsLDX | szW | 0x80}},
		{"ldx [k]", bpf.RawInstruction{Op: clsLDX | szW | modeABS, K: 1}},
		{"kernel extension: skb->protocol", bpf.RawInstruction{Op: clsLD | szH | modeABS, K: 0xfffff000}},
		{"unknown opcode", bpf.RawInstruction{Op: 0xffff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prog := []bpf.RawInstruction{tt.ins, ret(1)}
			if _, err := vmFor(prog); err == nil {
				t.Errorf("vmFor(%v) accepted the program", prog)
			}
		})
	}
	for _, prog := range [][]bpf.RawInstruction{
		{{Op: clsLDX | szW | modeIMM, K: 4}, ret(1)},
		{{Op: clsLDX | szB | modeMSH, K: 0}, ret(1)},
		{{Op: clsLDX | szW | modeMEM, K: 3}, ret(1)},
	} {
		if _, err := vmFor(prog); err != nil {
			t.Errorf("vmFor(%v): %v", prog, err)
		}
	}
}

// ret is "ret #k".
func ret(k uint32) bpf.RawInstruction { return bpf.RawInstruction{Op: opRetK, K: k} }

func TestCompileSnaplenAndConstants(t *testing.T) {
	tests := []struct {
		expr    string
		lt      layers.LinkType
		snaplen int
		want    []bpf.RawInstruction
	}{
		{"ip", layers.LinkTypeIPv4, 96, []bpf.RawInstruction{{Op: opRetK, K: 96}}},
		{"ip6", layers.LinkTypeIPv4, 0, []bpf.RawInstruction{{Op: opRetK, K: 0}}},
		{"arp or ip", layers.LinkTypeIPv4, -1, []bpf.RawInstruction{{Op: opRetK, K: DefaultSnaplen}}},
	}
	for _, tc := range tests {
		f, err := Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Compile(tc.lt, tc.snaplen)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Compile(%q, %v, %d) = %v, want %v", tc.expr, tc.lt, tc.snaplen, got, tc.want)
		}
	}
	var nilFilter *Filter
	got, err := nilFilter.Compile(layers.LinkTypeEthernet, 1500)
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]bpf.RawInstruction{{Op: opRetK, K: 1500}}) {
		t.Errorf("nil Filter compiles to %v, %v", got, err)
	}
}

// longExpr is an expression whose program needs conditional jumps longer
// than 255 instructions.
func longExpr() string {
	var parts []string
	for i := 0; i < 30; i++ {
		parts = append(parts, fmt.Sprintf("(tcp port %d and host %s)", []int{21, 20, 2121, 50000, 53, 1024}[i%6]+i/6, hosts4[i%len(hosts4)]))
	}
	return strings.Join(parts, " or ")
}

// TestLongJumps checks the trampolines of a long program: valid for
// x/net/bpf and the same verdicts as tcpdump's program.
func TestLongJumps(t *testing.T) {
	expr := longExpr()
	f, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Compile(layers.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 300 {
		t.Fatalf("program has %d instructions; the test needs more than 255", len(got))
	}
	vm := newVM(t, got)
	bin := tcpdumpBin(t)
	want, err := tcpdumpProgram(bin, "EN10MB", expr)
	if err != nil {
		t.Fatal(err)
	}
	vmWant := newVM(t, want)
	samples := corpus()
	accepted := 0
	for i, s := range samples {
		pkt := s.frame(layers.LinkTypeEthernet, i)
		g := accepts(t, vm, pkt)
		if g {
			accepted++
		}
		if w := accepts(t, vmWant, pkt); w != g {
			t.Errorf("%s: got %v, tcpdump %v", s.name, g, w)
		}
	}
	if accepted == 0 {
		t.Errorf("no packet accepted: the test covers only rejection")
	}
	t.Logf("%d instructions (tcpdump's: %d); %d of %d packets accepted", len(got), len(want), accepted, len(samples))
}

// TestLongJumpsAccept builds packets that the long program accepts only
// through a trampoline.
func TestLongJumpsAccept(t *testing.T) {
	var parts []string
	for i := 0; i < 60; i++ {
		parts = append(parts, fmt.Sprintf("(tcp port %d and host 10.0.0.%d)", 1000+i, i))
	}
	f, err := Parse(strings.Join(parts, " or "))
	if err != nil {
		t.Fatal(err)
	}
	m := f.NewMatcher()
	for _, tc := range []struct {
		port uint16
		host string
		want bool
	}{{1000, "10.0.0.0", true}, {1059, "10.0.0.59", true}, {1030, "10.0.0.30", true}, {1030, "10.0.0.31", false}, {999, "10.0.0.0", false}} {
		s := sample{"", etherIPv4, ser(append([]gopacket.SerializableLayer{ip4(tc.host, "192.168.1.10", layers.IPProtocolTCP)},
			transport(layers.IPProtocolTCP, [2]uint16{50000, tc.port})...)...)}
		if got := m.Match(s.frame(layers.LinkTypeEthernet, 0), layers.LinkTypeEthernet); got != tc.want {
			t.Errorf("port %d host %s: Match = %v, want %v", tc.port, tc.host, got, tc.want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	f, err := Parse("host 10.0.0.1 and (port 21 or port 20) or vlan and tcp")
	if err != nil {
		t.Fatal(err)
	}
	m := f.NewMatcher()
	samples := corpus()
	pkts := make([][]byte, len(samples))
	for i, s := range samples {
		pkts[i] = s.frame(layers.LinkTypeEthernet, i)
	}
	m.Match(pkts[0], layers.LinkTypeEthernet)
	m.Match(pkts[0], layers.LinkTypeLinuxSLL)
	allocs := testing.AllocsPerRun(10, func() {
		for _, p := range pkts {
			m.Match(p, layers.LinkTypeEthernet)
			m.Match(p, layers.LinkTypeLinuxSLL)
		}
	})
	if allocs != 0 {
		t.Errorf("Match allocates %.1f times per run, want 0", allocs)
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, expr := range []string{"port 21", "host 10.0.0.1 and (port 21 or port 20)", "vlan 100 and tcp port 21 or net 2001:db8::/32"} {
		b.Run(expr, func(b *testing.B) {
			f, err := Parse(expr)
			if err != nil {
				b.Fatal(err)
			}
			m := f.NewMatcher()
			samples := corpus()
			pkts := make([][]byte, len(samples))
			for i, s := range samples {
				pkts[i] = s.frame(layers.LinkTypeEthernet, i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for i := 0; i < b.N; i++ {
				if m.Match(pkts[i%len(pkts)], layers.LinkTypeEthernet) {
					n++
				}
			}
			_ = n
		})
	}
}

//go:build linux && !(libpcap && cgo)

package capture

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

// fanoutVM runs fanoutProgram in x/net/bpf's VM. The VM knows neither
// the kernel's extensions nor its negative offsets, so the program's two
// kinds of loads are moved onto one buffer, which skbView makes: the
// protocol the kernel would have set (SKF_AD_PROTOCOL, 2 bytes), then the
// packet from its network header on (SKF_NET_OFF+k). Any other load fails
// the test: the program must read nothing else.
type fanoutVM struct {
	vm *bpf.VM
}

func newFanoutVM(t *testing.T, n int) fanoutVM {
	t.Helper()
	raw, err := fanoutProgram(n)
	if err != nil {
		t.Fatalf("fanoutProgram(%d): %v", n, err)
	}
	prog := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		switch ins := r.Disassemble().(type) {
		case bpf.LoadExtension:
			if ins.Num != bpf.ExtProto {
				t.Fatalf("instruction %d: %v: only the protocol may be read", i, ins)
			}
			prog[i] = bpf.LoadAbsolute{Off: 0, Size: 2}
		case bpf.LoadAbsolute:
			if ins.Off < skfNetOff || ins.Off >= skfNetOff+0x10000 {
				t.Fatalf("instruction %d: %v: a load not relative to the network header", i, ins)
			}
			prog[i] = bpf.LoadAbsolute{Off: 2 + ins.Off - skfNetOff, Size: ins.Size}
		case bpf.LoadIndirect, bpf.LoadMemShift, bpf.RawInstruction:
			t.Fatalf("instruction %d: %v: unexpected", i, ins)
		default:
			prog[i] = ins
		}
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("the VM refuses the program: %v", err)
	}
	return fanoutVM{vm}
}

// socket returns the index of the socket the program picks for skb.
func (f fanoutVM) socket(t *testing.T, skb []byte) int {
	t.Helper()
	k, err := f.vm.Run(skb)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return k
}

// Link-layer framings of one IP packet, as a capture shows them.
const (
	framingEthernet = "Ethernet"
	framingDot1Q    = "802.1Q"         // one tag: the kernel takes it out
	framingQinQ     = "802.1ad+802.1Q" // two tags: the kernel takes one out
	framingRaw      = "raw IP"         // "any", tunnels
)

// testFrame builds a TCP segment from src to dst in framing.
func testFrame(framing string, src, dst netip.AddrPort, options bool) []byte {
	var ip []byte
	if src.Addr().Is4() {
		ihl := 5
		if options {
			ihl = 6 // a 4-byte option (NOP, NOP, NOP, EOL) before TCP
		}
		ip = []byte{byte(0x40 | ihl), 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0}
		ip = append(append(ip, src.Addr().AsSlice()...), dst.Addr().AsSlice()...)
		if options {
			ip = append(ip, 1, 1, 1, 0)
		}
	} else {
		ip = []byte{0x60, 0, 0, 0, 0, 20, 6, 64}
		ip = append(append(ip, src.Addr().AsSlice()...), dst.Addr().AsSlice()...)
	}
	ip = binary.BigEndian.AppendUint16(ip, src.Port())
	ip = binary.BigEndian.AppendUint16(ip, dst.Port())
	ip = append(ip, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0)
	ethertype := []byte{0x08, 0x00}
	if src.Addr().Is6() {
		ethertype = []byte{0x86, 0xdd}
	}
	macs := []byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}
	switch framing {
	case framingEthernet:
		return append(append(macs, ethertype...), ip...)
	case framingDot1Q:
		return append(append(append(macs, 0x81, 0x00, 0xa0, 100), ethertype...), ip...)
	case framingQinQ:
		return append(append(append(macs, 0x88, 0xa8, 0, 200, 0x81, 0x00, 0, 100), ethertype...), ip...)
	}
	return ip
}

// skbView is what the fanout program sees of frame, as the kernel hands
// it over: the protocol, then the bytes from the network header on. On
// receipt Linux takes one VLAN tag out of an Ethernet frame (whatever the
// interface) and sets the protocol to the ethertype after it; a raw IP
// packet's protocol comes from its version.
func skbView(framing string, frame []byte) []byte {
	var proto []byte
	var network []byte
	switch framing {
	case framingRaw:
		proto = []byte{0x08, 0x00}
		if frame[0]>>4 == 6 {
			proto = []byte{0x86, 0xdd}
		}
		network = frame
	default:
		proto, network = frame[12:14], frame[14:]
		if t := binary.BigEndian.Uint16(proto); t == 0x8100 || t == 0x88a8 {
			proto, network = frame[16:18], frame[18:]
		}
	}
	return append(append([]byte(nil), proto...), network...)
}

// TestFanoutProgramBothWays: the two directions of an address pair go to
// the same socket, with any ports, in every framing that hands the kernel
// a network header: Ethernet, a VLAN tag, raw IP, IPv4 options, IPv6.
func TestFanoutProgramBothWays(t *testing.T) {
	const n = 4
	vm := newFanoutVM(t, n)
	pairs := []struct{ a, b string }{
		{"10.0.1.2", "10.0.2.2"},
		{"192.168.7.33", "203.0.113.80"},
		{"10.64.0.1", "10.0.0.2"},
		{"2001:db8::1", "2001:db8::2"},
		{"fd00:231:1::1", "2001:db8:ffff::21"},
	}
	for _, p := range pairs {
		a, b := netip.MustParseAddr(p.a), netip.MustParseAddr(p.b)
		var want = -1
		for _, framing := range []string{framingEthernet, framingDot1Q, framingRaw} {
			for _, options := range []bool{false, true} {
				if options && a.Is6() {
					continue
				}
				for i, ports := range [][2]uint16{{51000, 21}, {20, 40001}, {40002, 51003}} {
					fwd := testFrame(framing, netip.AddrPortFrom(a, ports[0]), netip.AddrPortFrom(b, ports[1]), options)
					back := testFrame(framing, netip.AddrPortFrom(b, ports[1]), netip.AddrPortFrom(a, ports[0]), options)
					k1, k2 := vm.socket(t, skbView(framing, fwd)), vm.socket(t, skbView(framing, back))
					if k1 < 0 || k1 >= n {
						t.Fatalf("%s %v→%v: socket %d of %d", framing, a, b, k1, n)
					}
					if want == -1 {
						want = k1
					}
					if k1 != want || k2 != want {
						t.Errorf("%s %v↔%v (ports %v, options %v, #%d): sockets %d and %d, want %d both ways as in every framing", framing, a, b, ports, options, i, k1, k2, want)
					}
				}
			}
		}
	}
}

// TestFanoutProgramOther: frames whose network header the kernel does not
// find, or that carry no IP, go to socket 0, as do packets too short for
// their addresses (a load past the end ends the program with 0).
func TestFanoutProgramOther(t *testing.T) {
	vm := newFanoutVM(t, 4)
	a, b := netip.MustParseAddrPort("10.0.1.2:51000"), netip.MustParseAddrPort("10.0.2.2:21")
	arp := append([]byte{0x08, 0x06}, make([]byte, 28)...)
	tests := []struct {
		name string
		skb  []byte
	}{
		{"ARP", arp},
		// The kernel takes one tag out; the second stays, as the
		// protocol.
		{"802.1ad and 802.1Q", skbView(framingQinQ, testFrame(framingQinQ, a, b, false))},
		{"IPv4 cut after its source address", skbView(framingEthernet, testFrame(framingEthernet, a, b, false))[:2+16]},
		{"IPv6 cut in its destination address", skbView(framingEthernet, testFrame(framingEthernet, netip.MustParseAddrPort("[2001:db8::1]:1"), netip.MustParseAddrPort("[2001:db8::2]:21"), false))[:2+30]},
	}
	for _, tt := range tests {
		if got := vm.socket(t, tt.skb); got != 0 {
			t.Errorf("%s: socket %d, want 0", tt.name, got)
		}
	}
}

// TestFanoutProgramSpread: the pairs of many clients with one server
// spread evenly over the sockets, however alike the clients' addresses
// are: 4096 clients of a /16, every address or only even ones, IPv4 and
// IPv6; and one socket takes everything.
func TestFanoutProgramSpread(t *testing.T) {
	server4 := netip.MustParseAddrPort("10.0.0.2:21")
	server6 := netip.MustParseAddrPort("[2001:db8::21]:21")
	v6 := netip.MustParseAddr("2001:db8:1::").As16()
	for _, n := range []int{1, 2, 3, 4, 8} {
		vm := newFanoutVM(t, n)
		for _, c := range []struct {
			v6     bool
			stride int
		}{{false, 1}, {false, 2}, {true, 1}, {true, 2}} {
			counts := make([]int, n)
			for j := range 4096 {
				hi, lo := byte(c.stride*(j>>7)), byte(c.stride*(j&127))
				cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, hi, lo}), 51000)
				srv := server4
				if c.v6 {
					b := v6
					b[13], b[14], b[15] = 1, hi, lo
					cli, srv = netip.AddrPortFrom(netip.AddrFrom16(b), 51000), server6
				}
				k := vm.socket(t, skbView(framingEthernet, testFrame(framingEthernet, cli, srv, false)))
				if k < 0 || k >= n {
					t.Fatalf("%d sockets: socket %d", n, k)
				}
				counts[k]++
			}
			even := 4096 / n
			for k, got := range counts {
				if got < even*8/10 || got > even*12/10 {
					t.Errorf("%d sockets, IPv6 %v, stride %d: socket %d has %d of 4096 clients, want about %d: %v", n, c.v6, c.stride, k, got, even, counts)
				}
			}
		}
	}
}

func TestFanoutProgramSize(t *testing.T) {
	for _, n := range []int{0, MaxFanout + 1} {
		if _, err := fanoutProgram(n); err == nil {
			t.Errorf("fanoutProgram(%d) succeeded", n)
		}
	}
}

//go:build linux && !(libpcap && cgo)

package capture

import (
	"testing"

	"golang.org/x/net/bpf"
)

// skbMeta is the kernel metadata the filter prologue reads.
type skbMeta struct {
	proto   uint32 // ethertype
	pktType uint32 // PACKET_HOST 0, PACKET_OUTGOING 4, ...
	ifindex uint32
}

// runPrologue interprets prog for a packet with metadata m. It knows only
// the instructions kernelFilter emits (x/net/bpf's VM has no kernel
// extensions), so a user filter in these tests is a single return.
func runPrologue(t *testing.T, prog []bpf.RawInstruction, m skbMeta) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		switch ins := prog[pc].Disassemble().(type) {
		case bpf.LoadExtension:
			switch ins.Num {
			case bpf.ExtProto:
				a = m.proto
			case bpf.ExtType:
				a = m.pktType
			case bpf.ExtInterfaceIndex:
				a = m.ifindex
			default:
				t.Fatalf("instruction %d: unexpected extension %v", pc, ins)
			}
		case bpf.JumpIf:
			var match bool
			switch ins.Cond {
			case bpf.JumpEqual:
				match = a == ins.Val
			case bpf.JumpNotEqual: // how jeq with jt 0 disassembles
				match = a != ins.Val
			default:
				t.Fatalf("instruction %d: unexpected jump %v", pc, ins)
			}
			if match {
				pc += int(ins.SkipTrue)
			} else {
				pc += int(ins.SkipFalse)
			}
		case bpf.RetConstant:
			return ins.Val
		default:
			t.Fatalf("instruction %d: unexpected %v", pc, ins)
		}
	}
	t.Fatalf("program ran off its end")
	return 0
}

func TestKernelFilterPrologue(t *testing.T) {
	const (
		userMark = 777 // what the stand-in user filter returns
		host     = 0   // PACKET_HOST
		out      = packetOutgoing
		ipv4     = ethPIPv4
		ipv6     = ethPIPv6
		arp      = 0x0806
	)
	userFilter := []bpf.RawInstruction{{Op: 0x06, K: userMark}}
	tests := []struct {
		name      string
		loopbacks []int
		user      []bpf.RawInstruction
		pkt       skbMeta
		want      uint32
	}{
		{"IPv4 arriving on lo reaches the user filter", []int{1}, userFilter, skbMeta{ipv4, host, 1}, userMark},
		{"IPv4 leaving lo is the duplicate, dropped", []int{1}, userFilter, skbMeta{ipv4, out, 1}, 0},
		{"IPv6 leaving lo dropped too", []int{1}, userFilter, skbMeta{ipv6, out, 1}, 0},
		{"IPv6 arriving on lo kept", []int{1}, userFilter, skbMeta{ipv6, host, 1}, userMark},
		{"outgoing on eth0 kept (any)", []int{1}, userFilter, skbMeta{ipv4, out, 2}, userMark},
		{"outgoing IPv6 on eth0 kept (any)", []int{1}, userFilter, skbMeta{ipv6, out, 2}, userMark},
		{"ARP dropped", []int{1}, userFilter, skbMeta{arp, host, 2}, 0},
		{"second loopback's outgoing dropped", []int{1, 5}, userFilter, skbMeta{ipv4, out, 5}, 0},
		{"first of two loopbacks' outgoing dropped", []int{1, 5}, userFilter, skbMeta{ipv4, out, 1}, 0},
		{"outgoing elsewhere kept with two loopbacks", []int{1, 5}, userFilter, skbMeta{ipv4, out, 2}, userMark},
		{"no loopback known: IPv4 kept", nil, userFilter, skbMeta{ipv4, out, 1}, userMark},
		{"no loopback known: IPv6 kept", nil, userFilter, skbMeta{ipv6, host, 1}, userMark},
		{"no loopback known: ARP dropped", nil, userFilter, skbMeta{arp, host, 1}, 0},
		{"no user filter accepts snaplen bytes", []int{1}, nil, skbMeta{ipv4, host, 2}, 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prog, err := kernelFilter(tt.user, tt.loopbacks, 1500)
			if err != nil {
				t.Fatalf("kernelFilter() error = %v", err)
			}
			if got := runPrologue(t, prog, tt.pkt); got != tt.want {
				t.Errorf("filter returned %d, want %d", got, tt.want)
			}
		})
	}
}

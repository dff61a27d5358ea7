//go:build linux && !(libpcap && cgo)

package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// LiveFanout says whether OpenLiveFanout can open several sockets on one
// interface in this build.
const LiveFanout = true

// MaxFanout is the most sockets OpenLiveFanout opens on one interface.
const MaxFanout = 256

// Fanout limits.
const (
	// fanoutSettle bounds how long after a group is complete its sockets
	// still skip packets stamped before it was: a clock that stamps
	// packets in the past costs at most this much of the capture.
	fanoutSettle = time.Second
	// afpMinBlocks is the smallest ring of a socket of a fanout group,
	// in blocks of afpBlockSize: the rings of a group of n sockets hold
	// afpNumBlocks*4 blocks in all, and each at least this many and at
	// most afpNumBlocks, for one address pair can take all the traffic.
	afpMinBlocks = 8
)

// skfNetOff is SKF_NET_OFF (linux/filter.h): a classic BPF load from
// skfNetOff+k reads byte k of the network header, wherever the packet's
// data starts (at the link-layer header on the way out, at the network
// header on the way in) and whatever VLAN tag the kernel took out.
const skfNetOff = 0xfff00000 // -0x100000

// OpenLiveFanout opens n sockets on o.Interface, joined in one
// AF_PACKET fanout group that gives each packet to one of them, and
// returns one Source per socket, in the group's order, each as
// OpenLive's (a LinkTyper, with its own kernel drop count in Info.Dropped
// and its packets numbered from 1). Every packet of an IP address pair
// goes to the same socket,
// both ways: the group's classic BPF program (PACKET_FANOUT_CBPF, see
// fanoutProgram) hashes the pair of addresses, so that the control and
// data connections of an FTP session (which share the pair, unless NAT
// between them or FXP) reach one reader. Frames that carry no IPv4 or
// IPv6 go to the first socket; the kernel filter drops them anyway.
//
// The group is formed before any packet is returned: packets the
// sockets received while it was (each socket receives everything from
// its creation until it joins) are skipped, by their timestamps. The
// group is left only when every one of its Sources is closed: a Source
// closed early (its capture ended) drops its share from then on rather
// than let the others receive it.
//
// Each socket has its own ring: of 32 MiB, as OpenLive's, up to 4
// sockets, and of 8 MiB at least beyond. It needs Linux 4.11 or later
// (PACKET_FANOUT_CBPF, and a group ID the kernel chooses,
// PACKET_FANOUT_FLAG_UNIQUEID), and a little-endian machine. n = 1 is
// OpenLive. Errors are OpenLive's.
func OpenLiveFanout(ctx context.Context, o LiveOptions, n int) ([]Source, error) {
	if n < 1 || n > MaxFanout {
		return nil, fmt.Errorf("capture: %d sockets in a fanout group, want 1 to %d", n, MaxFanout)
	}
	if n == 1 {
		src, err := OpenLive(ctx, o)
		if err != nil {
			return nil, err
		}
		return []Source{src}, nil
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		// gopacket's SetFanout passes a 64-bit int, which the kernel
		// reads as its struct fanout_args only in this byte order.
		return nil, fmt.Errorf("capture: %w: a fanout group on %s needs a little-endian machine", ErrLiveUnsupported, o.Interface)
	}
	ctx, s, err := prepareAFPacket(ctx, o)
	if err != nil {
		return nil, err
	}
	prog, err := fanoutProgram(n)
	if err != nil {
		return nil, fmt.Errorf("capture: fanout program for %s: %w", s.o.Interface, err)
	}
	g, err := newFanoutGroup(s, n, prog)
	if err != nil {
		return nil, err
	}
	srcs := make([]Source, n)
	for i, tp := range g.tps {
		h := &afpacketHandle{tp: tp, lt: s.lt, group: g, from: g.complete}
		src := newLiveSource(ctx, s.o.Interface, s.o.Snaplen, s.lt, h)
		src.reportIdle = s.o.ReportIdle
		srcs[i] = src
	}
	return srcs, nil
}

// fanoutGroup is the sockets of a fanout group, closed together once
// each has left (leave).
type fanoutGroup struct {
	tps []*afpacket.TPacket
	// complete is when the group had every socket and its program.
	complete time.Time

	mu   sync.Mutex
	open int // sockets that have not left
}

// newFanoutGroup opens n sockets as s says and joins them in one fanout
// group that prog spreads packets over.
//
// The group is made by an anchor socket of our own, since gopacket does
// not hand over the file descriptor of its sockets: it asks the kernel
// for a group ID no other group of this network namespace has
// (PACKET_FANOUT_FLAG_UNIQUEID), sets the group's program
// (PACKET_FANOUT_DATA) and receives nothing (a filter drops everything).
// The capturing sockets then join, each as member 1+i, and the anchor
// leaves by closing: the kernel moves the last member into its place 0,
// so the program's results 0 to n-1 name the n capturing sockets, which
// tps then lists in that order. Until
// then a packet can reach a socket that is not its pair's; closing a
// packet socket waits for the packets being delivered (synchronize_net),
// so every such packet is stamped before the time taken after the close,
// and the sockets skip them (afpacketHandle.from).
func newFanoutGroup(s afpSetup, n int, prog []bpf.RawInstruction) (_ *fanoutGroup, err error) {
	name := s.o.Interface
	anchor, id, err := fanoutAnchor(s.ifc.Index, prog)
	if errors.Is(err, fs.ErrPermission) {
		return nil, &InterfaceError{Interface: name, Kind: ErrPermission, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("capture: fanout group on %s: %w", name, err)
	}
	defer func() {
		if anchor >= 0 {
			unix.Close(anchor)
		}
	}()
	blocks := min(afpNumBlocks, max(afpMinBlocks, afpNumBlocks*4/n))
	g := &fanoutGroup{open: n}
	defer func() {
		if err != nil {
			for _, tp := range g.tps {
				tp.Close()
			}
		}
	}()
	for range n {
		tp, err := s.open(blocks)
		if err != nil {
			return nil, err
		}
		g.tps = append(g.tps, tp)
		if err := tp.SetFanout(afpacket.FanoutCBPF, id); err != nil {
			return nil, fmt.Errorf("capture: joining socket %d of %d to fanout group %d on %s: %w", len(g.tps), n, id, name, err)
		}
	}
	if err := s.promisc(g.tps[0]); err != nil {
		return nil, err
	}
	if err := unix.Close(anchor); err != nil {
		return nil, fmt.Errorf("capture: fanout group on %s: closing its anchor: %w", name, err)
	}
	anchor = -1
	g.complete = time.Now()
	// The members in the group's order: the program's result indexes it.
	g.tps = append(g.tps[n-1:], g.tps[:n-1]...)
	return g, nil
}

// fanoutAnchor opens the socket that makes a fanout group of type
// PACKET_FANOUT_CBPF on the interface with index ifindex (0: all), and
// returns it and the group's ID.
func fanoutAnchor(ifindex int, prog []bpf.RawInstruction) (fd int, id uint16, err error) {
	// Protocol 0: it receives nothing until bound, and its filter is
	// there by then.
	fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, os.NewSyscallError("socket", err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	dropAll := []bpf.RawInstruction{{Op: 0x06, K: 0}} // ret #0
	if err := setsockoptProg(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, dropAll); err != nil {
		return -1, 0, os.NewSyscallError("setsockopt SO_ATTACH_FILTER", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		return -1, 0, os.NewSyscallError("bind", err)
	}
	// struct fanout_args in an int: ID (0: the kernel's choice) in the
	// low 16 bits, type and flags in the high ones.
	const typeFlags = unix.PACKET_FANOUT_CBPF | unix.PACKET_FANOUT_FLAG_UNIQUEID
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, typeFlags<<16); err != nil {
		return -1, 0, fmt.Errorf("%w (PACKET_FANOUT_CBPF with a unique ID needs Linux 4.11)", os.NewSyscallError("setsockopt PACKET_FANOUT", err))
	}
	v, err := unix.GetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
	if err != nil {
		return -1, 0, os.NewSyscallError("getsockopt PACKET_FANOUT", err)
	}
	if err := setsockoptProg(fd, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, prog); err != nil {
		return -1, 0, os.NewSyscallError("setsockopt PACKET_FANOUT_DATA", err)
	}
	return fd, uint16(v), nil
}

// setsockoptProg attaches a classic BPF program with setsockopt.
func setsockoptProg(fd, level, opt int, prog []bpf.RawInstruction) error {
	f := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		f[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return unix.SetsockoptSockFprog(fd, level, opt, &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]})
}

// htons puts v in network byte order, as struct sockaddr_ll wants its
// protocol.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// leave takes tp out of the capture: it stays in the group, so that no
// other socket receives its share, and drops every packet; the sockets
// are closed, and the group goes, once every one has left.
func (g *fanoutGroup) leave(tp *afpacket.TPacket) {
	tp.SetBPF([]bpf.RawInstruction{{Op: 0x06, K: 0}}) // ret #0
	g.mu.Lock()
	g.open--
	last := g.open == 0
	g.mu.Unlock()
	if last {
		for _, tp := range g.tps {
			tp.Close()
		}
	}
}

// fanoutProgram returns the classic BPF program of a fanout group of n
// sockets: the index, 0 to n-1, of the socket a packet goes to. For IPv4
// it hashes the source and destination addresses, for IPv6 the eight
// 32-bit words of both, combined with XOR so that both directions give
// the same index; everything else goes to socket 0.
//
// It reads only what the kernel's packet sockets are handed the same way
// on every path: the protocol of the packet (SKF_AD_PROTOCOL: the
// ethertype after the VLAN tag that the kernel takes out of a received
// frame, or the protocol of a packet sent) and bytes at offsets from the
// network header (SKF_NET_OFF). So it neither depends on the link layer
// (Ethernet, 802.1Q-tagged, a raw IP tunnel, "any"), nor on whether the
// packet arrives (data at the network header) or leaves (data at the
// link-layer header). A frame whose network header the kernel did not
// find (double tagged, 802.1ad with a second tag) has another protocol
// and goes to socket 0. A load beyond the packet ends the program with
// 0: socket 0 too.
func fanoutProgram(n int) ([]bpf.RawInstruction, error) {
	if n < 1 || n > MaxFanout {
		return nil, fmt.Errorf("%d sockets, want 1 to %d", n, MaxFanout)
	}
	word := func(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: skfNetOff + off, Size: 4} }
	xorX := bpf.ALUOpX{Op: bpf.ALUOpXor}
	// IPv4: A = source ^ destination (network header bytes 12 and 16).
	v4 := []bpf.Instruction{word(12), bpf.TAX{}, word(16), xorX}
	// IPv6: A = the XOR of the eight words of both addresses (bytes 8
	// to 39).
	v6 := []bpf.Instruction{word(8)}
	for off := uint32(12); off < 40; off += 4 {
		v6 = append(v6, bpf.TAX{}, word(off), xorX)
	}
	// Mix every bit of A into the low ones that the modulus keeps:
	// addresses of one subnet differ in a few bits only.
	mix := []bpf.Instruction{
		bpf.TAX{}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16}, xorX,
		bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: 0x45d9f3b},
		bpf.TAX{}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16}, xorX,
		bpf.ALUOpConstant{Op: bpf.ALUOpMod, Val: uint32(n)},
		bpf.RetA{},
	}
	other := []bpf.Instruction{bpf.RetConstant{Val: 0}}

	// Layout: proto; jeq IPv4 (else -> jeq IPv6); v4; ja mix;
	// jeq IPv6 (else -> other); v6; mix; other.
	isV6 := 2 + len(v4) + 1 // index of the jeq IPv6
	mixAt := isV6 + 1 + len(v6)
	otherAt := mixAt + len(mix)
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtProto},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ethPIPv4, SkipFalse: uint8(isV6 - 2)},
	}
	prog = append(prog, v4...)
	prog = append(prog, bpf.Jump{Skip: uint32(mixAt - isV6)})
	prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: ethPIPv6, SkipFalse: uint8(otherAt - isV6 - 1)})
	prog = append(prog, v6...)
	prog = append(prog, mix...)
	prog = append(prog, other...)
	if len(prog) != otherAt+1 {
		return nil, fmt.Errorf("fanout program is %d instructions, want %d", len(prog), otherAt+1)
	}
	return bpf.Assemble(prog)
}

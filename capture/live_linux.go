//go:build linux && !(libpcap && cgo)

package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/ftpscope/ftpscope/filter"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// LiveBackend names the live capture implementation of this build:
// "afpacket" (Linux AF_PACKET sockets, no C library), "libpcap" (built with
// -tags libpcap and cgo) or "none".
const LiveBackend = "afpacket"

// Ring buffer geometry of the afpacket backend: 32 blocks of 1 MiB, each
// large enough for a packet of DefaultSnaplen bytes.
const (
	afpBlockSize       = 1 << 20
	afpNumBlocks       = 32
	afpMaxBlockTimeout = 64 * time.Millisecond
)

// Values the kernel filter prologue tests (linux/if_ether.h,
// linux/if_packet.h).
const (
	ethPIPv4       = 0x0800
	ethPIPv6       = 0x86dd
	packetOutgoing = 4 // PACKET_OUTGOING
)

// OpenLive starts capturing on an interface and returns a Source of the
// frames seen there that carry IP, which also implements LinkTyper.
// Cancelling ctx ends the capture: Next then returns io.EOF within
// o.PollTimeout.
//
// This build reads a TPACKET_V3 memory-mapped AF_PACKET socket. On an
// Ethernet interface (and on loopback) the socket is of type SOCK_RAW and
// keeps the Ethernet header, so the frames have link type Ethernet with
// their MAC addresses, and with o.VLANTags their VLAN tags. On "any" and
// on interfaces without an Ethernet header the socket is of type
// SOCK_DGRAM and packets start at their IP header (link type raw IP):
// "any" mixes interfaces of several link types on one socket, and a
// cooked header in their place needs the packet type and source address
// the kernel puts beside each packet, which gopacket's afpacket does not
// hand over (see LinkTyper).
//
// A kernel filter is always attached: it keeps IPv4 and IPv6 only, drops
// the outgoing copy the kernel shows of every packet sent over a loopback
// interface (which would otherwise be seen twice, once leaving and once
// arriving; outgoing packets of other interfaces are kept, "any"
// included), then runs o.Filter, compiled by package filter for the
// socket's link type. A filter expression that package filter cannot
// parse is an error of type *filter.Error, returned before anything else
// is checked; so is one with "vlan", which the kernel's filter cannot tell
// (see LiveOptions.Filter).
//
// The errors for an interface that cannot be opened are *InterfaceError
// values matching ErrPermission, ErrNoInterface or ErrInterfaceDown.
func OpenLive(ctx context.Context, o LiveOptions) (Source, error) {
	ctx, s, err := prepareAFPacket(ctx, o)
	if err != nil {
		return nil, err
	}
	tp, err := s.open(afpNumBlocks)
	if err != nil {
		return nil, err
	}
	if err := s.promisc(tp); err != nil {
		tp.Close()
		return nil, err
	}
	src := newLiveSource(ctx, s.o.Interface, s.o.Snaplen, s.lt, &afpacketHandle{tp: tp, lt: s.lt, match: s.match})
	src.reportIdle = s.o.ReportIdle
	return src, nil
}

// afpSetup is what every socket of a capture on one interface is opened
// with: the options with their defaults, the interface, its link type and
// socket type, and the kernel filter.
type afpSetup struct {
	o        LiveOptions
	ifc      net.Interface // zero for AnyInterface
	lt       layers.LinkType
	sockType afpacket.OptSocketType
	prog     []bpf.RawInstruction // kernelFilter's program
	// match runs the user's filter in user space, for the packets that
	// arrive before prog is attached; nil when there is none.
	match *filter.Matcher
}

// prepareAFPacket checks o and the interface, chooses the socket type and
// compiles the kernel filter: everything OpenLive does before it opens a
// socket.
func prepareAFPacket(ctx context.Context, o LiveOptions) (context.Context, afpSetup, error) {
	f, err := filter.Parse(o.Filter)
	if err != nil {
		return ctx, afpSetup{}, err
	}
	ctx, o, ifc, loopbacks, err := prepareLive(ctx, o)
	if err != nil {
		return ctx, afpSetup{}, err
	}
	s := afpSetup{o: o, ifc: ifc, lt: layers.LinkTypeRaw, sockType: afpacket.SocketDgram}
	if o.Interface != AnyInterface {
		hw, err := interfaceType(ifc.Index)
		if err != nil {
			return ctx, s, fmt.Errorf("capture: opening %s: %w", o.Interface, err)
		}
		if hw == syscall.ARPHRD_ETHER || hw == syscall.ARPHRD_LOOPBACK {
			s.lt, s.sockType = layers.LinkTypeEthernet, afpacket.SocketRaw
		}
	}
	var user []bpf.RawInstruction
	if f != nil && s.lt == layers.LinkTypeEthernet {
		if err := checkNoVLAN(f, o); err != nil {
			return ctx, s, err
		}
	}
	if f != nil {
		if user, err = f.Compile(s.lt, o.Snaplen); err != nil {
			return ctx, s, err
		}
		s.match = f.NewMatcher()
	}
	if s.prog, err = kernelFilter(user, loopbacks, o.Snaplen); err != nil {
		return ctx, s, fmt.Errorf("capture: filter for %s: %w", o.Interface, err)
	}
	return ctx, s, nil
}

// open opens one socket with a ring of blocks blocks of afpBlockSize
// bytes, and attaches the kernel filter.
func (s afpSetup) open(blocks int) (*afpacket.TPacket, error) {
	o := s.o
	blockTimeout := min(o.PollTimeout, afpMaxBlockTimeout)
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(s.ifc.Name), // "" for any: all interfaces
		s.sockType,
		afpacket.OptAddVLANHeader(o.VLANTags && s.lt == layers.LinkTypeEthernet),
		afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptBlockSize(afpBlockSize),
		afpacket.OptNumBlocks(blocks),
		afpacket.OptBlockTimeout(blockTimeout),
		afpacket.OptPollTimeout(o.PollTimeout),
	)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, &InterfaceError{Interface: o.Interface, Kind: ErrPermission, Err: err}
		}
		return nil, fmt.Errorf("capture: opening %s: %w", o.Interface, err)
	}
	// Packets that arrive between the socket's bind in NewTPacket and this
	// call pass unfiltered; see LiveOptions.Filter.
	if err := tp.SetBPF(s.prog); err != nil {
		tp.Close()
		return nil, fmt.Errorf("capture: attaching the filter on %s: %w", o.Interface, err)
	}
	return tp, nil
}

// promisc puts the interface into promiscuous mode while tp is open, if
// the options ask for it.
func (s afpSetup) promisc(tp *afpacket.TPacket) error {
	if !s.o.Promisc || s.o.Interface == AnyInterface {
		return nil
	}
	if err := tp.SetPromiscuous(true); err != nil {
		return fmt.Errorf("capture: promiscuous mode on %s: %w", s.o.Interface, err)
	}
	return nil
}

// checkNoVLAN refuses a filter that reads VLAN tags on a live Ethernet
// socket: the kernel runs the filter on the frame with its tag taken out,
// so "vlan" would match nothing (and "not vlan" everything). Such a
// filter is the one that does not compile for raw IP, which has no tags.
func checkNoVLAN(f *filter.Filter, o LiveOptions) error {
	_, err := f.Compile(layers.LinkTypeRaw, o.Snaplen)
	var fe *filter.Error
	if !errors.As(err, &fe) {
		return err
	}
	e := *fe
	e.Msg = "vlan cannot be told on a live Linux socket, which runs the filter on frames with their tag taken out; " +
		"leave it out (host, port and the rest match tagged frames), or build with -tags libpcap"
	return &e
}

// interfaceType returns the hardware type (ARPHRD_*, linux/if_arp.h) of
// the interface with index idx, from the kernel's table of links in this
// network namespace (rtnetlink, as net.Interfaces reads it).
func interfaceType(idx int) (uint16, error) {
	tab, err := syscall.NetlinkRIB(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return 0, os.NewSyscallError("netlinkrib", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(tab)
	if err != nil {
		return 0, os.NewSyscallError("parsenetlinkmessage", err)
	}
	for _, m := range msgs {
		// struct ifinfomsg: family, pad, type (16 bits), index (32
		// bits), ...; in the host's byte order.
		if m.Header.Type != syscall.RTM_NEWLINK || len(m.Data) < syscall.SizeofIfInfomsg {
			continue
		}
		if int(int32(binary.NativeEndian.Uint32(m.Data[4:]))) == idx {
			return binary.NativeEndian.Uint16(m.Data[2:]), nil
		}
	}
	return 0, fmt.Errorf("no link with index %d in the kernel's table", idx)
}

// kernelFilter returns the program attached to the socket: a prologue that
// drops everything but IPv4 and IPv6 and the outgoing copies of loopback
// packets, followed by user (or, when user is empty, an accept of snaplen
// bytes). The prologue reads only kernel metadata (skb->protocol,
// skb->pkt_type, skb->dev->ifindex), never packet bytes, so user sees the
// packet as the socket hands it over (from the Ethernet or the IP header);
// its jumps are relative and stay valid behind the prologue.
func kernelFilter(user []bpf.RawInstruction, loopbacks []int, snaplen int) ([]bpf.RawInstruction, error) {
	// Layout (n = len(loopbacks); drop is the "ret #0" just before user):
	//   0       ld  proto
	//   1       jeq 0x0800     -> 3    / 2     (n = 0: -> user / 2)
	//   2       jeq 0x86dd     -> 3    / drop  (n = 0: -> user / drop)
	//   3       ld  type                       (3 to 5+n only when n > 0)
	//   4       jeq OUTGOING   -> 5    / user
	//   5       ld  ifindex
	//   6..5+n  jeq loopback_i -> drop / next (the last: / user)
	//   drop    ret #0
	//   user    ...
	n := len(loopbacks)
	if n > 200 {
		// Jump offsets are 8 bits; no real host has this many.
		return nil, fmt.Errorf("%d loopback interfaces, at most 200 handled", n)
	}
	drop := 3
	if n > 0 {
		drop = 6 + n
	}
	userStart := drop + 1
	skip := func(from, to int) uint8 { return uint8(to - from - 1) }

	ipOK := userStart // where IPv4 and IPv6 packets go on
	if n > 0 {
		ipOK = 3
	}
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtProto},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ethPIPv4, SkipTrue: skip(1, ipOK)},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ethPIPv6, SkipTrue: skip(2, ipOK), SkipFalse: skip(2, drop)},
	}
	if n > 0 {
		prog = append(prog,
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipFalse: skip(4, userStart)},
			bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
		)
		for i, idx := range loopbacks {
			at := 6 + i
			next := at + 1
			if i == n-1 {
				next = userStart
			}
			prog = append(prog, bpf.JumpIf{
				Cond:      bpf.JumpEqual,
				Val:       uint32(idx),
				SkipTrue:  skip(at, drop),
				SkipFalse: skip(at, next),
			})
		}
	}
	prog = append(prog, bpf.RetConstant{Val: 0})
	if len(prog) != userStart {
		return nil, fmt.Errorf("filter prologue is %d instructions, want %d", len(prog), userStart)
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assembling the filter prologue: %w", err)
	}
	if len(user) == 0 {
		user = []bpf.RawInstruction{{Op: 0x06, K: uint32(snaplen)}} // ret #snaplen
	}
	const maxInsns = 4096 // BPF_MAXINSNS
	if len(raw)+len(user) > maxInsns {
		return nil, fmt.Errorf("filter has %d instructions, the kernel takes at most %d", len(raw)+len(user), maxInsns)
	}
	return append(raw, user...), nil
}

// afpacketHandle is a liveHandle over an AF_PACKET ring.
type afpacketHandle struct {
	tp *afpacket.TPacket
	lt layers.LinkType
	// match runs the user's filter again on every packet, for those
	// that arrived before the kernel filter was attached; nil when there
	// is no filter.
	match *filter.Matcher
	// untagged holds a frame without the VLAN tag gopacket put back, for
	// match: the kernel filter saw it so.
	untagged []byte
	// group is the fanout group the socket belongs to, nil when it is
	// alone; from is when the group was complete, and until read meets
	// a packet stamped after it, the packets stamped before are skipped:
	// they were spread over the sockets by an incomplete group (see
	// OpenLiveFanout).
	group *fanoutGroup
	from  time.Time
}

func (h *afpacketHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := h.tp.ZeroCopyReadPacketData()
	if errors.Is(err, afpacket.ErrTimeout) {
		return nil, ci, errPollTimeout
	}
	if err == nil && !h.from.IsZero() {
		if ci.Timestamp.Before(h.from) && time.Since(h.from) < fanoutSettle {
			return nil, ci, nil // skipped: arrived before the group was complete
		}
		h.from = time.Time{}
	}
	// An interface going down or away shows as afpacket.ErrPoll (POLLERR),
	// which explainReadError makes sense of.
	if err == nil && h.match != nil {
		seen := data
		if h.lt == layers.LinkTypeEthernet && vlanPutBack(data, ci) {
			h.untagged = append(append(h.untagged[:0], data[:12]...), data[16:]...)
			seen = h.untagged
		}
		if !h.match.Match(seen, h.lt) {
			return nil, ci, nil // skipped: arrived before the kernel filter
		}
	}
	return data, ci, err
}

// vlanPutBack reports whether afpacket put a VLAN tag back into frame,
// behind the MAC addresses (OptAddVLANHeader): the kernel reported the
// tag and the frame has one of its VLAN ID there. (It puts back none for
// a tag of all zeros.)
func vlanPutBack(frame []byte, ci gopacket.CaptureInfo) bool {
	for _, a := range ci.AncillaryData {
		v, ok := a.(afpacket.AncillaryVLAN)
		if !ok || len(frame) < 18 {
			continue
		}
		tpid := binary.BigEndian.Uint16(frame[12:])
		return (tpid == 0x8100 || tpid == 0x88a8) && int(binary.BigEndian.Uint16(frame[14:])&0x0fff) == v.VLAN
	}
	return false
}

func (h *afpacketHandle) dropped() (int64, error) {
	_, v3, err := h.tp.SocketStats()
	if err != nil {
		return 0, err
	}
	return int64(v3.Drops()), nil
}

func (h *afpacketHandle) close() {
	if h.group != nil {
		h.group.leave(h.tp)
		return
	}
	h.tp.Close()
}

package filter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// DefaultSnaplen is the snapshot length Compile uses when given none, and
// what an accepting program returns then: tcpdump's default.
const DefaultSnaplen = 262144

// MaxInstructions is the longest program the Linux kernel accepts
// (BPF_MAXINSNS); Compile refuses to return a longer one.
const MaxInstructions = 4096

// ErrTooLong is wrapped by the error Compile returns for a program longer
// than MaxInstructions.
var ErrTooLong = errors.New("filter: program too long for the kernel")

// ErrLinkType is wrapped by the error Compile returns for a link type it
// has no offsets for.
var ErrLinkType = errors.New("filter: link type not supported")

// Ethernet types and IP protocol numbers used by the primitives.
const (
	etherIPv4   = 0x0800
	etherARP    = 0x0806
	etherRARP   = 0x8035
	etherIPv6   = 0x86dd
	ether8021Q  = 0x8100
	ether8021AD = 0x88a8
	etherQinQ   = 0x9100

	protoICMP     = 1
	protoTCP      = 6
	protoUDP      = 17
	protoFragment = 44
	protoICMPv6   = 58
	protoSCTP     = 132

	afInet         = 2  // AF_INET, in BSD loopback headers
	afInet6BSD     = 24 // AF_INET6 on NetBSD and OpenBSD
	afInet6FreeBSD = 28 // AF_INET6 on FreeBSD
	afInet6Darwin  = 30 // AF_INET6 on macOS
)

// linkState is libpcap's off_linktype and off_linkpl for one link type,
// as they stand at a point of the expression: vlan moves both on by 4.
type linkState struct {
	lt      layers.LinkType
	kind    decode.Framing
	offType uint32 // where the EtherType is, for framings that have one
	offNet  uint32
}

// linkFor returns the offsets of link type lt before any vlan: those of
// its framing, for every link type package decode reads.
func linkFor(lt layers.LinkType) (linkState, error) {
	f, ok := decode.FramingOf(lt)
	if !ok {
		return linkState{lt: lt}, fmt.Errorf("filter: compiling for link type %s (%d): %w", lt, int(lt), ErrLinkType)
	}
	return linkState{lt: lt, kind: f, offType: uint32(max(f.EtherTypeAt(), 0)), offNet: uint32(f.HeaderLen())}, nil
}

// Compile returns a classic BPF program that accepts the packets the
// filter matches, for packets of link type lt as the kernel or a capture
// file presents them, for every link type decode.FramingOf knows:
// Ethernet (where vlan shifts the offsets of what follows it, as in
// tcpdump), Linux cooked v1 and v2, raw IP and BSD loopback (LinkTypeNull
// in this host's byte order, LinkTypeLoop); any other is an error wrapping
// ErrLinkType. An accepting program returns snaplen,
// or DefaultSnaplen when snaplen is not positive; a rejecting one returns
// 0.
//
// The program behaves as tcpdump's for the same expression and link type,
// down to packets too short for a header it reads (the program rejects
// those as the kernel does). It is not optimised as tcpdump's is, but
// loads nothing twice in a row; a program longer than MaxInstructions is
// an error wrapping ErrTooLong. A filter that can match nothing (ip6 on
// LinkTypeIPv4) compiles to a program that rejects everything, where
// tcpdump reports an error. A nil Filter compiles to a program that
// accepts everything.
//
// On a live Linux socket the kernel hands the filter VLAN-tagged frames
// with their tag removed; this program, like tcpdump -d's, does not use the
// kernel's VLAN extensions.
func (f *Filter) Compile(lt layers.LinkType, snaplen int) ([]bpf.RawInstruction, error) {
	prog, err := f.compile(lt, snaplen)
	if err != nil {
		return nil, err
	}
	if len(prog) > MaxInstructions {
		return nil, fmt.Errorf("filter: compiling %q for link type %s: %d instructions, more than %d: %w",
			f.expr, lt, len(prog), MaxInstructions, ErrTooLong)
	}
	return prog, nil
}

// compile is Compile without the limit on the program's length, which
// only the kernel has.
func (f *Filter) compile(lt layers.LinkType, snaplen int) ([]bpf.RawInstruction, error) {
	ls, err := linkFor(lt)
	if err != nil {
		return nil, err
	}
	if snaplen <= 0 {
		snaplen = DefaultSnaplen
	}
	if f == nil {
		return []bpf.RawInstruction{{Op: opRetK, K: uint32(snaplen)}}, nil
	}
	c, err := f.expand(f.root, &ls)
	if err != nil {
		return nil, err
	}
	return assemble(c, uint32(snaplen)), nil
}

// load says what a test loads into A.
type load struct {
	size uint8  // 1, 2 or 4 bytes
	ind  bool   // at X + off, X being 4*(pkt[xoff]&0xf): the IPv4 header length
	off  uint32 // offset from the start of the packet (or from X)
	xoff uint32
	mask uint32 // ANDed into A after the load; 0xffffffff for none
}

// test is one conditional jump on a load.
type test struct {
	ld  load
	jmp uint16 // bpf.JumpEqual and so on, as raw BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET
	k   uint32
}

type condOp uint8

const (
	cTest condOp = iota
	cAnd
	cOr
	cNot
	cTrue
	cFalse
)

// cond is a predicate over the packet: a tree of tests, evaluated left to
// right with short circuits, which is also the order in which the compiled
// program loads.
type cond struct {
	op   condOp
	a, b *cond
	t    test
}

var (
	condTrue  = &cond{op: cTrue}
	condFalse = &cond{op: cFalse}
)

func and(a, b *cond) *cond {
	switch {
	case a.op == cFalse || b.op == cFalse:
		return condFalse
	case a.op == cTrue:
		return b
	case b.op == cTrue:
		return a
	}
	return &cond{op: cAnd, a: a, b: b}
}

func or(a, b *cond) *cond {
	switch {
	case a.op == cTrue || b.op == cTrue:
		return condTrue
	case a.op == cFalse:
		return b
	case b.op == cFalse:
		return a
	}
	return &cond{op: cOr, a: a, b: b}
}

func not(a *cond) *cond {
	switch a.op {
	case cTrue:
		return condFalse
	case cFalse:
		return condTrue
	}
	return &cond{op: cNot, a: a}
}

// mcmp is a test of the size bytes at off (masked) against k.
func mcmp(size uint8, off, mask uint32, jmp uint16, k uint32) *cond {
	return &cond{op: cTest, t: test{ld: load{size: size, off: off, mask: mask}, jmp: jmp, k: k}}
}

func eq(size uint8, off, k uint32) *cond { return mcmp(size, off, 0xffffffff, opJEQ, k) }

// expand turns the expression tree into a predicate for ls, walking it in
// the order it was written so that vlan moves the offsets of what follows.
func (f *Filter) expand(n *node, ls *linkState) (*cond, error) {
	switch n.op {
	case opNot:
		c, err := f.expand(n.l, ls)
		if err != nil {
			return nil, err
		}
		return not(c), nil
	case opAnd:
		l, err := f.expand(n.l, ls)
		if err != nil {
			return nil, err
		}
		r, err := f.expand(n.r, ls)
		if err != nil {
			return nil, err
		}
		return and(l, r), nil
	case opOr:
		return f.expandOr(n, ls)
	}
	p := &n.p
	switch p.kind {
	case primHost4:
		return ls.host4([]*prim{p}), nil
	case primPort:
		return or(ls.port6([]*prim{p}), ls.port4([]*prim{p})), nil
	case primProto:
		return ls.proto(p.proto), nil
	case primHost6:
		return ls.host6(p), nil
	case primVLAN:
		if ls.kind != decode.FramingEthernet {
			return nil, &Error{Expr: f.expr, Offset: p.pos, Near: "vlan",
				Msg: fmt.Sprintf("no VLAN support for link type %s", ls.lt)}
		}
		c := or(or(ls.linktype(ether8021Q), ls.linktype(ether8021AD)), ls.linktype(etherQinQ))
		if p.vlan >= 0 {
			c = and(c, mcmp(2, ls.offNet, 0x0fff, opJEQ, uint32(p.vlan)))
		}
		ls.offType += 4
		ls.offNet += 4
		return c, nil
	}
	return nil, fmt.Errorf("filter: internal error: primitive kind %d", p.kind)
}

// runKey identifies primitives of an or-chain whose guards are the same:
// ports of one protocol qualifier, or IPv4 hosts and nets of one protocol
// qualifier, at the same offsets.
type runKey struct {
	kind    primKind
	proto   qualProto
	offType uint32
	offNet  uint32
}

// expandOr expands a chain of or. A run of ports, or of IPv4 hosts and
// nets, written one after the other is tested field by field: "port 21 or
// port 20" loads the source port, compares it with 21 and 20, then does
// the same with the destination port. tcpdump's optimiser (or_pullup)
// arranges them so, and the order matters for a packet too short for the
// destination port: a load past its end rejects the packet.
func (f *Filter) expandOr(n *node, ls *linkState) (*cond, error) {
	var operands []*node
	var flatten func(n *node)
	flatten = func(n *node) {
		if n.op == opOr {
			flatten(n.l)
			flatten(n.r)
			return
		}
		operands = append(operands, n)
	}
	flatten(n)
	c := condFalse
	var run []*prim
	var key runKey
	flush := func() {
		switch {
		case len(run) == 0:
		case run[0].kind == primHost4:
			c = or(c, ls.host4(run))
		case ls.kind == decode.FramingNull || ls.kind == decode.FramingLoop:
			// The IPv6 test is three comparisons there, after which
			// tcpdump's optimiser no longer knows the outcome of the
			// next port's IPv6 test, and leaves the IPv6 parts alone.
			c = or(c, or(ls.port6(run[:1]), ls.port4(run)))
			for _, p := range run[1:] {
				c = or(c, ls.port6([]*prim{p}))
			}
		default:
			c = or(c, or(ls.port6(run), ls.port4(run)))
		}
		run = nil
	}
	for _, o := range operands {
		if o.op == opPrim && o.p.dir != dAnd && (o.p.kind == primHost4 || o.p.kind == primPort && !o.p.rng) {
			k := runKey{kind: o.p.kind, proto: o.p.proto, offType: ls.offType, offNet: ls.offNet}
			if len(run) > 0 && k != key {
				flush()
			}
			key = k
			run = append(run, &o.p)
			continue
		}
		flush()
		oc, err := f.expand(o, ls)
		if err != nil {
			return nil, err
		}
		c = or(c, oc)
	}
	flush()
	return c, nil
}

// fieldTest is one comparison of a run of primitives, with the load it
// makes.
type fieldTest struct {
	ld load
	c  *cond
}

// grouped ors the tests of a run, those of the same load together, loads
// in the order they first appear.
func grouped(ts []fieldTest) *cond {
	var order []load
	by := map[load][]*cond{}
	for _, t := range ts {
		if _, ok := by[t.ld]; !ok {
			order = append(order, t.ld)
		}
		by[t.ld] = append(by[t.ld], t.c)
	}
	c := condFalse
	for _, ld := range order {
		for _, x := range by[ld] {
			c = or(c, x)
		}
	}
	return c
}

// fields returns the offsets of the fields a direction qualifier tests
// (never "src and dst", which is not part of a run).
func fields(d qualDir, src, dst uint32) []uint32 {
	switch d {
	case dSrc:
		return []uint32{src}
	case dDst:
		return []uint32{dst}
	}
	return []uint32{src, dst}
}

// linktype is libpcap's gen_linktype: the packet's network protocol is et.
func (ls *linkState) linktype(et uint16) *cond {
	switch ls.kind {
	case decode.FramingEthernet, decode.FramingLinuxSLL, decode.FramingLinuxSLL2:
		return eq(2, ls.offType, uint32(et))
	case decode.FramingRaw:
		switch et {
		case etherIPv4:
			return mcmp(1, 0, 0xf0, opJEQ, 0x40)
		case etherIPv6:
			return mcmp(1, 0, 0xf0, opJEQ, 0x60)
		}
	case decode.FramingIPv4:
		if et == etherIPv4 {
			return condTrue
		}
	case decode.FramingIPv6:
		if et == etherIPv6 {
			return condTrue
		}
	case decode.FramingNull, decode.FramingLoop:
		// As libpcap compiles for a capture file: the file may come from
		// a BSD, so IPv6 is any of their AF_INET6 values (Darwin,
		// NetBSD/OpenBSD, FreeBSD).
		switch et {
		case etherIPv4:
			return ls.family(afInet)
		case etherIPv6:
			return or(or(ls.family(afInet6Darwin), ls.family(afInet6BSD)), ls.family(afInet6FreeBSD))
		}
	}
	return condFalse
}

// family tests the address family of a BSD loopback header: in this
// host's byte order for LinkTypeNull (as in a capture file written on a
// machine of the same byte order), in network byte order for LinkTypeLoop.
func (ls *linkState) family(af uint32) *cond {
	if ls.kind == decode.FramingNull {
		af = binary.BigEndian.Uint32(binary.NativeEndian.AppendUint32(nil, af))
	}
	return eq(4, 0, af)
}

// proto is libpcap's gen_proto_abbrev for a protocol name alone.
func (ls *linkState) proto(p qualProto) *cond {
	switch p {
	case pIP:
		return ls.linktype(etherIPv4)
	case pIP6:
		return ls.linktype(etherIPv6)
	case pARP:
		return ls.linktype(etherARP)
	case pRARP:
		return ls.linktype(etherRARP)
	case pTCP:
		return or(ls.proto4(protoTCP), ls.proto6(protoTCP))
	case pUDP:
		return or(ls.proto4(protoUDP), ls.proto6(protoUDP))
	case pSCTP:
		return or(ls.proto4(protoSCTP), ls.proto6(protoSCTP))
	case pICMP:
		return ls.proto4(protoICMP)
	case pICMP6:
		return ls.proto6(protoICMPv6)
	}
	return condFalse
}

// proto4 is IPv4 carrying protocol v.
func (ls *linkState) proto4(v uint32) *cond {
	return and(ls.linktype(etherIPv4), eq(1, ls.offNet+9, v))
}

// proto6 is IPv6 whose next header is v, directly or after one fragment
// header, as libpcap checks it.
func (ls *linkState) proto6(v uint32) *cond {
	nh := ls.offNet + 6
	return and(ls.linktype(etherIPv6),
		or(eq(1, nh, v), and(eq(1, nh, protoFragment), eq(1, ls.offNet+40, v))))
}

// byDir combines the test of a source (src) and of a destination (dst)
// field as the direction qualifier asks.
func byDir(d qualDir, src, dst func() *cond) *cond {
	switch d {
	case dSrc:
		return src()
	case dDst:
		return dst()
	case dAnd:
		return and(src(), dst())
	}
	return or(src(), dst())
}

// host4 is libpcap's gen_host for an IPv4 address and mask: IPv4, and with
// no protocol qualifier ARP and RARP too. ps is one primitive, or a run of
// them (see expandOr) with the same protocol qualifier.
func (ls *linkState) host4(ps []*prim) *cond {
	p := ps[0]
	op := func(et uint16, srcOff, dstOff uint32) *cond {
		at := func(q *prim, off uint32) (load, *cond) {
			ld := load{size: 4, off: ls.offNet + off, mask: q.m4}
			return ld, &cond{op: cTest, t: test{ld: ld, jmp: opJEQ, k: q.a4 & q.m4}}
		}
		if p.dir == dAnd {
			one := func(off uint32) func() *cond {
				return func() *cond {
					_, c := at(p, off)
					return and(ls.linktype(et), c)
				}
			}
			return byDir(p.dir, one(srcOff), one(dstOff))
		}
		var ts []fieldTest
		for _, q := range ps {
			for _, off := range fields(q.dir, srcOff, dstOff) {
				ld, c := at(q, off)
				ts = append(ts, fieldTest{ld, c})
			}
		}
		return and(ls.linktype(et), grouped(ts))
	}
	switch p.proto {
	case pIP:
		return op(etherIPv4, 12, 16)
	case pARP:
		return op(etherARP, 14, 24)
	case pRARP:
		return op(etherRARP, 14, 24)
	}
	return or(or(op(etherIPv4, 12, 16), op(etherARP, 14, 24)), op(etherRARP, 14, 24))
}

// host6 is libpcap's gen_host6: the four words of the address, in order.
func (ls *linkState) host6(p *prim) *cond {
	one := func(off uint32) func() *cond {
		return func() *cond {
			c := condTrue
			for w := 0; w < 4; w++ {
				m := binary.BigEndian.Uint32(p.m6[4*w:])
				if m == 0 {
					continue // libpcap's optimiser drops an AND with 0
				}
				a := binary.BigEndian.Uint32(p.a6[4*w:])
				c = and(c, mcmp(4, ls.offNet+off+uint32(4*w), m, opJEQ, a&m))
			}
			return and(ls.linktype(etherIPv6), c)
		}
	}
	return byDir(p.dir, one(8), one(24))
}

// portTests is the test of the ports of ps, one primitive or a run of
// them (see expandOr), where at gives the load of the source (0) or
// destination (2) port.
func portTests(ps []*prim, at func(off uint32) load) *cond {
	p := ps[0]
	eqAt := func(q *prim, off uint32) (load, *cond) {
		ld := at(off)
		ld.size, ld.mask = 2, 0xffffffff
		return ld, &cond{op: cTest, t: test{ld: ld, jmp: opJEQ, k: uint32(q.lo)}}
	}
	if p.rng {
		one := func(off uint32) func() *cond {
			return func() *cond {
				ld := at(off)
				ld.size, ld.mask = 2, 0xffffffff
				return and(&cond{op: cTest, t: test{ld: ld, jmp: opJGE, k: uint32(p.lo)}},
					not(&cond{op: cTest, t: test{ld: ld, jmp: opJGT, k: uint32(p.hi)}}))
			}
		}
		return byDir(p.dir, one(0), one(2))
	}
	if p.dir == dAnd {
		one := func(off uint32) func() *cond {
			return func() *cond {
				_, c := eqAt(p, off)
				return c
			}
		}
		return byDir(p.dir, one(0), one(2))
	}
	var ts []fieldTest
	for _, q := range ps {
		for _, off := range fields(q.dir, 0, 2) {
			ld, c := eqAt(q, off)
			ts = append(ts, fieldTest{ld, c})
		}
	}
	return grouped(ts)
}

// ipProtos is the test of the protocol byte at off for a port primitive:
// the one its qualifier names, or SCTP, TCP or UDP.
func ipProtos(p qualProto, off uint32) *cond {
	switch p {
	case pTCP:
		return eq(1, off, protoTCP)
	case pUDP:
		return eq(1, off, protoUDP)
	case pSCTP:
		return eq(1, off, protoSCTP)
	}
	return or(eq(1, off, protoSCTP), or(eq(1, off, protoTCP), eq(1, off, protoUDP)))
}

// port4 is libpcap's gen_port/gen_portrange for IPv4: the protocol, not a
// fragment other than the first, and the port after the IPv4 header.
func (ls *linkState) port4(ps []*prim) *cond {
	notFrag := not(mcmp(2, ls.offNet+6, 0xffffffff, opJSET, 0x1fff))
	at := func(off uint32) load { return load{ind: true, xoff: ls.offNet, off: ls.offNet + off} }
	return and(ls.linktype(etherIPv4), and(ipProtos(ps[0].proto, ls.offNet+9),
		and(notFrag, portTests(ps, at))))
}

// port6 is libpcap's gen_port6/gen_portrange6: the next header directly
// after the fixed IPv6 header, and the port after it.
func (ls *linkState) port6(ps []*prim) *cond {
	at := func(off uint32) load { return load{off: ls.offNet + 40 + off} }
	return and(ls.linktype(etherIPv6), and(ipProtos(ps[0].proto, ls.offNet+6), portTests(ps, at)))
}

package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// qualProto is a protocol qualifier (tcpdump's Q_IP, Q_TCP, ...).
type qualProto uint8

const (
	pDefault qualProto = iota
	pIP
	pIP6
	pARP
	pRARP
	pTCP
	pUDP
	pSCTP
	pICMP
	pICMP6
)

var protoNames = [...]string{"", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6"}

// qualDir is a direction qualifier.
type qualDir uint8

const (
	dDefault qualDir = iota
	dSrc
	dDst
	dOr  // "src or dst": the same as no direction
	dAnd // "src and dst"
)

var dirNames = [...]string{"", "src", "dst", "src or dst", "src and dst"}

// qualAddr is an address-kind qualifier.
type qualAddr uint8

const (
	aDefault qualAddr = iota
	aHost
	aNet
	aPort
	aPortRange
)

// qual is the set of qualifiers in force, as tcpdump's grammar passes them
// on to a following bare value ("host 10.0.0.1 or 10.0.0.2").
type qual struct {
	proto qualProto
	dir   qualDir
	addr  qualAddr
	// none is set where tcpdump's grammar has no qualifiers to pass on
	// (after "tcp" or "vlan" alone, at the start, ...): a bare value
	// there is a syntax error.
	none bool
}

var qNone = qual{none: true}

// primKind is the kind of a primitive.
type primKind uint8

const (
	primHost4 primKind = iota // IPv4 host or net: a4, m4
	primHost6                 // IPv6 host or net: a6, m6
	primPort                  // port or port range: lo, hi
	primProto                 // a protocol name alone: "tcp", "ip6", ...
	primVLAN                  // vlan, with vlan >= 0 for "vlan ID"
)

// prim is one primitive with all its qualifiers resolved.
type prim struct {
	kind  primKind
	proto qualProto
	dir   qualDir
	a4    uint32
	m4    uint32
	a6    [16]byte
	m6    [16]byte
	lo    uint16
	hi    uint16
	rng   bool  // written as portrange
	vlan  int32 // -1: any VLAN
	pos   int   // byte offset in the expression, for errors
}

// nodeOp is the operation of a node in the expression tree.
type nodeOp uint8

const (
	opPrim nodeOp = iota
	opNot
	opAnd
	opOr
)

// node is a node of the expression tree. Children are kept in the order
// they were written, which matters: "vlan" shifts the offsets of
// everything written after it, as in tcpdump.
type node struct {
	op   nodeOp
	l, r *node // opNot uses l only
	p    prim
}

// String writes n back in a form Parse reads to the same program.
func (n *node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	switch n.op {
	case opPrim:
		n.p.write(b)
	case opNot:
		b.WriteString("not ")
		n.l.writeOperand(b, true)
	case opAnd, opOr:
		n.l.writeOperand(b, n.l.op != n.op)
		if n.op == opAnd {
			b.WriteString(" and ")
		} else {
			b.WriteString(" or ")
		}
		n.r.writeOperand(b, true)
	}
}

// writeOperand writes n, in parentheses if it is a binary node and paren
// is set. And and or have the same precedence and group to the left, so a
// left operand with the same operator needs none.
func (n *node) writeOperand(b *strings.Builder, paren bool) {
	if paren && (n.op == opAnd || n.op == opOr) {
		b.WriteByte('(')
		n.write(b)
		b.WriteByte(')')
		return
	}
	n.write(b)
}

func (p *prim) write(b *strings.Builder) {
	quals := func() {
		if p.proto != pDefault {
			b.WriteString(protoNames[p.proto])
			b.WriteByte(' ')
		}
		if p.dir != dDefault && p.dir != dOr {
			b.WriteString(dirNames[p.dir])
			b.WriteByte(' ')
		}
	}
	switch p.kind {
	case primHost4:
		quals()
		a := netip.AddrFrom4([4]byte{byte(p.a4 >> 24), byte(p.a4 >> 16), byte(p.a4 >> 8), byte(p.a4)})
		if p.m4 == 0xffffffff {
			fmt.Fprintf(b, "host %s", a)
			return
		}
		m := netip.AddrFrom4([4]byte{byte(p.m4 >> 24), byte(p.m4 >> 16), byte(p.m4 >> 8), byte(p.m4)})
		fmt.Fprintf(b, "net %s mask %s", a, m)
	case primHost6:
		quals()
		bits := maskLen6(p.m6)
		if bits == 128 {
			fmt.Fprintf(b, "host %s", netip.AddrFrom16(p.a6))
			return
		}
		fmt.Fprintf(b, "net %s/%d", netip.AddrFrom16(p.a6), bits)
	case primPort:
		quals()
		if p.rng {
			fmt.Fprintf(b, "portrange %d-%d", p.lo, p.hi)
			return
		}
		fmt.Fprintf(b, "port %d", p.lo)
	case primProto:
		b.WriteString(protoNames[p.proto])
	case primVLAN:
		b.WriteString("vlan")
		if p.vlan >= 0 {
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(int(p.vlan)))
		}
	}
}

// maskLen6 returns the prefix length of m, a mask made by prefix6.
func maskLen6(m [16]byte) int {
	n := 0
	for _, c := range m {
		for bit := byte(0x80); bit != 0 && c&bit != 0; bit >>= 1 {
			n++
		}
	}
	return n
}

// prefix6 returns the IPv6 mask of the given prefix length.
func prefix6(bits int) [16]byte {
	var m [16]byte
	for i := 0; i < bits; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

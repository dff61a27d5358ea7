package filter

import (
	"fmt"
	"strconv"
	"strings"
)

// parser is a recursive-descent reading of tcpdump's yacc grammar
// (libpcap grammar.y) restricted to the supported subset. It follows the
// grammar's passing of qualifiers from one primitive to a following bare
// value: the qual each function takes is yacc's $<blk>0.q, the qualifiers
// of what was written just before.
type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// errAt returns an Error about token t.
func (p *parser) errAt(t token, format string, args ...any) error {
	return &Error{Expr: p.src, Offset: t.pos, Near: t.text, Msg: fmt.Sprintf(format, args...)}
}

// syntax returns the error for an unexpected token t.
func (p *parser) syntax(t token) error {
	if t.kind == tEOF {
		return p.errAt(t, "unexpected end of expression")
	}
	return p.errAt(t, "syntax error")
}

// expr reads expr: term { (and|or) (term|id) }. And and or have the same
// precedence and group to the left, as in tcpdump.
func (p *parser) expr(q qual) (*node, qual, error) {
	n, q, err := p.term(q)
	if err != nil {
		return nil, q, err
	}
	for {
		t := p.peek()
		var op nodeOp
		switch t.kind {
		case tAnd:
			op = opAnd
		case tOr:
			op = opOr
		default:
			return n, q, nil
		}
		p.next()
		var r *node
		if p.startsID() {
			r, err = p.id(q)
		} else {
			r, q, err = p.term(q)
		}
		if err != nil {
			return nil, q, err
		}
		n = &node{op: op, l: n, r: r}
	}
}

// startsID tells whether what follows an and/or is a bare value (tcpdump's
// "id", which takes the qualifiers in force) rather than a term: after any
// "not" and "(", a number, address or name.
func (p *parser) startsID() bool {
	for k := 0; ; k++ {
		switch p.peekAt(k).kind {
		case tNot, tLParen:
			continue
		case tNum, tHID, tHID6, tID:
			return true
		default:
			return false
		}
	}
}

// term reads term: not term | rterm.
func (p *parser) term(q qual) (*node, qual, error) {
	if p.peek().kind == tNot {
		p.next()
		n, q, err := p.term(q)
		if err != nil {
			return nil, q, err
		}
		return &node{op: opNot, l: n}, q, nil
	}
	return p.rterm(q)
}

// rterm reads a parenthesised expression, a qualified primitive, a
// protocol name alone or vlan.
func (p *parser) rterm(q qual) (*node, qual, error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		p.next()
		n, _, err := p.expr(q)
		if err != nil {
			return nil, q, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, q, p.syntax(c)
		}
		return n, q, nil
	case tKey:
	default:
		return nil, q, p.syntax(t)
	}
	var head qual
	switch t.key {
	case kVLAN:
		p.next()
		pr := prim{kind: primVLAN, vlan: -1, pos: t.pos}
		if n := p.peek(); n.kind == tNum {
			p.next()
			if n.num > 4095 {
				return nil, q, p.errAt(n, "VLAN tag %d greater than maximum 4095", n.num)
			}
			pr.vlan = int32(n.num)
		}
		return &node{p: pr}, qNone, nil
	case kIP, kIP6, kARP, kRARP, kTCP, kUDP, kSCTP, kICMP, kICMP6:
		p.next()
		head.proto = protoOf(t.key)
		if n := p.peek(); n.kind != tKey || !isDirOrAddr(n.key) {
			return &node{p: prim{kind: primProto, proto: head.proto, pos: t.pos}}, qNone, nil
		}
	}
	// head: [proto] [dir] [addr], at least one of dir and addr.
	if k := p.peek(); k.kind == tKey && (k.key == kSrc || k.key == kDst) {
		p.next()
		head.dir = dSrc
		if k.key == kDst {
			head.dir = dDst
		}
		if c := p.peek(); c.kind == tAnd || c.kind == tOr {
			other := p.peekAt(1)
			if other.kind != tKey || (other.key != kSrc && other.key != kDst) || other.key == k.key {
				return nil, q, p.syntax(other)
			}
			p.next()
			p.next()
			head.dir = dOr
			if c.kind == tAnd {
				head.dir = dAnd
			}
		}
	}
	if k := p.peek(); k.kind == tKey {
		switch k.key {
		case kHost:
			head.addr = aHost
		case kNet:
			head.addr = aNet
		case kPort:
			head.addr = aPort
		case kPortRange:
			head.addr = aPortRange
		}
		if head.addr != aDefault {
			p.next()
		}
	}
	if head.dir == dDefault && head.addr == aDefault {
		return nil, q, p.syntax(p.peek())
	}
	n, err := p.id(head)
	return n, head, err
}

func isDirOrAddr(k keyword) bool {
	switch k {
	case kSrc, kDst, kHost, kNet, kPort, kPortRange:
		return true
	}
	return false
}

func protoOf(k keyword) qualProto {
	switch k {
	case kIP:
		return pIP
	case kIP6:
		return pIP6
	case kARP:
		return pARP
	case kRARP:
		return pRARP
	case kTCP:
		return pTCP
	case kUDP:
		return pUDP
	case kSCTP:
		return pSCTP
	case kICMP:
		return pICMP
	case kICMP6:
		return pICMP6
	}
	return pDefault
}

// id reads a value under the qualifiers q: a number, an address, an
// address with a mask, a name, "not id" or a parenthesised list of ids
// joined by and/or (tcpdump's id, nid and pid).
func (p *parser) id(q qual) (*node, error) {
	t := p.next()
	switch t.kind {
	case tNot:
		n, err := p.id(q)
		if err != nil {
			return nil, err
		}
		return &node{op: opNot, l: n}, nil
	case tLParen:
		n, err := p.id(q)
		if err != nil {
			return nil, err
		}
		for {
			c := p.next()
			switch c.kind {
			case tRParen:
				return n, nil
			case tAnd, tOr:
				r, err := p.id(q)
				if err != nil {
					return nil, err
				}
				op := opAnd
				if c.kind == tOr {
					op = opOr
				}
				n = &node{op: op, l: n, r: r}
			default:
				return nil, p.syntax(c)
			}
		}
	case tNum:
		return p.ncode(t, q, t.num, 32, true)
	case tHID:
		switch p.peek().kind {
		case tSlash:
			p.next()
			l := p.next()
			if l.kind != tNum {
				return nil, p.syntax(l)
			}
			if l.num > 32 {
				return nil, p.errAt(l, "mask length must be <= 32")
			}
			m := uint32(0)
			if l.num > 0 {
				m = 0xffffffff << (32 - l.num)
			}
			return p.mcode(t, q, t.v4<<(32-t.v4n), m, fmt.Sprintf("%s/%d", t.text, l.num))
		case tKey:
			if p.peek().key != kMask {
				break
			}
			p.next()
			mt := p.next()
			if mt.kind != tHID {
				if mt.kind == tNum {
					return nil, p.errAt(mt, "a mask must be a dotted address")
				}
				return nil, p.syntax(mt)
			}
			return p.mcode(t, q, t.v4<<(32-t.v4n), mt.v4<<(32-mt.v4n), t.text+" mask "+mt.text)
		}
		switch q.addr {
		case aPort, aPortRange:
			if !q.none {
				return nil, p.errAt(t, "'%s' modifier applied to IP address", addrName(q.addr))
			}
		}
		return p.ncode(t, q, t.v4, t.v4n, false)
	case tHID6:
		bits := uint32(128)
		if p.peek().kind == tSlash {
			p.next()
			l := p.next()
			if l.kind != tNum {
				return nil, p.syntax(l)
			}
			if l.num > 128 {
				return nil, p.errAt(l, "mask length must be <= 128")
			}
			bits = l.num
		}
		return p.mcode6(t, q, int(bits))
	case tID:
		return p.scode(t, q)
	}
	return nil, p.syntax(t)
}

func addrName(a qualAddr) string {
	return [...]string{"", "host", "net", "port", "portrange"}[a]
}

// ncode builds the primitive for a number or a dotted address of bits
// bits under q, as libpcap's gen_ncode.
func (p *parser) ncode(t token, q qual, v uint32, bits int, isNum bool) (*node, error) {
	if q.none {
		return nil, p.syntax(t)
	}
	switch q.addr {
	case aDefault, aHost, aNet:
		mask := uint32(0xffffffff)
		if isNum && q.addr == aNet {
			// promote a short net number: "net 10" is 10.0.0.0/8
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		} else {
			// promote a short address: "host 10.1" is 10.1.0.0/16
			v <<= 32 - bits
			mask <<= 32 - bits
		}
		return p.host4(t, q, v, mask)
	case aPort, aPortRange:
		pr, err := p.portProto(t, q)
		if err != nil {
			return nil, err
		}
		if v > 65535 {
			return nil, p.errAt(t, "illegal port number %d > 65535", v)
		}
		pr.lo, pr.hi = uint16(v), uint16(v)
		return &node{p: pr}, nil
	}
	return nil, p.syntax(t)
}

// portProto checks the protocol qualifier of a port or port range.
func (p *parser) portProto(t token, q qual) (prim, error) {
	switch q.proto {
	case pDefault, pTCP, pUDP, pSCTP:
	default:
		return prim{}, p.errAt(t, "illegal qualifier of '%s'", addrName(q.addr))
	}
	return prim{kind: primPort, proto: q.proto, dir: q.dir, rng: q.addr == aPortRange, pos: t.pos}, nil
}

// host4 builds an IPv4 host or net primitive, checking the protocol
// qualifier as libpcap's gen_host does.
func (p *parser) host4(t token, q qual, a, m uint32) (*node, error) {
	switch q.proto {
	case pDefault, pIP, pARP, pRARP:
	case pIP6:
		return nil, p.errAt(t, "'ip6' modifier applied to ip host")
	default:
		return nil, p.errAt(t, "'%s' modifier applied to host", protoNames[q.proto])
	}
	return &node{p: prim{kind: primHost4, proto: q.proto, dir: q.dir, a4: a, m4: m, pos: t.pos}}, nil
}

// mcode builds a net given with a mask ("10.0.0.0/8", "10.0.0.0 mask
// 255.0.0.0"), as libpcap's gen_mcode.
func (p *parser) mcode(t token, q qual, a, m uint32, text string) (*node, error) {
	if a&^m != 0 {
		return nil, p.errAt(t, "non-network bits set in %q", text)
	}
	if q.none || q.addr != aNet {
		return nil, p.errAt(t, "mask syntax for networks only")
	}
	return p.host4(t, q, a, m)
}

// mcode6 builds an IPv6 host or net, as libpcap's gen_mcode6.
func (p *parser) mcode6(t token, q qual, bits int) (*node, error) {
	a := t.v6.As16()
	m := prefix6(bits)
	for i := range a {
		if a[i]&^m[i] != 0 {
			return nil, p.errAt(t, "non-network bits set in \"%s/%d\"", t.text, bits)
		}
	}
	if q.none {
		return nil, p.errAt(t, "invalid qualifier against IPv6 address")
	}
	switch q.addr {
	case aDefault, aHost:
		if bits != 128 {
			return nil, p.errAt(t, "mask syntax for networks only")
		}
	case aNet:
	default:
		return nil, p.errAt(t, "invalid qualifier against IPv6 address")
	}
	switch q.proto {
	case pDefault, pIP6:
	default:
		return nil, p.errAt(t, "'%s' modifier applied to ip6 host", protoNames[q.proto])
	}
	return &node{p: prim{kind: primHost6, proto: q.proto, dir: q.dir, a6: a, m6: m, pos: t.pos}}, nil
}

// servicePorts are the service names accepted for port: the FTP ones, as
// Debian's /etc/services defines them (TCP only, so "port ftp" means
// "tcp port 21" in tcpdump too).
var servicePorts = map[string]uint16{"ftp-data": 20, "ftp": 21, "ftps-data": 989, "ftps": 990}

// scode builds the primitive for a name under q, as libpcap's gen_scode:
// an FTP service name for port, a numeric range for portrange.
func (p *parser) scode(t token, q qual) (*node, error) {
	if q.none {
		return nil, p.syntax(t)
	}
	switch q.addr {
	case aPort:
		pr, err := p.portProto(t, q)
		if err != nil {
			return nil, err
		}
		port, ok := servicePorts[t.text]
		if !ok {
			return nil, &Error{Expr: p.src, Offset: t.pos, Near: t.text, Msg: "service names other than ftp, ftp-data, ftps and ftps-data; give the port number", Unsupported: true}
		}
		switch q.proto {
		case pUDP, pSCTP:
			return nil, p.errAt(t, "port '%s' is tcp", t.text)
		}
		pr.proto = pTCP
		pr.lo, pr.hi = port, port
		return &node{p: pr}, nil
	case aPortRange:
		pr, err := p.portProto(t, q)
		if err != nil {
			return nil, err
		}
		lo, hi, ok := strings.Cut(t.text, "-")
		a, errA := strconv.ParseUint(lo, 10, 32)
		b, errB := strconv.ParseUint(hi, 10, 32)
		if !ok || errA != nil || errB != nil {
			return nil, &Error{Expr: p.src, Offset: t.pos, Near: t.text, Msg: "port ranges other than NUMBER-NUMBER", Unsupported: true}
		}
		if a > b {
			a, b = b, a
		}
		if b > 65535 {
			return nil, p.errAt(t, "illegal port number %d > 65535", b)
		}
		pr.lo, pr.hi = uint16(a), uint16(b)
		return &node{p: pr}, nil
	}
	return nil, &Error{Expr: p.src, Offset: t.pos, Near: t.text, Msg: "host and network names, which need a name lookup; give an address", Unsupported: true}
}

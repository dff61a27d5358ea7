package filter

import (
	"net/netip"
	"strings"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tSlash
	tNot
	tAnd
	tOr
	tNum  // a number: decimal, 0x hexadecimal or 0-prefixed octal, as tcpdump reads them
	tHID  // a dotted IPv4 address of 2 to 4 parts ("10.1", "10.0.0.1")
	tHID6 // an IPv6 address
	tID   // any other word: a name, or a port range "20-21"
	tKey  // a keyword of the supported subset
)

// keyword identifies a keyword of the supported subset.
type keyword uint8

const (
	kNone keyword = iota
	kHost
	kNet
	kMask
	kPort
	kPortRange
	kSrc
	kDst
	kVLAN
	// protocol names, usable alone or as qualifiers
	kIP
	kIP6
	kARP
	kRARP
	kTCP
	kUDP
	kSCTP
	kICMP
	kICMP6
)

var keywords = map[string]keyword{
	"host": kHost, "net": kNet, "mask": kMask, "port": kPort, "portrange": kPortRange,
	"src": kSrc, "dst": kDst, "vlan": kVLAN,
	"ip": kIP, "ip6": kIP6, "arp": kARP, "rarp": kRARP,
	"tcp": kTCP, "udp": kUDP, "sctp": kSCTP, "icmp": kICMP, "icmp6": kICMP6,
}

// unsupportedWords maps tcpdump keywords outside the subset to the feature
// they belong to, for the error message.
var unsupportedWords = map[string]string{}

func init() {
	for feature, words := range map[string]string{
		"link-layer qualifiers and addresses": "ether fddi tr wlan ppp slip link",
		"packet length tests":                 "less greater len",
		"broadcast and multicast tests":       "broadcast multicast",
		"protocol numbers":                    "proto protochain",
		"gateway tests":                       "gateway",
		"other protocols": "igmp igrp pim vrrp carp ah esp atalk aarp decnet lat sca moprc mopdl " +
			"iso esis es-is isis is-is clnp stp ipx netbeui radio l1 l2 iih lsp snp csnp psnp",
		"other encapsulations":            "mpls pppoed pppoes geneve vxlan lane llc",
		"capture direction and interface": "inbound outbound ifindex",
		"802.11 qualifiers":               "type subtype dir direction addr1 addr2 addr3 addr4 address1 address2 address3 address4 ra ta",
		"pflog qualifiers":                "on ifname rnr rulenum reason rset ruleset srnr subrulenum action",
		"ATM and SS7 qualifiers": "metac bcc oam oamf4 oamf4ec oamf4sc sc ilmic vpi vci connectmsg metaconnect " +
			"fisu lssu msu sio opc dpc sls hfisu hlssu hmsu hsio hopc hdpc hsls",
	} {
		for _, w := range strings.Fields(words) {
			unsupportedWords[w] = feature
		}
	}
}

// token is one lexical token and where it starts in the expression.
type token struct {
	kind tokKind
	key  keyword
	pos  int
	text string
	num  uint32     // tNum
	v4   uint32     // tHID: the parts given, right-aligned (10.1 is 0x0a01)
	v4n  int        // tHID: number of bits given (16, 24 or 32)
	v6   netip.Addr // tHID6
}

// lex splits expr into tokens. It reports numbers and addresses that are
// malformed, and syntax outside the supported subset.
func lex(expr string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i, text: "("})
			i++
			continue
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i, text: ")"})
			i++
			continue
		case c == '/':
			toks = append(toks, token{kind: tSlash, pos: i, text: "/"})
			i++
			continue
		case c == '!' && !strings.HasPrefix(expr[i:], "!="):
			toks = append(toks, token{kind: tNot, pos: i, text: "!"})
			i++
			continue
		case strings.HasPrefix(expr[i:], "&&"):
			toks = append(toks, token{kind: tAnd, pos: i, text: "&&"})
			i += 2
			continue
		case strings.HasPrefix(expr[i:], "||"):
			toks = append(toks, token{kind: tOr, pos: i, text: "||"})
			i += 2
			continue
		case isWordStart(c):
			j := i + 1
			for j < len(expr) && isWordChar(expr[j]) {
				j++
			}
			tok, err := word(expr, i, j)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = j
			continue
		case c == '%' && len(toks) > 0 && toks[len(toks)-1].kind == tHID6 && toks[len(toks)-1].pos+len(toks[len(toks)-1].text) == i:
			return nil, &Error{Expr: expr, Offset: i, Near: "%", Msg: "IPv6 addresses with a zone are not valid in filters"}
		case strings.IndexByte("[]&|+-*%^<>=!", c) >= 0:
			j := i + 1
			for j < len(expr) && strings.IndexByte("&|<>=", expr[j]) >= 0 {
				j++
			}
			return nil, &Error{Expr: expr, Offset: i, Near: expr[i:j], Msg: "arithmetic and relational expressions", Unsupported: true}
		case c == '\\' || c == '"':
			return nil, &Error{Expr: expr, Offset: i, Near: expr[i : i+1], Msg: "escapes and quoted names", Unsupported: true}
		default:
			return nil, &Error{Expr: expr, Offset: i, Near: expr[i : i+1], Msg: "unexpected character"}
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(expr)})
	return toks, nil
}

func isWordStart(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':'
}

func isWordChar(c byte) bool {
	return isWordStart(c) || c == '.' || c == '-' || c == '_'
}

// word classifies expr[i:j], a maximal run of word characters.
func word(expr string, i, j int) (token, error) {
	w := expr[i:j]
	tok := token{pos: i, text: w}
	if strings.IndexByte(w, ':') >= 0 {
		a, err := netip.ParseAddr(w)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return tok, &Error{Expr: expr, Offset: i, Near: w, Msg: "bogus IPv6 address"}
		}
		tok.kind, tok.v6 = tHID6, a
		return tok, nil
	}
	if k, ok := keywords[w]; ok {
		tok.kind, tok.key = tKey, k
		if j < len(expr) && expr[j] == '[' {
			return tok, bracket(expr, i, j)
		}
		return tok, nil
	}
	switch w {
	case "and":
		tok.kind = tAnd
		return tok, nil
	case "or":
		tok.kind = tOr
		return tok, nil
	case "not":
		tok.kind = tNot
		return tok, nil
	}
	if feature, ok := unsupportedWords[w]; ok {
		if j < len(expr) && expr[j] == '[' {
			return tok, bracket(expr, i, j)
		}
		return tok, &Error{Expr: expr, Offset: i, Near: w, Msg: feature, Unsupported: true}
	}
	if w[0] >= '0' && w[0] <= '9' {
		if n, ok, err := number(w); ok {
			if err != "" {
				return tok, &Error{Expr: expr, Offset: i, Near: w, Msg: err}
			}
			tok.kind, tok.num = tNum, n
			return tok, nil
		}
		if v, bits, ok := dotted(w); ok {
			if bits < 0 {
				return tok, &Error{Expr: expr, Offset: i, Near: w, Msg: "invalid IPv4 address"}
			}
			tok.kind, tok.v4, tok.v4n = tHID, v, bits
			return tok, nil
		}
	}
	if w[len(w)-1] == '-' || w[len(w)-1] == '_' {
		return tok, &Error{Expr: expr, Offset: i, Near: w, Msg: "malformed name"}
	}
	tok.kind = tID
	return tok, nil
}

// bracket reports a byte-offset access such as tcp[13], quoting it up to
// the closing bracket.
func bracket(expr string, i, j int) error {
	end := strings.IndexByte(expr[j:], ']')
	if end < 0 {
		end = len(expr)
	} else {
		end += j + 1
	}
	return &Error{Expr: expr, Offset: i, Near: expr[i:end], Msg: "byte offsets", Unsupported: true}
}

// number parses w as tcpdump's scanner does: 0x hexadecimal, 0-prefixed
// octal or decimal. ok is false when w is not a number at all; err is set
// when it looks like one but is malformed.
func number(w string) (n uint32, ok bool, err string) {
	base, digits := uint64(10), w
	switch {
	case len(w) > 2 && (w[:2] == "0x" || w[:2] == "0X"):
		base, digits = 16, w[2:]
	case len(w) > 1 && w[0] == '0':
		base, digits = 8, w[1:]
	}
	var v uint64
	for k := 0; k < len(digits); k++ {
		c := digits[k]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false, ""
		}
		if d >= base {
			return 0, true, "number contains a non-octal digit"
		}
		v = v*base + d
		if v > 0xffffffff {
			return 0, true, "number overflows 32 bits"
		}
	}
	return uint32(v), true, ""
}

// dotted parses "a.b", "a.b.c" or "a.b.c.d" of decimal parts. ok is false
// when w is not of that shape; bits is -1 when a part exceeds 255.
func dotted(w string) (v uint32, bits int, ok bool) {
	parts := strings.Split(w, ".")
	if len(parts) < 2 || len(parts) > 4 {
		return 0, 0, false
	}
	for _, p := range parts {
		if p == "" || len(p) > 10 {
			return 0, 0, false
		}
		for k := 0; k < len(p); k++ {
			if p[k] < '0' || p[k] > '9' {
				return 0, 0, false
			}
		}
	}
	for _, p := range parts {
		var n uint64
		for k := 0; k < len(p); k++ {
			n = n*10 + uint64(p[k]-'0')
		}
		if n > 255 {
			return 0, -1, true
		}
		v = v<<8 | uint32(n)
	}
	return v, 8 * len(parts), true
}

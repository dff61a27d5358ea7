package session

import (
	"net/netip"
)

// This file models what the Linux FTP connection-tracking helper,
// nf_conntrack_ftp (net/netfilter/nf_conntrack_ftp.c), reads in a control
// connection, and so whether a firewall that relies on it opens a data
// connection. ALGs that parse the same way behave alike. The model follows
// the kernel's code, not RFC 959: the helper is much stricter than an FTP
// client, and the differences are what it is for.
//
// What the kernel does, and this file with it:
//
//   - help() looks at one TCP segment at a time. It searches a segment
//     only when its sequence number is one of the last two positions seen
//     just after a segment that ended with '\n' (find_nl_seq and
//     update_nl_seq, NUM_SEQ_TO_REMEMBER = 2): a segment that continues a
//     line, and the first segment of each direction, are not searched. A
//     connection picked up in the middle (conntrackd's NF_CT_FTP_SEQ_PICKUP)
//     has its first segment of each direction searched; so does a capture
//     that starts mid-connection here.
//   - find_pattern compares the start of the segment, case-insensitively,
//     with "PORT" and then "EPRT" from the client (the original direction),
//     and "227 " and then "229 " from the server. A command or reply that
//     does not start at the beginning of the segment is never seen.
//   - A segment no longer than the pattern that matches its start, a
//     pattern not followed by its skip character (' ' for PORT and EPRT,
//     '(' for 229), and a pattern whose numbers do not parse are a partial
//     match: the kernel drops the packet (NF_DROP) and does not update its
//     newline positions.
//   - The numbers: PORT is try_rfc959 (six decimal numbers separated by
//     ',' and ended by '\r', nothing else: no space, no bare '\n'); 227 is
//     try_rfc1123 (the first digit after "227 ", then six numbers ended by
//     any character that is neither a digit nor ','); EPRT is try_eprt (a
//     delimiter between '!' and '~' that is not a digit, the family digit of
//     the connection's own family, four '.'-separated numbers or an IPv6
//     address, then a port); 229 is try_epsv_response (three delimiters,
//     then a port). Numbers are not range-checked: they wrap as the kernel's
//     unsigned arithmetic does. A port of 0 is refused in EPRT and 229.
//   - An announced address other than the address that sent it (the client
//     for PORT/EPRT, the server for 227) makes no expectation unless the
//     module is loaded with loose=1 (it is not by default): the segment is
//     accepted and nothing is opened. 229 names no address: the sender's is
//     used.
//   - An expectation is for a connection from the other side's address (any
//     port) to the sender's address and the announced port. The policy is
//     max_expected = 1 and timeout = 300 s: a second expectation on the
//     control connection evicts the first, and one unused for five minutes
//     expires.
//   - The helper is attached to control connections by their server port:
//     ports=21 unless the module parameter or a CT rule says otherwise.
//   - After AUTH TLS the segments are TLS records: nothing matches, so
//     nothing is opened.

// ctKind is what the helper looks for.
type ctKind uint8

// ctKind values.
const (
	ctNone ctKind = iota
	ctPORT        // "PORT" from the client
	ctEPRT        // "EPRT" from the client
	ct227         // "227 " from the server
	ct229         // "229 " from the server
)

func (k ctKind) String() string {
	switch k {
	case ctPORT:
		return "PORT"
	case ctEPRT:
		return "EPRT"
	case ct227:
		return "227"
	case ct229:
		return "229"
	}
	return ""
}

// ctFound is find_pattern's result.
type ctFound int8

// ctFound values, as the kernel numbers them.
const (
	ctPartial ctFound = -1 // the pattern, but not its numbers: the packet is dropped
	ctNoMatch ctFound = 0  // no pattern at the start of the segment
	ctMatched ctFound = 1  // the pattern and its numbers
)

// ctRead is what the helper read from the start of one segment. For a
// match, Addr is the address it read (invalid for 229, which names none)
// and Port the port.
type ctRead struct {
	Found ctFound
	Kind  ctKind
	Addr  netip.Addr
	Port  uint16
}

// ctSearch runs the helper's search over the payload of one segment of
// direction d (toServer: the client's commands; toClient: the server's
// replies) on a control connection over IPv6 when ipv6 is set.
func ctSearch(d int, data []byte, ipv6 bool) ctRead {
	type search struct {
		kind    ctKind
		pattern string
		skip    byte
	}
	searches := [2]search{{ctPORT, "PORT", ' '}, {ctEPRT, "EPRT", ' '}}
	if d == toClient {
		searches = [2]search{{ct227, "227 ", 0}, {ct229, "229 ", '('}}
	}
	for _, sr := range searches {
		off, found := ctFind(data, sr.pattern, sr.skip)
		switch found {
		case ctNoMatch:
			continue
		case ctPartial:
			return ctRead{Found: ctPartial, Kind: sr.kind}
		}
		r := ctRead{Found: ctPartial, Kind: sr.kind}
		ok := false
		switch sr.kind {
		case ctPORT:
			r.Addr, r.Port, ok = ctRFC959(data[off:], '\r')
		case ct227:
			r.Addr, r.Port, ok = ctRFC1123(data[off:])
		case ctEPRT:
			r.Addr, r.Port, ok = ctEPRTNumbers(data[off:], ipv6)
		case ct229:
			r.Port, ok = ctEPSVNumbers(data[off:])
		}
		if ok {
			r.Found = ctMatched
		} else {
			r.Addr, r.Port = netip.Addr{}, 0
		}
		return r
	}
	return ctRead{}
}

// ctFind compares the start of data with pattern, ignoring ASCII case as
// strncasecmp does, and steps past the skip character when there is one.
// It returns where the numbers start.
func ctFind(data []byte, pattern string, skip byte) (int, ctFound) {
	if len(data) == 0 {
		return 0, ctNoMatch // help() returns before searching an empty segment
	}
	if len(data) <= len(pattern) {
		// A segment no longer than the pattern: a partial match when
		// what there is matches.
		if equalFoldASCII(data, pattern[:len(data)]) {
			return 0, ctPartial
		}
		return 0, ctNoMatch
	}
	if !equalFoldASCII(data[:len(pattern)], pattern) {
		return 0, ctNoMatch
	}
	i := len(pattern)
	if skip != 0 {
		for data[i] != skip {
			if i == len(data)-1 {
				return 0, ctPartial
			}
			i++
		}
		i++
	}
	return i, ctMatched
}

// equalFoldASCII compares b with the ASCII string s, ignoring case. The
// helper's patterns hold no letter outside ASCII, and the kernel's
// tolower maps no byte above 0x7f to one.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c, p := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= p && p <= 'Z' {
			p += 'a' - 'A'
		}
		if c != p {
			return false
		}
	}
	return true
}

// ctNumbers reads n decimal numbers separated by sep and ended, once the
// n-th is being read, by term (or by any other character when term is 0),
// as the kernel's try_number does: no range check (the numbers wrap at 32
// bits), empty numbers allowed, and the end of the data is no end. It
// returns the numbers and where the terminator stands, or 0 when the form
// does not hold.
func ctNumbers(data []byte, n int, sep, term byte) (nums [6]uint32, length int) {
	i := 0
	for l := 0; l < len(data) && i < n; l++ {
		switch c := data[l]; {
		case '0' <= c && c <= '9':
			nums[i] = nums[i]*10 + uint32(c-'0')
		case c == sep:
			i++
		default:
			if (c == term || term == 0) && i == n-1 {
				return nums, l
			}
			return nums, 0
		}
	}
	return nums, 0
}

// ctRFC959 reads h1,h2,h3,h4,p1,p2 ended by term (try_rfc959).
func ctRFC959(data []byte, term byte) (netip.Addr, uint16, bool) {
	nums, l := ctNumbers(data, 6, ',', term)
	if l == 0 {
		return netip.Addr{}, 0, false
	}
	ip := nums[0]<<24 | nums[1]<<16 | nums[2]<<8 | nums[3]
	addr := netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
	return addr, uint16(nums[4]<<8 | nums[5]), true
}

// ctRFC1123 reads a 227 reply's numbers from its first digit on, ended
// by any character but a digit or ',' (try_rfc1123, after RFC 1123
// section 4.1.2.6: "scan the reply for the first digit").
func ctRFC1123(data []byte) (netip.Addr, uint16, bool) {
	for i, c := range data {
		if '0' <= c && c <= '9' {
			return ctRFC959(data[i:], 0)
		}
	}
	return netip.Addr{}, 0, false
}

// ctDelim reports whether c may delimit the fields of EPRT and 229: a
// printable character other than a space or a digit.
func ctDelim(c byte) bool {
	return c >= 33 && c <= 126 && (c < '0' || c > '9')
}

// ctGetPort reads a port from data[start:] up to delim (get_port): digits
// only, wrapping at 16 bits, and not 0.
func ctGetPort(data []byte, start int, delim byte) (uint16, bool) {
	var p uint16
	for i := start; i < len(data); i++ {
		switch c := data[i]; {
		case c == delim:
			return p, p != 0
		case '0' <= c && c <= '9':
			p = p*10 + uint16(c-'0')
		default:
			return 0, false
		}
	}
	return 0, false
}

// ctEPRTNumbers reads EPRT's <d>af<d>address<d>port<d> (try_eprt). The
// family must be the control connection's own: 1 on IPv4, 2 on IPv6.
func ctEPRTNumbers(data []byte, ipv6 bool) (netip.Addr, uint16, bool) {
	if len(data) <= 3 {
		return netip.Addr{}, 0, false
	}
	delim := data[0]
	if !ctDelim(delim) || data[2] != delim {
		return netip.Addr{}, 0, false
	}
	if (!ipv6 && data[1] != '1') || (ipv6 && data[1] != '2') {
		return netip.Addr{}, 0, false
	}
	var addr netip.Addr
	var l int
	if data[1] == '1' {
		var nums [6]uint32
		nums, l = ctNumbers(data[3:], 4, '.', delim)
		if l == 0 {
			return netip.Addr{}, 0, false
		}
		ip := nums[0]<<24 | nums[1]<<16 | nums[2]<<8 | nums[3]
		addr = netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
	} else {
		addr, l = ctIPv6(data[3:], delim)
		if l == 0 {
			return netip.Addr{}, 0, false
		}
	}
	port, ok := ctGetPort(data, 3+l+1, delim)
	return addr, port, ok
}

// ctIPv6 reads an IPv6 address up to delim, a NUL byte or the end of the
// data, as the kernel's in6_pton does (hex digits, ':' and '.' only; no
// zone). It returns the address and its length, or 0 when it is not one.
// Go's parser stands in for in6_pton's state machine: they agree on the
// forms of RFC 4291 section 2.2, and the kernel also takes a few that Go
// refuses (more than four digits in a group, when the extra ones are
// leading zeros), which no FTP client writes.
func ctIPv6(data []byte, delim byte) (netip.Addr, int) {
	end := 0
	for ; end < len(data) && end < 0xffff; end++ {
		c := data[end]
		if c == delim || c == 0 {
			break
		}
		hex := '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
		if !hex && c != ':' && c != '.' {
			return netip.Addr{}, 0
		}
	}
	a, err := netip.ParseAddr(string(data[:end]))
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Addr{}, 0
	}
	return a, end
}

// ctEPSVNumbers reads 229's (<d><d><d>port<d>) after its '('
// (try_epsv_response).
func ctEPSVNumbers(data []byte) (uint16, bool) {
	if len(data) <= 3 {
		return 0, false
	}
	delim := data[0]
	if !ctDelim(delim) || data[1] != delim || data[2] != delim {
		return 0, false
	}
	return ctGetPort(data, 3, delim)
}

// ctOutcome is what the helper did with one segment.
type ctOutcome uint8

// ctOutcome values.
const (
	ctUnread   ctOutcome = iota // not searched: it does not start just after a line end
	ctNothing                   // searched, nothing of the helper's at its start
	ctDropped                   // a partial match: the packet is dropped
	ctRefused                   // an announcement of an address other than the sender's (loose=0)
	ctExpected                  // an expectation was made
	ctUnknown                   // the capture cut the segment before the helper's answer
)

// ctSeen is what the helper did with one segment.
type ctSeen struct {
	seq     uint32 // the sequence number of its first byte
	n       uint32 // its payload length
	outcome ctOutcome
	kind    ctKind
	// first says an unread segment came before any line end of its
	// direction: the helper had none to compare it with.
	first bool
}

// ctLoose is the helper's loose parameter: false, its default.
const ctLoose = false

// ctConn is the helper's state for one control connection: the
// positions just after the last two line ends of each direction
// (seq_aft_nl), and whether the next segment of a direction is searched
// whatever its position (NF_CT_FTP_SEQ_PICKUP).
type ctConn struct {
	nl     [2][2]uint32
	nlN    [2]uint8
	pickup [2]bool
}

// segment runs help() over one segment of direction d: seq is the
// sequence number of its first payload byte, data its payload (complete
// is false when the capture cut it short), sender the address that sent
// it, ipv6 the control connection's family. ep is what the expectation was
// made for (ctExpected), or what was read (ctRefused: its address is the
// one announced).
func (c *ctConn) segment(d int, seq uint32, data []byte, complete bool, sender netip.Addr, ipv6 bool) (seen ctSeen, ep netip.AddrPort) {
	seen = ctSeen{seq: seq, n: uint32(len(data))}
	if len(data) == 0 {
		return seen, ep
	}
	// Where a cut segment ended is unknown: take it to end a line, as
	// commands and replies mostly do.
	endsNL := !complete || data[len(data)-1] == '\n'
	next := seq + uint32(len(data))
	if !c.afterNL(d, seq) {
		if !c.pickup[d] {
			seen.outcome, seen.first = ctUnread, c.nlN[d] == 0
			if endsNL {
				c.updateNL(d, next)
			}
			return seen, ep
		}
		c.pickup[d] = false // picked up: searched once whatever its position
	}
	r := ctSearch(d, data, ipv6)
	seen.kind = r.Kind
	switch {
	case !complete && r.Found == ctPartial:
		// The bytes the capture cut might have completed the match.
		seen.outcome = ctUnknown
	case r.Found == ctPartial:
		// NF_DROP before the newline positions are updated.
		seen.outcome = ctDropped
		return seen, ep
	case r.Found == ctNoMatch:
		seen.outcome = ctNothing
	default:
		addr, same := ctAddress(r, sender)
		ep = netip.AddrPortFrom(addr, r.Port)
		seen.outcome = ctExpected
		if !same && !ctLoose {
			seen.outcome = ctRefused
		}
		if same {
			// The expectation is for the sender's own address.
			ep = netip.AddrPortFrom(sender, r.Port)
		}
	}
	if endsNL {
		c.updateNL(d, next)
	}
	return seen, ep
}

// ctAddress is the address the helper compares with the sender's, and
// whether they are the same. The kernel starts from the sender's address
// and overwrites its first four bytes with an IPv4 address read from PORT,
// 227 or EPRT |1|, so on an IPv6 connection such an address equals the
// sender's only when it spells the first four bytes of its IPv6 address.
func ctAddress(r ctRead, sender netip.Addr) (netip.Addr, bool) {
	if !r.Addr.IsValid() {
		return sender, true // 229 names no address
	}
	if r.Addr.Is4() && sender.Is6() && !sender.Is4In6() {
		s, a := sender.As16(), r.Addr.As4()
		return r.Addr, [4]byte(s[:4]) == a
	}
	return r.Addr, r.Addr == sender.Unmap()
}

// afterNL reports whether seq is one of the positions just after a line
// end that the helper remembers for direction d (find_nl_seq).
func (c *ctConn) afterNL(d int, seq uint32) bool {
	for i := range c.nlN[d] {
		if c.nl[d][i] == seq {
			return true
		}
	}
	return false
}

// updateNL remembers seq as a position just after a line end of
// direction d, replacing the older of two when it is newer
// (update_nl_seq).
func (c *ctConn) updateNL(d int, seq uint32) {
	for i := range c.nlN[d] {
		if c.nl[d][i] == seq {
			return
		}
	}
	if c.nlN[d] < 2 {
		c.nl[d][c.nlN[d]] = seq
		c.nlN[d]++
		return
	}
	oldest := 1
	if int32(c.nl[d][0]-c.nl[d][1]) < 0 {
		oldest = 0
	}
	if int32(seq-c.nl[d][oldest]) > 0 {
		c.nl[d][oldest] = seq
	}
}

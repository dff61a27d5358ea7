package decode

// This file holds the FTP control-connection grammar: one command line, one
// reply line, multi-line reply assembly, and the data-channel announcements
// (PORT, EPRT, LPRT, and the 227, 228 and 229 replies). Everything here is a
// pure function of its input: stream framing (CRLF, partial lines, gaps)
// belongs to the caller.

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by the FTP parsers wraps exactly one
// of these inside a *SyntaxError; test with errors.Is.
var (
	// ErrEmpty: the line or argument holds nothing but line endings and spaces.
	ErrEmpty = errors.New("decode: empty input")
	// ErrNotCommand: the line does not start with a 3 or 4 letter verb, or it
	// holds control characters, so it is not an FTP command (RFC 959 §5.3).
	ErrNotCommand = errors.New("decode: not an FTP command")
	// ErrReplyCode: a reply line starts with a digit but not with a valid
	// three-digit code 100..599, or a line without a code came where a reply
	// had to start (RFC 959 §4.2).
	ErrReplyCode = errors.New("decode: invalid reply code")
	// ErrSyntax: an announcement does not follow its grammar.
	ErrSyntax = errors.New("decode: invalid syntax")
	// ErrRange: a number is out of range: an address byte above 255, a
	// negative number, or a port of 0 or above 65535.
	ErrRange = errors.New("decode: number out of range")
	// ErrUnsupportedFamily: an EPRT net-prt or an LPRT/228 address family
	// other than IPv4 or IPv6.
	ErrUnsupportedFamily = errors.New("decode: unsupported address family")
	// ErrNoNumbers: a 227, 228 or 229 reply text holds no address or port in
	// the expected shape.
	ErrNoNumbers = errors.New("decode: no address found in reply")
)

// maxQuoted is how many bytes of the input a SyntaxError keeps.
const maxQuoted = 80

// SyntaxError reports input that could not be parsed. It quotes at most the
// first 80 bytes of the input and says where parsing stopped.
type SyntaxError struct {
	Func   string // the function that failed, e.g. "ParsePORT"
	Input  string // the input, cut to 80 bytes
	Offset int    // byte offset in the full input where parsing stopped
	Err    error  // one of the sentinel errors
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return "decode." + e.Func + ": parsing " + strconv.Quote(e.Input) +
		" at offset " + strconv.Itoa(e.Offset) + ": " + e.Err.Error()
}

// Unwrap returns the sentinel error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// syntaxErr builds a *SyntaxError, copying at most maxQuoted bytes of in.
func syntaxErr[T string | []byte](fn string, in T, off int, err error) error {
	if len(in) > maxQuoted {
		return &SyntaxError{Func: fn, Input: string(in[:maxQuoted]) + "...", Offset: off, Err: err}
	}
	return &SyntaxError{Func: fn, Input: string(in), Offset: off, Err: err}
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }
func isSpace(c byte) bool  { return c == ' ' || c == '\t' }

// isDelim reports whether c may delimit EPRT and 229 fields: ASCII 33..126
// (RFC 2428 §2).
func isDelim(c byte) bool { return 33 <= c && c <= 126 }

// trimEOL cuts trailing CR and LF.
func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Command is one client command line (RFC 959 §5.3).
type Command struct {
	Verb string // upper-cased, e.g. "RETR"; for "EPSV ALL" Verb is "EPSV" and Arg "ALL"
	Arg  string // everything after the first space(s), trailing CR/LF/space trimmed; may contain spaces
}

// knownVerbs are returned without allocating. RFC 959 §4.1, RFC 2228, RFC
// 2389, RFC 2428, RFC 1639, RFC 3659, RFC 775 (X verbs) and common additions.
var knownVerbs = [...]string{
	"ABOR", "ACCT", "ALLO", "APPE", "AUTH", "CCC", "CDUP", "CWD", "DELE",
	"EPRT", "EPSV", "FEAT", "HELP", "LANG", "LIST", "LPRT", "LPSV", "MDTM",
	"MFMT", "MKD", "MLSD", "MLST", "MODE", "NLST", "NOOP", "OPTS", "PASS",
	"PASV", "PBSZ", "PORT", "PROT", "PWD", "QUIT", "REIN", "REST", "RETR",
	"RMD", "RNFR", "RNTO", "SITE", "SIZE", "SMNT", "STAT", "STOR", "STOU",
	"STRU", "SYST", "TYPE", "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD",
	"HOST", "CLNT", "ADAT", "MIC", "CONF", "ENC",
}

// internVerb returns the upper-cased verb, reusing a constant string for
// known verbs.
func internVerb(v []byte) string {
	var up [4]byte
	n := copy(up[:], v)
	for i := range n {
		up[i] &^= 0x20 // v holds only ASCII letters
	}
	u := up[:n]
	for _, k := range knownVerbs {
		if k == string(u) { // no allocation: compiler-optimised comparison
			return k
		}
	}
	return string(u)
}

// skipTelnet skips Telnet command sequences (IAC, RFC 854) at the start of a
// line. Clients send "IAC IP IAC DM" (Synch) before ABOR, RFC 959 §4.1.3.
func skipTelnet(b []byte) int {
	i := 0
	for i+1 < len(b) && b[i] == 0xff {
		switch c := b[i+1]; {
		case c >= 251 && c <= 254: // WILL, WONT, DO, DONT take an option byte
			i += 3
		case c >= 240:
			i += 2
		default:
			return i
		}
	}
	if i > len(b) {
		i = len(b)
	}
	return i
}

// ParseCommand parses one client command line, with or without its CRLF
// (RFC 959 §5.3): a verb of 3 or 4 ASCII letters, then optional spaces and
// an argument. Telnet command sequences and spaces before the verb are
// skipped (RFC 959 §4.1.3: ABOR may come after Telnet IP and Synch).
// Errors: ErrEmpty for a blank line, ErrNotCommand for anything else that is
// not a command (including lines with control characters other than tab,
// such as a TLS handshake after AUTH TLS).
func ParseCommand(line []byte) (Command, error) {
	b := line
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	start := skipTelnet(b)
	for start < len(b) && b[start] == ' ' {
		start++
	}
	if start >= len(b) {
		return Command{}, syntaxErr("ParseCommand", line, start, ErrEmpty)
	}
	for i := start; i < len(b); i++ {
		if c := b[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return Command{}, syntaxErr("ParseCommand", line, i, ErrNotCommand)
		}
	}
	end := start
	for end < len(b) && b[end] != ' ' {
		if !isLetter(b[end]) || end-start >= 4 {
			return Command{}, syntaxErr("ParseCommand", line, end, ErrNotCommand)
		}
		end++
	}
	if end-start < 3 {
		return Command{}, syntaxErr("ParseCommand", line, end, ErrNotCommand)
	}
	cmd := Command{Verb: internVerb(b[start:end])}
	for end < len(b) && b[end] == ' ' {
		end++
	}
	if end < len(b) {
		cmd.Arg = string(b[end:])
	}
	return cmd, nil
}

// IsTransferVerb reports whether verb opens a data connection to move a file
// or a listing: RETR, STOR, STOU, APPE, LIST, NLST or MLSD (RFC 959 §4.1.3,
// RFC 3659 §7). The comparison ignores case.
func IsTransferVerb(verb string) bool {
	if len(verb) != 4 {
		return false
	}
	var up [4]byte
	for i := range 4 {
		up[i] = verb[i]
		if 'a' <= up[i] && up[i] <= 'z' {
			up[i] -= 'a' - 'A'
		}
	}
	switch string(up[:]) {
	case "RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD":
		return true
	}
	return false
}

// ReplyLine is one line of a reply (RFC 959 §4.2).
type ReplyLine struct {
	Code int    // 100..599 when the line starts with three digits, else 0
	More bool   // "xyz-": first or middle line of a multi-line reply
	Text string // text after "xyz " / "xyz-"; for a continuation line without a code, the whole line
}

// replyCode reads a reply code at the start of b: three digits, the first 1
// to 5, not followed by a fourth digit. ok is false when b does not start
// with a digit at all; err is set when it starts with a digit but not with a
// valid code.
func replyCode(b []byte) (code int, ok bool, errOff int) {
	if len(b) == 0 || !isDigit(b[0]) {
		return 0, false, 0
	}
	for i := range 3 {
		if i >= len(b) || !isDigit(b[i]) {
			return 0, true, i
		}
	}
	if len(b) > 3 && isDigit(b[3]) {
		return 0, true, 3
	}
	if b[0] < '1' || b[0] > '5' {
		return 0, true, 0
	}
	return int(b[0]-'0')*100 + int(b[1]-'0')*10 + int(b[2]-'0'), true, -1
}

// ParseReplyLine parses one reply line, with or without its CRLF (RFC 959
// §4.2). A line that starts with a digit must start with a code 100..599,
// else the error wraps ErrReplyCode; the space after the code may be missing
// ("230Login ok"). A line that does not start with a digit is returned with
// Code 0 and the whole line as Text: it can only be the middle of a
// multi-line reply, which ReplyAssembler decides.
func ParseReplyLine(line []byte) (ReplyLine, error) {
	b := trimEOL(line)
	if len(b) == 0 {
		return ReplyLine{}, syntaxErr("ParseReplyLine", line, 0, ErrEmpty)
	}
	code, ok, errOff := replyCode(b)
	if !ok {
		return ReplyLine{Text: string(b)}, nil
	}
	if errOff >= 0 {
		return ReplyLine{}, syntaxErr("ParseReplyLine", line, errOff, ErrReplyCode)
	}
	rl := ReplyLine{Code: code}
	rest := b[3:]
	if len(rest) > 0 {
		switch rest[0] {
		case '-':
			rl.More = true
			rest = rest[1:]
		case ' ':
			rest = rest[1:]
		}
	}
	if len(rest) > 0 {
		rl.Text = string(rest)
	}
	return rl, nil
}

// MaxReplyLines bounds the lines a ReplyAssembler keeps for one reply.
const MaxReplyLines = 1000

// Reply is one complete reply (RFC 959 §4.2).
type Reply struct {
	Code int
	// Lines holds the text of each line: after "xyz " or "xyz-" for lines that
	// carry the reply's own code, the whole line for any other line.
	Lines []string
	// Dropped counts middle lines beyond MaxReplyLines that were not kept.
	Dropped int
}

// Text returns the lines joined with "\n".
func (r Reply) Text() string { return strings.Join(r.Lines, "\n") }

// ReplyAssembler joins reply lines into replies (RFC 959 §4.2): a single
// line "xyz text", or a multi-line reply "xyz-First", any lines, "xyz Last".
// Lines inside a multi-line reply that start with another code, or with no
// code, are part of the reply, as in net/textproto's ReadResponse. At most
// MaxReplyLines lines are kept per reply (the last line always is); the
// rest are counted in Reply.Dropped. The zero value is ready to use.
type ReplyAssembler struct {
	open    bool
	code    int
	lines   []string
	dropped int
}

// Feed takes one line, with or without its CRLF. It returns done with the
// reply when the line completes one. When no multi-line reply is open, a
// line that is not a valid reply start returns an error and nothing is left
// pending. While a multi-line reply is open every line is accepted.
func (a *ReplyAssembler) Feed(line []byte) (r Reply, done bool, err error) {
	if !a.open {
		rl, err := ParseReplyLine(line)
		if err != nil {
			return Reply{}, false, err
		}
		if rl.Code == 0 {
			return Reply{}, false, syntaxErr("ReplyAssembler.Feed", line, 0, ErrReplyCode)
		}
		if !rl.More {
			return Reply{Code: rl.Code, Lines: []string{rl.Text}}, true, nil
		}
		a.open, a.code, a.lines, a.dropped = true, rl.Code, []string{rl.Text}, 0
		return Reply{}, false, nil
	}
	b := trimEOL(line)
	text, last := b, false
	if code, _, errOff := replyCode(b); errOff < 0 && code == a.code {
		switch {
		case len(b) == 3:
			text, last = b[3:], true
		case b[3] == '-':
			text = b[4:]
		case b[3] == ' ':
			text, last = b[4:], true
		default: // "xyzText": tolerated like ParseReplyLine does
			text, last = b[3:], true
		}
	}
	if last || len(a.lines) < MaxReplyLines-1 {
		a.lines = append(a.lines, string(text))
	} else {
		a.dropped++
	}
	if !last {
		return Reply{}, false, nil
	}
	r = Reply{Code: a.code, Lines: a.lines, Dropped: a.dropped}
	a.Reset()
	return r, true, nil
}

// Pending reports whether a multi-line reply is open.
func (a *ReplyAssembler) Pending() bool { return a.open }

// Reset drops any open multi-line reply, for instance after a gap in the
// control stream.
func (a *ReplyAssembler) Reset() { *a = ReplyAssembler{} }

// maxNumber is the largest value readNumber keeps exact; larger numbers are
// out of range for every field here and read as maxNumber+1.
const maxNumber = 1<<16 - 1

// readNumber reads a run of decimal digits at s[i:] (s[i] must be a digit),
// capping the value at maxNumber+1 so it cannot overflow.
func readNumber(s string, i int) (v, end int) {
	for i < len(s) && isDigit(s[i]) {
		if v <= maxNumber {
			v = v*10 + int(s[i]-'0')
		}
		i++
	}
	if v > maxNumber {
		v = maxNumber + 1
	}
	return v, i
}

func skipSpaces(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// parseList parses all of s as a comma-separated list of decimal numbers,
// spaces allowed around each. It stores up to len(out) values and returns
// how many numbers there were. A value above 255 or a minus sign gives
// ErrRange at its offset, anything else that is not part of the list gives
// ErrSyntax; syntax is checked over the whole input first.
func parseList(s string, out []int) (n, off int, err error) {
	i := skipSpaces(s, 0)
	if i == len(s) {
		return 0, i, ErrEmpty
	}
	rangeOff := -1
	for {
		if i < len(s) && s[i] == '-' {
			if rangeOff < 0 {
				rangeOff = i
			}
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return n, i, ErrSyntax
		}
		start := i
		var v int
		v, i = readNumber(s, i)
		if v > 255 && rangeOff < 0 {
			rangeOff = start
		}
		if n < len(out) {
			out[n] = v
		}
		n++
		i = skipSpaces(s, i)
		if i == len(s) {
			break
		}
		if s[i] != ',' {
			return n, i, ErrSyntax
		}
		i = skipSpaces(s, i+1)
	}
	if rangeOff >= 0 {
		return n, rangeOff, ErrRange
	}
	return n, len(s), nil
}

// addrPort4 builds an IPv4 AddrPort from six byte values h1..h4,p1,p2.
func addrPort4(v []int) (netip.AddrPort, bool) {
	port := uint16(v[4]<<8 | v[5])
	if port == 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(v[0]), byte(v[1]), byte(v[2]), byte(v[3])}), port), true
}

// ParsePORT parses the argument of PORT, "h1,h2,h3,h4,p1,p2" (RFC 959
// §4.1.2), spaces allowed around the numbers. Each number must be 0..255
// and the port not 0, else ErrRange.
func ParsePORT(arg string) (netip.AddrPort, error) {
	var v [6]int
	n, off, err := parseList(strings.TrimRight(arg, "\r\n"), v[:])
	if err != nil {
		return netip.AddrPort{}, syntaxErr("ParsePORT", arg, off, err)
	}
	if n != 6 {
		return netip.AddrPort{}, syntaxErr("ParsePORT", arg, off, ErrSyntax)
	}
	ap, ok := addrPort4(v[:])
	if !ok {
		return netip.AddrPort{}, syntaxErr("ParsePORT", arg, len(arg), ErrRange)
	}
	return ap, nil
}

// lprtList checks the numbers of a long host-port (RFC 1639 §2): address
// family, address length, address bytes, port length (2), port bytes.
// Family 4 needs length 4, family 6 length 16. IPv4-mapped IPv6 addresses
// come back unmapped.
func lprtList(v []int, n int) (netip.AddrPort, error) {
	if n < 2 {
		return netip.AddrPort{}, ErrSyntax
	}
	var hl int
	switch v[0] {
	case 4:
		hl = 4
	case 6:
		hl = 16
	default:
		return netip.AddrPort{}, ErrUnsupportedFamily
	}
	if v[1] != hl || n != hl+5 || v[hl+2] != 2 {
		return netip.AddrPort{}, ErrSyntax
	}
	port := uint16(v[hl+3]<<8 | v[hl+4])
	if port == 0 {
		return netip.AddrPort{}, ErrRange
	}
	var b [16]byte
	for i := range hl {
		b[i] = byte(v[2+i])
	}
	if hl == 4 {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), port), nil
	}
	return netip.AddrPortFrom(netip.AddrFrom16(b).Unmap(), port), nil
}

// ParseLPRT parses the argument of LPRT (RFC 1639 §2): "4,4,h1,h2,h3,h4,2,
// p1,p2" for IPv4 and "6,16,h1,...,h16,2,p1,p2" for IPv6, spaces allowed
// around the numbers. Other families give ErrUnsupportedFamily.
func ParseLPRT(arg string) (netip.AddrPort, error) {
	var v [21]int
	n, off, err := parseList(strings.TrimRight(arg, "\r\n"), v[:])
	if err == nil {
		var ap netip.AddrPort
		if ap, err = lprtList(v[:], n); err == nil {
			return ap, nil
		}
		off = 0
	}
	return netip.AddrPort{}, syntaxErr("ParseLPRT", arg, off, err)
}

// parsePort reads a decimal port 1..65535 that is all of s.
func parsePort(s string) (uint16, int, error) {
	if s == "" {
		return 0, 0, ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, i, ErrSyntax
		}
	}
	v, _ := readNumber(s, 0)
	if v == 0 || v > maxNumber {
		return 0, 0, ErrRange
	}
	return uint16(v), len(s), nil
}

// ParseEPRT parses the argument of EPRT (RFC 2428 §2): "<d><net-prt><d>
// <net-addr><d><tcp-port><d>", where the delimiter d is any character in
// ASCII 33..126. net-prt 1 needs an IPv4 address, 2 an IPv6 address (an
// IPv4-mapped one comes back unmapped; zones are refused); other families
// give ErrUnsupportedFamily.
func ParseEPRT(arg string) (netip.AddrPort, error) {
	const fn = "ParseEPRT"
	s := strings.TrimRight(arg, " \t\r\n")
	i := skipSpaces(s, 0)
	if i == len(s) {
		return netip.AddrPort{}, syntaxErr(fn, arg, i, ErrEmpty)
	}
	d := s[i]
	if !isDelim(d) {
		return netip.AddrPort{}, syntaxErr(fn, arg, i, ErrSyntax)
	}
	var f [3]string
	pos := i + 1
	for k := range f {
		j := strings.IndexByte(s[pos:], d)
		if j < 0 {
			return netip.AddrPort{}, syntaxErr(fn, arg, len(s), ErrSyntax)
		}
		f[k] = s[pos : pos+j]
		pos += j + 1
	}
	if pos != len(s) {
		return netip.AddrPort{}, syntaxErr(fn, arg, pos, ErrSyntax)
	}
	prtOff := i + 1
	addrOff := prtOff + len(f[0]) + 1
	portOff := addrOff + len(f[1]) + 1
	var want4 bool
	switch f[0] {
	case "1":
		want4 = true
	case "2":
	default:
		if _, _, err := parsePort(f[0]); errors.Is(err, ErrSyntax) {
			return netip.AddrPort{}, syntaxErr(fn, arg, prtOff, ErrSyntax)
		}
		return netip.AddrPort{}, syntaxErr(fn, arg, prtOff, ErrUnsupportedFamily)
	}
	addr, err := netip.ParseAddr(f[1])
	if err != nil || addr.Zone() != "" || addr.Is4() != want4 {
		return netip.AddrPort{}, syntaxErr(fn, arg, addrOff, ErrSyntax)
	}
	port, off, err := parsePort(f[2])
	if err != nil {
		return netip.AddrPort{}, syntaxErr(fn, arg, portOff+off, err)
	}
	return netip.AddrPortFrom(addr.Unmap(), port), nil
}

// numberGroups walks the runs of comma-separated numbers in s, as
// Wireshark's PASV parser and the Linux conntrack FTP helper find them in
// free text, and calls f with each run's bounds until f returns true. A
// group starts at a digit (or a minus sign right before one) and goes on
// while a comma, spaces allowed around it, is followed by another number.
func numberGroups(s string, f func(start, end int) bool) {
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) {
			i++
			continue
		}
		start := i
		if start > 0 && s[start-1] == '-' {
			start--
		}
		end := i
		for {
			for end < len(s) && isDigit(s[end]) {
				end++
			}
			j := skipSpaces(s, end)
			if j >= len(s) || s[j] != ',' {
				break
			}
			j = skipSpaces(s, j+1)
			if j < len(s) && s[j] == '-' {
				j++
			}
			if j >= len(s) || !isDigit(s[j]) {
				break
			}
			end = j
		}
		if f(start, end) {
			return
		}
		i = end
	}
}

// Parse227 finds the address and port in the text of a 227 reply to PASV
// (RFC 959 §4.1.2, §4.2.2): the first run of exactly six comma-separated
// numbers anywhere in the text, with or without parentheses, spaces allowed
// around the numbers: "Entering Passive Mode (10,0,0,2,156,65).",
// "=10,0,0,2,156,65", "Entering Passive Mode 10,0,0,2,156,65". Runs of
// another length are skipped. ErrRange when the first six-number run has a
// number above 255 or port 0, ErrNoNumbers when there is no such run.
func Parse227(text string) (netip.AddrPort, error) {
	var (
		ap    netip.AddrPort
		found bool
		bad   = -1
	)
	numberGroups(text, func(start, end int) bool {
		var v [6]int
		n, _, err := parseList(text[start:end], v[:])
		if n != 6 {
			return false
		}
		if err == nil {
			ap, found = addrPort4(v[:])
		}
		if !found && bad < 0 {
			bad = start
		}
		return found
	})
	switch {
	case found:
		return ap, nil
	case bad >= 0:
		return netip.AddrPort{}, syntaxErr("Parse227", text, bad, ErrRange)
	}
	return netip.AddrPort{}, syntaxErr("Parse227", text, len(text), ErrNoNumbers)
}

// Parse228 finds the long host-port in the text of a 228 reply to LPSV (RFC
// 1639 §3), "Entering Long Passive Mode (4,4,10,0,0,2,2,156,65)" or the
// 6,16 form: the first run of comma-separated numbers that is a valid long
// host-port. When none is, the error of the first run of at least three
// numbers is returned (ErrRange, ErrSyntax or ErrUnsupportedFamily), else
// ErrNoNumbers.
func Parse228(text string) (netip.AddrPort, error) {
	var (
		ap     netip.AddrPort
		first  error
		offErr int
	)
	numberGroups(text, func(start, end int) bool {
		var v [21]int
		n, _, err := parseList(text[start:end], v[:])
		if err == nil {
			if ap, err = lprtList(v[:], n); err == nil {
				return true
			}
		}
		if first == nil && n >= 3 {
			first, offErr = err, start
		}
		return false
	})
	switch {
	case ap.IsValid():
		return ap, nil
	case first != nil:
		return netip.AddrPort{}, syntaxErr("Parse228", text, offErr, first)
	}
	return netip.AddrPort{}, syntaxErr("Parse228", text, len(text), ErrNoNumbers)
}

// Maximum lengths of the fields of a 229 group: net-prt and net-addr should
// be empty (RFC 2428 §3) but some servers fill them in; the bound keeps the
// search linear.
const (
	max229Field = 64
	max229Port  = 10
)

// match229 matches "(<d><x><d><y><d><port><d>)" at s[i] == '(' and returns
// the port field's bounds and the index after ')'.
func match229(s string, i int) (portStart, portEnd int, ok bool) {
	if i+1 >= len(s) || !isDelim(s[i+1]) {
		return 0, 0, false
	}
	d := s[i+1]
	pos := i + 2
	for k := range 3 {
		limit := max229Field
		if k == 2 {
			limit = max229Port
		}
		j := strings.IndexByte(s[pos:min(len(s), pos+limit+1)], d)
		if j < 0 {
			return 0, 0, false
		}
		if k == 2 {
			portStart, portEnd = pos, pos+j
		}
		pos += j + 1
	}
	if pos >= len(s) || s[pos] != ')' {
		return 0, 0, false
	}
	return portStart, portEnd, true
}

// Parse229 finds the port in the text of a 229 reply to EPSV (RFC 2428 §3):
// the first parenthesised group "(<d><d><d><port><d>)", where the delimiter
// d is any character in ASCII 33..126, as in "Entering Extended Passive Mode
// (|||6446|)". Non-empty net-prt and net-addr fields, sent by some servers,
// are tolerated and ignored. ErrRange for port 0 or above 65535,
// ErrNoNumbers when there is no such group.
func Parse229(text string) (uint16, error) {
	bad := -1
	for i := 0; i < len(text); i++ {
		if text[i] != '(' {
			continue
		}
		ps, pe, ok := match229(text, i)
		if !ok {
			continue
		}
		port, _, err := parsePort(text[ps:pe])
		if err == nil {
			return port, nil
		}
		if errors.Is(err, ErrRange) && bad < 0 {
			bad = ps
		}
	}
	if bad >= 0 {
		return 0, syntaxErr("Parse229", text, bad, ErrRange)
	}
	return 0, syntaxErr("Parse229", text, len(text), ErrNoNumbers)
}

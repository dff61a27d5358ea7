package decode

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// Fuzz targets for the FTP grammar. Each one checks that the parser never
// panics, that errors are *SyntaxError values wrapping a sentinel, and, where
// the result can be written back in the same syntax, that formatting and
// parsing again gives the same value. Crashers found are kept under
// testdata/fuzz/ so that `go test` replays them.

// checkFuzzErr fails unless err is a *SyntaxError wrapping one of the
// sentinels, with a bounded quote.
func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v is not a *SyntaxError", err, err)
	}
	if len(se.Input) > maxQuoted+3 {
		t.Fatalf("quoted input is %d bytes", len(se.Input))
	}
	for _, s := range []error{ErrEmpty, ErrNotCommand, ErrReplyCode, ErrSyntax, ErrRange, ErrUnsupportedFamily, ErrNoNumbers} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// formatPORT writes ap back as a PORT argument (RFC 959 §4.1.2).
func formatPORT(ap netip.AddrPort) string {
	a := ap.Addr().As4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], ap.Port()>>8, ap.Port()&0xff)
}

// formatLPRT writes ap back as an LPRT argument (RFC 1639 §2).
func formatLPRT(ap netip.AddrPort) string {
	var sb strings.Builder
	b := ap.Addr().AsSlice()
	fmt.Fprintf(&sb, "%d,%d", map[int]int{4: 4, 16: 6}[len(b)], len(b))
	for _, x := range b {
		fmt.Fprintf(&sb, ",%d", x)
	}
	fmt.Fprintf(&sb, ",2,%d,%d", ap.Port()>>8, ap.Port()&0xff)
	return sb.String()
}

// formatEPRT writes ap back as an EPRT argument (RFC 2428 §2).
func formatEPRT(ap netip.AddrPort, d byte) string {
	fam := "2"
	if ap.Addr().Is4() {
		fam = "1"
	}
	return fmt.Sprintf("%c%s%c%s%c%d%c", d, fam, d, ap.Addr(), d, ap.Port(), d)
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"RETR file.bin\r\n",                 // plain command
		"user anonymous",                    // lower case, no CRLF
		"EPSV ALL\r\n",                      // RFC 2428 EPSV ALL
		"PWD\r\n",                           // three-letter verb
		"STOR a b  c \r\n",                  // spaces inside and after the argument
		"\xff\xf4\xff\xf2ABOR\r\n",          // Telnet IP + Synch before ABOR
		"\xff\xfb",                          // truncated Telnet option
		"\x16\x03\x01\x02\x00\x01",          // TLS ClientHello after AUTH TLS
		"RETR a\x00b",                       // NUL in the argument
		"",                                  // empty
		"   \r\n",                           // blank
		"R3TR x",                            // digit in the verb
		"RETR f\xc3\xbcr.txt",               // UTF-8 path (RFC 2640)
		strings.Repeat("A", 8192),           // one huge word
		"SITE " + strings.Repeat(" ", 8192), // huge run of spaces
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		in := bytes.Clone(line)
		c, err := ParseCommand(line)
		if !bytes.Equal(in, line) {
			t.Fatal("ParseCommand modified its input")
		}
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if n := len(c.Verb); n < 3 || n > 4 || strings.ToUpper(c.Verb) != c.Verb {
			t.Fatalf("bad verb %q", c.Verb)
		}
		if len(c.Arg) > len(line) || strings.HasPrefix(c.Arg, " ") || strings.HasSuffix(c.Arg, " ") {
			t.Fatalf("bad arg %q", c.Arg)
		}
		// Round trip: "VERB ARG\r\n" parses to the same command.
		again := c.Verb
		if c.Arg != "" {
			again += " " + c.Arg
		}
		c2, err := ParseCommand([]byte(again + "\r\n"))
		if err != nil || c2 != c {
			t.Fatalf("round trip of %q: got %+v, %v; want %+v", again, c2, err, c)
		}
	})
}

func FuzzParseReplyLine(f *testing.F) {
	for _, s := range []string{
		"220 (vsFTPd 3.0.3)\r\n", // ordinary reply
		"211-Features:\r\n",      // multi-line start
		"230Login ok",            // no space after the code
		"200",                    // code only
		" MDTM",                  // FEAT continuation
		"999 bad",                // code out of range
		"2x0 bad",                // letters in the code
		"2200 four digits",       // four digits
		"\r\n",                   // empty
		"227 Entering Passive Mode (10,0,0,2,156,65).", // PASV reply
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		rl, err := ParseReplyLine(line)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if len(rl.Text) > len(line) {
			t.Fatalf("text longer than the line")
		}
		if rl.Code == 0 {
			if rl.More || rl.Text != string(trimEOL(line)) {
				t.Fatalf("code-less line: got %+v", rl)
			}
			return
		}
		if rl.Code < 100 || rl.Code > 599 {
			t.Fatalf("code %d out of range", rl.Code)
		}
		// Round trip: "xyz text" or "xyz-text" parses to the same line.
		sep := byte(' ')
		if rl.More {
			sep = '-'
		}
		again := fmt.Sprintf("%03d%c%s\r\n", rl.Code, sep, rl.Text)
		rl2, err := ParseReplyLine([]byte(again))
		if err != nil || rl2 != rl {
			t.Fatalf("round trip of %q: got %+v, %v; want %+v", again, rl2, err, rl)
		}
	})
}

func FuzzReplyAssembler(f *testing.F) {
	for _, s := range []string{
		"220 ready\r\n", // single line
		"123-First line\r\nSecond line\r\n  234 A line\r\n123 The last line\r\n", // RFC 959 §4.2 example
		"211-Features:\r\n MDTM\r\n211 End\r\n",                                  // FEAT
		"230-a\r\n230Done\r\n",                                                   // last line without space
		"garbage\r\n200 ok\r\n",                                                  // text before a reply
		"220-unterminated\r\n",                                                   // open at end of input
		strings.Repeat("220-x\n", 1500) + "220 end\n",                            // more than MaxReplyLines
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a ReplyAssembler
		kept := 0
		for line := range bytes.Lines(data) {
			wasOpen := a.Pending()
			r, done, err := a.Feed(line)
			if err != nil {
				checkFuzzErr(t, err)
				if wasOpen || a.Pending() || done {
					t.Fatalf("error %v with a reply open (before %v, after %v) or done", err, wasOpen, a.Pending())
				}
				continue
			}
			if !done {
				if !a.Pending() {
					t.Fatalf("line %q neither completed nor opened a reply", line)
				}
				continue
			}
			if a.Pending() {
				t.Fatal("reply done but still pending")
			}
			if r.Code < 100 || r.Code > 599 || len(r.Lines) == 0 || len(r.Lines) > MaxReplyLines || r.Dropped < 0 {
				t.Fatalf("bad reply: code %d, %d lines, %d dropped", r.Code, len(r.Lines), r.Dropped)
			}
			for _, l := range r.Lines {
				kept += len(l)
			}
		}
		if kept > len(data) {
			t.Fatalf("kept %d bytes of text from %d bytes of input", kept, len(data))
		}
	})
}

func FuzzParsePORT(f *testing.F) {
	for _, s := range []string{
		"10,0,0,2,156,65",                      // RFC 959
		" 10 , 0,0 ,2, 156 , 65 \r\n",          // spaces and CRLF
		"010,000,000,002,156,065",              // leading zeros
		"10,0,0,256,156,65",                    // byte above 255
		"10,0,0,-2,156,65",                     // negative
		"10,0,0,2,0,0",                         // port 0
		"10,0,0,2,156",                         // too few
		"1,2,3,4,5,6,7",                        // too many
		"10,0,0,2,156,99999999999999999999999", // overflow
		strings.Repeat(",", 8192),              // 8 KiB of commas
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParsePORT(arg)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if !ap.Addr().Is4() || ap.Port() == 0 {
			t.Fatalf("bad result %v", ap)
		}
		again := formatPORT(ap)
		ap2, err := ParsePORT(again)
		if err != nil || ap2 != ap {
			t.Fatalf("round trip of %q: got %v, %v; want %v", again, ap2, err, ap)
		}
		// The same numbers inside a 227 reply give the same endpoint.
		if ap3, err := Parse227("Entering Passive Mode (" + again + ")."); err != nil || ap3 != ap {
			t.Fatalf("Parse227 of %q: got %v, %v; want %v", again, ap3, err, ap)
		}
	})
}

func FuzzParseEPRT(f *testing.F) {
	for _, s := range []string{
		"|1|132.235.1.2|6275|",           // RFC 2428 IPv4
		"|2|1080::8:800:200C:417A|5282|", // RFC 2428 IPv6
		"!1!10.0.0.2!40001!",             // other delimiter
		"|2|::ffff:10.0.0.2|40001|",      // IPv4-mapped
		"|2|fe80::1%eth0|21|",            // zone
		"|3|10.0.0.2|40001|",             // unknown family
		"|1|10.0.0.2|65536|",             // port too big
		"|1|10.0.0.2|0|",                 // port 0
		strings.Repeat("|", 8192),        // 8 KiB of delimiters
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParseEPRT(arg)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if !ap.IsValid() || ap.Port() == 0 || ap.Addr().Is4In6() || ap.Addr().Zone() != "" {
			t.Fatalf("bad result %v", ap)
		}
		for _, d := range []byte{'|', '!', '~'} {
			again := formatEPRT(ap, d)
			ap2, err := ParseEPRT(again)
			if err != nil || ap2 != ap {
				t.Fatalf("round trip of %q: got %v, %v; want %v", again, ap2, err, ap)
			}
		}
		// The same endpoint as LPRT.
		if ap3, err := ParseLPRT(formatLPRT(ap)); err != nil || ap3 != ap {
			t.Fatalf("LPRT of %v: got %v, %v", ap, ap3, err)
		}
	})
}

func FuzzParseLPRT(f *testing.F) {
	for _, s := range []string{
		"4,4,10,0,0,2,2,156,65",                              // RFC 1639 IPv4
		"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21",    // RFC 1639 IPv6
		"6,16,0,0,0,0,0,0,0,0,0,0,255,255,10,0,0,2,2,156,65", // IPv4-mapped
		"5,4,10,0,0,2,2,156,65",                              // unknown family
		"4,16,10,0,0,2,2,156,65",                             // wrong length
		"4,4,10,0,0,2,2,0,0",                                 // port 0
		"4,4" + strings.Repeat(",1", 4096),                   // 8 KiB
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParseLPRT(arg)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if !ap.IsValid() || ap.Port() == 0 || ap.Addr().Is4In6() {
			t.Fatalf("bad result %v", ap)
		}
		again := formatLPRT(ap)
		ap2, err := ParseLPRT(again)
		if err != nil || ap2 != ap {
			t.Fatalf("round trip of %q: got %v, %v; want %v", again, ap2, err, ap)
		}
		if ap3, err := Parse228("Entering Long Passive Mode (" + again + ")"); err != nil || ap3 != ap {
			t.Fatalf("Parse228 of %q: got %v, %v; want %v", again, ap3, err, ap)
		}
		if ap4, err := ParseEPRT(formatEPRT(ap, '|')); err != nil || ap4 != ap {
			t.Fatalf("EPRT of %v: got %v, %v", ap, ap4, err)
		}
	})
}

func FuzzParse227(f *testing.F) {
	for _, s := range []string{
		"Entering Passive Mode (10,0,0,2,156,65).",     // vsftpd, ProFTPD, IIS
		"=10,0,0,2,156,65",                             // RFC 959 figure form
		"Entering Passive Mode 10,0,0,2,156,65",        // no parentheses (RFC 1123 §4.1.2.6)
		"227 Entering Passive Mode (10,0,0,2,156,65).", // code left in
		"(010,000,000,002,156,065)    ",                // ALG rewrite padding
		"(1,2,3,4,5,6,7) (10,0,0,2,156,65)",            // a seven-number run first
		"(10,0,0,256,156,65)",                          // byte above 255
		"(-10,0,0,2,156,65)",                           // negative
		"(10,0,0,2,0,0)",                               // port 0
		strings.Repeat("1,", 4096),                     // 8 KiB run
		strings.Repeat(",", 8192),                      // 8 KiB of commas
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ap, err := Parse227(text)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if !ap.Addr().Is4() || ap.Port() == 0 {
			t.Fatalf("bad result %v", ap)
		}
		again := "Entering Passive Mode (" + formatPORT(ap) + ")."
		ap2, err := Parse227(again)
		if err != nil || ap2 != ap {
			t.Fatalf("round trip of %q: got %v, %v; want %v", again, ap2, err, ap)
		}
	})
}

func FuzzParse228(f *testing.F) {
	for _, s := range []string{
		"Entering Long Passive Mode (4,4,10,0,0,2,2,156,65)",                           // RFC 1639 IPv4
		"Entering Long Passive Mode (6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21)", // RFC 1639 IPv6
		"228 Entering Long Passive Mode (4,4,10,0,0,2,2,156,65).",                      // code left in
		"Entering Passive Mode (10,0,0,2,156,65)",                                      // 227 form
		"(4,4,10,0,0,256,2,156,65)",                                                    // byte above 255
		strings.Repeat(",", 8192),                                                      // 8 KiB of commas
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ap, err := Parse228(text)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if !ap.IsValid() || ap.Port() == 0 || ap.Addr().Is4In6() {
			t.Fatalf("bad result %v", ap)
		}
		again := "Entering Long Passive Mode (" + formatLPRT(ap) + ")"
		ap2, err := Parse228(again)
		if err != nil || ap2 != ap {
			t.Fatalf("round trip of %q: got %v, %v; want %v", again, ap2, err, ap)
		}
	})
}

func FuzzParse229(f *testing.F) {
	for _, s := range []string{
		"Entering Extended Passive Mode (|||6446|)",          // RFC 2428
		"Entering Extended Passive Mode (!!!6446!)",          // other delimiter
		"Extended Passive mode OK (|||47730|)",               // Pure-FTPd wording
		"foo bar (ha-ha) (|||666|)",                          // another group first
		"Entering Extended Passive Mode (|1|10.0.0.2|6446|)", // fields filled in
		"()))6446))",              // ')' as delimiter
		"(|||0|)",                 // port 0
		"(|||65536|)",             // port too big
		strings.Repeat("(", 8192), // 8 KiB of parens
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		port, err := Parse229(text)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if port == 0 {
			t.Fatal("port 0 accepted")
		}
		for _, d := range []byte{'|', '!', ')'} {
			again := fmt.Sprintf("Entering Extended Passive Mode (%c%c%c%d%c)", d, d, d, port, d)
			p2, err := Parse229(again)
			if err != nil || p2 != port {
				t.Fatalf("round trip of %q: got %v, %v; want %v", again, p2, err, port)
			}
		}
	})
}

package decode

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Command
		err  error
	}{
		{name: "retr with crlf", in: "RETR file.bin\r\n", want: Command{Verb: "RETR", Arg: "file.bin"}},
		{name: "no line ending", in: "PASV", want: Command{Verb: "PASV"}},
		{name: "lower case verb from hand-typed telnet session", in: "user anonymous\r\n", want: Command{Verb: "USER", Arg: "anonymous"}},
		{name: "epsv all rfc2428", in: "EPSV ALL\r\n", want: Command{Verb: "EPSV", Arg: "ALL"}},
		{name: "three letter verb", in: "PWD\r\n", want: Command{Verb: "PWD"}},
		{name: "three letter verb with arg", in: "CWD /pub\r\n", want: Command{Verb: "CWD", Arg: "/pub"}},
		{name: "argument with spaces", in: "STOR my file name.txt\r\n", want: Command{Verb: "STOR", Arg: "my file name.txt"}},
		{name: "several spaces after verb", in: "RETR   x\r\n", want: Command{Verb: "RETR", Arg: "x"}},
		{name: "trailing spaces trimmed", in: "TYPE I  \r\n", want: Command{Verb: "TYPE", Arg: "I"}},
		{name: "bare lf line ending", in: "NOOP\n", want: Command{Verb: "NOOP"}},
		{name: "pass with empty password", in: "PASS \r\n", want: Command{Verb: "PASS"}},
		{name: "opts utf8 on", in: "OPTS UTF8 ON\r\n", want: Command{Verb: "OPTS", Arg: "UTF8 ON"}},
		{name: "auth tls rfc4217", in: "AUTH TLS\r\n", want: Command{Verb: "AUTH", Arg: "TLS"}},
		{name: "utf8 file name rfc2640", in: "RETR f\xc3\xbcr.txt\r\n", want: Command{Verb: "RETR", Arg: "f\xc3\xbcr.txt"}},
		{name: "tab inside argument kept", in: "SITE a\tb\r\n", want: Command{Verb: "SITE", Arg: "a\tb"}},
		{name: "abor after telnet ip and synch", in: "\xff\xf4\xff\xf2ABOR\r\n", want: Command{Verb: "ABOR"}},
		{name: "telnet will option before verb", in: "\xff\xfb\x01NOOP\r\n", want: Command{Verb: "NOOP"}},
		{name: "unknown verb upper-cased", in: "xyzw a\r\n", want: Command{Verb: "XYZW", Arg: "a"}},
		{name: "leading space", in: " USER bob\r\n", want: Command{Verb: "USER", Arg: "bob"}},

		{name: "empty", in: "", err: ErrEmpty},
		{name: "only crlf", in: "\r\n", err: ErrEmpty},
		{name: "only spaces", in: "   \r\n", err: ErrEmpty},
		{name: "two letter verb", in: "CD /\r\n", err: ErrNotCommand},
		{name: "five letter verb", in: "RETRX a\r\n", err: ErrNotCommand},
		{name: "digits in verb", in: "R3TR a\r\n", err: ErrNotCommand},
		{name: "tls client hello after auth tls", in: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", err: ErrNotCommand},
		{name: "nul in argument", in: "RETR a\x00b\r\n", err: ErrNotCommand},
		{name: "cr inside line", in: "USER a\rPASS b\r\n", err: ErrNotCommand},
		{name: "del character", in: "USER a\x7f\r\n", err: ErrNotCommand},
		{name: "reply line fed as command", in: "220 ready\r\n", err: ErrNotCommand},
		{name: "http request on port 21", in: "GET / HTTP/1.1\r\n", want: Command{Verb: "GET", Arg: "/ HTTP/1.1"}},
		{name: "verb followed by tab", in: "RETR\tx\r\n", err: ErrNotCommand},
		{name: "lone telnet iac", in: "\xff", err: ErrNotCommand},
		{name: "telnet iac before a data byte", in: "\xffAUSER x", err: ErrNotCommand},
		{name: "telnet will truncated", in: "\xff\xfb", err: ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tt.in))
			checkErr(t, err, tt.err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCommand(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// checkErr fails the test unless err wraps want (nil meaning no error), and
// checks that errors come as *SyntaxError.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("error %T is not a *SyntaxError", err)
		}
		if len(se.Input) > maxQuoted+3 {
			t.Errorf("SyntaxError.Input is %d bytes, want at most %d", len(se.Input), maxQuoted+3)
		}
	}
}

func TestIsTransferVerb(t *testing.T) {
	tests := []struct {
		verb string
		want bool
	}{
		{"RETR", true}, {"STOR", true}, {"STOU", true}, {"APPE", true},
		{"LIST", true}, {"NLST", true}, {"MLSD", true}, {"retr", true},
		{"MLST", false}, {"PASV", false}, {"CWD", false}, {"", false}, {"RETRX", false},
	}
	for _, tt := range tests {
		t.Run(tt.verb, func(t *testing.T) {
			if got := IsTransferVerb(tt.verb); got != tt.want {
				t.Errorf("IsTransferVerb(%q) = %v, want %v", tt.verb, got, tt.want)
			}
		})
	}
}

func TestParseReplyLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ReplyLine
		err  error
	}{
		{name: "vsftpd banner", in: "220 (vsFTPd 3.0.3)\r\n", want: ReplyLine{Code: 220, Text: "(vsFTPd 3.0.3)"}},
		{name: "multi-line first line", in: "211-Features:\r\n", want: ReplyLine{Code: 211, More: true, Text: "Features:"}},
		{name: "missing space after code", in: "230Login ok\r\n", want: ReplyLine{Code: 230, Text: "Login ok"}},
		{name: "code only", in: "200\r\n", want: ReplyLine{Code: 200}},
		{name: "code and space only", in: "200 \r\n", want: ReplyLine{Code: 200}},
		{name: "dash only", in: "220-\r\n", want: ReplyLine{Code: 220, More: true}},
		{name: "error reply is data", in: "550 Permission denied.\r\n", want: ReplyLine{Code: 550, Text: "Permission denied."}},
		{name: "preliminary reply", in: "150 Opening BINARY mode data connection.\n", want: ReplyLine{Code: 150, Text: "Opening BINARY mode data connection."}},
		{name: "feat continuation with leading space", in: " MDTM\r\n", want: ReplyLine{Text: " MDTM"}},
		{name: "free text continuation", in: "Welcome to the server\r\n", want: ReplyLine{Text: "Welcome to the server"}},
		{name: "trailing spaces kept in text", in: "226 Done  \r\n", want: ReplyLine{Code: 226, Text: "Done  "}},
		{name: "auth tls accepted", in: "234 AUTH TLS OK.\r\n", want: ReplyLine{Code: 234, Text: "AUTH TLS OK."}},

		{name: "empty", in: "\r\n", err: ErrEmpty},
		{name: "code 9xx", in: "999 what\r\n", err: ErrReplyCode},
		{name: "code 0xx", in: "000 what\r\n", err: ErrReplyCode},
		{name: "code 6xx", in: "600 what\r\n", err: ErrReplyCode},
		{name: "letters in code", in: "2x0 ok\r\n", err: ErrReplyCode},
		{name: "two digits", in: "22 hi\r\n", err: ErrReplyCode},
		{name: "four digits", in: "2200 hi\r\n", err: ErrReplyCode},
		{name: "one digit", in: "2", err: ErrReplyCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReplyLine([]byte(tt.in))
			checkErr(t, err, tt.err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseReplyLine(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// feedResult is what one Feed call gave, for table comparison.
type feedResult struct {
	Reply Reply
	Done  bool
	Err   string
}

func TestReplyAssembler(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []feedResult
	}{
		{
			name:  "single line",
			lines: []string{"220 ready\r\n"},
			want:  []feedResult{{Reply: Reply{Code: 220, Lines: []string{"ready"}}, Done: true}},
		},
		{
			name:  "rfc959 multi-line with embedded code and free text",
			lines: []string{"123-First line\r\n", "Second line\r\n", "  234 A line beginning with numbers\r\n", "123 The last line\r\n"},
			want: []feedResult{{}, {}, {}, {Reply: Reply{Code: 123, Lines: []string{
				"First line", "Second line", "  234 A line beginning with numbers", "The last line"}}, Done: true}},
		},
		{
			name:  "proftpd feat",
			lines: []string{"211-Features:\r\n", " MDTM\r\n", " EPSV\r\n", "211 End\r\n"},
			want: []feedResult{{}, {}, {}, {Reply: Reply{Code: 211, Lines: []string{
				"Features:", " MDTM", " EPSV", "End"}}, Done: true}},
		},
		{
			name:  "iis banner with repeated code dash lines",
			lines: []string{"220-Microsoft FTP Service\r\n", "220-Authorized use only\r\n", "220 Welcome\r\n"},
			want: []feedResult{{}, {}, {Reply: Reply{Code: 220, Lines: []string{
				"Microsoft FTP Service", "Authorized use only", "Welcome"}}, Done: true}},
		},
		{
			name:  "other code unpadded inside multi-line reply",
			lines: []string{"230-Welcome\r\n", "250 not the end\r\n", "230 Login successful.\r\n"},
			want: []feedResult{{}, {}, {Reply: Reply{Code: 230, Lines: []string{
				"Welcome", "250 not the end", "Login successful."}}, Done: true}},
		},
		{
			name:  "empty and invalid lines inside multi-line reply",
			lines: []string{"220-Hi\r\n", "\r\n", "999 odd\r\n", "220\r\n"},
			want:  []feedResult{{}, {}, {}, {Reply: Reply{Code: 220, Lines: []string{"Hi", "", "999 odd", ""}}, Done: true}},
		},
		{
			name:  "end line without space",
			lines: []string{"230-Hi\r\n", "230Done\r\n"},
			want:  []feedResult{{}, {Reply: Reply{Code: 230, Lines: []string{"Hi", "Done"}}, Done: true}},
		},
		{
			name:  "text line outside reply then valid reply",
			lines: []string{"garbage\r\n", "200 ok\r\n"},
			want: []feedResult{
				{Err: `decode.ReplyAssembler.Feed: parsing "garbage\r\n" at offset 0: decode: invalid reply code`},
				{Reply: Reply{Code: 200, Lines: []string{"ok"}}, Done: true},
			},
		},
		{
			name:  "bad code outside reply",
			lines: []string{"9xx bad\r\n"},
			want:  []feedResult{{Err: `decode.ParseReplyLine: parsing "9xx bad\r\n" at offset 1: decode: invalid reply code`}},
		},
		{
			name:  "two replies back to back",
			lines: []string{"331 Password required\r\n", "230-a\r\n", "230 b\r\n"},
			want: []feedResult{
				{Reply: Reply{Code: 331, Lines: []string{"Password required"}}, Done: true},
				{},
				{Reply: Reply{Code: 230, Lines: []string{"a", "b"}}, Done: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a ReplyAssembler
			var got []feedResult
			for _, l := range tt.lines {
				r, done, err := a.Feed([]byte(l))
				fr := feedResult{Reply: r, Done: done}
				if err != nil {
					fr.Err = err.Error()
				}
				got = append(got, fr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Feed mismatch (-want +got):\n%s", diff)
			}
			if a.Pending() {
				t.Errorf("Pending() = true after a complete reply")
			}
		})
	}
}

func TestReplyAssemblerBounded(t *testing.T) {
	var a ReplyAssembler
	if _, _, err := a.Feed([]byte("211-start\r\n")); err != nil {
		t.Fatal(err)
	}
	const middle = 5000
	for range middle {
		if _, done, err := a.Feed([]byte(" line\r\n")); done || err != nil {
			t.Fatalf("Feed(middle) = done %v, err %v", done, err)
		}
	}
	if !a.Pending() {
		t.Fatal("Pending() = false inside a multi-line reply")
	}
	r, done, err := a.Feed([]byte("211 end\r\n"))
	if !done || err != nil {
		t.Fatalf("Feed(last) = done %v, err %v", done, err)
	}
	if len(r.Lines) != MaxReplyLines {
		t.Errorf("len(Lines) = %d, want %d", len(r.Lines), MaxReplyLines)
	}
	if want := middle + 2 - MaxReplyLines; r.Dropped != want {
		t.Errorf("Dropped = %d, want %d", r.Dropped, want)
	}
	if got := r.Lines[len(r.Lines)-1]; got != "end" {
		t.Errorf("last line = %q, want %q", got, "end")
	}
}

func TestReplyAssemblerReset(t *testing.T) {
	var a ReplyAssembler
	if _, _, err := a.Feed([]byte("220-a")); err != nil {
		t.Fatal(err)
	}
	a.Reset()
	if a.Pending() {
		t.Fatal("Pending() after Reset")
	}
	if _, _, err := a.Feed([]byte("220 b")); err != nil {
		t.Fatal(err)
	}
	r, done, err := a.Feed([]byte("200 c"))
	if diff := cmp.Diff(Reply{Code: 200, Lines: []string{"c"}}, r); diff != "" || !done || err != nil {
		t.Errorf("after Reset: done %v err %v (-want +got):\n%s", done, err, diff)
	}
}

func TestReplyText(t *testing.T) {
	r := Reply{Code: 211, Lines: []string{"Features:", " MDTM", "End"}}
	if got, want := r.Text(), "Features:\n MDTM\nEnd"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

var (
	ap10 = netip.MustParseAddrPort("10.0.0.2:40001") // 156*256+65
)

func TestParsePORT(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want netip.AddrPort
		err  error
	}{
		{name: "rfc959", in: "10,0,0,2,156,65", want: ap10},
		{name: "spaces after commas", in: "10, 0, 0, 2, 156, 65", want: ap10},
		{name: "spaces around numbers", in: " 10 ,0 , 0,2 ,156 , 65 ", want: ap10},
		{name: "leading zeros from fixed-width alg rewrite", in: "010,000,000,002,156,065", want: ap10},
		{name: "trailing crlf", in: "10,0,0,2,156,65\r\n", want: ap10},
		{name: "privileged port bounce attempt", in: "192,0,2,7,0,25", want: netip.MustParseAddrPort("192.0.2.7:25")},
		{name: "max port", in: "1,2,3,4,255,255", want: netip.MustParseAddrPort("1.2.3.4:65535")},

		{name: "empty", in: "", err: ErrEmpty},
		{name: "number above 255", in: "10,0,0,256,156,65", err: ErrRange},
		{name: "huge number does not overflow", in: "10,0,0,99999999999999999999999999,156,65", err: ErrRange},
		{name: "negative", in: "10,0,0,-2,156,65", err: ErrRange},
		{name: "port zero", in: "10,0,0,2,0,0", err: ErrRange},
		{name: "too few numbers", in: "10,0,0,2,156", err: ErrSyntax},
		{name: "too many numbers", in: "10,0,0,2,156,65,1", err: ErrSyntax},
		{name: "parenthesised", in: "(10,0,0,2,156,65)", err: ErrSyntax},
		{name: "dots instead of commas", in: "10.0.0.2.156.65", err: ErrSyntax},
		{name: "double comma", in: "10,,0,0,2,156,65", err: ErrSyntax},
		{name: "trailing comma", in: "10,0,0,2,156,65,", err: ErrSyntax},
		{name: "nul byte", in: "10,0,0,2,156,\x0065", err: ErrSyntax},
		{name: "8 KiB of commas", in: strings.Repeat(",", 8192), err: ErrSyntax},
		{name: "8 KiB of numbers", in: strings.Repeat("1,", 4096) + "1", err: ErrSyntax},
		{name: "plus sign", in: "+10,0,0,2,156,65", err: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePORT(tt.in)
			checkErr(t, err, tt.err)
			if got != tt.want {
				t.Errorf("ParsePORT(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseEPRT(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want netip.AddrPort
		err  error
	}{
		{name: "rfc2428 ipv4", in: "|1|132.235.1.2|6275|", want: netip.MustParseAddrPort("132.235.1.2:6275")},
		{name: "rfc2428 ipv6", in: "|2|1080::8:800:200C:417A|5282|", want: netip.MustParseAddrPort("[1080::8:800:200c:417a]:5282")},
		{name: "exclamation delimiter", in: "!1!10.0.0.2!40001!", want: ap10},
		{name: "tilde delimiter", in: "~2~2001:db8::1~21~", want: netip.MustParseAddrPort("[2001:db8::1]:21")},
		{name: "ipv4-mapped ipv6 from dual-stack socket is unmapped", in: "|2|::ffff:10.0.0.2|40001|", want: ap10},
		{name: "surrounding spaces and crlf", in: " |1|10.0.0.2|40001| \r\n", want: ap10},

		{name: "empty", in: "", err: ErrEmpty},
		{name: "family 3", in: "|3|10.0.0.2|40001|", err: ErrUnsupportedFamily},
		{name: "family 0", in: "|0|10.0.0.2|40001|", err: ErrUnsupportedFamily},
		{name: "family not a number", in: "|x|10.0.0.2|40001|", err: ErrSyntax},
		{name: "family empty", in: "||10.0.0.2|40001|", err: ErrSyntax},
		{name: "family 1 with ipv6 address", in: "|1|2001:db8::1|21|", err: ErrSyntax},
		{name: "family 2 with ipv4 address", in: "|2|10.0.0.2|21|", err: ErrSyntax},
		{name: "zone refused", in: "|2|fe80::1%eth0|21|", err: ErrSyntax},
		{name: "leading zero octet", in: "|1|10.0.0.02|21|", err: ErrSyntax},
		{name: "port zero", in: "|1|10.0.0.2|0|", err: ErrRange},
		{name: "port above 65535", in: "|1|10.0.0.2|65536|", err: ErrRange},
		{name: "port huge", in: "|1|10.0.0.2|99999999999999999999999|", err: ErrRange},
		{name: "negative port", in: "|1|10.0.0.2|-1|", err: ErrSyntax},
		{name: "empty port", in: "|1|10.0.0.2||", err: ErrSyntax},
		{name: "missing final delimiter", in: "|1|10.0.0.2|40001", err: ErrSyntax},
		{name: "extra field", in: "|1|10.0.0.2|40001|5|", err: ErrSyntax},
		{name: "mixed delimiters", in: "|1!10.0.0.2|40001|", err: ErrSyntax},
		{name: "space delimiter not allowed", in: "\x001\x0010.0.0.2\x0040001\x00", err: ErrSyntax},
		{name: "del delimiter not allowed", in: "\x7f1\x7f10.0.0.2\x7f40001\x7f", err: ErrSyntax},
		{name: "port form given to eprt", in: "10,0,0,2,156,65", err: ErrSyntax},
		{name: "8 KiB of delimiters", in: strings.Repeat("|", 8192), err: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEPRT(tt.in)
			checkErr(t, err, tt.err)
			if got != tt.want {
				t.Errorf("ParseEPRT(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseLPRT(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want netip.AddrPort
		err  error
	}{
		{name: "rfc1639 ipv4", in: "4,4,10,0,0,2,2,156,65", want: ap10},
		{name: "rfc1639 ipv6", in: "6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21", want: netip.MustParseAddrPort("[2001:db8::1]:21")},
		{name: "ipv4-mapped ipv6 is unmapped", in: "6,16,0,0,0,0,0,0,0,0,0,0,255,255,10,0,0,2,2,156,65", want: ap10},
		{name: "spaces", in: "4, 4, 10, 0, 0, 2, 2, 156, 65", want: ap10},

		{name: "empty", in: "", err: ErrEmpty},
		{name: "family 5", in: "5,4,10,0,0,2,2,156,65", err: ErrUnsupportedFamily},
		{name: "ipv4 with length 16", in: "4,16,10,0,0,2,2,156,65", err: ErrSyntax},
		{name: "port length 3", in: "4,4,10,0,0,2,3,0,156,65", err: ErrSyntax},
		{name: "ipv6 too short", in: "6,16,1,2,3,4,2,0,21", err: ErrSyntax},
		{name: "one number", in: "4", err: ErrSyntax},
		{name: "byte above 255", in: "4,4,10,0,0,300,2,156,65", err: ErrRange},
		{name: "port zero", in: "4,4,10,0,0,2,2,0,0", err: ErrRange},
		{name: "port form given to lprt", in: "10,0,0,2,156,65", err: ErrUnsupportedFamily},
		{name: "8 KiB of numbers", in: "4,4" + strings.Repeat(",1", 4096), err: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLPRT(tt.in)
			checkErr(t, err, tt.err)
			if got != tt.want {
				t.Errorf("ParseLPRT(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse227(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want netip.AddrPort
		err  error
	}{
		{name: "vsftpd and proftpd with trailing dot", in: "Entering Passive Mode (10,0,0,2,156,65).", want: ap10},
		{name: "filezilla server and serv-u without dot", in: "Entering Passive Mode (10,0,0,2,156,65)", want: ap10},
		{name: "rfc959 figure equals form", in: "=10,0,0,2,156,65", want: ap10},
		{name: "rfc1123 no parentheses", in: "Entering Passive Mode 10,0,0,2,156,65", want: ap10},
		{name: "rfc1123 period before numbers", in: "Entering Passive Mode. 10,0,0,2,156,65", want: ap10},
		{name: "code still in text", in: "227 Entering Passive Mode (10,0,0,2,156,65).", want: ap10},
		{name: "spaces after commas", in: "Entering Passive Mode (10, 0, 0, 2, 156, 65)", want: ap10},
		{name: "alg rewrite padded with spaces", in: "Entering Passive Mode (10,0,0,2,156,65)     ", want: ap10},
		{name: "alg rewrite padded with leading zeros", in: "Entering Passive Mode (010,000,000,002,156,065)", want: ap10},
		{name: "pure-ftpd wording", in: "Entering Passive Mode (10,0,0,2,156,65)", want: ap10},
		{name: "ibm z/os style text before", in: "Entering Passive Mode (Server IP 10,0,0,2,156,65)", want: ap10},
		{name: "other number runs in text skipped", in: "Passive 1,2 mode v3 (10,0,0,2,156,65) 7,7,7", want: ap10},
		{name: "first six-number run wins", in: "(10,0,0,2,156,65) (1,2,3,4,5,6)", want: ap10},
		{name: "seven numbers skipped", in: "(1,2,3,4,5,6,7) (10,0,0,2,156,65)", want: ap10},
		{name: "nat to public address", in: "Entering Passive Mode (203,0,113,5,19,137).", want: netip.MustParseAddrPort("203.0.113.5:5001")},
		{name: "tab around commas", in: "(10\t,0,0,2,156,65)", want: ap10},

		{name: "empty", in: "", err: ErrNoNumbers},
		{name: "no numbers", in: "Entering Passive Mode", err: ErrNoNumbers},
		{name: "too few numbers", in: "Entering Passive Mode (10,0,0,2,156)", err: ErrNoNumbers},
		{name: "number above 255", in: "Entering Passive Mode (10,0,0,256,156,65)", err: ErrRange},
		{name: "overflow", in: "(10,0,0,2,156,184467440737095516160000)", err: ErrRange},
		{name: "negative", in: "(-10,0,0,2,156,65)", err: ErrRange},
		{name: "negative inside", in: "(10,0,0,-2,156,65)", err: ErrRange},
		{name: "port zero", in: "(10,0,0,2,0,0)", err: ErrRange},
		{name: "nul splits the run", in: "(10,0,0\x00,2,156,65)", err: ErrNoNumbers},
		{name: "8 KiB of commas", in: strings.Repeat(",", 8192), err: ErrNoNumbers},
		{name: "8 KiB of numbers in one run", in: strings.Repeat("1,", 4096), err: ErrNoNumbers},
		{name: "dotted address", in: "Entering Passive Mode (10.0.0.2:40001)", err: ErrNoNumbers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse227(tt.in)
			checkErr(t, err, tt.err)
			if got != tt.want {
				t.Errorf("Parse227(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse228(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want netip.AddrPort
		err  error
	}{
		{name: "rfc1639 ipv4", in: "Entering Long Passive Mode (4,4,10,0,0,2,2,156,65)", want: ap10},
		{name: "rfc1639 ipv6", in: "Entering Long Passive Mode (6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21)", want: netip.MustParseAddrPort("[2001:db8::1]:21")},
		{name: "code still in text", in: "228 Entering Long Passive Mode (4,4,10,0,0,2,2,156,65).", want: ap10},
		{name: "no parentheses", in: "Entering Long Passive Mode 4, 4, 10, 0, 0, 2, 2, 156, 65", want: ap10},

		{name: "empty", in: "", err: ErrNoNumbers},
		{name: "227 form", in: "Entering Passive Mode (10,0,0,2,156,65)", err: ErrUnsupportedFamily},
		{name: "family 5", in: "(5,4,10,0,0,2,2,156,65)", err: ErrUnsupportedFamily},
		{name: "byte above 255", in: "(4,4,10,0,0,256,2,156,65)", err: ErrRange},
		{name: "port zero", in: "(4,4,10,0,0,2,2,0,0)", err: ErrRange},
		{name: "short", in: "(4,4,10,0,0,2,2,156)", err: ErrSyntax},
		{name: "two numbers only", in: "(4,4)", err: ErrNoNumbers},
		{name: "8 KiB of commas", in: strings.Repeat(",", 8192), err: ErrNoNumbers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse228(tt.in)
			checkErr(t, err, tt.err)
			if got != tt.want {
				t.Errorf("Parse228(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse229(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint16
		err  error
	}{
		{name: "rfc2428 vsftpd proftpd iis filezilla", in: "Entering Extended Passive Mode (|||6446|)", want: 6446},
		{name: "pure-ftpd wording", in: "Extended Passive mode OK (|||47730|)", want: 47730},
		{name: "exclamation delimiter", in: "Entering Extended Passive Mode (!!!6446!)", want: 6446},
		{name: "digit delimiter", in: "(7776446 7)", err: ErrNoNumbers},
		{name: "digit delimiter not in port", in: "(99964469)", want: 6446},
		{name: "close paren delimiter", in: "()))6446))", want: 6446},
		{name: "trailing dot", in: "Entering Extended Passive Mode (|||6446|).", want: 6446},
		{name: "code still in text", in: "229 Entering Extended Passive Mode (|||6446|)", want: 6446},
		{name: "other parenthesis first", in: "foo bar (ha-ha) (|||666|)", want: 666},
		{name: "server fills in family and address", in: "Entering Extended Passive Mode (|1|10.0.0.2|6446|)", want: 6446},
		{name: "max port", in: "(|||65535|)", want: 65535},
		{name: "leading zeros", in: "(|||06446|)", want: 6446},

		{name: "empty", in: "", err: ErrNoNumbers},
		{name: "no parentheses", in: "Entering Extended Passive Mode |||6446|", err: ErrNoNumbers},
		{name: "227 form", in: "Entering Passive Mode (10,0,0,2,156,65)", err: ErrNoNumbers},
		{name: "missing close paren", in: "(|||6446|", err: ErrNoNumbers},
		{name: "mixed delimiters", in: "(|||6446!)", err: ErrNoNumbers},
		{name: "empty port", in: "(||||)", err: ErrNoNumbers},
		{name: "port zero", in: "(|||0|)", err: ErrRange},
		{name: "port above 65535", in: "(|||65536|)", err: ErrRange},
		{name: "port with letters", in: "(|||64a6|)", err: ErrNoNumbers},
		{name: "negative port", in: "(|||-1|)", err: ErrNoNumbers},
		{name: "space delimiter not allowed", in: "(   6446 )", err: ErrNoNumbers},
		{name: "nul delimiter not allowed", in: "(\x00\x00\x006446\x00)", err: ErrNoNumbers},
		{name: "8 KiB of open parens", in: strings.Repeat("(", 8192), err: ErrNoNumbers},
		{name: "8 KiB of pipes", in: "(" + strings.Repeat("|", 8192) + ")", err: ErrNoNumbers},
		{name: "overlong address field", in: "(|1|" + strings.Repeat("a", 100) + "|6446|)", err: ErrNoNumbers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse229(tt.in)
			checkErr(t, err, tt.err)
			if got != tt.want {
				t.Errorf("Parse229(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSyntaxError(t *testing.T) {
	long := strings.Repeat("9", 200)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "quotes input and offset",
			err:  func() error { _, err := ParsePORT("10,0,0,300,1,2"); return err }(),
			want: `decode.ParsePORT: parsing "10,0,0,300,1,2" at offset 7: decode: number out of range`,
		},
		{
			name: "long input cut",
			err:  func() error { _, err := ParsePORT(long); return err }(),
			want: `decode.ParsePORT: parsing "` + long[:maxQuoted] + `..." at offset 0: decode: number out of range`,
		},
		{
			name: "command",
			err:  func() error { _, err := ParseCommand([]byte("R3TR x")); return err }(),
			want: `decode.ParseCommand: parsing "R3TR x" at offset 1: decode: not an FTP command`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAllocs pins the zero-allocation success paths.
func TestAllocs(t *testing.T) {
	tests := []struct {
		name string
		max  float64
		f    func()
	}{
		{"ParsePORT", 0, func() { _, _ = ParsePORT("10,0,0,2,156,65") }},
		{"Parse227", 0, func() { _, _ = Parse227("227 Entering Passive Mode (10,0,0,2,156,65).") }},
		{"Parse228", 0, func() { _, _ = Parse228("Entering Long Passive Mode (4,4,10,0,0,2,2,156,65)") }},
		{"Parse229", 0, func() { _, _ = Parse229("Entering Extended Passive Mode (|||6446|)") }},
		{"ParseLPRT", 0, func() { _, _ = ParseLPRT("4,4,10,0,0,2,2,156,65") }},
		{"ParseEPRT ipv4", 0, func() { _, _ = ParseEPRT("|1|132.235.1.2|6275|") }},
		{"ParseCommand known verb no arg", 0, func() { _, _ = ParseCommand([]byte("PASV\r\n")) }},
		{"IsTransferVerb", 0, func() { _ = IsTransferVerb("retr") }},
		// One allocation: the Arg string, copied out of the caller's buffer.
		{"ParseCommand known verb with arg", 1, func() { _, _ = ParseCommand([]byte("RETR file.bin\r\n")) }},
		// Two allocations for the hostile input: the *SyntaxError and its 80-byte quote.
		{"Parse227 8 KiB hostile", 2, func() { _, _ = Parse227(hostile227) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(100, tt.f); got > tt.max {
				t.Errorf("allocations = %v, want at most %v", got, tt.max)
			}
		})
	}
}

var hostile227 = strings.Repeat("1,", 4096) + strings.Repeat("(", 4096)

func BenchmarkParse227(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Parse227("227 Entering Passive Mode (10,0,0,2,156,65).")
	}
}

func BenchmarkParsePORT(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParsePORT("10,0,0,2,156,65")
	}
}

func BenchmarkParseCommand(b *testing.B) {
	b.ReportAllocs()
	line := []byte("RETR file.bin\r\n")
	for b.Loop() {
		_, _ = ParseCommand(line)
	}
}

func BenchmarkReplyAssembler(b *testing.B) {
	b.ReportAllocs()
	lines := [][]byte{[]byte("211-Features:\r\n"), []byte(" MDTM\r\n"), []byte(" EPSV\r\n"), []byte("211 End\r\n")}
	var a ReplyAssembler
	for b.Loop() {
		for _, l := range lines {
			_, _, _ = a.Feed(l)
		}
	}
}

func BenchmarkParse227Hostile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Parse227(hostile227)
	}
}

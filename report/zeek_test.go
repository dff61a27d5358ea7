package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ftpscope/ftpscope/session"
)

// transcriptSession is a session with one logged command whose argument
// and reply are arg and reply, as the analyser would report it.
func transcriptSession(user, arg, reply string) *session.Session {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) session.Time { return session.Time{Time: t0.Add(time.Duration(ms) * time.Millisecond)} }
	return &session.Session{
		ID: 1, Source: "x.pcap",
		Client:      netip.MustParseAddrPort("10.0.0.1:51000"),
		Server:      netip.MustParseAddrPort("10.0.0.2:21"),
		CommunityID: "1:GZCMe0S7l3HVr6yyKQSjzwQObnY=",
		Start:       at(0), End: at(100),
		Transcript: []session.Exchange{
			{Reply: 220, ReplyText: "ready", ReplyPacket: 4, ReplyTime: at(1)},
			{Command: "USER", Arg: user, Packet: 6, Time: at(2), Reply: 331, ReplyText: "password?", ReplyPacket: 7, ReplyTime: at(3)},
			{Command: "DELE", Arg: arg, Packet: 8, Time: at(4), Reply: 250, ReplyText: reply, ReplyPacket: 9, ReplyTime: at(5)},
		},
	}
}

// unescapeZeek undoes Zeek's \xHH escapes and its (empty) mark.
func unescapeZeek(t *testing.T, s string) string {
	t.Helper()
	if s == "(empty)" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+3 >= len(s) || s[i+1] != 'x' {
				t.Fatalf("lone backslash in %q", s)
			}
			n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q: %v", s, err)
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestZeekEscaping covers the hostile text Zeek's ASCII and JSON writers
// escape: separators, line ends, the backslash, invalid UTF-8, and the
// strings that look like Zeek's own marks.
func TestZeekEscaping(t *testing.T) {
	tests := []struct {
		name, in, tsv, json string
	}{
		{"plain", "pub/file.txt", "pub/file.txt", "pub/file.txt"},
		{"tab is the separator", "a\tb", `a\x09b`, "a\tb"},
		{"carriage return inside a line", "a\rb", `a\x0db`, "a\rb"},
		{"newline", "a\nb", `a\x0ab`, "a\nb"},
		{"escape sequence to a terminal", "\x1b[31mred", `\x1b[31mred`, `\x1b[31mred`},
		{"NUL and DEL", "\x00\x7f", `\x00\x7f`, `\x00\x7f`},
		{"backslash", `C:\dir`, `C:\x5cdir`, `C:\dir`},
		{"latin-1 byte, not UTF-8", "caf\xe9", `caf\xe9`, `caf\xe9`},
		{"valid UTF-8 stays", "café ☃", "café ☃", "café ☃"},
		{"truncated UTF-8 sequence", "a\xe2\x98", `a\xe2\x98`, `a\xe2\x98`},
		{"empty string", "", "(empty)", ""},
		{"the unset mark", "-", `\x2d`, "-"},
		{"a dash inside", "a-b", "a-b", "a-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendZeekString(nil, tt.in)); got != tt.tsv {
				t.Errorf("TSV %q, want %q", got, tt.tsv)
			}
			if got := zeekJSONEscape(tt.in); got != tt.json {
				t.Errorf("JSON %q, want %q", got, tt.json)
			}
			var back string
			if err := json.Unmarshal(appendJSONString(nil, zeekJSONEscape(tt.in)), &back); err != nil || back != tt.json {
				t.Errorf("JSON string does not decode to %q: %q, %v", tt.json, back, err)
			}
		})
	}
}

// TestZeekRowsKeepColumns: whatever a command or reply holds, each row
// of the TSV log has exactly the header's columns and reads back as the
// capture's text.
func TestZeekRowsKeepColumns(t *testing.T) {
	s := transcriptSession("us\ter", "a\tb\nc\\d\xff-", "two\tcolumns")
	var b bytes.Buffer
	if err := WriteZeek(&b, &session.Report{Sessions: []*session.Session{s}}, ZeekOptions{Commands: []string{"USER", "DELE"}}); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "#") {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want USER and DELE:\n%s", len(rows), b.String())
	}
	for _, r := range rows {
		if len(r) != len(zeekFields) {
			t.Fatalf("row of %d columns, want %d: %q", len(r), len(zeekFields), r)
		}
	}
	if got := unescapeZeek(t, rows[1][6]); got != "us\ter" {
		t.Errorf("user reads back as %q", got)
	}
	if got := unescapeZeek(t, rows[1][9]); got != "a\tb\nc\\d\xff-" {
		t.Errorf("arg reads back as %q", got)
	}
	if got := unescapeZeek(t, rows[1][13]); got != "two\tcolumns" {
		t.Errorf("reply_msg reads back as %q", got)
	}
}

// FuzzZeekTSV: every row of the TSV log has the header's field count,
// and every string field reads back as what the capture held.
func FuzzZeekTSV(f *testing.F) {
	f.Add("anonymous", "pub/file.txt", "Requested file action okay.")
	f.Add("us\ter", "a\tb", "x\ny")              // separators and line ends
	f.Add("-", "", "(empty)")                    // Zeek's own marks
	f.Add("\xff\xfe", "caf\xe9", "\x1b[2J")      // not UTF-8; a terminal escape
	f.Add("☃", `C:\temp\x09`, "\\x41 \\")        // backslashes that look like escapes
	f.Add("a\x00b", "\r", "230-first\n230 last") // NUL, CR, a multi-line reply
	f.Fuzz(func(t *testing.T, user, arg, reply string) {
		s := transcriptSession(user, arg, reply)
		var b bytes.Buffer
		if err := WriteZeek(&b, &session.Report{Sessions: []*session.Session{s}}, ZeekOptions{Commands: []string{"USER", "DELE"}}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		var rows [][]string
		for _, l := range lines {
			if !strings.HasPrefix(l, "#") {
				rows = append(rows, strings.Split(l, "\t"))
			}
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows, want 2:\n%q", len(rows), b.String())
		}
		for _, r := range rows {
			if len(r) != len(zeekFields) {
				t.Fatalf("row of %d fields under a header of %d: %q", len(r), len(zeekFields), r)
			}
		}
		checks := []struct {
			col  int
			want string
		}{{6, user}, {9, arg}, {13, lastLine(reply)}}
		for _, c := range checks {
			got := rows[1][c.col]
			if c.want == "(empty)" {
				continue // Zeek's own ambiguity: written as it is
			}
			if c.col == 9 && c.want == "" {
				if got != "-" {
					t.Errorf("empty argument written as %q, want unset as Zeek", got)
				}
				continue
			}
			if back := unescapeZeek(t, got); back != c.want {
				t.Errorf("column %d: %q written as %q, reads back as %q", c.col, c.want, got, back)
			}
		}
	})
}

func TestZeekCompressPath(t *testing.T) {
	// The first three are what Zeek's baselines show for the peer
	// captures.
	tests := map[string]string{
		"./robots.txt":                  "./robots.txt",
		"./":                            ".",
		"//samba/./samba-3.4.17.tar.gz": "/samba/samba-3.4.17.tar.gz",
		"/a/b/../c":                     "/a/c",
		"/a/":                           "/a",
		"/":                             "/",
		"a//b":                          "a/b",
		"../x/./y":                      "../x/y",
	}
	for in, want := range tests {
		if got := zeekCompressPath(in); got != want {
			t.Errorf("zeekCompressPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestZeekCWD follows the working directory through CWD, CDUP and PWD
// into the URL of a RETR, as Zeek does.
func TestZeekCWD(t *testing.T) {
	server := netip.MustParseAddr("2001:db8::2")
	cwd := "."
	for _, ex := range []session.Exchange{
		{Command: "PWD", Reply: 257, ReplyText: `"/" is the current directory`},
		{Command: "CWD", Arg: "pub", Reply: 550}, // refused: no change
		{Command: "CWD", Arg: "samba/.", Reply: 250},
		{Command: "CWD", Arg: "old", Reply: 250},
		{Command: "CDUP", Reply: 200},
	} {
		cwd = zeekCWD(cwd, ex)
	}
	if got, want := zeekURL(server, cwd, "f.tgz"), "ftp://[2001:db8::2]/samba/f.tgz"; got != want {
		t.Errorf("URL %q, want %q", got, want)
	}
	if got, want := zeekURL(server, cwd, "/abs/f"), "ftp://[2001:db8::2]/abs/f"; got != want {
		t.Errorf("URL %q, want %q", got, want)
	}
}

// TestZeekPasswords: the password column and the PASS argument read
// <hidden> unless passwords are shown, and the user is the one known at
// each command.
func TestZeekPasswords(t *testing.T) {
	s := transcriptSession("alice", "f", "ok")
	s.Transcript = append(s.Transcript[:2], append([]session.Exchange{{Command: "PASS", Arg: "s3cret", Reply: 230}}, s.Transcript[2:]...)...)
	for _, show := range []bool{false, true} {
		var b bytes.Buffer
		if err := WriteZeek(&b, &session.Report{Sessions: []*session.Session{s}}, ZeekOptions{JSON: true, ShowPasswords: show, Commands: []string{"USER", "PASS", "DELE"}}); err != nil {
			t.Fatal(err)
		}
		type row struct {
			User, Password, Command, Arg string
		}
		var got []row
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			var r row
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		pw := "<hidden>"
		if show {
			pw = "s3cret"
		}
		want := []row{
			{"alice", "", "USER", "alice"},
			{"alice", pw, "PASS", pw},
			{"alice", pw, "DELE", "f"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("show %v (-want +got):\n%s", show, diff)
		}
	}
}

func TestZeekIDsStable(t *testing.T) {
	a := transcriptSession("u", "f", "ok")
	b := transcriptSession("u", "f", "ok")
	if zeekID("C", sessionHash(a)) != zeekID("C", sessionHash(b)) {
		t.Error("the same session gets two uids")
	}
	b.Start.Time = b.Start.Add(time.Second) // the four-tuple used again
	if zeekID("C", sessionHash(a)) == zeekID("C", sessionHash(b)) {
		t.Error("two sessions on one four-tuple share a uid")
	}
	if id := flowID(sessionHash(a)); id == 0 || id >= 1<<51 {
		t.Errorf("flow_id %d out of range", id)
	}
}

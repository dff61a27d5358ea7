package session

import (
	"bytes"
	"net/netip"
	"strconv"
	"testing"
)

// The forms below are read off net/netfilter/nf_conntrack_ftp.c: what
// find_pattern, try_rfc959, try_rfc1123, try_eprt, try_epsv_response and
// get_port accept, and what they take for a partial match (which makes the
// kernel drop the packet).

func TestConntrackSearchClient(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		ipv6  bool
		found ctFound
		kind  ctKind
		ep    string // addr:port read, "" for none
	}{
		{"PORT as every client sends it", "PORT 10,0,0,1,195,80\r\n", false, ctMatched, ctPORT, "10.0.0.1:50000"},
		{"lower case verb", "port 10,0,0,1,195,80\r\n", false, ctMatched, ctPORT, "10.0.0.1:50000"},
		{"mixed case verb", "PoRt 10,0,0,1,195,80\r\n", false, ctMatched, ctPORT, "10.0.0.1:50000"},
		{"CR alone ends it", "PORT 10,0,0,1,195,80\r", false, ctMatched, ctPORT, "10.0.0.1:50000"},
		{"bare LF: the terminator must be CR", "PORT 10,0,0,1,195,80\n", false, ctPartial, ctPORT, ""},
		{"space before CRLF", "PORT 10,0,0,1,195,80 \r\n", false, ctPartial, ctPORT, ""},
		{"two spaces after the verb", "PORT  10,0,0,1,195,80\r\n", false, ctPartial, ctPORT, ""},
		{"five numbers", "PORT 10,0,0,1,195\r\n", false, ctPartial, ctPORT, ""},
		{"seven numbers", "PORT 10,0,0,1,195,80,1\r\n", false, ctPartial, ctPORT, ""},
		{"split: the segment ends inside the numbers", "PORT 10,0,0,1,", false, ctPartial, ctPORT, ""},
		{"split: the segment ends before CR", "PORT 10,0,0,1,195,80", false, ctPartial, ctPORT, ""},
		{"no argument", "PORT\r\n", false, ctPartial, ctPORT, ""},
		{"the verb alone in a segment", "PORT", false, ctPartial, ctPORT, ""},
		{"the start of the verb alone", "PO", false, ctPartial, ctPORT, ""},
		{"one byte of it", "p", false, ctPartial, ctPORT, ""},
		{"numbers above 255 wrap", "PORT 300,0,0,1,256,1\r\n", false, ctMatched, ctPORT, "44.0.0.1:1"},
		{"empty numbers", "PORT ,,,,,\r\n", false, ctMatched, ctPORT, "0.0.0.0:0"},
		{"any word starting with PORT", "PORTS 10,0,0,1,195,80\r\n", false, ctMatched, ctPORT, "10.0.0.1:50000"},
		{"leading space", " PORT 10,0,0,1,195,80\r\n", false, ctNoMatch, ctNone, ""},
		{"PORT after another command in the segment", "TYPE I\r\nPORT 10,0,0,1,195,80\r\n", false, ctNoMatch, ctNone, ""},
		{"PASV is not looked at", "PASV\r\n", false, ctNoMatch, ctNone, ""},
		{"EPSV is not looked at", "EPSV\r\n", false, ctNoMatch, ctNone, ""},
		{"the start of EPRT alone", "EP", false, ctPartial, ctEPRT, ""},
		{"EPRT IPv4", "EPRT |1|10.0.0.1|50000|\r\n", false, ctMatched, ctEPRT, "10.0.0.1:50000"},
		{"EPRT with another delimiter", "EPRT !1!10.0.0.1!50000!\r\n", false, ctMatched, ctEPRT, "10.0.0.1:50000"},
		{"EPRT ignores the line end", "EPRT |1|10.0.0.1|50000|\n", false, ctMatched, ctEPRT, "10.0.0.1:50000"},
		{"EPRT port wraps at 16 bits", "EPRT |1|10.0.0.1|70000|\r\n", false, ctMatched, ctEPRT, "10.0.0.1:4464"},
		{"EPRT port 0", "EPRT |1|10.0.0.1|0|\r\n", false, ctPartial, ctEPRT, ""},
		{"EPRT without the last delimiter", "EPRT |1|10.0.0.1|50000\r\n", false, ctPartial, ctEPRT, ""},
		{"EPRT three numbers", "EPRT |1|10.0.0|50000|\r\n", false, ctPartial, ctEPRT, ""},
		{"EPRT space inside", "EPRT | 1|10.0.0.1|50000|\r\n", false, ctPartial, ctEPRT, ""},
		{"EPRT digit as delimiter", "EPRT 515150000|\r\n", false, ctPartial, ctEPRT, ""},
		{"EPRT IPv6 on an IPv4 connection", "EPRT |2|2001:db8::1|50000|\r\n", false, ctPartial, ctEPRT, ""},
		{"EPRT IPv6", "EPRT |2|2001:db8::1|50001|\r\n", true, ctMatched, ctEPRT, "[2001:db8::1]:50001"},
		{"EPRT IPv6 with an IPv4 tail", "EPRT |2|::ffff:10.0.0.1|50001|\r\n", true, ctMatched, ctEPRT, "[::ffff:10.0.0.1]:50001"},
		{"EPRT IPv6 with a zone", "EPRT |2|fe80::1%eth0|50001|\r\n", true, ctPartial, ctEPRT, ""},
		{"EPRT IPv4 on an IPv6 connection", "EPRT |1|10.0.0.1|50001|\r\n", true, ctPartial, ctEPRT, ""},
		{"PORT on an IPv6 connection is still read", "PORT 10,0,0,1,195,80\r\n", true, ctMatched, ctPORT, "10.0.0.1:50000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ctSearch(toServer, []byte(tt.data), tt.ipv6)
			checkRead(t, tt.data, r, tt.found, tt.kind, tt.ep)
		})
	}
}

func TestConntrackSearchServer(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		found ctFound
		kind  ctKind
		ep    string
	}{
		{"vsftpd's 227", "227 Entering Passive Mode (10,0,0,2,156,65).\r\n", ctMatched, ct227, "10.0.0.2:40001"},
		{"227 without parentheses", "227 Entering Passive Mode 10,0,0,2,156,65\r\n", ctMatched, ct227, "10.0.0.2:40001"},
		{"227 =h,h,h,h,p,p", "227 =10,0,0,2,156,65\r\n", ctMatched, ct227, "10.0.0.2:40001"},
		{"227 ended by a bare LF", "227 Entering Passive Mode (10,0,0,2,156,65)\n", ctMatched, ct227, "10.0.0.2:40001"},
		{"227 split after the parenthesis", "227 Entering Passive Mode (10,0,0,2,156,65)", ctMatched, ct227, "10.0.0.2:40001"},
		{"227 split inside the numbers", "227 Entering Passive Mode (10,0,0,2,156", ctPartial, ct227, ""},
		{"227 split before the numbers", "227 Entering Passive Mode (", ctPartial, ct227, ""},
		{"227 split after the last digit", "227 Entering Passive Mode (10,0,0,2,156,65", ctPartial, ct227, ""},
		{"227 with five numbers", "227 Entering Passive Mode (10,0,0,2,156).\r\n", ctPartial, ct227, ""},
		{"227 with a digit before the numbers", "227 Entering Passive Mode v2 (10,0,0,2,156,65).\r\n", ctPartial, ct227, ""},
		{"227 and its code alone", "227", ctPartial, ct227, ""},
		{"the first digit of a reply alone", "2", ctPartial, ct227, ""},
		{"multi-line 227: the first line is 227-", "227-Entering Passive Mode (10,0,0,2,156,65)\r\n227 OK\r\n", ctNoMatch, ctNone, ""},
		{"227 after another reply in the segment", "150 Here.\r\n227 Entering Passive Mode (10,0,0,2,156,65).\r\n", ctNoMatch, ctNone, ""},
		{"lower case does not matter for digits", "227 entering passive mode (10,0,0,2,156,65)\r\n", ctMatched, ct227, "10.0.0.2:40001"},
		{"EPSV's 229", "229 Entering Extended Passive Mode (|||40002|)\r\n", ctMatched, ct229, ":40002"},
		{"229 with another delimiter", "229 Entering Extended Passive Mode (!!!40002!)\r\n", ctMatched, ct229, ":40002"},
		{"229 without parentheses", "229 Entering Extended Passive Mode |||40002|\r\n", ctPartial, ct229, ""},
		{"229 port 0", "229 Entering Extended Passive Mode (|||0|)\r\n", ctPartial, ct229, ""},
		{"229 without the last delimiter", "229 Entering Extended Passive Mode (|||40002)\r\n", ctPartial, ct229, ""},
		{"229 with two delimiters", "229 Entering Extended Passive Mode (||40002|)\r\n", ctPartial, ct229, ""},
		{"229 split after the parenthesis", "229 Entering Extended Passive Mode (", ctPartial, ct229, ""},
		{"229-", "229-Extended Passive Mode\r\n", ctNoMatch, ctNone, ""},
		{"200", "200 PORT command successful. Consider using PASV.\r\n", ctNoMatch, ctNone, ""},
		{"228 is not looked at", "228 Entering Long Passive Mode (4,4,10,0,0,2,2,156,66)\r\n", ctNoMatch, ctNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ctSearch(toClient, []byte(tt.data), false)
			checkRead(t, tt.data, r, tt.found, tt.kind, tt.ep)
		})
	}
}

func checkRead(t *testing.T, data string, r ctRead, found ctFound, kind ctKind, ep string) {
	t.Helper()
	got := ""
	switch {
	case r.Addr.IsValid():
		got = netip.AddrPortFrom(r.Addr, r.Port).String()
	case r.Port != 0:
		got = ":" + strconv.Itoa(int(r.Port))
	}
	if r.Found != found || r.Kind != kind || got != ep {
		t.Errorf("ctSearch(%q) = found %d, %v, %q; want found %d, %v, %q", data, r.Found, r.Kind, got, found, kind, ep)
	}
}

// ctStep is one segment fed to ctConn.segment and what must come of it.
type ctStep struct {
	d        int
	seq      uint32
	data     string
	cut      bool
	outcome  ctOutcome
	expected string // the expectation's endpoint for ctExpected, what was read for ctRefused
}

func TestConntrackConnection(t *testing.T) {
	client, server := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	const c0, s0 = 1000, 5000 // the first payload byte of each direction
	banner, user, ok331 := "220 (vsFTPd 3.0.5)\r\n", "USER anonymous\r\n", "331 Please specify the password.\r\n"
	after := func(seq uint32, s string) uint32 { return seq + uint32(len(s)) }
	c1 := after(c0, user)
	s1 := after(s0, banner)
	s2 := after(s1, ok331)
	tests := []struct {
		name   string
		pickup bool
		steps  []ctStep
	}{
		{"the first segment of each direction is not searched", false, []ctStep{
			{toClient, s0, "227 Entering Passive Mode (10,0,0,2,156,65).\r\n", false, ctUnread, ""},
			{toServer, c0, "PORT 10,0,0,1,195,80\r\n", false, ctUnread, ""},
		}},
		{"a picked-up connection is searched from its first segment", true, []ctStep{
			{toServer, c0, "PORT 10,0,0,1,195,80\r\n", false, ctExpected, "10.0.0.1:50000"},
			{toClient, s0, "227 Entering Passive Mode (10,0,0,2,156,65).\r\n", false, ctExpected, "10.0.0.2:40001"},
		}},
		{"PORT at the start of a segment after a line end", false, []ctStep{
			{toServer, c0, user, false, ctUnread, ""},
			{toServer, c1, "PORT 10,0,0,1,195,80\r\n", false, ctExpected, "10.0.0.1:50000"},
		}},
		{"227 and 229 after line ends", false, []ctStep{
			{toClient, s0, banner, false, ctUnread, ""},
			{toClient, s1, "227 Entering Passive Mode (10,0,0,2,156,65).\r\n", false, ctExpected, "10.0.0.2:40001"},
			{toClient, after(s1, "227 Entering Passive Mode (10,0,0,2,156,65).\r\n"), "229 Entering Extended Passive Mode (|||40002|)\r\n", false, ctExpected, "10.0.0.2:40002"},
		}},
		{"PORT split in two: the first half is dropped, the second not searched", false, []ctStep{
			{toServer, c0, user, false, ctUnread, ""},
			{toServer, c1, "PORT 10,0,0,1,", false, ctDropped, ""},
			{toServer, after(c1, "PORT 10,0,0,1,"), "195,80\r\n", false, ctUnread, ""},
			// The next command starts after a line end again.
			{toServer, after(c1, "PORT 10,0,0,1,195,80\r\n"), "PORT 10,0,0,1,195,81\r\n", false, ctExpected, "10.0.0.1:50001"},
		}},
		{"a dropped PORT retransmitted whole", false, []ctStep{
			{toServer, c0, user, false, ctUnread, ""},
			{toServer, c1, "PORT 10,0,0,1,", false, ctDropped, ""},
			{toServer, c1, "PORT 10,0,0,1,195,80\r\n", false, ctExpected, "10.0.0.1:50000"},
		}},
		{"a segment that ends inside a line makes the next one unread", false, []ctStep{
			{toServer, c0, user, false, ctUnread, ""},
			{toServer, c1, "TYPE ", false, ctNothing, ""},
			{toServer, after(c1, "TYPE "), "I\r\nPORT 10,0,0,1,195,80\r\n", false, ctUnread, ""},
		}},
		{"PORT naming another address: no expectation (loose=0)", false, []ctStep{
			{toServer, c0, user, false, ctUnread, ""},
			{toServer, c1, "PORT 192,168,0,5,195,80\r\n", false, ctRefused, "192.168.0.5:50000"},
		}},
		{"227 naming another address", false, []ctStep{
			{toClient, s0, banner, false, ctUnread, ""},
			{toClient, s1, "227 Entering Passive Mode (192,168,1,10,156,71).\r\n", false, ctRefused, "192.168.1.10:40007"},
		}},
		{"only the last two line ends are remembered", false, []ctStep{
			{toClient, s0, banner, false, ctUnread, ""},
			{toClient, s1, ok331, false, ctNothing, ""},
			{toClient, s2, "230 Login successful.\r\n", false, ctNothing, ""},
			// A retransmission of the 331: its position (s1) was
			// forgotten when the 230 ended a line.
			{toClient, s1, ok331, false, ctUnread, ""},
		}},
		{"a segment the capture cut", false, []ctStep{
			{toServer, c0, user, false, ctUnread, ""},
			{toServer, c1, "PORT 10,0,0,1,", true, ctUnknown, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c ctConn
			c.pickup = [2]bool{tt.pickup, tt.pickup}
			for i, st := range tt.steps {
				sender := client
				if st.d == toClient {
					sender = server
				}
				got, read := c.segment(st.d, st.seq, []byte(st.data), !st.cut, sender, false)
				ep := ""
				if read.IsValid() {
					ep = read.String()
				}
				if got.outcome != st.outcome || ep != st.expected {
					t.Errorf("step %d %q: outcome %d, %q; want %d, %q", i, st.data, got.outcome, ep, st.outcome, st.expected)
				}
			}
		})
	}
}

func TestConntrackIPv6(t *testing.T) {
	client := netip.MustParseAddr("2001:db8::1")
	tests := []struct {
		data    string
		outcome ctOutcome
		ep      string
	}{
		{"EPRT |2|2001:db8::1|50001|\r\n", ctExpected, "[2001:db8::1]:50001"},
		{"EPRT |2|2001:db8::99|50001|\r\n", ctRefused, "[2001:db8::99]:50001"},
		// PORT overwrites the first four bytes of the client's IPv6
		// address: it matches only when it spells them.
		{"PORT 10,0,0,1,195,80\r\n", ctRefused, "10.0.0.1:50000"},
		{"PORT 32,1,13,184,195,80\r\n", ctExpected, "[2001:db8::1]:50000"},
		{"EPRT |1|10.0.0.1|50001|\r\n", ctDropped, ""},
	}
	for _, tt := range tests {
		c := ctConn{pickup: [2]bool{true, true}}
		got, read := c.segment(toServer, 1, []byte(tt.data), true, client, true)
		ep := ""
		if read.IsValid() {
			ep = read.String()
		}
		if got.outcome != tt.outcome || ep != tt.ep {
			t.Errorf("%q: outcome %d, %q; want %d, %q", tt.data, got.outcome, ep, tt.outcome, tt.ep)
		}
	}
}

// FuzzConntrackSearch feeds arbitrary segments to the helper's search.
// A match is decided on bytes inside the segment, so bytes appended to it
// never change it; a segment longer than the pattern that does not start
// with it stays no match whatever follows.
func FuzzConntrackSearch(f *testing.F) {
	for _, s := range []string{
		"PORT 10,0,0,1,195,80\r\n",
		"PORT 10,0,0,1,",
		"PORT 300,0,0,1,256,1\r\n",
		"EPRT |1|10.0.0.1|50000|\r\n",
		"EPRT |2|2001:db8::1|50001|\r\n",
		"EPRT |2|::ffff:10.0.0.1|0|",
		"227 Entering Passive Mode (10,0,0,2,156,65).\r\n",
		"227 Entering Passive Mode (10,0,0,2,156",
		"229 Entering Extended Passive Mode (|||40002|)\r\n",
		"229 (\x00\x00\x00",
		"p",
		"EPRT \xff1\xff",
	} {
		f.Add([]byte(s), false, false)
		f.Add([]byte(s), true, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, server, ipv6 bool) {
		d := toServer
		if server {
			d = toClient
		}
		r := ctSearch(d, data, ipv6)
		if (r.Found == ctNoMatch) != (r.Kind == ctNone) {
			t.Fatalf("ctSearch(%q) = %+v: a kind without a match or the reverse", data, r)
		}
		if r.Found != ctMatched && (r.Addr.IsValid() || r.Port != 0) {
			t.Fatalf("ctSearch(%q) = %+v: numbers without a match", data, r)
		}
		longer := append(bytes.Clone(data), "\r\n1,2,3|||)"...)
		r2 := ctSearch(d, longer, ipv6)
		if r.Found == ctMatched && r2 != r {
			t.Fatalf("ctSearch(%q) = %+v but ctSearch(%q) = %+v", data, r, longer, r2)
		}
		if r.Found == ctNoMatch && len(data) > 4 && r2.Found != ctNoMatch {
			t.Fatalf("ctSearch(%q) = no match but ctSearch(%q) = %+v", data, longer, r2)
		}
		var c ctConn
		c.pickup = [2]bool{true, true}
		sender := netip.MustParseAddr("10.0.0.1")
		if ipv6 {
			sender = netip.MustParseAddr("2001:db8::1")
		}
		seen, ep := c.segment(d, 7, data, true, sender, ipv6)
		if seen.outcome == ctExpected && ep.Addr() != sender {
			t.Fatalf("segment(%q) expects %v, not at the sender %v", data, ep, sender)
		}
	})
}

package session

import (
	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/decode"
)

func TestTLSSkipper(t *testing.T) {
	rec := func(typ byte, body string) string {
		n := len(body)
		return string([]byte{typ, 3, 3, byte(n >> 8), byte(n)}) + body
	}
	tests := []struct {
		name   string
		chunks []string
		// used is what the last chunk's skip consumed; on says whether
		// TLS is still on after it.
		used int
		on   bool
	}{
		{"one record", []string{rec(23, "secret")}, 11, true},
		{"record split across chunks", []string{rec(23, "secret")[:3], rec(23, "secret")[3:]}, 8, true},
		{"cleartext after a close_notify (ndpi start-tls)", []string{rec(21, "xx") + "227 Entering Passive Mode\r\n"}, 7, false},
		{"not TLS at all: a reply", []string{"530 Please login\r\n"}, 0, false},
		{"content type right, version wrong: left as cleartext", []string{"\x16\x01\x00\x00\x05hello"}, 0, false},
		{"two records in one chunk", []string{rec(22, "hello") + rec(23, "x")}, 16, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sk := tlsSkipper{on: true}
			used := 0
			for _, c := range tt.chunks {
				used = sk.skip([]byte(c))
			}
			if used != tt.used || sk.on != tt.on {
				t.Errorf("used %d, on %v; want %d, %v", used, sk.on, tt.used, tt.on)
			}
		})
	}
}

func TestLineBufCutsLongLines(t *testing.T) {
	s := &sess{out: &Session{}}
	var lb lineBuf
	lb.add([]byte("USER "), 8, s)
	lb.add([]byte("averyverylongname"), 8, s)
	lb.add([]byte("more"), 8, s)
	if got := string(lb.take()); got != "USER ave" {
		t.Errorf("line %q, want it cut at 8 bytes", got)
	}
	if s.out.LongLines != 1 {
		t.Errorf("LongLines %d, want 1 (counted once per line)", s.out.LongLines)
	}
	lb.add([]byte("PASV"), 8, s)
	if got := string(lb.take()); got != "PASV" {
		t.Errorf("next line %q after a cut one", got)
	}
}

func TestIsPrivate(t *testing.T) {
	for addr, want := range map[string]bool{
		"10.1.2.3": true, "172.16.0.1": true, "172.32.0.1": false, "192.168.1.10": true,
		"100.64.0.1": true, "100.128.0.1": false, "127.0.0.1": true, "169.254.1.1": true,
		"203.0.113.10": false, "8.8.8.8": false, "fd00::1": true, "fe80::1": true, "2001:db8::1": false,
		"::ffff:10.0.0.1": true, "0.0.0.0": true,
	} {
		if got := isPrivate(netip.MustParseAddr(addr)); got != want {
			t.Errorf("isPrivate(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestPassiveEndpoint(t *testing.T) {
	server := netip.MustParseAddr("192.0.2.1")
	tests := []struct {
		name string
		verb string
		rep  decode.Reply
		want string // "" when no endpoint
	}{
		{"227 on the last line of a multi-line reply", "PASV", decode.Reply{Code: 227, Lines: []string{"Entering Passive Mode", "(10,0,0,2,156,65)"}}, "10.0.0.2:40001"},
		{"227 numbers on the first line only", "PASV", decode.Reply{Code: 227, Lines: []string{"=10,0,0,2,156,65", "ok"}}, "10.0.0.2:40001"},
		{"229 takes the control connection's address", "EPSV", decode.Reply{Code: 229, Lines: []string{"Entering Extended Passive Mode (|||6446|)"}}, "192.0.2.1:6446"},
		{"228 long passive", "LPSV", decode.Reply{Code: 228, Lines: []string{"Entering Long Passive Mode (4,4,10,0,0,2,2,156,66)"}}, "10.0.0.2:40002"},
		{"227 without numbers", "PASV", decode.Reply{Code: 227, Lines: []string{"Response to PASV command"}}, ""},
		{"refused", "PASV", decode.Reply{Code: 500, Lines: []string{"(10,0,0,2,156,65)"}}, ""},
		{"a 227 answering EPSV is not an EPSV announcement", "EPSV", decode.Reply{Code: 227, Lines: []string{"(10,0,0,2,156,65)"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, ok := passiveEndpoint(tt.verb, tt.rep, server)
			got := ""
			if ok {
				got = ep.String()
			}
			if got != tt.want {
				t.Errorf("%q, want %q", got, tt.want)
			}
		})
	}
}

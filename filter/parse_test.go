package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, expr, want string
	}{
		{"host", "host 10.0.0.1", "host 10.0.0.1"},
		{"qualifier passed on to a bare address", "host 10.0.0.1 or 10.0.0.2", "host 10.0.0.1 or host 10.0.0.2"},
		{"direction passed on", "src host 10.0.0.1 or 10.0.0.2", "src host 10.0.0.1 or src host 10.0.0.2"},
		{"src alone means src host", "src 10.0.0.1 and dst 10.0.0.2", "src host 10.0.0.1 and dst host 10.0.0.2"},
		{"dst with a number is a host", "dst 22", "dst host 0.0.0.22"},
		{"src or dst is no direction", "src or dst port 21", "port 21"},
		{"src and dst", "src and dst host 10.0.0.1", "src and dst host 10.0.0.1"},
		{"short address is a net", "host 10.1", "net 10.1.0.0 mask 255.255.0.0"},
		{"short net number", "net 10", "net 10.0.0.0 mask 255.0.0.0"},
		{"net zero is host zero", "net 0", "host 0.0.0.0"},
		{"host number", "host 167772161", "host 10.0.0.1"},
		{"net with length", "net 10.0.0.0/8", "net 10.0.0.0 mask 255.0.0.0"},
		{"net with mask", "net 10.0.0.0 mask 255.0.0.0", "net 10.0.0.0 mask 255.0.0.0"},
		{"net with short mask", "net 10.0.0.0 mask 255.0", "net 10.0.0.0 mask 255.0.0.0"},
		{"three-part net", "net 192.168.1", "net 192.168.1.0 mask 255.255.255.0"},
		{"ipv6 host", "host 2001:db8::1", "host 2001:db8::1"},
		{"ipv6 net", "ip6 net 2001:db8::/32", "ip6 net 2001:db8::/32"},
		{"ipv4 then ipv6 under one qualifier", "host 2001:db8::1 or 10.0.0.1", "host 2001:db8::1 or host 10.0.0.1"},
		{"mapped ipv6", "host ::ffff:10.0.0.1", "host ::ffff:10.0.0.1"},
		{"port", "port 21", "port 21"},
		{"port list", "port 21 or 20", "port 21 or port 20"},
		{"port list with ||", "port 21 || 20", "port 21 or port 20"},
		{"parenthesised values", "port 21 or (20 or 2121)", "port 21 or (port 20 or port 2121)"},
		{"one parenthesised value", "port 21 or (20)", "port 21 or port 20"},
		{"not value", "port 21 and not 22", "port 21 and not port 22"},
		{"! value", "port 21 or !22", "port 21 or not port 22"},
		{"qualifier after a parenthesised term", "port 21 or (host 10.0.0.1) or 22", "port 21 or host 10.0.0.1 or port 22"},
		{"qualifier after not", "not port 21 or 22", "not port 21 or port 22"},
		{"octal port", "port 021", "port 17"},
		{"hex port", "port 0x15", "port 21"},
		{"proto port", "tcp port 21", "tcp port 21"},
		{"proto dir port", "tcp src port 21 or 22", "tcp src port 21 or tcp src port 22"},
		{"ftp service name is tcp", "port ftp", "tcp port 21"},
		{"ftp-data", "src port ftp-data", "tcp src port 20"},
		{"portrange", "portrange 20-21", "portrange 20-21"},
		{"reversed portrange", "portrange 2121-20", "portrange 20-2121"},
		{"udp portrange", "udp dst portrange 1024-65535", "udp dst portrange 1024-65535"},
		{"protocols", "tcp or udp or icmp or icmp6 or sctp", "tcp or udp or icmp or icmp6 or sctp"},
		{"ip ip6 arp rarp", "ip or ip6 or arp or rarp", "ip or ip6 or arp or rarp"},
		{"ip host", "ip host 10.0.0.1", "ip host 10.0.0.1"},
		{"arp net", "arp net 10.0.0.0/8", "arp net 10.0.0.0 mask 255.0.0.0"},
		{"and and or group to the left", "tcp or udp and port 53", "(tcp or udp) and port 53"},
		{"right grouping kept", "tcp and (udp or port 53)", "tcp and (udp or port 53)"},
		{"not binds tightest", "not tcp and udp", "not tcp and udp"},
		{"not of a group", "!(tcp or udp)", "not (tcp or udp)"},
		{"&& and !", "tcp && !port 22", "tcp and not port 22"},
		{"vlan", "vlan", "vlan"},
		{"vlan id", "vlan 100 and port 21", "vlan 100 and port 21"},
		{"vlan or", "vlan or port 21", "vlan or port 21"},
		{"blank around", "  ( host 10.0.0.1 )\t", "host 10.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.expr, err)
			}
			if diff := cmp.Diff(tc.want, f.String()); diff != "" {
				t.Errorf("Parse(%q).String() (-want +got):\n%s", tc.expr, diff)
			}
			sameProgram(t, f, tc.want)
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, expr := range []string{"", "   ", "\t\n"} {
		f, err := Parse(expr)
		if f != nil || err != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, nil", expr, f, err)
		}
		if !f.NewMatcher().Match([]byte{1, 2, 3}, 1) {
			t.Errorf("nil filter's Matcher rejects a packet")
		}
	}
}

// errorInfo is what the tests check of an *Error.
type errorInfo struct {
	Offset      int
	Near        string
	Unsupported bool
	Msg         string
}

func infoOf(t *testing.T, err error) errorInfo {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Unsupported != errors.Is(err, ErrUnsupported) {
		t.Errorf("Unsupported = %v but errors.Is(err, ErrUnsupported) = %v", e.Unsupported, !e.Unsupported)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("%q", e.Expr)) {
		t.Errorf("error %q does not quote the expression", err)
	}
	return errorInfo{e.Offset, e.Near, e.Unsupported, e.Msg}
}

func TestParseUnsupported(t *testing.T) {
	tests := []struct {
		name, expr string
		want       errorInfo
	}{
		{"byte offset", "tcp[13] & 2 != 0", errorInfo{0, "tcp[13]", true, "byte offsets"}},
		{"byte offset later", "port 21 and tcp[tcpflags] & tcp-syn != 0", errorInfo{12, "tcp[tcpflags]", true, "byte offsets"}},
		{"ip byte offset", "ip[6:2] & 0x1fff = 0", errorInfo{0, "ip[6:2]", true, "byte offsets"}},
		{"ether host", "ether host 00:11:22:33:44:55", errorInfo{0, "ether", true, "link-layer qualifiers and addresses"}},
		{"greater", "greater 100", errorInfo{0, "greater", true, "packet length tests"}},
		{"len", "len <= 60", errorInfo{0, "len", true, "packet length tests"}},
		{"broadcast", "ip broadcast", errorInfo{3, "broadcast", true, "broadcast and multicast tests"}},
		{"proto", "ip proto 6", errorInfo{3, "proto", true, "protocol numbers"}},
		{"host name", "host ftp.example.org", errorInfo{5, "ftp.example.org", true, "host and network names, which need a name lookup; give an address"}},
		{"bare host name after or", "host 10.0.0.1 or server", errorInfo{17, "server", true, "host and network names, which need a name lookup; give an address"}},
		{"service name", "port http", errorInfo{5, "http", true, "service names other than ftp, ftp-data, ftps and ftps-data; give the port number"}},
		{"named port range", "portrange ftp-data-ftp", errorInfo{10, "ftp-data-ftp", true, "port ranges other than NUMBER-NUMBER"}},
		{"arithmetic", "port 21 and 1 + 1 == 2", errorInfo{14, "+", true, "arithmetic and relational expressions"}},
		{"mpls", "mpls and port 21", errorInfo{0, "mpls", true, "other encapsulations"}},
		{"igmp", "igmp", errorInfo{0, "igmp", true, "other protocols"}},
		{"inbound", "inbound", errorInfo{0, "inbound", true, "capture direction and interface"}},
		{"gateway", "gateway 10.0.0.1", errorInfo{0, "gateway", true, "gateway tests"}},
		{"escape", `\tcp`, errorInfo{0, `\`, true, "escapes and quoted names"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.expr)
			}
			if diff := cmp.Diff(tc.want, infoOf(t, err)); diff != "" {
				t.Errorf("Parse(%q) error %q (-want +got):\n%s", tc.expr, err, diff)
			}
			if !strings.Contains(err.Error(), "build with -tags libpcap for the full tcpdump syntax") {
				t.Errorf("error %q does not point to the libpcap build", err)
			}
		})
	}
}

func TestUnsupportedMessage(t *testing.T) {
	_, err := Parse("tcp[13] & 2 != 0")
	want := `filter: "tcp[13] & 2 != 0" at column 1: "tcp[13]" is not supported by this build (byte offsets); build with -tags libpcap for the full tcpdump syntax`
	if diff := cmp.Diff(want, fmt.Sprint(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name, expr string
		want       errorInfo
	}{
		{"bare address", "10.0.0.1", errorInfo{0, "10.0.0.1", false, "syntax error"}},
		{"missing value", "port", errorInfo{4, "", false, "unexpected end of expression"}},
		{"missing operand", "port 21 and", errorInfo{11, "", false, "unexpected end of expression"}},
		{"two values", "port 21 22", errorInfo{8, "22", false, "syntax error"}},
		{"value after a protocol", "tcp or 21", errorInfo{7, "21", false, "syntax error"}},
		{"value after a parenthesised start", "(port 21) or 22", errorInfo{13, "22", false, "syntax error"}},
		{"value after vlan", "vlan 100 or 200", errorInfo{12, "200", false, "syntax error"}},
		{"qualifier inside a value list", "port 21 or (20 and host 10.0.0.1)", errorInfo{19, "host", false, "syntax error"}},
		{"unbalanced", "(tcp or udp", errorInfo{11, "", false, "unexpected end of expression"}},
		{"extra paren", "tcp)", errorInfo{3, ")", false, "syntax error"}},
		{"port too big", "port 65536", errorInfo{5, "65536", false, "illegal port number 65536 > 65535"}},
		{"range too big", "portrange 20-70000", errorInfo{10, "20-70000", false, "illegal port number 70000 > 65535"}},
		{"vlan too big", "vlan 4096", errorInfo{5, "4096", false, "VLAN tag 4096 greater than maximum 4095"}},
		{"octal 8", "port 08", errorInfo{5, "08", false, "number contains a non-octal digit"}},
		{"overflow", "host 4294967296", errorInfo{5, "4294967296", false, "number overflows 32 bits"}},
		{"bad address", "host 10.0.0.256", errorInfo{5, "10.0.0.256", false, "invalid IPv4 address"}},
		{"bad ipv6", "host 2001:db8:::1", errorInfo{5, "2001:db8:::1", false, "bogus IPv6 address"}},
		{"host bits in net", "net 10.0.0.1/8", errorInfo{4, "10.0.0.1", false, `non-network bits set in "10.0.0.1/8"`}},
		{"host bits with mask", "net 10.0.0.1 mask 255.0.0.0", errorInfo{4, "10.0.0.1", false, `non-network bits set in "10.0.0.1 mask 255.0.0.0"`}},
		{"mask on a host", "host 10.0.0.0/8", errorInfo{5, "10.0.0.0", false, "mask syntax for networks only"}},
		{"mask too long", "net 10.0.0.0/33", errorInfo{13, "33", false, "mask length must be <= 32"}},
		{"ipv6 mask on a host", "host 2001:db8::/32", errorInfo{5, "2001:db8::", false, "mask syntax for networks only"}},
		{"ipv6 host bits", "net 2001:db8::1/32", errorInfo{4, "2001:db8::1", false, `non-network bits set in "2001:db8::1/32"`}},
		{"short net with length", "net 10/8", errorInfo{6, "/", false, "syntax error"}},
		{"ip6 qualifier on ipv4", "ip6 host 10.0.0.1", errorInfo{9, "10.0.0.1", false, "'ip6' modifier applied to ip host"}},
		{"ip qualifier on ipv6", "ip host ::1", errorInfo{8, "::1", false, "'ip' modifier applied to ip6 host"}},
		{"tcp qualifier on host", "tcp host 10.0.0.1", errorInfo{9, "10.0.0.1", false, "'tcp' modifier applied to host"}},
		{"ip qualifier on port", "ip port 21", errorInfo{8, "21", false, "illegal qualifier of 'port'"}},
		{"address as port", "port 10.0.0.1", errorInfo{5, "10.0.0.1", false, "'port' modifier applied to IP address"}},
		{"ipv6 as port", "port ::1", errorInfo{5, "::1", false, "invalid qualifier against IPv6 address"}},
		{"udp ftp", "udp port ftp", errorInfo{9, "ftp", false, "port 'ftp' is tcp"}},
		{"dangling src", "src or port 21", errorInfo{7, "port", false, "syntax error"}},
		{"bad character", "port 21 ; ls", errorInfo{8, ";", false, "unexpected character"}},
		{"zone", "host fe80::1%eth0", errorInfo{12, "%", false, "IPv6 addresses with a zone are not valid in filters"}},
		{"name ending in dash", "portrange 20-", errorInfo{10, "20-", false, "malformed name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.expr)
			}
			if diff := cmp.Diff(tc.want, infoOf(t, err)); diff != "" {
				t.Errorf("Parse(%q) error %q (-want +got):\n%s", tc.expr, err, diff)
			}
		})
	}
}

// TestTcpdumpAgreesOnErrors runs the malformed and unsupported expressions
// through tcpdump, which must refuse the malformed ones too, and accept
// the unsupported ones (apart from names it cannot resolve here).
func TestTcpdumpAgreesOnErrors(t *testing.T) {
	bin := tcpdumpBin(t)
	for _, expr := range []string{"10.0.0.1", "port", "port 21 and", "port 21 22", "tcp or 21", "(port 21) or 22",
		"vlan 100 or 200", "port 21 or (20 and host 10.0.0.1)", "(tcp or udp", "tcp)", "port 65536", "portrange 20-70000",
		"vlan 4096", "port 08", "host 10.0.0.256", "net 10.0.0.1/8", "host 10.0.0.0/8", "net 10.0.0.0/33",
		"host 2001:db8::/32", "net 2001:db8::1/32", "net 10/8", "ip6 host 10.0.0.1", "ip host ::1", "tcp host 10.0.0.1",
		"ip port 21", "port 10.0.0.1", "port ::1", "src or port 21"} {
		if _, err := tcpdumpProgram(bin, "EN10MB", expr); err == nil {
			t.Errorf("tcpdump accepts %q, which Parse refuses", expr)
		}
	}
	for _, expr := range []string{"tcp[13] & 2 != 0", "ip[6:2] & 0x1fff = 0", "ether host 00:11:22:33:44:55", "greater 100",
		"len <= 60", "ip broadcast", "ip proto 6", "port 21 and 1 + 1 == 2", "mpls and port 21", "igmp", "port http"} {
		if _, err := tcpdumpProgram(bin, "EN10MB", expr); err != nil {
			t.Errorf("tcpdump refuses %q, which Parse calls valid but unsupported: %v", expr, err)
		}
	}
}

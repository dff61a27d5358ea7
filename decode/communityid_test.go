package decode

import (
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommunityID checks the vectors that Zeek's own test of
// community_id_v1 and the spec's baseline use.
func TestCommunityID(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name     string
		src, dst string
		proto    uint8
		seed     uint16
		want     string
	}{
		{"tcp", "1.2.3.4:1122", "5.6.7.8:3344", ProtoTCP, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
		{"tcp reversed", "5.6.7.8:3344", "1.2.3.4:1122", ProtoTCP, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
		{"tcp seed 1", "1.2.3.4:1122", "5.6.7.8:3344", ProtoTCP, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
		{"udp", "1.2.3.4:1122", "5.6.7.8:3344", ProtoUDP, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
		{"udp seed 1", "5.6.7.8:3344", "1.2.3.4:1122", ProtoUDP, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
		{"ipv4-mapped counts as ipv4", "[::ffff:1.2.3.4]:1122", "5.6.7.8:3344", ProtoTCP, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
		{"mixed families", "1.2.3.4:1122", "[2001:db8::1]:21", ProtoTCP, 0, ""},
		{"invalid", "0.0.0.0:0", "0.0.0.0:0", ProtoTCP, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src, dst netip.AddrPort
			if tt.name != "invalid" {
				src, dst = ap(tt.src), ap(tt.dst)
			}
			if got := CommunityID(src, dst, tt.proto, tt.seed); got != tt.want {
				t.Errorf("CommunityID(%s, %s) = %q, want %q", tt.src, tt.dst, got, tt.want)
			}
		})
	}
}

// TestCommunityIDSamePorts orders by port when the addresses are equal,
// as on loopback: both directions hash alike.
func TestCommunityIDSamePorts(t *testing.T) {
	a, b := netip.MustParseAddrPort("127.0.0.1:21"), netip.MustParseAddrPort("127.0.0.1:40000")
	if x, y := CommunityID(a, b, ProtoTCP, 0), CommunityID(b, a, ProtoTCP, 0); x != y || x == "" {
		t.Errorf("directions hash to %q and %q", x, y)
	}
}

func TestCommunityIDAllocs(t *testing.T) {
	a, b := netip.MustParseAddrPort("10.0.0.1:51000"), netip.MustParseAddrPort("10.0.0.2:21")
	// The result string and base64 text are the only allocations.
	if n := testing.AllocsPerRun(100, func() { CommunityID(a, b, ProtoTCP, 0) }); n > 2 {
		t.Errorf("CommunityID allocates %v times, want at most 2", n)
	}
}

// TestCommunityIDMatchesTshark compares every TCP packet of two captures,
// IPv4 and IPv6, with tshark's own Community ID.
func TestCommunityIDMatchesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed (apt-get install tshark): skipping the comparison with its Community ID")
	}
	for _, name := range []string{"passive.pcap", "epsv-eprt-ipv6.pcap"} {
		out, err := exec.Command("tshark", "--enable-protocol", "communityid", "-r", filepath.Join("..", "testdata", name),
			"-Y", "tcp", "-T", "fields", "-E", "separator=/t",
			"-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "communityid").Output()
		if err != nil {
			t.Fatalf("tshark on %s: %v", name, err)
		}
		lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		for _, line := range lines {
			f := strings.Split(line, "\t")
			if len(f) != 7 {
				t.Fatalf("%s: tshark line %q", name, line)
			}
			src := netip.MustParseAddrPort(net.JoinHostPort(f[0]+f[1], f[2]))
			dst := netip.MustParseAddrPort(net.JoinHostPort(f[3]+f[4], f[5]))
			if got := CommunityID(src, dst, ProtoTCP, 0); got != f[6] {
				t.Errorf("%s: %s → %s: CommunityID = %q, tshark %q", name, src, dst, got, f[6])
			}
		}
		if len(lines) < 10 {
			t.Errorf("%s: only %d TCP packets compared", name, len(lines))
		}
	}
}

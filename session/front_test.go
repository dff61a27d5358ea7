package session

import (
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket/layers"
)

// TestShardOf: client addresses spread evenly over the shares, however
// alike they are: 4096 clients of a /16, every address or only even
// bytes, IPv4 and IPv6.
func TestShardOf(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::").As16()
	for _, n := range []int{2, 3, 4, 8} {
		for _, c := range []struct {
			v6     bool
			stride int
		}{{false, 1}, {false, 2}, {true, 1}, {true, 2}} {
			counts := make([]int, n)
			for j := range 4096 {
				// Every byte of the address steps by the stride.
				hi, lo := byte(c.stride*(j>>7)), byte(c.stride*(j&127))
				cli := netip.AddrFrom4([4]byte{10, 2, hi, lo})
				if c.v6 {
					b := v6
					b[13], b[14], b[15] = 1, hi, lo
					cli = netip.AddrFrom16(b)
				}
				k := shardOf(cli, n)
				if k < 0 || k >= n {
					t.Fatalf("%d shares: share %d", n, k)
				}
				counts[k]++
			}
			even := 4096 / n
			for k, got := range counts {
				if got < even*8/10 || got > even*12/10 {
					t.Errorf("%d shares, IPv6 %v, stride %d: share %d has %d of 4096 clients, want about %d: %v", n, c.v6, c.stride, k, got, even, counts)
				}
			}
		}
	}
}

// TestOwns: exactly one of the Analyzers sharing an analysis follows a
// control connection, the same one both ways, and the same one for
// every connection of a client (to port 21, to a server found by
// content, from port 21 in active mode).
func TestOwns(t *testing.T) {
	const n = 4
	ans := make([]*Analyzer, n)
	for i := range ans {
		ans[i] = NewAnalyzer(Config{Shards: n, Shard: i})
		ans[i].ftpServers[netip.MustParseAddrPort("10.9.9.9:2121")] = struct{}{}
	}
	seg := func(src, dst string) *decode.Headers {
		s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
		h := &decode.Headers{Src: s.Addr(), Dst: d.Addr(), HasTCP: true}
		h.TCP.SrcPort, h.TCP.DstPort = layers.TCPPort(s.Port()), layers.TCPPort(d.Port())
		return h
	}
	owner := func(h *decode.Headers) int {
		t.Helper()
		who := -1
		for i, a := range ans {
			if a.owns(h) {
				if who != -1 {
					t.Fatalf("%v→%v owned by shares %d and %d", h.Src, h.Dst, who, i)
				}
				who = i
			}
		}
		if who == -1 {
			t.Fatalf("%v→%v owned by no share", h.Src, h.Dst)
		}
		return who
	}
	for i := range 256 {
		cli := netip.AddrFrom4([4]byte{192, 168, 7, byte(i)}).String()
		servers := []string{"10.0.0.1:21", "10.0.0.2:21", "10.9.9.9:2121"}
		want := owner(seg(cli+":40000", servers[0]))
		for j, srv := range servers {
			port := 40001 + j
			c := cli + ":" + strconv.Itoa(port)
			if got := owner(seg(c, srv)); got != want {
				t.Errorf("%s→%s in share %d, the client's first connection in %d", c, srv, got, want)
			}
			if got := owner(seg(srv, c)); got != want {
				t.Errorf("%s→%s in share %d, the client's first connection in %d", srv, c, got, want)
			}
		}
	}
}

// TestJoin: two Analyzers with one numbering, each handed the packets of
// half the clients (as the sockets of a fanout group are), joined: the
// sessions, numbered 1 to N once each, the packets and the passive port
// ranges are those of one Analyzer handed all.
func TestJoin(t *testing.T) {
	pkts := loadPackets(t, "lab/captures/fifty-sessions.pcap")
	one := NewAnalyzer(Config{})
	for _, p := range pkts {
		one.Packet(p)
	}
	want := one.Finish(nil)

	var m Merger
	next := 0
	var parts []*Report
	ans := make([]*Analyzer, 2)
	for i := range ans {
		ans[i] = NewAnalyzer(Config{Joined: true, NextID: func() int { next++; return next }, OnSession: m.Note})
	}
	dec := decode.NewDecoder()
	for _, p := range pkts {
		var h decode.Headers
		k := 0
		if dec.Decode(p.Data, p.LinkType, &h) == nil {
			lo := h.Src
			if h.Dst.Less(lo) {
				lo = h.Dst
			}
			k = shardOf(lo, 2)
		}
		ans[k].Packet(p)
	}
	for _, a := range ans {
		parts = append(parts, a.Finish(nil))
	}
	got := m.Join(parts)
	if len(want.Sessions) < 10 {
		t.Fatalf("only %d sessions in the capture", len(want.Sessions))
	}
	if got.Stats.FTPSessions != want.Stats.FTPSessions || got.Stats.Packets != want.Stats.Packets || got.Stats.Bytes != want.Stats.Bytes {
		t.Errorf("stats %+v, want %+v", got.Stats, want.Stats)
	}
	for i, s := range got.Sessions {
		if s.ID != i+1 {
			t.Errorf("session %d numbered %d", i+1, s.ID)
		}
	}
	codes := func(fs []Finding) (out []string) {
		for _, f := range fs {
			out = append(out, string(f.Code)+" "+f.Summary)
		}
		return out
	}
	if g, w := codes(got.Findings), codes(want.Findings); !slices.Equal(g, w) {
		t.Errorf("global findings\n%q\nwant\n%q", g, w)
	}
}

package session

import (
	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/decode"
)

// TestShardOf: both directions of a pair of addresses fall in one share,
// and pairs spread evenly over the shares, however alike their
// addresses: 4096 clients of a /16, every address or only even bytes,
// talking to a server, IPv4 and IPv6.
func TestShardOf(t *testing.T) {
	servers := []netip.Addr{netip.MustParseAddr("10.1.0.21"), netip.MustParseAddr("2001:db8::21")}
	for _, n := range []int{2, 3, 4, 8} {
		for _, c := range []struct {
			srv    netip.Addr
			stride int
		}{{servers[0], 1}, {servers[0], 2}, {servers[1], 1}, {servers[1], 2}} {
			srv := c.srv
			counts := make([]int, n)
			pairs := 0
			for j := range 4096 {
				// Every byte of the address steps by the stride.
				hi, lo := byte(c.stride*(j>>7)), byte(c.stride*(j&127))
				var cli netip.Addr
				if srv.Is4() {
					cli = netip.AddrFrom4([4]byte{10, 2, hi, lo})
				} else {
					b := srv.As16()
					b[14], b[15] = hi, lo
					b[13] = 1
					cli = netip.AddrFrom16(b)
				}
				there := decode.Headers{Src: cli, Dst: srv}
				back := decode.Headers{Src: srv, Dst: cli}
				k := shardOf(&there, n)
				if k2 := shardOf(&back, n); k2 != k {
					t.Fatalf("%d shares: %v→%v in share %d, %v→%v in share %d", n, cli, srv, k, srv, cli, k2)
				}
				if k < 0 || k >= n {
					t.Fatalf("%d shares: share %d", n, k)
				}
				counts[k]++
				pairs++
			}
			even := pairs / n
			for k, got := range counts {
				if got < even*8/10 || got > even*12/10 {
					t.Errorf("%d shares, server %v, stride %d: share %d has %d of %d pairs, want about %d: %v", n, srv, c.stride, k, got, pairs, even, counts)
				}
			}
		}
	}
}

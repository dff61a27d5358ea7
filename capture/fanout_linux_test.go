//go:build linux && !(libpcap && cgo)

package capture

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/decode"
)

// TestLiveFanout sends TCP segments of many address pairs, IPv4 and IPv6,
// both ways, some with a VLAN tag (which Linux takes out on receipt), into
// a veth pair, and captures them on the host end with a fanout group of 4
// sockets: every segment is captured once, every pair's segments, both
// ways, by one socket, the one fanoutProgram picks in the VM, and every
// socket takes a share. The frames are
// addressed to a MAC address nobody has, so that the host's IP stack
// drops them.
func TestLiveFanout(t *testing.T) {
	n := setupLiveNet(t)
	const sockets = 4
	type pair struct{ a, b netip.Addr }
	var pairs []pair
	for i := range 48 {
		pairs = append(pairs, pair{netip.AddrFrom4([4]byte{10, 231, 250, byte(1 + i)}), netip.AddrFrom4([4]byte{10, 231, 251, byte(1 + i%5)})})
	}
	for i := range 16 {
		pairs = append(pairs, pair{netip.MustParseAddr(fmt.Sprintf("fd00:231:fa::%x", 1+i)), netip.MustParseAddr(fmt.Sprintf("fd00:231:fb::%x", 1+i%3))})
	}
	vm := newFanoutVM(t, sockets)
	want := map[pair]int{}
	var frames []string
	for i, p := range pairs {
		a, b := netip.AddrPortFrom(p.a, 50000), netip.AddrPortFrom(p.b, 21)
		want[p] = vm.socket(t, skbView(framingEthernet, testFrame(framingEthernet, a, b, false)))
		for j := range 3 {
			fwd, back := framingEthernet, framingEthernet
			if i%2 == 1 {
				fwd = framingDot1Q // tagged one way only
			}
			a, b := netip.AddrPortFrom(p.a, uint16(50000+j)), netip.AddrPortFrom(p.b, 21)
			frames = append(frames,
				hex.EncodeToString(testFrame(fwd, a, b, j == 1)),
				hex.EncodeToString(testFrame(back, b, a, false)))
		}
	}

	sent := map[pair]bool{}
	for _, p := range pairs {
		sent[p] = true
	}
	for _, iface := range []string{n.host, AnyInterface} {
		t.Run(iface, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			srcs, err := OpenLiveFanout(ctx, LiveOptions{Interface: iface, Filter: "tcp"}, sockets)
			if err != nil {
				t.Fatalf("OpenLiveFanout: %v", err)
			}
			if len(srcs) != sockets {
				t.Fatalf("%d sources, want %d", len(srcs), sockets)
			}
			type seen struct {
				socket, number int
			}
			var mu sync.Mutex
			got := map[pair][]seen{}
			total := 0
			var wg sync.WaitGroup
			for i, src := range srcs {
				defer src.Close()
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						p, err := src.Next()
						if errors.Is(err, io.EOF) {
							return
						}
						if err != nil {
							t.Errorf("socket %d: Next: %v", i, err)
							return
						}
						ip, ok := decode.IPPacket(p.LinkType, p.Data)
						seg, isTCP := decodeLiveSeg(ip)
						if !ok || !isTCP {
							t.Errorf("socket %d: packet %d is not TCP", i, p.Number)
							continue
						}
						k := pair{seg.Src.Addr(), seg.Dst.Addr()}
						if seg.Src.Port() == 21 {
							k = pair{k.b, k.a}
						}
						if !sent[k] {
							continue // someone else's (on "any")
						}
						mu.Lock()
						got[k] = append(got[k], seen{i, p.Number})
						total++
						if total == len(frames) {
							cancel()
						}
						mu.Unlock()
					}
				}()
			}
			liveHelper(t, n.ns, "inject", append([]string{n.peer}, frames...)...)
			wg.Wait()

			perSocket := make([]int, sockets)
			for _, p := range pairs {
				s := got[p]
				if len(s) != 6 {
					t.Errorf("%v↔%v: %d segments captured, want the 6 sent", p.a, p.b, len(s))
					continue
				}
				for _, x := range s {
					perSocket[x.socket]++
					if x.socket != want[p] {
						t.Errorf("%v↔%v: captured by sockets %v, want all by %d", p.a, p.b, s, want[p])
						break
					}
				}
			}
			if len(got) != len(pairs) {
				t.Errorf("segments of %d address pairs captured, want %d", len(got), len(pairs))
			}
			t.Logf("segments per socket: %v", perSocket)
			if slices.Contains(perSocket, 0) {
				t.Errorf("segments per socket %v: a socket took no share", perSocket)
			}
			for i, src := range srcs {
				in := src.Infos()
				if len(in) != 1 || in[0].Name != iface || in[0].Packets < perSocket[i] || in[0].Dropped != 0 {
					t.Errorf("socket %d: Infos() = %+v, want %s with %d packets and no drop", i, in, iface, perSocket[i])
				}
				if l, ok := src.(LinkTyper); !ok || l.LinkType() != liveLinkType(iface) {
					t.Errorf("socket %d is not a LinkTyper of %v", i, liveLinkType(iface))
				}
			}
		})
	}
}

// TestLiveFanoutLeave: a socket of a group that is closed keeps its share
// until the last one is: the others never receive its pairs' packets.
// When every one is closed the group is gone.
func TestLiveFanoutLeave(t *testing.T) {
	n := setupLiveNet(t)
	srcs, err := OpenLiveFanout(context.Background(), LiveOptions{Interface: n.host, Filter: "tcp", PollTimeout: 20 * time.Millisecond, ReportIdle: true}, 2)
	if err != nil {
		t.Fatalf("OpenLiveFanout: %v", err)
	}
	defer srcs[1].Close()
	srcs[0].Close()
	var frames []string
	a := netip.MustParseAddrPort("10.231.250.1:50000")
	for i := range 64 {
		b := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 231, 251, byte(i)}), 21)
		frames = append(frames, hex.EncodeToString(testFrame(framingEthernet, a, b, false)))
	}
	liveHelper(t, n.ns, "inject", append([]string{n.peer}, frames...)...)
	got := 0
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := srcs[1].Next(); errors.Is(err, ErrIdle) {
			if got > 0 {
				break
			}
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		got++
	}
	// About half the pairs are the closed socket's.
	if got == 0 || got > 48 {
		t.Errorf("the open socket captured %d of the 64 segments, want about half", got)
	}
	t.Logf("the open socket captured %d of 64", got)
}

// TestLiveFanoutStart opens fanout groups while a flood of UDP datagrams
// of one address pair crosses the interface: each socket receives every
// packet from its creation until it joins the group, and those must not
// be returned, or the pair's packets would be captured by both sockets.
// One socket captures the flow, the other nothing.
func TestLiveFanoutStart(t *testing.T) {
	n := setupLiveNet(t)
	sink, err := net.ListenPacket("udp", netip.AddrPortFrom(n.hostV4, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	dst := sink.LocalAddr().(*net.UDPAddr).AddrPort()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// 20 s at most; killed once the groups are done.
	flood := n.ns.Command(context.Background(), exe, "-test.run=^TestLiveHelperProcess$", "--", dst.String(), "4000000", "100", "200000")
	flood.Env = append(os.Environ(), liveHelperEnv+"=udpflood")
	if err := flood.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		flood.Process.Kill()
		flood.Wait()
	}()
	time.Sleep(100 * time.Millisecond)
	for round := range 3 {
		srcs, err := OpenLiveFanout(context.Background(), LiveOptions{Interface: n.host, Filter: fmt.Sprintf("udp port %d", dst.Port())}, 2)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, len(srcs))
		var wg sync.WaitGroup
		for i, src := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if _, err := src.Next(); err != nil {
						return
					}
					counts[i]++
				}
			}()
		}
		time.Sleep(200 * time.Millisecond)
		for _, src := range srcs {
			src.Close()
		}
		wg.Wait()
		t.Logf("round %d: the sockets captured %v datagrams", round, counts)
		if max(counts[0], counts[1]) == 0 {
			t.Fatalf("round %d: nothing captured from the flood", round)
		}
		if min(counts[0], counts[1]) != 0 {
			t.Errorf("round %d: the sockets captured %v datagrams of one address pair, want all by one", round, counts)
		}
	}
}

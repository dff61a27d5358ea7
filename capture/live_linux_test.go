//go:build linux

package capture

// These tests capture real traffic. They need root: each builds a network
// namespace joined to the test's own namespace by a veth pair, with private
// addresses (10.231.0.0/16, fd00:231::/32) that exist only on that pair,
// and sends TCP between the two ends, and over the test's own loopback.
// Nothing leaves the machine. They run against whichever backend this build
// has (go test -tags libpcap runs them over libpcap).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/ftpscope/ftpscope/filter"
	"github.com/ftpscope/ftpscope/internal/netns"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/ipv4"
)

// liveHelperEnv, when set, makes TestLiveHelperProcess act as a helper
// process (a TCP client inside the namespace, a UDP sender, an unprivileged
// OpenLive) instead of a test.
const liveHelperEnv = "FTPSCOPE_LIVE_HELPER"

// TestLiveHelperProcess is not a test: the live tests run the test binary
// again as a helper, with liveHelperEnv naming what to do and the
// arguments after "--".
func TestLiveHelperProcess(t *testing.T) {
	mode := os.Getenv(liveHelperEnv)
	if mode == "" {
		return
	}
	args := flag.Args()
	var err error
	switch mode {
	case "dial":
		err = liveHelperDial(args)
	case "udpflood":
		err = liveHelperUDPFlood(args)
	case "openlive":
		err = liveHelperOpenLive(args)
	case "inject":
		err = liveHelperInject(args)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// liveHelperDial opens and closes one TCP connection to each address in turn
// and prints "local remote" for each.
func liveHelperDial(addrs []string) error {
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, 5*time.Second)
		if err != nil {
			return err
		}
		fmt.Println(c.LocalAddr(), c.RemoteAddr())
		c.Close()
	}
	return nil
}

// liveHelperUDPFlood sends count datagrams of size bytes to addr, at rate
// packets per second (0: as fast as it can), in batches of one sendmmsg.
func liveHelperUDPFlood(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("udpflood wants addr count size rate, got %q", args)
	}
	count, err1 := strconv.Atoi(args[1])
	size, err2 := strconv.Atoi(args[2])
	rate, err3 := strconv.Atoi(args[3])
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	c, err := net.Dial("udp", args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	pc := ipv4.NewPacketConn(c.(*net.UDPConn))
	const batch = 64
	msgs := make([]ipv4.Message, batch)
	payload := make([]byte, size)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{payload}
	}
	start := time.Now()
	for sent := 0; sent < count; {
		n, err := pc.WriteBatch(msgs[:min(batch, count-sent)], 0)
		if err != nil && !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOBUFS) {
			return err
		}
		sent += n
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(sent) / float64(rate) * float64(time.Second)))))
		}
	}
	return nil
}

// liveHelperOpenLive tries to open args[0] and prints whether that failed with
// ErrPermission, then the error message.
func liveHelperOpenLive(args []string) error {
	src, err := OpenLive(context.Background(), LiveOptions{Interface: args[0]})
	if err == nil {
		src.Close()
		fmt.Println("opened")
		return nil
	}
	fmt.Printf("%v\n%s\n", errors.Is(err, ErrPermission), err)
	return nil
}

// liveHelperInject sends frames, given in hex after the interface name,
// out of that interface through a packet socket, as they are.
func liveHelperInject(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("inject wants an interface and frames, got %q", args)
	}
	ifc, err := net.InterfaceByName(args[0])
	if err != nil {
		return err
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	for _, h := range args[1:] {
		frame, err := hex.DecodeString(h)
		if err != nil {
			return err
		}
		to := &syscall.SockaddrLinklayer{Ifindex: ifc.Index, Halen: 6}
		copy(to.Addr[:], frame[:6])
		if err := syscall.Sendto(fd, frame, 0, to); err != nil {
			return err
		}
	}
	return nil
}

// liveNet is a network namespace joined to the test's namespace by a veth
// pair.
type liveNet struct {
	ns             *netns.NS
	host, peer     string // veth ends: host in the test's namespace, peer in ns
	hostIndex      int
	down           string // an interface in the test's namespace left down
	hostV4, peerV4 netip.Addr
	hostV6, peerV6 netip.Addr
}

var liveNetSeq atomic.Int32

// setupLiveNet creates the namespace and veth pairs, or skips tb when the
// process cannot; t.Cleanup removes them, also when the test fails.
func setupLiveNet(tb testing.TB) *liveNet {
	tb.Helper()
	if err := netns.Usable(); err != nil {
		tb.Skipf("skipping: live capture tests open packet sockets and make a network namespace with a veth pair: %v", err)
	}
	pid := os.Getpid()
	seq := int(liveNetSeq.Add(1))
	id := (pid*8 + seq) % 16384 // one /30 and one /64 per setup
	tag := fmt.Sprintf("%d%c", pid%1000000, 'a'+seq%26)
	n := &liveNet{
		host:   "fth" + tag,
		peer:   "ftp" + tag,
		down:   "ftd" + tag,
		hostV4: netip.AddrFrom4([4]byte{10, 231, byte(id >> 6), byte(id&63)*4 + 1}),
		peerV4: netip.AddrFrom4([4]byte{10, 231, byte(id >> 6), byte(id&63)*4 + 2}),
		hostV6: netip.MustParseAddr(fmt.Sprintf("fd00:231:%x::1", id)),
		peerV6: netip.MustParseAddr(fmt.Sprintf("fd00:231:%x::2", id)),
	}
	ctx := context.Background()
	ns, err := netns.Add(ctx, "ftpscope-live-"+tag)
	if errors.Is(err, netns.ErrNoNamespaces) {
		tb.Skipf("skipping: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	n.ns = ns
	tb.Cleanup(func() { ns.Delete() }) // the veth pairs go with it
	ipHere(tb, "link", "add", n.host, "type", "veth", "peer", "name", n.peer, "netns", ns.Name)
	ipHere(tb, "link", "add", n.down, "type", "veth", "peer", "name", "ftdpeer", "netns", ns.Name)
	ipHere(tb, "addr", "add", n.hostV4.String()+"/30", "dev", n.host)
	ipHere(tb, "-6", "addr", "add", n.hostV6.String()+"/64", "dev", n.host, "nodad")
	ipHere(tb, "link", "set", n.host, "up")
	for _, args := range [][]string{
		{"addr", "add", n.peerV4.String() + "/30", "dev", n.peer},
		{"-6", "addr", "add", n.peerV6.String() + "/64", "dev", n.peer, "nodad"},
		{"link", "set", n.peer, "up"},
	} {
		if err := ns.IP(ctx, args...); err != nil {
			tb.Fatal(err)
		}
	}
	ifc, err := net.InterfaceByName(n.host)
	if err != nil {
		tb.Fatalf("veth %s: %v", n.host, err)
	}
	n.hostIndex = ifc.Index
	return n
}

// macs returns the MAC addresses of the veth pair's ends.
func (n *liveNet) macs(tb testing.TB) (host, peer net.HardwareAddr) {
	tb.Helper()
	ifc, err := net.InterfaceByName(n.host)
	if err != nil {
		tb.Fatal(err)
	}
	// ip netns exec mounts the namespace's own /sys.
	out, err := n.ns.Output(context.Background(), "cat", "/sys/class/net/"+n.peer+"/address")
	if err != nil {
		tb.Fatal(err)
	}
	peer, err = net.ParseMAC(strings.TrimSpace(string(out)))
	if err != nil {
		tb.Fatal(err)
	}
	return ifc.HardwareAddr, peer
}

// ipHere runs the ip command in the test's own namespace and fails tb if
// it fails.
func ipHere(tb testing.TB, args ...string) {
	tb.Helper()
	if err := netns.IP(context.Background(), args...); err != nil {
		tb.Fatal(err)
	}
}

// liveHelper runs the test binary as a helper process inside namespace ns
// and returns its standard output.
func liveHelper(tb testing.TB, ns *netns.NS, mode string, args ...string) string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := ns.Command(context.Background(), exe, append([]string{"-test.run=^TestLiveHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), liveHelperEnv+"="+mode)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("helper %s %q: %v: %s", mode, args, err, stderr.String())
	}
	return string(out)
}

// liveConn is one TCP connection made by the tests.
type liveConn struct{ client, server netip.AddrPort }

// dialFromNS connects from inside the namespace to each address in turn.
func (n *liveNet) dialFromNS(tb testing.TB, addrs ...netip.AddrPort) []liveConn {
	tb.Helper()
	args := make([]string, len(addrs))
	for i, a := range addrs {
		args[i] = a.String()
	}
	var conns []liveConn
	sc := bufio.NewScanner(strings.NewReader(liveHelper(tb, n.ns, "dial", args...)))
	for sc.Scan() {
		local, remote, _ := strings.Cut(sc.Text(), " ")
		c := liveConn{netip.MustParseAddrPort(local), netip.MustParseAddrPort(remote)}
		c.client = netip.AddrPortFrom(c.client.Addr().Unmap(), c.client.Port())
		c.server = netip.AddrPortFrom(c.server.Addr().Unmap(), c.server.Port())
		conns = append(conns, c)
	}
	if len(conns) != len(addrs) {
		tb.Fatalf("helper made %d connections, want %d", len(conns), len(addrs))
	}
	return conns
}

// liveDialHere connects from the test's own namespace to each address in turn.
func liveDialHere(tb testing.TB, addrs ...netip.AddrPort) []liveConn {
	tb.Helper()
	var conns []liveConn
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a.String(), 5*time.Second)
		if err != nil {
			tb.Fatal(err)
		}
		conns = append(conns, liveConn{c.LocalAddr().(*net.TCPAddr).AddrPort(), a})
		c.Close()
	}
	return conns
}

// liveListen accepts and closes TCP connections on addr until the test ends.
func liveListen(tb testing.TB, addr netip.Addr) netip.AddrPort {
	tb.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// liveSeg is a TCP segment as the tests look at it.
type liveSeg struct {
	Src, Dst netip.AddrPort
	Flags    string // "S", "SA", "A", "FA", "R", ...
}

// decodeLiveSeg reads the addresses, ports and flags of a raw IP packet by
// hand, so that packets cut short by a snaplen still decode; ok is false
// when it is not TCP (IPv6 extension headers are not followed).
func decodeLiveSeg(data []byte) (liveSeg, bool) {
	if len(data) == 0 {
		return liveSeg{}, false
	}
	var src, dst netip.Addr
	var l4 []byte
	switch data[0] >> 4 {
	case 4:
		ihl := int(data[0]&0x0f) * 4
		if len(data) < 20 || ihl < 20 || len(data) < ihl || data[9] != 6 {
			return liveSeg{}, false
		}
		src, dst = netip.AddrFrom4([4]byte(data[12:16])), netip.AddrFrom4([4]byte(data[16:20]))
		l4 = data[ihl:]
	case 6:
		if len(data) < 40 || data[6] != 6 {
			return liveSeg{}, false
		}
		src, dst = netip.AddrFrom16([16]byte(data[8:24])), netip.AddrFrom16([16]byte(data[24:40]))
		l4 = data[40:]
	default:
		return liveSeg{}, false
	}
	if len(l4) < 14 {
		return liveSeg{}, false
	}
	port := func(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
	var f strings.Builder
	for _, b := range []struct {
		bit byte
		c   byte
	}{{0x02, 'S'}, {0x01, 'F'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, 'A'}} {
		if l4[13]&b.bit != 0 {
			f.WriteByte(b.c)
		}
	}
	return liveSeg{netip.AddrPortFrom(src, port(l4[0:])), netip.AddrPortFrom(dst, port(l4[2:])), f.String()}, true
}

// liveCaptured is a copy of a returned packet with its TCP segment, if any.
type liveCaptured struct {
	Packet
	seg   liveSeg
	isTCP bool
}

// liveReadUntil reads src until the SYN-ACK answering last arrives (every
// packet sent before it is in the capture by then), and returns what was
// read. A deadline ends a capture that never sees it.
func liveReadUntil(tb testing.TB, src Source, last liveConn) []liveCaptured {
	tb.Helper()
	marker := liveSeg{last.server, last.client, "SA"}
	var got []liveCaptured
	for {
		p, err := src.Next()
		if err != nil {
			tb.Fatalf("Next() after %d packets: %v (the SYN-ACK %v was never seen)", len(got), err, marker)
		}
		c := liveCaptured{Packet: p}
		c.Data = append([]byte(nil), p.Data...)
		if ip, ok := decode.IPPacket(p.LinkType, c.Data); ok {
			c.seg, c.isTCP = decodeLiveSeg(ip)
		}
		got = append(got, c)
		if c.isTCP && c.seg == marker {
			return got
		}
	}
}

// openLiveT opens a capture that a deadline ends should the test hang.
func openLiveT(tb testing.TB, o LiveOptions) Source {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	tb.Cleanup(cancel)
	src, err := OpenLive(ctx, o)
	if err != nil {
		tb.Fatalf("OpenLive(%+v): %v", o, err)
	}
	tb.Cleanup(func() { src.Close() })
	return src
}

// liveHandshakes returns the SYN and SYN-ACK of each connection, sorted.
func liveHandshakes(conns ...liveConn) []liveSeg {
	var segs []liveSeg
	for _, c := range conns {
		segs = append(segs, liveSeg{c.client, c.server, "S"}, liveSeg{c.server, c.client, "SA"})
	}
	sortLiveSegs(segs)
	return segs
}

// liveHandshakesSeen returns the SYNs and SYN-ACKs captured, sorted, each as
// often as it was seen.
func liveHandshakesSeen(got []liveCaptured) []liveSeg {
	var segs []liveSeg
	for _, c := range got {
		if c.isTCP && (c.seg.Flags == "S" || c.seg.Flags == "SA") {
			segs = append(segs, c.seg)
		}
	}
	sortLiveSegs(segs)
	return segs
}

func sortLiveSegs(segs []liveSeg) {
	slices.SortFunc(segs, func(a, b liveSeg) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
}

// liveOnlyPorts returns the segments that have one of ports at either end.
func liveOnlyPorts(segs []liveSeg, ports ...uint16) []liveSeg {
	var out []liveSeg
	for _, s := range segs {
		if slices.Contains(ports, s.Src.Port()) || slices.Contains(ports, s.Dst.Port()) {
			out = append(out, s)
		}
	}
	return out
}

// tcpPortsFilter returns a filter expression that keeps TCP segments with
// one of ports at either end.
func tcpPortsFilter(ports ...uint16) string {
	terms := make([]string, len(ports))
	for i, p := range ports {
		terms[i] = fmt.Sprintf("port %d", p)
	}
	return "tcp and (" + strings.Join(terms, " or ") + ")"
}

// liveLinkType is the link type a capture on iface has in this build:
// Ethernet on the veth pairs and loopback; on "any" raw IP (afpacket) or
// Linux cooked (libpcap).
func liveLinkType(iface string) layers.LinkType {
	switch {
	case iface != AnyInterface:
		return layers.LinkTypeEthernet
	case LiveBackend == "libpcap":
		return layers.LinkTypeLinuxSLL
	}
	return layers.LinkTypeRaw
}

// checkLivePackets checks the fields every returned packet must have, and the
// source's Info against what was returned.
func checkLivePackets(t *testing.T, src Source, name string, ifindex int, got []liveCaptured) {
	t.Helper()
	lt := liveLinkType(name)
	if l, ok := src.(LinkTyper); !ok || l.LinkType() != lt {
		t.Errorf("source of %s: LinkTyper %v, want link type %v", name, ok, lt)
	}
	var bytes int64
	for i, p := range got {
		if p.Number != i+1 || p.Source != 0 || p.LinkType != lt {
			t.Errorf("packet %d: Number %d, Source %d, LinkType %v; want %d, 0, %v", i, p.Number, p.Source, p.LinkType, i+1, lt)
		}
		if p.Info.CaptureLength != len(p.Data) || p.Info.Length < p.Info.CaptureLength || p.Info.Timestamp.IsZero() {
			t.Errorf("packet %d: CaptureInfo %+v for %d bytes", p.Number, p.Info, len(p.Data))
		}
		if ifindex != 0 && p.Info.InterfaceIndex != ifindex {
			t.Errorf("packet %d: InterfaceIndex %d, want %d", p.Number, p.Info.InterfaceIndex, ifindex)
		}
		bytes += int64(len(p.Data))
	}
	want := Info{
		Name:      name,
		LinkTypes: []string{lt.String()},
		Packets:   len(got),
		Bytes:     bytes,
		FirstSeen: got[0].Info.Timestamp,
		LastSeen:  got[len(got)-1].Info.Timestamp,
	}
	if diff := cmp.Diff([]Info{want}, src.Infos(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Infos() mismatch (-want +got):\n%s", diff)
	}
}

func TestLiveCapture(t *testing.T) {
	n := setupLiveNet(t)
	lo := liveLoopbackName(t)
	server4 := liveListen(t, n.hostV4)
	server6 := liveListen(t, n.hostV6)
	other4 := liveListen(t, n.hostV4) // traffic the filters must leave out
	local4 := liveListen(t, netip.MustParseAddr("127.0.0.1"))
	local6 := liveListen(t, netip.MustParseAddr("::1"))
	ports := []uint16{server4.Port(), server6.Port(), local4.Port(), local6.Port()}

	// vethTraffic connects from the namespace: twice to other4, then three
	// times each to server4 and server6, the connection to wait for last.
	vethTraffic := func(t *testing.T) (others, conns []liveConn) {
		all := n.dialFromNS(t, other4, other4, server4, server4, server4, server6, server6, server6)
		return all[:2], all[2:]
	}
	loTraffic := func(t *testing.T) []liveConn {
		return liveDialHere(t, local4, local4, local4, local6, local6, local6)
	}

	t.Run("veth without filter sees every handshake once", func(t *testing.T) {
		src := openLiveT(t, LiveOptions{Interface: n.host})
		others, conns := vethTraffic(t)
		got := liveReadUntil(t, src, conns[len(conns)-1])
		all := append(others, conns...)
		seen := liveOnlyPorts(liveHandshakesSeen(got), server4.Port(), server6.Port(), other4.Port())
		if diff := cmp.Diff(liveHandshakes(all...), seen, cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
			t.Errorf("handshakes mismatch (-want +got):\n%s", diff)
		}
		checkLivePackets(t, src, n.host, n.hostIndex, got)

		// The frames keep their Ethernet header: from the peer's MAC
		// address to the host end's, and back.
		hostMAC, peerMAC := n.macs(t)
		for _, c := range got {
			if !c.isTCP || (c.seg.Flags != "S" && c.seg.Flags != "SA") {
				continue
			}
			src, dst := net.HardwareAddr(c.Data[6:12]), net.HardwareAddr(c.Data[0:6])
			want := [2]string{peerMAC.String(), hostMAC.String()}
			if c.seg.Flags == "SA" {
				want[0], want[1] = want[1], want[0]
			}
			if got := [2]string{src.String(), dst.String()}; got != want {
				t.Errorf("packet %d (%v): Ethernet %s → %s, want %s → %s", c.Number, c.seg, got[0], got[1], want[0], want[1])
			}
		}
	})

	// filtered checks a capture through a filter that accepts ports only.
	filtered := func(t *testing.T, o LiveOptions) {
		src := openLiveT(t, o)
		_, conns := vethTraffic(t)
		got := liveReadUntil(t, src, conns[len(conns)-1])
		var outside []liveSeg
		for _, c := range got {
			if !c.isTCP || len(liveOnlyPorts([]liveSeg{c.seg}, ports...)) == 0 {
				outside = append(outside, c.seg) // zero liveSeg for non-TCP
			}
		}
		if len(outside) > 0 {
			t.Errorf("the filter let through %d packets it rejects: %v", len(outside), outside)
		}
		if diff := cmp.Diff(liveHandshakes(conns...), liveHandshakesSeen(got), cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
			t.Errorf("handshakes mismatch (-want +got):\n%s", diff)
		}
		checkLivePackets(t, src, n.host, n.hostIndex, got)
	}

	t.Run("veth with a filter sees only its ports", func(t *testing.T) {
		filtered(t, LiveOptions{Interface: n.host, Filter: tcpPortsFilter(ports...)})
	})

	t.Run("veth with the whole tcpdump syntax in the libpcap build", func(t *testing.T) {
		expr := "tcp[tcpflags] & tcp-syn != 0 and " + tcpPortsFilter(ports...)
		if !FullFilterSyntax {
			if _, err := OpenLive(context.Background(), LiveOptions{Interface: n.host, Filter: expr}); !errors.Is(err, filter.ErrUnsupported) {
				t.Errorf("OpenLive with byte offsets = %v, want an error wrapping filter.ErrUnsupported", err)
			}
			return
		}
		src := openLiveT(t, LiveOptions{Interface: n.host, Filter: expr})
		_, conns := vethTraffic(t)
		v4 := conns[:3] // tcp[...] reads IPv4 only, as pcap-filter(7) says
		got := liveReadUntil(t, src, v4[len(v4)-1])
		for _, c := range got {
			if !c.isTCP || !strings.Contains(c.seg.Flags, "S") {
				t.Errorf("packet %d is not a SYN: %+v", c.Number, c.seg)
			}
		}
		if diff := cmp.Diff(liveHandshakes(v4...), liveHandshakesSeen(got), cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
			t.Errorf("handshakes mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("lo sees each packet once, not twice", func(t *testing.T) {
		src := openLiveT(t, LiveOptions{Interface: lo, Filter: tcpPortsFilter(local4.Port(), local6.Port())})
		conns := loTraffic(t)
		got := liveReadUntil(t, src, conns[len(conns)-1])
		if diff := cmp.Diff(liveHandshakes(conns...), liveHandshakesSeen(got), cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
			t.Errorf("handshakes mismatch (-want +got):\n%s", diff)
		}
		checkLivePackets(t, src, lo, liveLoopbackIndex(t), got)
	})

	t.Run("any sees loopback once and keeps outgoing veth packets", func(t *testing.T) {
		src := openLiveT(t, LiveOptions{Interface: AnyInterface, Filter: tcpPortsFilter(ports...)})
		_, vethConns := vethTraffic(t)
		loConns := loTraffic(t)
		got := liveReadUntil(t, src, loConns[len(loConns)-1])
		want := liveHandshakes(append(vethConns, loConns...)...)
		if diff := cmp.Diff(want, liveHandshakesSeen(got), cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
			t.Errorf("handshakes mismatch (-want +got):\n%s", diff)
		}
		checkLivePackets(t, src, AnyInterface, 0, got)
	})

	t.Run("snaplen cuts frames at snaplen bytes", func(t *testing.T) {
		const snaplen = 14 + 40
		src := openLiveT(t, LiveOptions{Interface: n.host, Snaplen: snaplen, Filter: tcpPortsFilter(ports...)})
		_, conns := vethTraffic(t)
		// 54 bytes hold an Ethernet, IPv4 and TCP header without options:
		// enough for the ports and flags liveReadUntil looks at, not for
		// IPv6.
		last := conns[2] // the last IPv4 connection
		got := liveReadUntil(t, src, last)
		for _, p := range got {
			if len(p.Data) > snaplen || p.Info.CaptureLength != len(p.Data) || p.Info.Length <= snaplen {
				t.Errorf("packet %d: %d bytes kept, CaptureInfo %+v; want at most %d of a longer packet", p.Number, len(p.Data), p.Info, snaplen)
			}
		}
	})
}

// TestLiveVLAN sends VLAN-tagged frames into the veth pair from the
// namespace (as a trunk port would hand them over) and captures them on
// the host end. Linux takes the tag out of each frame on receipt, before
// packet sockets see it (this needs no 8021q module); with VLANTags the
// capture puts it back as it was: priority, VLAN ID and tag type
// (802.1Q, 802.1ad). The kernel filter sees the frames untagged: "host"
// and "tcp" match them, as tcpdump's do on Linux.
func TestLiveVLAN(t *testing.T) {
	n := setupLiveNet(t)
	hostMAC, peerMAC := n.macs(t)
	src4, dst4 := netip.MustParseAddr("10.231.250.1"), netip.MustParseAddr("10.231.250.2") // beside the pair's own
	frame := func(srcPort uint16, tags ...[4]byte) []byte {
		var f []byte
		f = append(f, hostMAC...)
		f = append(f, peerMAC...)
		for _, tag := range tags {
			f = append(f, tag[:]...)
		}
		f = append(f, 0x08, 0x00)
		ip := []byte{0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0}
		ip = append(append(ip, src4.AsSlice()...), dst4.AsSlice()...)
		tcp := []byte{byte(srcPort >> 8), byte(srcPort), 0, 21, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0}
		return append(append(f, ip...), tcp...)
	}
	dot1q := [4]byte{0x81, 0x00, 0xa0, 100}  // priority 5 (the top 3 bits), VLAN 100
	dot1ad := [4]byte{0x88, 0xa8, 0x00, 200} // VLAN 200, 802.1ad
	sent := [][]byte{frame(50001, dot1q), frame(50002, dot1ad), frame(50003)}
	untagged := [][]byte{frame(50001), frame(50002), frame(50003)}
	for _, tt := range []struct {
		name   string
		tags   bool
		filter string
	}{
		{"tags put back", true, ""},
		{"tags put back, frames filtered untagged", true, "tcp and src host " + src4.String()},
		{"tags left out", false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := sent
			if !tt.tags && LiveBackend == "afpacket" {
				want = untagged // libpcap always puts them back
			}
			src := openLiveT(t, LiveOptions{Interface: n.host, VLANTags: tt.tags, Filter: tt.filter})
			args := []string{n.peer}
			for _, f := range sent {
				args = append(args, hex.EncodeToString(f))
			}
			liveHelper(t, n.ns, "inject", args...)
			var got [][]byte
			for len(got) < len(sent) {
				p, err := src.Next()
				if err != nil {
					t.Fatalf("Next() after %d of the frames sent: %v", len(got), err)
				}
				ip, ok := decode.IPPacket(p.LinkType, p.Data)
				if !ok || !bytes.Equal(ip[12:16], src4.AsSlice()) {
					continue // the pair's own traffic (IPv6 neighbour discovery)
				}
				if p.Info.CaptureLength != len(p.Data) || p.Info.Length != len(p.Data) {
					t.Errorf("frame of %d bytes: CaptureInfo %+v", len(p.Data), p.Info)
				}
				got = append(got, append([]byte(nil), p.Data...))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("frames captured (-want +got):\n%s", diff)
			}
		})
	}
}

func liveLoopbackName(tb testing.TB) string {
	tb.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		tb.Fatal(err)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 && ifc.Flags&net.FlagUp != 0 {
			return ifc.Name
		}
	}
	tb.Skip("skipping: no loopback interface is up")
	return ""
}

func liveLoopbackIndex(tb testing.TB) int {
	tb.Helper()
	ifc, err := net.InterfaceByName(liveLoopbackName(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return ifc.Index
}

func TestLiveCancelEndsNext(t *testing.T) {
	n := setupLiveNet(t)
	const nothing = "src host 192.0.2.1 and dst host 192.0.2.2" // TEST-NET-1: nothing arrives
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src, err := OpenLive(ctx, LiveOptions{Interface: n.host, Filter: nothing})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	done := make(chan error, 1)
	go func() {
		// Whatever the ring holds is drained after the cancel: read
		// until the end.
		for {
			if _, err := src.Next(); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond) // let Next start waiting
	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		t.Logf("Next returned %v %v after the cancel", err, time.Since(cancelled))
		if !errors.Is(err, io.EOF) {
			t.Errorf("Next() after cancel = %v, want io.EOF", err)
		}
	case <-time.After(time.Second):
		t.Fatalf("Next() still waiting a second after the context was cancelled (poll timeout %v)", DefaultPollTimeout)
	}
	if err := src.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if _, err := src.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next() after Close = %v, want io.EOF", err)
	}
}

func TestLiveInterfaceGoesAway(t *testing.T) {
	tests := []struct {
		name string
		do   []string // ip command run on the captured interface, "IF" standing for its name
		want string   // afpacket's error, after "IF: capture ended: "
		// libpcap 1.10 keeps capturing on an interface that goes down, in
		// case it comes back; only its removal ends the capture.
		libpcapIgnores bool
	}{
		{"taken down", []string{"link", "set", "IF", "down"}, "interface went down (packet poll failed)", true},
		{"removed", []string{"link", "del", "IF"}, "interface was removed (packet poll failed)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if LiveBackend == "libpcap" && tt.libpcapIgnores {
				t.Skip("skipping: libpcap keeps capturing on an interface that went down")
			}
			n := setupLiveNet(t)
			src := openLiveT(t, LiveOptions{Interface: n.host})
			ipHere(t, strings.Fields(strings.ReplaceAll(strings.Join(tt.do, " "), "IF", n.host))...)
			for {
				_, err := src.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("Next() = %v, want packets then io.EOF", err)
				}
			}
			prefix := n.host + ": capture ended: "
			want := []string{prefix + tt.want}
			got := src.Infos()[0].Errors
			t.Logf("Info.Errors: %q", got)
			if LiveBackend != "afpacket" && len(got) == 1 && strings.HasPrefix(got[0], prefix+strings.Fields(tt.want)[0]) {
				want = got // libpcap words the socket error its own way
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Infos().Errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLivePromisc(t *testing.T) {
	n := setupLiveNet(t)
	const iffPromisc = 0x100
	flags := func() int64 {
		b, err := os.ReadFile(filepath.Join("/sys/class/net", n.host, "flags"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 0, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	src, err := OpenLive(context.Background(), LiveOptions{Interface: n.host, Promisc: true})
	if err != nil {
		t.Fatal(err)
	}
	if flags()&iffPromisc == 0 {
		t.Errorf("%s not promiscuous while captured with Promisc", n.host)
	}
	src.Close()
	if flags()&iffPromisc != 0 {
		t.Errorf("%s still promiscuous after Close", n.host)
	}
}

func TestOpenLiveUnknownInterface(t *testing.T) {
	// No root needed: the name is checked before any socket is opened.
	const name = "ftpnosuch0"
	_, err := OpenLive(context.Background(), LiveOptions{Interface: name})
	ifaces, ierr := net.Interfaces()
	if ierr != nil {
		t.Fatal(ierr)
	}
	var names []string
	for _, ifc := range ifaces {
		names = append(names, ifc.Name)
	}
	want := fmt.Sprintf("no interface %q; interfaces here: %s", name, strings.Join(names, ", "))
	if err == nil {
		t.Fatalf("OpenLive(%q) succeeded", name)
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrNoInterface) {
		t.Errorf("errors.Is(%v, ErrNoInterface) = false", err)
	}
}

// TestOpenLiveVLANFilter: the afpacket backend refuses "vlan" on an
// Ethernet interface, where the kernel's filter sees frames untagged. No
// root needed: the filter is refused before a socket is opened.
func TestOpenLiveVLANFilter(t *testing.T) {
	if LiveBackend != "afpacket" {
		t.Skip("skipping: libpcap compiles vlan with the kernel's VLAN extensions")
	}
	lo := liveLoopbackName(t) // an Ethernet header of zeros
	for _, expr := range []string{"vlan", "port 21 or vlan 10", "not vlan"} {
		_, err := OpenLive(context.Background(), LiveOptions{Interface: lo, Filter: expr})
		var fe *filter.Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "vlan cannot be told on a live Linux socket") {
			t.Errorf("OpenLive with %q = %v, want a *filter.Error about vlan", expr, err)
		}
	}
}

func TestOpenLiveDownInterface(t *testing.T) {
	n := setupLiveNet(t)
	_, err := OpenLive(context.Background(), LiveOptions{Interface: n.down})
	if err == nil {
		t.Fatalf("OpenLive(%q) on a down interface succeeded", n.down)
	}
	if diff := cmp.Diff("interface "+n.down+" is down", err.Error()); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrInterfaceDown) {
		t.Errorf("errors.Is(%v, ErrInterfaceDown) = false", err)
	}
}

func TestOpenLivePermission(t *testing.T) {
	lo := liveLoopbackName(t)
	want := "permission denied opening " + lo + ": run as root or grant CAP_NET_RAW (sudo setcap cap_net_raw+ep $(which ftpscope))"
	var out string
	if os.Geteuid() != 0 {
		_, err := OpenLive(context.Background(), LiveOptions{Interface: lo})
		if err == nil {
			t.Skip("skipping: this process may open packet sockets without being root (CAP_NET_RAW?)")
		}
		out = fmt.Sprintf("%v\n%s\n", errors.Is(err, ErrPermission), err)
	} else {
		out = runLiveUnprivileged(t, lo)
	}
	if diff := cmp.Diff("true\n"+want+"\n", out); diff != "" {
		t.Errorf("unprivileged OpenLive mismatch (-want +got):\n%s", diff)
	}
}

// runLiveUnprivileged runs the openlive helper as user nobody, from a copy of
// the test binary that user may execute.
func runLiveUnprivileged(t *testing.T, iface string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ftpscope-live-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	copyExe := filepath.Join(dir, "capture.test")
	if err := os.WriteFile(copyExe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copyExe, "-test.run=^TestLiveHelperProcess$", "--", iface)
	cmd.Env = append(os.Environ(), liveHelperEnv+"=openlive")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("skipping: cannot run the helper as user nobody: %v: %s", err, stderr.String())
	}
	return string(out)
}

// BenchmarkLiveVeth measures how many packets per second a live capture
// takes from a veth without the kernel dropping any. A helper in the
// namespace sends b.N UDP datagrams of 100 bytes at a paced rate (0: as
// fast as it can) to a socket on the host end, which the capture reads
// through a kernel filter for that port. Reported: the rate the capture
// saw packets at (first to last timestamp), the rate the sender achieved,
// the packets captured and the kernel's drop count. Run as root, e.g.
//
//	go test -run '^$' -bench LiveVeth -benchtime 200000x ./capture
func BenchmarkLiveVeth(b *testing.B) {
	n := setupLiveNet(b)
	sink, err := net.ListenPacket("udp", netip.AddrPortFrom(n.hostV4, 0).String())
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	dst := sink.LocalAddr().(*net.UDPAddr).AddrPort()
	filter := fmt.Sprintf("udp port %d", dst.Port())
	for _, rate := range []int{50000, 100000, 200000, 400000, 0} {
		name := "max"
		if rate > 0 {
			name = strconv.Itoa(rate)
		}
		b.Run("rate="+name, func(b *testing.B) {
			b.ReportAllocs()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src, err := OpenLive(ctx, LiveOptions{Interface: n.host, Filter: filter})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			var count atomic.Int64
			var first, last time.Time
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					p, err := src.Next()
					if err != nil {
						return
					}
					if count.Add(1) == 1 {
						first = p.Info.Timestamp
					}
					last = p.Info.Timestamp
				}
			}()
			b.ResetTimer()
			sendStart := time.Now()
			liveHelper(b, n.ns, "udpflood", dst.String(), strconv.Itoa(b.N), "100", strconv.Itoa(rate))
			sendTime := time.Since(sendStart)
			// Wait until the capture has everything or stops getting more.
			for prev := int64(-1); ; {
				time.Sleep(3 * DefaultPollTimeout)
				c := count.Load()
				if c >= int64(b.N) || c == prev {
					break
				}
				prev = c
			}
			cancel()
			<-done
			b.StopTimer()
			info := src.Infos()[0]
			got := count.Load()
			if span := last.Sub(first).Seconds(); got > 1 && span > 0 {
				b.ReportMetric(float64(got-1)/span, "captured-pkts/s")
			}
			b.ReportMetric(float64(b.N)/sendTime.Seconds(), "sent-pkts/s")
			b.ReportMetric(float64(got), "captured")
			b.ReportMetric(float64(info.Dropped), "drops")
		})
	}
}

package session

import (
	"net/netip"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// checkPortCounts fails unless the port counts are exactly those of the
// keys of the indexes they stand for.
func checkPortCounts(t *testing.T, a *Analyzer, where string) {
	t.Helper()
	conns := map[uint16]uint32{}
	for k := range a.conns {
		conns[k.lo.Port()]++
		conns[k.hi.Port()]++
	}
	expect := map[uint16]uint32{}
	for _, m := range []map[netip.AddrPort][]*expectation{a.expect, a.expectNAT} {
		for ep, list := range m {
			if len(list) == 0 {
				t.Fatalf("%s: empty list kept for %s", where, ep)
			}
			expect[ep.Port()]++
		}
	}
	for _, c := range []struct {
		name string
		pc   *portCount
		want map[uint16]uint32
	}{{"connPorts", &a.connPorts, conns}, {"expectPorts", &a.expectPorts, expect}} {
		if c.pc.n == nil {
			if len(c.want) != 0 {
				t.Fatalf("%s: %s never counted, want %v", where, c.name, c.want)
			}
			continue
		}
		for port, n := range c.pc.n {
			if n != c.want[uint16(port)] {
				t.Fatalf("%s: %s[%d] = %d, the index holds %d", where, c.name, port, n, c.want[uint16(port)])
			}
		}
	}
}

// TestPortCounts: on every generated capture, after every packet and at
// the end, the port counts match the indexes exactly, so the prefilter
// never hides a connection or announcement that is there.
func TestPortCounts(t *testing.T) {
	files, err := filepath.Glob("../testdata/*.pcap*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in ../testdata: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			pkts := loadPackets(t, name)
			a := NewAnalyzer(Config{OnSession: func(*Session) {}})
			for i, p := range pkts {
				a.Packet(p)
				// The full check walks 65,536 ports: after every packet
				// of the small captures, every 50th of the others.
				if len(pkts) < 400 || i%50 == 0 {
					checkPortCounts(t, a, "packet "+strconv.Itoa(p.Number))
				}
			}
			checkPortCounts(t, a, "end of capture")
			a.Finish(nil)
			checkPortCounts(t, a, "after Finish")
		})
	}
}

// BenchmarkAnalyzerUninterestingBusy: a packet of a connection nobody
// follows while many sessions, data connections and announcements are
// open, the common packet of a mixed capture.
func BenchmarkAnalyzerUninterestingBusy(b *testing.B) {
	pkts := loadPackets(b, "many-transfers-mixed.pcap")
	a := NewAnalyzer(Config{})
	half := pkts[:len(pkts)/2]
	for _, p := range half {
		a.Packet(p)
	}
	if len(a.conns) == 0 && len(a.expect) == 0 {
		b.Fatal("nothing followed after half the capture")
	}
	p := capture.Packet{Data: otherTCP(b), LinkType: layers.LinkTypeEthernet, Number: len(half) + 1,
		Info: gopacket.CaptureInfo{Timestamp: half[len(half)-1].Info.Timestamp}}
	b.SetBytes(int64(len(p.Data)))
	b.ReportAllocs()
	for b.Loop() {
		a.Packet(p)
	}
}

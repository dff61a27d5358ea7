//go:build libpcap && cgo

package capture

import (
	"bytes"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
)

// tcpdumpKept returns the packets tcpdump -r path -w - expr keeps, read
// back without a filter; ok is false when tcpdump refuses the expression
// for this file.
func tcpdumpKept(t *testing.T, path, expr string) (kept []Packet, ok bool) {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed; apt-get install tcpdump to compare with it")
	}
	out, err := exec.Command(bin, "-r", path, "-w", "-", expr).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && bytes.Contains(exit.Stderr, []byte("rejects all packets")) {
			return nil, true
		}
		t.Logf("tcpdump -r %s %q: %v", filepath.Base(path), expr, err)
		return nil, false
	}
	src, err := OpenFilesFrom([]string{"-"}, bytes.NewReader(out))
	if err != nil {
		t.Fatalf("reading what tcpdump kept: %v", err)
	}
	defer src.Close()
	return readAll(t, src), true
}

// firstMAC returns the source address of the first Ethernet frame of the
// file, or "" when it is not Ethernet.
func firstMAC(t *testing.T, path string) string {
	ps := readAll(t, open(t, path))
	if len(ps) == 0 || ps[0].LinkType != layers.LinkTypeEthernet || len(ps[0].Data) < 12 {
		return ""
	}
	return net.HardwareAddr(ps[0].Data[6:12]).String()
}

// TestFileFilterMatchesTcpdump: in the libpcap build a file filter reads
// the whole tcpdump syntax and keeps, on real captures of every link type
// ftpscope reads, the packets tcpdump -r keeps.
func TestFileFilterMatchesTcpdump(t *testing.T) {
	var paths []string
	for _, glob := range []string{"../testdata/*.pcap", "../testdata/*.pcapng", "../testdata/lab/captures/*.pcap", "../../shared/peer-captures/pcaps/*.pcap"} {
		m, _ := filepath.Glob(glob)
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		t.Skip("no captures")
	}
	compared, kept := 0, 0
	for _, path := range paths {
		exprs := []string{"tcp[13] & 2 != 0", "greater 100", "ip6", "ip and tcp", "less 80 and ip6", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 or port 21", "ip6 or vlan"}
		if mac := firstMAC(t, path); mac != "" {
			exprs = append(exprs, "ether host "+mac, "ether src "+mac+" and tcp")
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, expr := range exprs {
				want, ok := tcpdumpKept(t, path, expr)
				if !ok {
					continue
				}
				src, err := OpenFiles([]string{path}, WithFilter(expr))
				if err != nil {
					t.Fatalf("OpenFiles(%q): %v", expr, err)
				}
				got := readAll(t, src)
				src.Close()
				// tcpdump writes microseconds, no pcapng interfaces and
				// frame numbers of its own: compare what it keeps.
				type pkt struct {
					Micros int64
					Data   string
				}
				strip := func(ps []Packet) []pkt {
					out := []pkt{}
					for _, p := range ps {
						out = append(out, pkt{p.Info.Timestamp.UnixMicro(), string(p.Data)})
					}
					return out
				}
				if diff := cmp.Diff(strip(want), strip(got)); diff != "" {
					t.Errorf("%q: packets kept (-tcpdump +ftpscope):\n%s", expr, diff)
				}
				compared++
				kept += len(got)
			}
		})
	}
	t.Logf("%d captures, %d expression x capture selections compared with tcpdump -r; %d packets kept in all", len(paths), compared, kept)
	if compared == 0 {
		t.Error("nothing compared")
	}
}

// TestFileFilterFullSyntax: three expressions the subset compiler refuses
// (byte offsets, lengths, link-layer addresses) select the right frames of
// a real capture, and a syntax error fails at open.
func TestFileFilterFullSyntax(t *testing.T) {
	if !FullFilterSyntax {
		t.Fatal("the libpcap build says it reads only the subset")
	}
	path := filepath.Join("..", "testdata", "passive.pcap")
	all := readAll(t, open(t, path))
	mac := net.HardwareAddr(all[0].Data[6:12]).String()
	for _, tt := range []struct {
		expr string
		keep func(p Packet) bool
	}{
		{"tcp[13] & 2 != 0", func(p Packet) bool { // SYN: Ethernet, IPv4 of 20 bytes, TCP
			return len(p.Data) > 14+20+13 && p.Data[23] == 6 && p.Data[14+20+13]&2 != 0
		}},
		{"greater 100", func(p Packet) bool { return p.Info.Length >= 100 }},
		{"ether src " + mac, func(p Packet) bool { return bytes.Equal(p.Data[6:12], all[0].Data[6:12]) }},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			var want []int
			for _, p := range all {
				if tt.keep(p) {
					want = append(want, p.Number)
				}
			}
			src, err := OpenFiles([]string{path}, WithFilter(tt.expr))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var got []int
			for _, p := range readAll(t, src) {
				got = append(got, p.Number)
			}
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("%d of %d packets to keep: the test wants some kept and some not", len(want), len(all))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("frames kept (-want +got):\n%s", diff)
			}
		})
	}
	_, err := OpenFiles([]string{path}, WithFilter("tcp[13] & & 2"))
	if want := `filter: "tcp[13] & & 2": can't parse filter expression: syntax error (libpcap)`; err == nil || err.Error() != want {
		t.Errorf("OpenFiles with a syntax error: %v; want %s", err, want)
	}
}

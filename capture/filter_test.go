package capture

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
)

// ipv4Rec is a packet of link type IPv4 at t0 plus ms milliseconds: a
// bare IPv4 header of protocol proto followed by name.
func ipv4Rec(ms int, name string, proto byte) rec {
	hdr := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	r := at(ms, name, 0)
	r.data = append(hdr, name...)
	return r
}

// names returns what follows the 20-byte IPv4 header of each packet, its
// source and frame number.
func names(ps []Packet) []seen {
	var out []seen
	for _, p := range ps {
		out = append(out, seen{string(p.Data[20:]), p.Source, p.Number, p.LinkType, p.Info.Timestamp})
	}
	return out
}

func TestWithFilter(t *testing.T) {
	const tcp, udp = 6, 17
	ipv4 := layers.LinkTypeIPv4
	inDir(t, map[string][]byte{
		// a's timestamps go backwards: a2 is older than b1.
		"a.pcap": pcapFile(t, true, ipv4, []rec{ipv4Rec(5, "a1", udp), ipv4Rec(1, "a2", tcp), ipv4Rec(6, "a3", udp)}).b,
		"b.pcap": pcapFile(t, true, ipv4, []rec{ipv4Rec(3, "b1", tcp), ipv4Rec(4, "b2", udp)}).b,
	})
	files := []string{"a.pcap", "b.pcap"}
	all := open(t, files...)
	unfiltered := readAll(t, all)

	src, err := OpenFiles(files, WithFilter("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := readAll(t, src)
	// The order is the merge's without a filter, b1 before a2; numbers
	// are frame numbers in each file.
	want := []seen{
		{"b1", 1, 1, ipv4, t0.Add(3e6)},
		{"a2", 0, 2, ipv4, t0.Add(1e6)},
	}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
	var kept []Packet
	for _, p := range unfiltered {
		if p.Data[9] == tcp {
			kept = append(kept, p)
		}
	}
	if diff := cmp.Diff(kept, got); diff != "" {
		t.Errorf("filtered packets differ from the unfiltered ones kept (-want +got):\n%s", diff)
	}
	// Info says what the files hold, also what the filter left out.
	if diff := cmp.Diff(all.Infos(), src.Infos()); diff != "" {
		t.Errorf("Infos() differ from those without a filter (-want +got):\n%s", diff)
	}

	blank, err := OpenFiles(files, WithFilter("  "))
	if err != nil {
		t.Fatal(err)
	}
	defer blank.Close()
	if diff := cmp.Diff(unfiltered, readAll(t, blank)); diff != "" {
		t.Errorf("a blank filter left packets out (-want +got):\n%s", diff)
	}
}

// TestWithFilterFrameNumbers filters a real capture: every packet kept is
// the packet of the same frame number without the filter.
func TestWithFilterFrameNumbers(t *testing.T) {
	path := filepath.Join("..", "testdata", "passive.pcap")
	byNumber := map[int]Packet{}
	for _, p := range readAll(t, open(t, path)) {
		byNumber[p.Number] = p
	}
	src, err := OpenFiles([]string{path}, WithFilter("tcp port 21"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := readAll(t, src)
	if len(got) == 0 || len(got) == len(byNumber) {
		t.Fatalf("the filter kept %d of %d packets; the test wants some left out", len(got), len(byNumber))
	}
	for _, p := range got {
		if diff := cmp.Diff(byNumber[p.Number], p); diff != "" {
			t.Errorf("packet %d differs from frame %d without the filter (-want +got):\n%s", p.Number, p.Number, diff)
		}
	}
	if in := src.Infos()[0]; in.Packets != len(byNumber) {
		t.Errorf("Info.Packets = %d, want every frame of the file, %d", in.Packets, len(byNumber))
	}
}

// TestWithFilterError: an expression that does not compile fails before
// any file is opened, with the compiler's message.
func TestWithFilterError(t *testing.T) {
	src, err := OpenFiles([]string{"no-such.pcap"}, WithFilter("port 21 and"))
	if err == nil {
		src.Close()
		t.Fatal("OpenFiles accepted a filter that ends too early")
	}
	var oe *OpenError
	if errors.As(err, &oe) || !strings.HasPrefix(err.Error(), `filter: "port 21 and"`) {
		t.Errorf("OpenFiles error = %v; want the filter's error, before the file's", err)
	}
}

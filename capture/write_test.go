package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writeAll writes packets with a new Writer and returns the file.
func writeAll(t *testing.T, infos []Info, packets []Packet) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if infos != nil {
		w.SetSources(infos)
	}
	for _, p := range packets {
		if err := w.WritePacket(p); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// interfaces lists the interfaces of a pcapng file, read after its packets.
func interfaces(t *testing.T, b []byte) []pcapgo.NgInterface {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := r.ReadPacketData(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	var out []pcapgo.NgInterface
	for i := range r.NInterfaces() {
		intf, err := r.Interface(i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pcapgo.NgInterface{Name: intf.Name, Description: intf.Description, LinkType: intf.LinkType})
	}
	return out
}

func TestWriterRoundTrip(t *testing.T) {
	eth, sll2, ipv4 := layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2, layers.LinkTypeIPv4
	pkt := func(source int, lt layers.LinkType, ms int, data string, length int) Packet {
		return Packet{
			Data: []byte(data),
			Info: gopacket.CaptureInfo{
				Timestamp:     t0.Add(time.Duration(ms) * time.Millisecond),
				CaptureLength: len(data),
				Length:        length,
			},
			LinkType: lt,
			Source:   source,
		}
	}
	in := []Packet{
		pkt(0, eth, 0, "eth from a", 1514),
		pkt(1, sll2, 1, "sll2 from b", 11),
		pkt(1, eth, 2, "eth from b", 10),
		pkt(0, eth, 3, "eth from a again", 16),
		pkt(2, ipv4, 4, "ipv4 from c", 11),
		pkt(1, sll2, 5, "sll2 from b again", 17),
		pkt(0, eth, 6, "odd length", 3), // Length below the data: raised
	}
	infos := []Info{{Name: "a.pcap"}, {Name: "b.pcapng"}, {Name: "c.pcap.gz"}}
	b := writeAll(t, infos, in)

	wantIfaces := []pcapgo.NgInterface{
		{Name: "a.pcap", Description: "Ethernet", LinkType: eth},
		{Name: "b.pcapng", Description: "Linux SLL2", LinkType: sll2},
		{Name: "b.pcapng", Description: "Ethernet", LinkType: eth},
		{Name: "c.pcap.gz", Description: "IPv4", LinkType: ipv4},
	}
	if diff := cmp.Diff(wantIfaces, interfaces(t, b), cmp.AllowUnexported(pcapgo.NgInterface{})); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}

	inDir(t, map[string][]byte{"out.pcapng": b})
	src := open(t, "out.pcapng")
	ifaceOf := []int{0, 1, 2, 0, 3, 1, 0}
	var want []Packet
	for i, p := range in {
		p.Source = 0
		p.Number = i + 1
		p.Info.InterfaceIndex = ifaceOf[i]
		p.Info.Length = max(p.Info.Length, len(p.Data))
		want = append(want, p)
	}
	if diff := cmp.Diff(want, readAll(t, src)); diff != "" {
		t.Errorf("packets read back (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Ethernet", "Linux SLL2", "IPv4"}, src.Infos()[0].LinkTypes); diff != "" {
		t.Errorf("link types read back (-want +got):\n%s", diff)
	}
}

// TestWriterFromMergedFiles is what `ftpscope -r a -r b -w out` does: the
// merged timeline written and read back is the same timeline.
func TestWriterFromMergedFiles(t *testing.T) {
	inDir(t, map[string][]byte{
		"a.pcap": pcapFile(t, true, layers.LinkTypeEthernet, []rec{at(0, "a1", 0), at(2, "a2", 0)}).b,
		"b.pcapng": pcapngFile(t, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2},
			[]rec{at(1, "b1", 1), at(3, "b2", 0)}).b,
	})
	src := open(t, "a.pcap", "b.pcapng")
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.SetSources(src.Infos())
	var written []seen
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
		written = append(written, seen{string(p.Data), 0, len(written) + 1, p.LinkType, p.Info.Timestamp})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("out.pcapng", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(written, seenAll(t, open(t, "out.pcapng"))); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestWriterNoPacket(t *testing.T) {
	b := writeAll(t, nil, nil)
	inDir(t, map[string][]byte{"out.pcapng": b})
	src := open(t, "out.pcapng")
	if got := readAll(t, src); len(got) != 0 {
		t.Errorf("read %d packets from an empty file", len(got))
	}
	if diff := cmp.Diff([]Info{{Name: "out.pcapng", Dropped: -1}}, src.Infos()); diff != "" {
		t.Errorf("Infos (-want +got):\n%s", diff)
	}
}

func TestWriterClosed(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	if err := w.WritePacket(Packet{Data: []byte{1}}); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("WritePacket after Close = %v, want ErrWriterClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("Flush after Close = %v, want ErrWriterClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if buf.Len() != n {
		t.Errorf("the file grew after Close from %d to %d bytes", n, buf.Len())
	}
	if _, err := NewWriter(nil); err == nil {
		t.Error("NewWriter(nil) succeeded")
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterError(t *testing.T) {
	w, err := NewWriter(failingWriter{})
	if err != nil {
		t.Fatal(err)
	}
	// The bufio.Writer inside pcapgo holds the first small blocks: the
	// error comes at the latest with Flush.
	p := Packet{Data: []byte{1, 2, 3}, Info: gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 3, Length: 3}}
	err = w.WritePacket(p)
	if err == nil {
		err = w.Flush()
	}
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk full")) {
		t.Errorf("error = %v, want one saying disk full", err)
	}
}

// TestWritePacketAllocs pins WritePacket at zero allocations once its
// interface exists.
func TestWritePacketAllocs(t *testing.T) {
	w, err := NewWriter(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p := Packet{Data: make([]byte, 100), Info: gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 100, Length: 100},
		LinkType: layers.LinkTypeEthernet}
	if err := w.WritePacket(p); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("WritePacket allocates %.2f times per packet, want 0", allocs)
	}
}

// TestWriterComments: comments go into the packets as pcapng opt_comment
// options, one each, cut to MaxCommentLen on a character boundary.
func TestWriterComments(t *testing.T) {
	long := "x" + strings.Repeat("é", MaxCommentLen/2+10) // 2-byte characters from an odd offset
	in := [][]string{
		nil,
		{"ftpscope: a.pcap #2"},
		{"ftpscope: a.pcap #3", "ftpscope: [error] active-blocked: SYN → 10.0.0.1:50002", "ünïcode ✓"},
		{"short", long},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, cs := range in {
		p := Packet{Data: []byte{byte(i), 1, 2}, Info: gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 3, Length: 3},
			LinkType: layers.LinkTypeRaw}
		kept := slices.Clone(cs)
		if err := w.WritePacketComments(p, cs...); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(kept, cs) {
			t.Errorf("WritePacketComments changed the caller's comments")
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	cut := long[:MaxCommentLen-1] // the last whole character ends there
	want := [][]string{nil, in[1], in[2], {"short", cut}}
	for i := range want {
		_, _, opts, err := r.ReadPacketDataWithOptions()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if diff := cmp.Diff(want[i], opts.Comments); diff != "" {
			t.Errorf("packet %d comments (-want +got):\n%s", i+1, diff)
		}
	}
	if !utf8.ValidString(cut) || len(cut) > MaxCommentLen {
		t.Errorf("the long comment was cut to %d bytes", len(cut))
	}
}

// BenchmarkWritePacketComments is the cost of the final write of -w for
// one packet with its source-and-number comment.
func BenchmarkWritePacketComments(b *testing.B) {
	w, err := NewWriter(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	p := Packet{Data: make([]byte, 200), Info: gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 200, Length: 200},
		LinkType: layers.LinkTypeEthernet}
	comment := "ftpscope: testdata/passive.pcap #17"
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WritePacketComments(p, comment); err != nil {
			b.Fatal(err)
		}
	}
}

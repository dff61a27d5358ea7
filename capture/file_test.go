package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// rec is one packet to write into a test capture.
type rec struct {
	ts    time.Time
	data  []byte
	iface int // pcapng interface index
	orig  int // original length; 0 means len(data)
}

func (r rec) length() int {
	if r.orig != 0 {
		return r.orig
	}
	return len(r.data)
}

// t0 is the time test packets start at, with nanoseconds so that a
// microsecond file visibly drops them.
var t0 = time.Date(2024, 5, 17, 9, 30, 0, 123456789, time.UTC)

// recs returns n packets 1 ms apart, each with distinct bytes, the first
// size bytes long and each next one a byte longer.
func recs(n, size int, start time.Time) []rec {
	out := make([]rec, n)
	for i := range out {
		data := make([]byte, size+i)
		for j := range data {
			data[j] = byte(i*7 + j)
		}
		out[i] = rec{ts: start.Add(time.Duration(i) * time.Millisecond), data: data}
	}
	return out
}

// built is a test capture: its bytes and the offset just after each packet.
type built struct {
	b    []byte
	ends []int
}

// pcapFile writes a little-endian pcap file with pcapgo.
func pcapFile(t testing.TB, nanos bool, lt layers.LinkType, rs []rec) built {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	var out built
	for _, r := range rs {
		ci := gopacket.CaptureInfo{Timestamp: r.ts, CaptureLength: len(r.data), Length: r.length()}
		if err := w.WritePacket(ci, r.data); err != nil {
			t.Fatal(err)
		}
		out.ends = append(out.ends, buf.Len())
	}
	out.b = buf.Bytes()
	return out
}

// pcapSwapped writes a big-endian pcap file by hand; pcapgo writes only
// little-endian ones.
func pcapSwapped(nanos bool, lt layers.LinkType, rs []rec) built {
	be := binary.BigEndian
	var out built
	b := be.AppendUint32(nil, magicPcapMicros)
	if nanos {
		b = be.AppendUint32(nil, magicPcapNanos)
	}
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint32(b, 0) // thiszone
	b = be.AppendUint32(b, 0) // sigfigs
	b = be.AppendUint32(b, 65535)
	b = be.AppendUint32(b, uint32(lt))
	for _, r := range rs {
		frac := r.ts.Nanosecond()
		if !nanos {
			frac /= 1000
		}
		b = be.AppendUint32(b, uint32(r.ts.Unix()))
		b = be.AppendUint32(b, uint32(frac))
		b = be.AppendUint32(b, uint32(len(r.data)))
		b = be.AppendUint32(b, uint32(r.length()))
		b = append(b, r.data...)
		out.ends = append(out.ends, len(b))
	}
	out.b = b
	return out
}

// pcapngFile writes a pcapng file with one interface per link type.
func pcapngFile(t testing.TB, lts []layers.LinkType, rs []rec) built {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "if0", LinkType: lts[0]},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, lt := range lts[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{Name: fmt.Sprintf("if%d", i+1), LinkType: lt}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var out built
	for _, r := range rs {
		ci := gopacket.CaptureInfo{Timestamp: r.ts, CaptureLength: len(r.data), Length: r.length(), InterfaceIndex: r.iface}
		if err := w.WritePacket(ci, r.data); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		out.ends = append(out.ends, buf.Len())
	}
	out.b = buf.Bytes()
	return out
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// inDir makes a temporary directory the working directory, so that file
// names in messages are short and fixed, and writes files into it.
func inDir(t *testing.T, files map[string][]byte) {
	t.Helper()
	t.Chdir(t.TempDir())
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readAll reads src to its end, copying each packet's bytes.
func readAll(t testing.TB, src Source) []Packet {
	t.Helper()
	var out []Packet
	for {
		p, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		p.Data = bytes.Clone(p.Data)
		out = append(out, p)
		if len(out) > 1e6 {
			t.Fatal("Next does not end")
		}
	}
}

// want turns records into the packets a source should return.
func want(rs []rec, source int, lts []layers.LinkType, micros, ng bool) []Packet {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Packet, len(rs))
	for i, r := range rs {
		ts := r.ts
		if micros {
			ts = ts.Truncate(time.Microsecond)
		}
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(r.data), Length: r.length()}
		if ng {
			ci.InterfaceIndex = r.iface
		}
		out[i] = Packet{Data: r.data, Info: ci, LinkType: lts[r.iface], Source: source, Number: i + 1}
	}
	return out
}

func open(t *testing.T, names ...string) Source {
	t.Helper()
	src, err := OpenFiles(names)
	if err != nil {
		t.Fatalf("OpenFiles(%q): %v", names, err)
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return src
}

func TestOpenFilesFormats(t *testing.T) {
	eth := []layers.LinkType{layers.LinkTypeEthernet}
	three := recs(3, 60, t0)
	mixed := recs(4, 40, t0)
	mixed[1].iface, mixed[3].iface = 1, 1
	truncatedCapture := recs(2, 100, t0)
	truncatedCapture[0].orig = 1514

	tests := []struct {
		name   string
		file   func(t *testing.T) []byte
		lts    []layers.LinkType
		rs     []rec
		micros bool
		ng     bool
		names  []string
	}{
		{
			name:   "pcap microseconds",
			file:   func(t *testing.T) []byte { return pcapFile(t, false, layers.LinkTypeEthernet, three).b },
			lts:    eth,
			rs:     three,
			micros: true,
			names:  []string{"Ethernet"},
		},
		{
			name:  "pcap nanoseconds",
			file:  func(t *testing.T) []byte { return pcapFile(t, true, layers.LinkTypeEthernet, three).b },
			lts:   eth,
			rs:    three,
			names: []string{"Ethernet"},
		},
		{
			name:   "pcap microseconds big-endian",
			file:   func(*testing.T) []byte { return pcapSwapped(false, layers.LinkTypeLinuxSLL, three).b },
			lts:    []layers.LinkType{layers.LinkTypeLinuxSLL},
			rs:     three,
			micros: true,
			names:  []string{"Linux SLL"},
		},
		{
			name:  "pcap nanoseconds big-endian raw IP",
			file:  func(*testing.T) []byte { return pcapSwapped(true, layers.LinkTypeRaw, three).b },
			lts:   []layers.LinkType{layers.LinkTypeRaw},
			rs:    three,
			names: []string{"Raw"},
		},
		{
			name:   "pcap with packets cut at the snap length",
			file:   func(t *testing.T) []byte { return pcapFile(t, false, layers.LinkTypeEthernet, truncatedCapture).b },
			lts:    eth,
			rs:     truncatedCapture,
			micros: true,
			names:  []string{"Ethernet"},
		},
		{
			name:  "pcap of IPv4 link type 228",
			file:  func(t *testing.T) []byte { return pcapFile(t, true, layers.LinkTypeIPv4, three).b },
			lts:   []layers.LinkType{layers.LinkTypeIPv4},
			rs:    three,
			names: []string{"IPv4"},
		},
		{
			name:  "pcap with no packet",
			file:  func(t *testing.T) []byte { return pcapFile(t, false, layers.LinkTypeEthernet, nil).b },
			lts:   eth,
			names: nil,
		},
		{
			name: "pcapng with two interfaces of different link types",
			file: func(t *testing.T) []byte {
				return pcapngFile(t, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2}, mixed).b
			},
			lts:   []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2},
			rs:    mixed,
			ng:    true,
			names: []string{"Ethernet", "Linux SLL2"},
		},
		{
			name: "pcapng of IPv6 link type 229 and OpenBSD raw 14",
			file: func(t *testing.T) []byte {
				return pcapngFile(t, []layers.LinkType{layers.LinkTypeIPv6, 14}, mixed).b
			},
			lts:   []layers.LinkType{layers.LinkTypeIPv6, 14},
			rs:    mixed,
			ng:    true,
			names: []string{"IPv6", "Raw"},
		},
		{
			name: "pcapng of raw IP as link types 101 and 12, named once",
			file: func(t *testing.T) []byte {
				return pcapngFile(t, []layers.LinkType{layers.LinkTypeRaw, 12}, mixed).b
			},
			lts:   []layers.LinkType{layers.LinkTypeRaw, 12},
			rs:    mixed,
			ng:    true,
			names: []string{"Raw"},
		},
		{
			name: "pcapng of a link type gopacket does not know",
			file: func(t *testing.T) []byte {
				return pcapngFile(t, []layers.LinkType{147}, three).b
			},
			lts:   []layers.LinkType{147},
			rs:    three,
			ng:    true,
			names: []string{"UnknownLinkType(147)"},
		},
		{
			name: "pcapng with an unknown block between packets",
			file: func(t *testing.T) []byte {
				b := pcapngFile(t, eth, three[:1]).b
				// Block type 0x0badf00d, 16 bytes: type, length, 4 bytes, length.
				b = binary.LittleEndian.AppendUint32(b, 0x0badf00d)
				b = binary.LittleEndian.AppendUint32(b, 16)
				b = append(b, 1, 2, 3, 4)
				b = binary.LittleEndian.AppendUint32(b, 16)
				rest := pcapngFile(t, eth, three[1:]).b
				// Drop the second file's section header and interface:
				// the rest is its packet blocks.
				return append(b, rest[len(pcapngFile(t, eth, nil).b):]...)
			},
			lts:   eth,
			rs:    three,
			ng:    true,
			names: []string{"Ethernet"},
		},
		{
			name:   "gzip of pcap",
			file:   func(t *testing.T) []byte { return gzipped(t, pcapFile(t, false, layers.LinkTypeEthernet, three).b) },
			lts:    eth,
			rs:     three,
			micros: true,
			names:  []string{"Ethernet"},
		},
		{
			name: "gzip of big-endian pcap",
			file: func(t *testing.T) []byte {
				return gzipped(t, pcapSwapped(true, layers.LinkTypeEthernet, three).b)
			},
			lts:   eth,
			rs:    three,
			names: []string{"Ethernet"},
		},
		{
			name: "gzip of pcapng",
			file: func(t *testing.T) []byte {
				return gzipped(t, pcapngFile(t, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2}, mixed).b)
			},
			lts:   []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2},
			rs:    mixed,
			ng:    true,
			names: []string{"Ethernet", "Linux SLL2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.file(t)
			// The name never says the format: detection is by content.
			inDir(t, map[string][]byte{"capture.bin": b})
			src := open(t, "capture.bin")

			if diff := cmp.Diff(want(tt.rs, 0, tt.lts, tt.micros, tt.ng), readAll(t, src), cmp.AllowUnexported()); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			wantInfo := Info{Name: "capture.bin", LinkTypes: tt.names, Packets: len(tt.rs), Dropped: -1}
			for i, r := range tt.rs {
				wantInfo.Bytes += int64(len(r.data))
				ts := r.ts
				if tt.micros {
					ts = ts.Truncate(time.Microsecond)
				}
				if i == 0 {
					wantInfo.FirstSeen = ts
				}
				wantInfo.LastSeen = ts
			}
			if diff := cmp.Diff([]Info{wantInfo}, src.Infos()); diff != "" {
				t.Errorf("Infos (-want +got):\n%s", diff)
			}
			read, total := src.(Progresser).Progress()
			if read != int64(len(b)) || total != int64(len(b)) {
				t.Errorf("Progress() = %d, %d; want %d, %d", read, total, len(b), len(b))
			}
		})
	}
}

func TestOpenFilesUnreadable(t *testing.T) {
	small := pcapFile(t, false, layers.LinkTypeEthernet, nil).b
	badVersion := bytes.Clone(small)
	badVersion[4] = 3
	ng := pcapngFile(t, []layers.LinkType{layers.LinkTypeEthernet}, nil).b

	tests := []struct {
		name    string
		content []byte // nil: no file
		want    string
		is      error
	}{
		{
			name: "missing file",
			want: "capture: open x.pcap: no such file or directory",
			is:   fs.ErrNotExist,
		},
		{
			name:    "HTML page saved as pcap",
			content: []byte("<html><body>404</body></html>"),
			want:    "capture: open x.pcap: not a pcap or pcapng file (starts with 3c 68 74 6d)",
			is:      ErrNotCapture,
		},
		{
			name:    "empty file",
			content: []byte{},
			want:    "capture: open x.pcap: empty file",
			is:      ErrEmpty,
		},
		{
			name:    "three bytes",
			content: []byte{0xd4, 0xc3, 0xb2},
			want:    "capture: open x.pcap: not a pcap or pcapng file (only 3 bytes: d4 c3 b2)",
			is:      ErrNotCapture,
		},
		{
			name:    "pcap file header cut short",
			content: small[:20],
			want:    "capture: open x.pcap: truncated pcap file header",
		},
		{
			name:    "pcap version 3.4",
			content: badVersion,
			want:    "capture: open x.pcap: bad pcap file header: Unknown major version 3",
		},
		{
			name:    "pcapng section header cut short",
			content: ng[:10],
			want:    "capture: open x.pcap: truncated pcapng file header",
		},
		{
			name:    "gzip of nothing",
			content: gzipped(t, nil),
			want:    "capture: open x.pcap: empty file after gzip decompression",
			is:      ErrEmpty,
		},
		{
			name:    "gzip of a text file",
			content: gzipped(t, []byte("hello, world")),
			want:    "capture: open x.pcap: not a pcap or pcapng file (starts with 68 65 6c 6c)",
			is:      ErrNotCapture,
		},
		{
			name:    "gzip of a gzip",
			content: gzipped(t, gzipped(t, small)),
			want:    "capture: open x.pcap: not a pcap or pcapng file (starts with 1f 8b 08 00)",
			is:      ErrNotCapture,
		},
		{
			name:    "gzip header cut short",
			content: gzipped(t, small)[:5],
			want:    "capture: open x.pcap: gzip header: unexpected EOF",
			is:      io.ErrUnexpectedEOF,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{"good.pcap": small}
			if tt.content != nil {
				files["x.pcap"] = tt.content
			}
			inDir(t, files)
			src, err := OpenFiles([]string{"good.pcap", "x.pcap"})
			if err == nil {
				_ = src.Close()
				t.Fatalf("OpenFiles succeeded, want error %q", tt.want)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			var oe *OpenError
			if !errors.As(err, &oe) || oe.Name != "x.pcap" {
				t.Errorf("error %#v is not an *OpenError for x.pcap", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestOpenFilesDirectory(t *testing.T) {
	inDir(t, nil)
	if err := os.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := OpenFiles([]string{"d"})
	if diff := cmp.Diff("capture: open d: is a directory", fmt.Sprint(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// digits hides counts that depend on how the gzip decompressor chunks.
var digits = regexp.MustCompile(`after \d+ decompressed`)

func TestDamage(t *testing.T) {
	eth := []layers.LinkType{layers.LinkTypeEthernet}
	four := recs(4, 100, t0)
	pcap := pcapFile(t, false, layers.LinkTypeEthernet, four)
	ng := pcapngFile(t, eth, four)
	// A record claiming more than the snap length (65535).
	bogus := bytes.Clone(pcap.b[:pcap.ends[1]])
	bogus = binary.LittleEndian.AppendUint32(bogus, uint32(t0.Unix()))
	bogus = binary.LittleEndian.AppendUint32(bogus, 0)
	bogus = binary.LittleEndian.AppendUint32(bogus, 4000000)
	bogus = binary.LittleEndian.AppendUint32(bogus, 4000000)
	bogus = append(bogus, make([]byte, 100)...)
	// A packet block on interface 7 of a file that has one interface.
	badIface := bytes.Clone(ng.b[:ng.ends[0]])
	epb := bytes.Clone(ng.b[ng.ends[0]:ng.ends[1]])
	binary.LittleEndian.PutUint32(epb[8:12], 7)
	badIface = append(badIface, epb...)
	// A CRC error in the gzip trailer.
	badCRC := gzipped(t, pcap.b)
	badCRC[len(badCRC)-8] ^= 0xff
	// A bit flipped in the middle of the compressed data.
	gz := gzipped(t, pcap.b)

	tests := []struct {
		name    string
		content []byte
		packets int
		want    string
	}{
		{
			name:    "pcap record cut inside its data",
			content: pcap.b[:pcap.ends[1]+16+40],
			packets: 2,
			want:    "x.pcap: packet 3: truncated record at offset 257 (header says 102 bytes, 40 present)",
		},
		{
			name:    "pcap record cut right after its header",
			content: pcap.b[:pcap.ends[1]+16],
			packets: 2,
			want:    "x.pcap: packet 3: truncated record at offset 257 (header says 102 bytes, 0 present)",
		},
		{
			name:    "pcap record header cut short",
			content: pcap.b[:pcap.ends[0]+5],
			packets: 1,
			want:    "x.pcap: packet 2: truncated record header at offset 140 (5 of 16 bytes present)",
		},
		{
			name:    "pcap record with a bogus length",
			content: bogus,
			packets: 2,
			want:    "x.pcap: packet 3: bogus record length at offset 257 (capture length exceeds snap length: 4000000 > 65535)",
		},
		{
			name:    "pcapng packet block cut short",
			content: ng.b[:ng.ends[2]+30],
			packets: 3,
			want: fmt.Sprintf("x.pcap: packet 4: truncated block (file ends 30 bytes after the previous packet, at offset %d)",
				ng.ends[2]+30),
		},
		{
			name:    "pcapng first packet block cut short",
			content: ng.b[:ng.ends[0]-20],
			packets: 0,
			want: fmt.Sprintf("x.pcap: packet 1: truncated block (file ends %d bytes after the section header)",
				ng.ends[0]-20-sectionHeaderLen(t, ng.b)),
		},
		{
			name:    "pcapng packet on a missing interface",
			content: badIface,
			packets: 1,
			want: fmt.Sprintf("x.pcap: packet 2: damaged block after offset %d "+
				"(Interface id 7 not present in section (have only 1 interfaces))", ng.ends[0]),
		},
		{
			name:    "gzip CRC error",
			content: badCRC,
			packets: 4,
			want:    "x.pcap: packet 5: gzip CRC error (gzip: invalid checksum)",
		},
		{
			name:    "gzip stream cut short",
			content: gz[:len(gz)/2],
			packets: 0, // checked below: whatever decompressed before the cut
			want:    "x.pcap: packet N: truncated gzip stream (ends after N decompressed bytes)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inDir(t, map[string][]byte{"x.pcap": tt.content})
			src := open(t, "x.pcap")
			got := readAll(t, src)
			infos := src.Infos()
			if len(infos) != 1 || len(infos[0].Errors) != 1 {
				t.Fatalf("Infos() = %+v, want one error", infos)
			}
			msg := digits.ReplaceAllString(infos[0].Errors[0], "after N decompressed")
			if tt.want == "x.pcap: packet N: truncated gzip stream (ends after N decompressed bytes)" {
				msg = regexp.MustCompile(`packet \d+`).ReplaceAllString(msg, "packet N")
				tt.packets = len(got)
			}
			if diff := cmp.Diff(tt.want, msg); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want(four[:tt.packets], 0, eth, true, false), got, ignoreIface()); diff != "" {
				t.Errorf("packets before the damage (-want +got):\n%s", diff)
			}
			if infos[0].Packets != len(got) {
				t.Errorf("Info.Packets = %d, want %d", infos[0].Packets, len(got))
			}
			if _, err := src.Next(); err != io.EOF {
				t.Errorf("Next after the damage = %v, want io.EOF", err)
			}
		})
	}
}

// sectionHeaderLen returns the length of the pcapng section header block
// that starts b.
func sectionHeaderLen(t *testing.T, b []byte) int {
	t.Helper()
	if len(b) < 8 {
		t.Fatal("short pcapng")
	}
	return int(binary.LittleEndian.Uint32(b[4:8]))
}

// ignoreIface ignores the pcapng interface index and the microsecond
// truncation, so that pcap and pcapng readings compare alike.
func ignoreIface() cmp.Option {
	return cmp.Transformer("ci", func(ci gopacket.CaptureInfo) gopacket.CaptureInfo {
		ci.InterfaceIndex = 0
		ci.Timestamp = ci.Timestamp.Truncate(time.Microsecond)
		return ci
	})
}

func TestStdin(t *testing.T) {
	rs := recs(3, 50, t0)
	b := pcapFile(t, true, layers.LinkTypeEthernet, rs).b
	src, err := OpenFilesFrom([]string{"-"}, bytes.NewReader(gzipped(t, b)))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if diff := cmp.Diff(want(rs, 0, []layers.LinkType{layers.LinkTypeEthernet}, false, false), readAll(t, src)); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
	if got := src.Infos()[0].Name; got != "-" {
		t.Errorf("Name = %q, want -", got)
	}
	if _, total := src.(Progresser).Progress(); total != -1 {
		t.Errorf("Progress total = %d, want -1 for a pipe", total)
	}

	_, err = OpenFilesFrom([]string{"-", "-"}, bytes.NewReader(b))
	if diff := cmp.Diff("capture: open -: standard input named more than once", fmt.Sprint(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestStdinRegularFile(t *testing.T) {
	b := pcapFile(t, false, layers.LinkTypeEthernet, recs(2, 50, t0)).b
	inDir(t, map[string][]byte{"x.pcap": b})
	f, err := os.Open("x.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := OpenFilesFrom([]string{"-"}, f)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, src)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	read, total := src.(Progresser).Progress()
	if read != int64(len(b)) || total != int64(len(b)) {
		t.Errorf("Progress() = %d, %d; want %d, %d", read, total, len(b), len(b))
	}
	// Close leaves standard input open.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Errorf("standard input was closed: %v", err)
	}
}

func TestNoFiles(t *testing.T) {
	if _, err := OpenFiles(nil); err == nil {
		t.Error("OpenFiles(nil) succeeded")
	}
}

// FuzzOpenFiles checks that no input makes the reader panic, loop or
// return inconsistent packets, alone or merged with a sound file.
func FuzzOpenFiles(f *testing.F) {
	eth := []layers.LinkType{layers.LinkTypeEthernet}
	rs := recs(3, 20, t0)
	mixed := recs(3, 20, t0)
	mixed[1].iface = 1
	pcap := pcapFile(f, false, layers.LinkTypeEthernet, rs).b
	ng := pcapngFile(f, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeIPv4}, mixed).b
	f.Add(pcap)                                                      // pcap µs
	f.Add(pcapFile(f, true, layers.LinkTypeLinuxSLL2, rs).b)         // pcap ns
	f.Add(pcapSwapped(false, layers.LinkTypeRaw, rs).b)              // big-endian
	f.Add(ng)                                                        // pcapng, two interfaces
	f.Add(gzipped(f, pcap))                                          // gzip of pcap
	f.Add(gzipped(f, ng))                                            // gzip of pcapng
	f.Add(pcap[:len(pcap)-7])                                        // truncated record
	f.Add(ng[:len(ng)-9])                                            // truncated block
	f.Add(pcapngFile(f, eth, nil).b)                                 // no packet
	f.Add([]byte("<html>"))                                          // not a capture
	f.Add(append(bytes.Clone(ng[:28]), 0xff, 0xff, 0xff, 0xff, 0))   // bogus block length
	f.Add(append(bytes.Clone(pcap[:24]), 0xff, 0xff, 0xff, 0x7f, 0)) // bogus record

	dir := f.TempDir()
	sound := filepath.Join(dir, "sound.pcap")
	if err := os.WriteFile(sound, pcap, 0o644); err != nil {
		f.Fatal(err)
	}
	// Each fuzzing worker is a process of its own with its own TempDir.
	fuzzed := filepath.Join(dir, "fuzzed")

	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(fuzzed, b, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := OpenFiles([]string{fuzzed})
		if err != nil {
			var oe *OpenError
			if !errors.As(err, &oe) || oe.Name != fuzzed {
				t.Fatalf("error %v is not an *OpenError for the file", err)
			}
			return
		}
		checkSource(t, src, 1)
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
		if read, total := src.(Progresser).Progress(); read != int64(len(b)) || total != int64(len(b)) {
			t.Fatalf("Progress() = %d, %d at the end of a %d byte file", read, total, len(b))
		}

		// Merged with a sound file, which must be read whole whatever
		// the other input holds.
		src, err = OpenFiles([]string{sound, fuzzed})
		if err != nil {
			t.Fatalf("second opening failed: %v", err)
		}
		defer src.Close()
		checkSource(t, src, 2)
		if info := src.Infos()[0]; info.Packets != len(rs) || len(info.Errors) != 0 {
			t.Fatalf("sound file: %d packets, errors %q; want %d, none", info.Packets, info.Errors, len(rs))
		}
	})
}

// checkSource reads src to its end and checks numbers and counts against
// its Infos.
func checkSource(t *testing.T, src Source, n int) {
	t.Helper()
	count := make([]int, n)
	var bytesRead = make([]int64, n)
	for i := 0; ; i++ {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if p.Source < 0 || p.Source >= n {
			t.Fatalf("Source = %d of %d", p.Source, n)
		}
		count[p.Source]++
		if p.Number != count[p.Source] {
			t.Fatalf("Number = %d, want %d", p.Number, count[p.Source])
		}
		if p.Info.CaptureLength != len(p.Data) {
			t.Fatalf("CaptureLength %d, len(Data) %d", p.Info.CaptureLength, len(p.Data))
		}
		bytesRead[p.Source] += int64(len(p.Data))
		if i > 1e6 {
			t.Fatal("Next does not end")
		}
	}
	if _, err := src.Next(); err != io.EOF {
		t.Fatalf("Next after the end = %v, want io.EOF", err)
	}
	for i, info := range src.Infos() {
		if info.Packets != count[i] || info.Bytes != bytesRead[i] {
			t.Fatalf("Info %d counts %d packets %d bytes, Next returned %d, %d",
				i, info.Packets, info.Bytes, count[i], bytesRead[i])
		}
		if len(info.Errors) > 1 {
			t.Fatalf("Info %d has %d errors: %q", i, len(info.Errors), info.Errors)
		}
		if info.Packets > 0 && len(info.LinkTypes) == 0 {
			t.Fatalf("Info %d has packets but no link type", i)
		}
	}
}

// benchFile writes a pcap (or pcapng) file of about 50 MB of Ethernet-sized
// packets of varied lengths into dir and returns its name.
func benchFile(b *testing.B, ng bool) string {
	b.Helper()
	const size = 50 << 20
	name := b.TempDir() + "/bench.pcap"
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	data := make([]byte, 1514)
	for i := range data {
		data[i] = byte(i)
	}
	var write func(ci gopacket.CaptureInfo, data []byte) error
	var flush func() error
	if ng {
		w, err := pcapgo.NewNgWriter(bw, layers.LinkTypeEthernet)
		if err != nil {
			b.Fatal(err)
		}
		write, flush = w.WritePacket, w.Flush
	} else {
		w := pcapgo.NewWriterNanos(bw)
		if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			b.Fatal(err)
		}
		write, flush = w.WritePacket, func() error { return nil }
	}
	written := 0
	for i := 0; written < size; i++ {
		// A mix like FTP's: full-sized data segments, ACKs, commands.
		n := [...]int{1514, 66, 66, 120, 1514, 1514, 60, 800}[i%8]
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Microsecond), CaptureLength: n, Length: n}
		if err := write(ci, data[:n]); err != nil {
			b.Fatal(err)
		}
		written += n + 16
	}
	if err := flush(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return name
}

func benchRead(b *testing.B, names ...string) {
	var size int64
	for _, name := range names {
		st, err := os.Stat(name)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	b.SetBytes(size)
	b.ReportAllocs()
	packets := 0
	for b.Loop() {
		src, err := OpenFiles(names)
		if err != nil {
			b.Fatal(err)
		}
		packets = 0
		for {
			_, err := src.Next()
			if err == io.EOF {
				break
			}
			packets++
		}
		if err := src.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// BenchmarkReadPcap reads a 50 MB pcap file, the common case.
func BenchmarkReadPcap(b *testing.B) {
	benchRead(b, benchFile(b, false))
}

// BenchmarkReadPcapng reads a 50 MB pcapng file.
func BenchmarkReadPcapng(b *testing.B) {
	benchRead(b, benchFile(b, true))
}

// BenchmarkReadMerged reads two 50 MB pcap files as one timeline.
func BenchmarkReadMerged(b *testing.B) {
	name := benchFile(b, false)
	benchRead(b, name, name)
}

package capture

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
)

// at returns a packet record at t0 plus ms milliseconds whose bytes name it.
func at(ms int, name string, iface int) rec {
	return rec{ts: t0.Add(time.Duration(ms) * time.Millisecond), data: []byte(name), iface: iface}
}

// seen is what the merge tests compare of a packet.
type seen struct {
	Data     string
	Source   int
	Number   int
	LinkType layers.LinkType
	Time     time.Time
}

func seenAll(t *testing.T, src Source) []seen {
	var out []seen
	for _, p := range readAll(t, src) {
		out = append(out, seen{string(p.Data), p.Source, p.Number, p.LinkType, p.Info.Timestamp})
	}
	return out
}

func TestMerge(t *testing.T) {
	eth, sll2 := layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	usec := func(n int) time.Time { return ms(n).Truncate(time.Microsecond) }

	tests := []struct {
		name  string
		files map[string][]byte
		order []string
		want  []seen
		infos []Info
	}{
		{
			name: "interleaved files, equal timestamps in command-line order",
			files: map[string][]byte{
				"a.pcap": pcapFile(t, false, eth, []rec{at(0, "a1", 0), at(2, "a2", 0), at(4, "a3", 0)}).b,
				"b.pcapng": pcapngFile(t, []layers.LinkType{eth, sll2},
					[]rec{at(1, "b1", 1), at(2, "b2", 0), at(5, "b3", 1)}).b,
				"c.pcap.gz": gzipped(t, pcapFile(t, true, layers.LinkTypeIPv4,
					[]rec{at(2, "c1", 0), at(3, "c2", 0)}).b),
			},
			order: []string{"a.pcap", "b.pcapng", "c.pcap.gz"},
			want: []seen{
				{"a1", 0, 1, eth, usec(0)},
				{"b1", 1, 1, sll2, ms(1)},
				{"a2", 0, 2, eth, usec(2)},
				{"b2", 1, 2, eth, ms(2)},
				{"c1", 2, 1, layers.LinkTypeIPv4, ms(2)},
				{"c2", 2, 2, layers.LinkTypeIPv4, ms(3)},
				{"a3", 0, 3, eth, usec(4)},
				{"b3", 1, 3, sll2, ms(5)},
			},
			infos: []Info{
				{Name: "a.pcap", LinkTypes: []string{"Ethernet"}, Packets: 3, Bytes: 6,
					FirstSeen: usec(0), LastSeen: usec(4), Dropped: -1},
				{Name: "b.pcapng", LinkTypes: []string{"Linux SLL2", "Ethernet"}, Packets: 3, Bytes: 6,
					FirstSeen: ms(1), LastSeen: ms(5), Dropped: -1},
				{Name: "c.pcap.gz", LinkTypes: []string{"IPv4"}, Packets: 2, Bytes: 4,
					FirstSeen: ms(2), LastSeen: ms(3), Dropped: -1},
			},
		},
		{
			name: "same file twice keeps both copies, first name first",
			files: map[string][]byte{
				"a.pcap": pcapFile(t, true, eth, []rec{at(0, "a1", 0), at(1, "a2", 0)}).b,
			},
			order: []string{"a.pcap", "a.pcap"},
			want: []seen{
				{"a1", 0, 1, eth, ms(0)},
				{"a1", 1, 1, eth, ms(0)},
				{"a2", 0, 2, eth, ms(1)},
				{"a2", 1, 2, eth, ms(1)},
			},
			infos: []Info{
				{Name: "a.pcap", LinkTypes: []string{"Ethernet"}, Packets: 2, Bytes: 4,
					FirstSeen: ms(0), LastSeen: ms(1), Dropped: -1},
				{Name: "a.pcap", LinkTypes: []string{"Ethernet"}, Packets: 2, Bytes: 4,
					FirstSeen: ms(0), LastSeen: ms(1), Dropped: -1},
			},
		},
		{
			name: "a file out of order keeps its own order",
			files: map[string][]byte{
				"a.pcap": pcapFile(t, true, eth, []rec{at(5, "a1", 0), at(1, "a2", 0), at(6, "a3", 0)}).b,
				"b.pcap": pcapFile(t, true, eth, []rec{at(3, "b1", 0)}).b,
			},
			order: []string{"a.pcap", "b.pcap"},
			want: []seen{
				{"b1", 1, 1, eth, ms(3)},
				{"a1", 0, 1, eth, ms(5)},
				{"a2", 0, 2, eth, ms(1)},
				{"a3", 0, 3, eth, ms(6)},
			},
			infos: []Info{
				{Name: "a.pcap", LinkTypes: []string{"Ethernet"}, Packets: 3, Bytes: 6,
					FirstSeen: ms(5), LastSeen: ms(6), Dropped: -1},
				{Name: "b.pcap", LinkTypes: []string{"Ethernet"}, Packets: 1, Bytes: 2,
					FirstSeen: ms(3), LastSeen: ms(3), Dropped: -1},
			},
		},
		{
			name: "a damaged file ends, the others go on",
			files: map[string][]byte{
				"a.pcap": func() []byte {
					b := pcapFile(t, true, eth, []rec{at(0, "a1", 0), at(2, "a2", 0), at(4, "a3", 0)})
					return b.b[:b.ends[0]+10]
				}(),
				"b.pcap": pcapFile(t, true, eth, []rec{at(1, "b1", 0), at(3, "b2", 0)}).b,
			},
			order: []string{"a.pcap", "b.pcap"},
			want: []seen{
				{"a1", 0, 1, eth, ms(0)},
				{"b1", 1, 1, eth, ms(1)},
				{"b2", 1, 2, eth, ms(3)},
			},
			infos: []Info{
				{Name: "a.pcap", LinkTypes: []string{"Ethernet"}, Packets: 1, Bytes: 2,
					FirstSeen: ms(0), LastSeen: ms(0), Dropped: -1,
					Errors: []string{"a.pcap: packet 2: truncated record header at offset 42 (10 of 16 bytes present)"}},
				{Name: "b.pcap", LinkTypes: []string{"Ethernet"}, Packets: 2, Bytes: 4,
					FirstSeen: ms(1), LastSeen: ms(3), Dropped: -1},
			},
		},
		{
			name: "an empty capture among others",
			files: map[string][]byte{
				"a.pcap": pcapFile(t, true, eth, nil).b,
				"b.pcap": pcapFile(t, true, eth, []rec{at(1, "b1", 0)}).b,
			},
			order: []string{"a.pcap", "b.pcap"},
			want:  []seen{{"b1", 1, 1, eth, ms(1)}},
			infos: []Info{
				{Name: "a.pcap", Dropped: -1},
				{Name: "b.pcap", LinkTypes: []string{"Ethernet"}, Packets: 1, Bytes: 2,
					FirstSeen: ms(1), LastSeen: ms(1), Dropped: -1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inDir(t, tt.files)
			src := open(t, tt.order...)
			if diff := cmp.Diff(tt.want, seenAll(t, src)); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.infos, src.Infos()); diff != "" {
				t.Errorf("Infos (-want +got):\n%s", diff)
			}
			if _, err := src.Next(); err != io.EOF {
				t.Errorf("Next after the end = %v, want io.EOF", err)
			}
		})
	}
}

// TestMergeKeepsBytes reads many packets of several files, each packet's
// bytes telling where it comes from, and checks every packet's bytes before
// the next call to Next: no file's read may overwrite another's packet.
func TestMergeKeepsBytes(t *testing.T) {
	const files, perFile = 4, 500
	contents := map[string][]byte{}
	var names []string
	for f := range files {
		var rs []rec
		for i := range perFile {
			// Files interleave: file f's packet i is at 4i+f ms, and
			// the lengths vary so that buffers are reused and regrown.
			data := bytes.Repeat([]byte(fmt.Sprintf("%d/%d;", f, i+1)), 1+(i*7+f)%40)
			rs = append(rs, rec{ts: t0.Add(time.Duration(files*i+f) * time.Millisecond), data: data})
		}
		name := fmt.Sprintf("f%d", f)
		if f%2 == 0 {
			contents[name] = pcapFile(t, true, layers.LinkTypeEthernet, rs).b
		} else {
			contents[name] = pcapngFile(t, []layers.LinkType{layers.LinkTypeEthernet}, rs).b
		}
		names = append(names, name)
	}
	inDir(t, contents)
	src := open(t, names...)
	for n := 0; ; n++ {
		p, err := src.Next()
		if err == io.EOF {
			if n != files*perFile {
				t.Errorf("read %d packets, want %d", n, files*perFile)
			}
			break
		}
		if wantSource, wantNumber := n%files, n/files+1; p.Source != wantSource || p.Number != wantNumber {
			t.Fatalf("packet %d is %d/%d, want %d/%d", n, p.Source, p.Number, wantSource, wantNumber)
		}
		wantData := bytes.Repeat([]byte(fmt.Sprintf("%d/%d;", p.Source, p.Number)), 1+((p.Number-1)*7+p.Source)%40)
		if !bytes.Equal(p.Data, wantData) {
			t.Fatalf("packet %d/%d holds %q", p.Source, p.Number, p.Data)
		}
	}
}

// TestNextAllocs pins the hot path at zero allocations per packet.
func TestNextAllocs(t *testing.T) {
	const n = 3000
	rs := recs(n, 60, t0)
	for i := range rs {
		// pcapgo sizes its pcapng buffer to the largest packet so far
		// when the snap length is 0, as pcapgo's writer sets it: every
		// new largest packet costs one allocation, so sizes are fixed.
		rs[i].data = rs[i].data[:60+i%50]
	}
	contents := map[string][]byte{
		"a.pcap":    pcapFile(t, false, layers.LinkTypeEthernet, rs).b,
		"b.pcapng":  pcapngFile(t, []layers.LinkType{layers.LinkTypeEthernet}, rs).b,
		"c.pcap.gz": gzipped(t, pcapFile(t, true, layers.LinkTypeEthernet, rs).b),
	}
	inDir(t, contents)
	tests := []struct {
		name   string
		files  []string
		filter string
	}{
		{"pcap", []string{"a.pcap"}, ""},
		{"pcapng", []string{"b.pcapng"}, ""},
		{"gzip", []string{"c.pcap.gz"}, ""},
		{"three merged", []string{"a.pcap", "b.pcapng", "c.pcap.gz"}, ""},
		{"three merged and filtered", []string{"a.pcap", "b.pcapng", "c.pcap.gz"}, "not ip6"}, // every test packet
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := OpenFiles(tt.files, WithFilter(tt.filter))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			// Warm up: the first packets size the buffers. (AllocsPerRun
			// rounds down, so an allocation every few packets would pass.)
			for range 200 {
				if _, err := src.Next(); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(n/2, func() {
				_, err = src.Next()
			})
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if allocs != 0 {
				t.Errorf("Next allocates %.2f times per packet, want 0", allocs)
			}
		})
	}
}

func TestProgress(t *testing.T) {
	const n = 20000 // 5 MB: several times the read-ahead buffer
	rs := make([]rec, n)
	for i := range rs {
		rs[i] = rec{ts: t0.Add(time.Duration(i) * time.Millisecond), data: make([]byte, 250)}
	}
	big := pcapFile(t, false, layers.LinkTypeEthernet, rs).b
	small := pcapFile(t, false, layers.LinkTypeEthernet, recs(3, 60, t0)).b
	inDir(t, map[string][]byte{"big.pcap": big, "small.pcap": small})
	src := open(t, "big.pcap", "small.pcap")
	p := src.(Progresser)
	total := int64(len(big) + len(small))

	read, gotTotal := p.Progress()
	if gotTotal != total || read > total {
		t.Errorf("before reading: Progress() = %d, %d; want at most %d, %d", read, gotTotal, total, total)
	}
	var last int64
	for i := 0; ; i++ {
		if _, err := src.Next(); err == io.EOF {
			break
		}
		read, _ := p.Progress()
		if read < last {
			t.Fatalf("Progress went back from %d to %d", last, read)
		}
		last = read
		if i == n/2 && (read < total/2 || read >= total) {
			t.Errorf("half way: Progress() = %d of %d", read, total)
		}
	}
	if read, gotTotal := p.Progress(); read != total || gotTotal != total {
		t.Errorf("at the end: Progress() = %d, %d; want %d, %d", read, gotTotal, total, total)
	}
}

func TestCloseEndsNext(t *testing.T) {
	inDir(t, map[string][]byte{"a.pcap": pcapFile(t, false, layers.LinkTypeEthernet, recs(3, 60, t0)).b})
	src, err := OpenFiles([]string{"a.pcap"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
	if errs := src.Infos()[0].Errors; len(errs) != 0 {
		t.Errorf("Close recorded errors %q", errs)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestProgressConcurrent calls Progress from another goroutine while Next
// runs, as a progress bar does; run with -race.
func TestProgressConcurrent(t *testing.T) {
	inDir(t, map[string][]byte{"a.pcap.gz": gzipped(t, pcapFile(t, false, layers.LinkTypeEthernet, recs(2000, 60, t0)).b)})
	src := open(t, "a.pcap.gz")
	stop := make(chan struct{})
	done := make(chan int64)
	go func() {
		var last int64
		for {
			select {
			case <-stop:
				done <- last
				return
			default:
				last, _ = src.(Progresser).Progress()
			}
		}
	}()
	n := len(readAll(t, src))
	close(stop)
	<-done
	if n != 2000 {
		t.Errorf("read %d packets, want 2000", n)
	}
}

package capture_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writeExamplePcap writes a pcap file of n small Ethernet frames a
// millisecond apart, starting at start.
func writeExamplePcap(name string, start time.Time, n int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for i := range n {
		data := make([]byte, 60)
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Millisecond), CaptureLength: 60, Length: 60}
		if err := w.WritePacket(ci, data); err != nil {
			return err
		}
	}
	return f.Close()
}

func ExampleOpenFiles() {
	dir, err := os.MkdirTemp("", "capture-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	start := time.Date(2024, 5, 17, 9, 30, 0, 0, time.UTC)
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	if err := writeExamplePcap(a, start, 2); err != nil {
		fmt.Println(err)
		return
	}
	if err := writeExamplePcap(b, start.Add(500*time.Microsecond), 2); err != nil {
		fmt.Println(err)
		return
	}

	// Two files become one timeline; Number stays the frame number
	// inside each file, Source says which file.
	src, err := capture.OpenFiles([]string{a, b})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		fmt.Printf("%s frame %d: %s, %d bytes, %s\n", filepath.Base(src.Infos()[p.Source].Name), p.Number,
			p.Info.Timestamp.Format("15:04:05.000000"), len(p.Data), p.LinkType)
	}
	for _, info := range src.Infos() {
		fmt.Printf("%s: %d packets, %v, errors %q\n", filepath.Base(info.Name), info.Packets, info.LinkTypes, info.Errors)
	}
	// Output:
	// a.pcap frame 1: 09:30:00.000000, 60 bytes, Ethernet
	// b.pcap frame 1: 09:30:00.000500, 60 bytes, Ethernet
	// a.pcap frame 2: 09:30:00.001000, 60 bytes, Ethernet
	// b.pcap frame 2: 09:30:00.001500, 60 bytes, Ethernet
	// a.pcap: 2 packets, [Ethernet], errors []
	// b.pcap: 2 packets, [Ethernet], errors []
}

func ExampleOpenFilesFrom() {
	// Not a capture at all: OpenFiles fails and names the input.
	_, err := capture.OpenFilesFrom([]string{"-"}, bytes.NewReader([]byte("<html>404</html>")))
	fmt.Println(err)
	// Output:
	// capture: open -: not a pcap or pcapng file (starts with 3c 68 74 6d)
}

func ExampleNewWriter() {
	var out bytes.Buffer
	w, err := capture.NewWriter(&out)
	if err != nil {
		fmt.Println(err)
		return
	}
	w.SetSources([]capture.Info{{Name: "eth0.pcap"}, {Name: "any.pcap"}})
	start := time.Date(2024, 5, 17, 9, 30, 0, 0, time.UTC)
	for i, p := range []capture.Packet{
		{Source: 0, LinkType: layers.LinkTypeEthernet, Data: make([]byte, 60)},
		{Source: 1, LinkType: layers.LinkTypeLinuxSLL2, Data: make([]byte, 64)},
	} {
		p.Info = gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Second), CaptureLength: len(p.Data), Length: len(p.Data)}
		if err := w.WritePacket(p); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}

	// The pcapng file has one interface per source and link type, so each
	// packet keeps its link type.
	src, err := capture.OpenFilesFrom([]string{"-"}, &out)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		fmt.Printf("frame %d: %d bytes, %s\n", p.Number, len(p.Data), p.LinkType)
	}
	// Output:
	// frame 1: 60 bytes, Ethernet
	// frame 2: 64 bytes, Linux SLL2
}

// ExampleSpool is what ftpscope -w does: the packets wait in a spool
// while they are analysed, then go to the pcapng file with comments that
// say what was found.
func ExampleSpool() {
	src, err := capture.OpenFiles([]string{"../testdata/passive.pcap"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	spool, err := capture.NewSpool("") // in the directory for temporary files
	if err != nil {
		fmt.Println(err)
		return
	}
	defer spool.Close()
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if p.Number >= 14 && p.Number <= 15 { // the packets to keep: PASV and its reply
			if err := spool.Add(p); err != nil {
				fmt.Println(err)
				return
			}
		}
	}

	var out bytes.Buffer
	w, err := capture.NewWriter(&out)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = spool.Replay(func(p capture.Packet) error {
		comments := []string{fmt.Sprintf("passive.pcap #%d", p.Number)}
		if p.Number == 15 {
			comments = append(comments, "the 227 reply announces 10.0.0.2:40001")
		}
		return w.WritePacketComments(p, comments...)
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		fmt.Println(err)
		return
	}

	r, err := pcapgo.NewNgReader(&out, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		fmt.Println(err)
		return
	}
	for frame := 1; ; frame++ {
		_, _, opts, err := r.ReadPacketDataWithOptions()
		if err != nil {
			break
		}
		fmt.Printf("frame %d: %q\n", frame, opts.Comments)
	}
	// Output:
	// frame 1: ["passive.pcap #14"]
	// frame 2: ["passive.pcap #15" "the 227 reply announces 10.0.0.2:40001"]
}

func ExampleWithFilter() {
	// Only the data connection: everything but the control port. Numbers
	// stay the frame numbers of the file, as Wireshark shows them.
	src, err := capture.OpenFiles([]string{"../testdata/passive.pcap"}, capture.WithFilter("tcp and not port 21"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	var frames []int
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		frames = append(frames, p.Number)
	}
	fmt.Printf("kept %d of the file's %d packets, frames %d to %d\n", len(frames), src.Infos()[0].Packets, frames[0], frames[len(frames)-1])
	// Output:
	// kept 11 of the file's 34 packets, frames 16 to 28
}

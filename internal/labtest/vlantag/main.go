package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// tpid8021Q is the EtherType that introduces an 802.1Q tag.
const tpid8021Q = 0x8100

// macLen is the length of the two MAC addresses that precede the tag.
const macLen = 12

// stats counts what tag did.
type stats struct {
	tagged, short int
}

// tagFrame returns a copy of frame with an 802.1Q tag carrying tci inserted
// after the MAC addresses, or a plain copy when the frame is too short.
func tagFrame(frame []byte, tci uint16) ([]byte, bool) {
	if len(frame) < macLen {
		return append([]byte(nil), frame...), false
	}
	out := make([]byte, 0, len(frame)+4)
	out = append(out, frame[:macLen]...)
	out = binary.BigEndian.AppendUint16(out, tpid8021Q)
	out = binary.BigEndian.AppendUint16(out, tci)
	return append(out, frame[macLen:]...), true
}

// tag copies the pcap stream in to out, tagging every Ethernet frame.
func tag(in io.Reader, out io.Writer, vid, pcp uint16) (stats, error) {
	var st stats
	if vid == 0 || vid >= 4095 {
		return st, fmt.Errorf("vlantag: VLAN id %d out of range 1-4094", vid)
	}
	if pcp > 7 {
		return st, fmt.Errorf("vlantag: priority %d out of range 0-7", pcp)
	}
	r, err := pcapgo.NewReader(in)
	if err != nil {
		return st, fmt.Errorf("vlantag: read header: %w", err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		return st, fmt.Errorf("vlantag: link type %v, want Ethernet", r.LinkType())
	}
	w := pcapgo.NewWriter(out)
	if r.Resolution() == gopacket.TimestampResolutionNanosecond {
		w = pcapgo.NewWriterNanos(out)
	}
	if err := w.WriteFileHeader(r.Snaplen()+4, layers.LinkTypeEthernet); err != nil {
		return st, fmt.Errorf("vlantag: write header: %w", err)
	}
	tci := pcp<<13 | vid
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("vlantag: read packet %d: %w", n, err)
		}
		frame, ok := tagFrame(data, tci)
		if ok {
			ci.CaptureLength += 4
			ci.Length += 4
			st.tagged++
		} else {
			st.short++
		}
		if err := w.WritePacket(ci, frame); err != nil {
			return st, fmt.Errorf("vlantag: write packet %d: %w", n, err)
		}
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("vlantag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vid := fs.Uint("vid", 100, "VLAN id (1-4094)")
	pcp := fs.Uint("pcp", 0, "priority code point (0-7)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: vlantag [-vid N] [-pcp N] IN.pcap OUT.pcap")
	}
	if *vid > 0xffff || *pcp > 0xffff {
		return fmt.Errorf("vlantag: -vid %d / -pcp %d out of range", *vid, *pcp)
	}
	in, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(fs.Arg(1))
	if err != nil {
		return err
	}
	st, err := tag(in, out, uint16(*vid), uint16(*pcp))
	if cerr := out.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("vlantag: close %s: %w", fs.Arg(1), cerr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "vlantag: %d frames tagged with VLAN %d, %d too short left alone\n", st.tagged, *vid, st.short)
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

package synth

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// snapLen is the snapshot length written in file headers, tcpdump's default.
const snapLen = 262144

// captureInfo returns the capture metadata of f: nothing is sliced off.
func captureInfo(f frame) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: len(f.data), InterfaceIndex: f.iface}
}

// pcap returns the frames as a little-endian pcap file with microsecond
// timestamps, the classic libpcap format.
func (t *tape) pcap(lt layers.LinkType) ([]byte, error) {
	if t.err != nil {
		return nil, t.err
	}
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(snapLen, lt); err != nil {
		return nil, fmt.Errorf("synth: pcap header: %w", err)
	}
	for i, f := range t.frames {
		if err := w.WritePacket(captureInfo(f), f.data); err != nil {
			return nil, fmt.Errorf("synth: pcap packet %d: %w", i+1, err)
		}
	}
	return b.Bytes(), nil
}

// pcapNanoBigEndian returns the frames as a big-endian pcap file with
// nanosecond timestamps (magic 0xa1b23c4d written most significant byte
// first), as a capture made on a big-endian host reads. pcapgo writes only
// little-endian files, so the records are laid out here.
func (t *tape) pcapNanoBigEndian(lt layers.LinkType) ([]byte, error) {
	if t.err != nil {
		return nil, t.err
	}
	be := binary.BigEndian
	var b bytes.Buffer
	var hdr [24]byte
	be.PutUint32(hdr[0:], 0xa1b23c4d)
	be.PutUint16(hdr[4:], 2)
	be.PutUint16(hdr[6:], 4)
	be.PutUint32(hdr[16:], snapLen)
	be.PutUint32(hdr[20:], uint32(lt))
	b.Write(hdr[:])
	for _, f := range t.frames {
		var rec [16]byte
		be.PutUint32(rec[0:], uint32(f.ts.Unix()))
		be.PutUint32(rec[4:], uint32(f.ts.Nanosecond()))
		be.PutUint32(rec[8:], uint32(len(f.data)))
		be.PutUint32(rec[12:], uint32(len(f.data)))
		b.Write(rec[:])
		b.Write(f.data)
	}
	return b.Bytes(), nil
}

// ngInterface describes one pcapng interface of a capture.
type ngInterface struct {
	name     string
	linkType layers.LinkType
}

// pcapng returns the frames as a pcapng file with one interface description
// block per entry of ifaces, in order (frame.iface indexes them). No option
// depends on the generating host.
func (t *tape) pcapng(ifaces ...ngInterface) ([]byte, error) {
	if t.err != nil {
		return nil, t.err
	}
	if len(ifaces) == 0 {
		return nil, fmt.Errorf("synth: pcapng needs at least one interface")
	}
	var b bytes.Buffer
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "ftpscope synth"}}
	first := pcapgo.NgInterface{Name: ifaces[0].name, LinkType: ifaces[0].linkType, SnapLength: snapLen}
	w, err := pcapgo.NewNgWriterInterface(&b, first, opts)
	if err != nil {
		return nil, fmt.Errorf("synth: pcapng header: %w", err)
	}
	for _, in := range ifaces[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{Name: in.name, LinkType: in.linkType, SnapLength: snapLen}); err != nil {
			return nil, fmt.Errorf("synth: pcapng interface %s: %w", in.name, err)
		}
	}
	for i, f := range t.frames {
		if err := w.WritePacket(captureInfo(f), f.data); err != nil {
			return nil, fmt.Errorf("synth: pcapng packet %d: %w", i+1, err)
		}
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("synth: pcapng flush: %w", err)
	}
	return b.Bytes(), nil
}

// gzipped compresses data as gzip would, with no name and a zero
// modification time so the header is fixed.
func gzipped(data []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("synth: gzip: %w", err)
	}
	if _, err := zw.Write(data); err != nil {
		return nil, fmt.Errorf("synth: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("synth: gzip: %w", err)
	}
	return b.Bytes(), nil
}

package capture

import (
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Packet is one captured frame as a Source returns it.
//
// Data aliases a buffer the Source reuses: it is valid only until the next
// call to Next. Copy what must outlive that call.
type Packet struct {
	// Data is the captured bytes, starting at the link-layer header.
	Data []byte
	// Info holds the capture timestamp and lengths.
	Info gopacket.CaptureInfo
	// LinkType says how to decode Data; in pcapng files it can differ from
	// one packet to the next.
	LinkType layers.LinkType
	// Source is the index of the packet's source in Source.Infos.
	Source int
	// Number is the 1-based frame number inside its source, as Wireshark
	// numbers frames.
	Number int
}

// Info describes one input (a file, standard input or an interface) and
// what was read from it so far.
type Info struct {
	// Name is the file name as given, "-" for standard input, or the
	// interface name.
	Name string
	// LinkTypes lists the link types seen, by their gopacket names
	// ("Ethernet", "Linux SLL2", ...), in order of first appearance.
	LinkTypes []string
	// Packets and Bytes count the frames read and their captured bytes:
	// from a file every frame, also those a filter left out (see
	// WithFilter); from an interface the frames its filter kept.
	Packets int
	Bytes   int64
	// FirstSeen and LastSeen are the timestamps of the first and last
	// frame counted in Packets; zero when none was.
	FirstSeen, LastSeen time.Time
	// Errors lists problems met while reading (damage, truncation,
	// unsupported link types), each naming the file and packet number.
	Errors []string
	// Dropped is the number of packets the kernel dropped (live capture);
	// -1 when unknown.
	Dropped int64
}

// Source yields packets in timestamp order.
type Source interface {
	// Next returns the next packet. It returns io.EOF at the end of input.
	// A damaged input ends the source: the damage is recorded in the
	// source's Info.Errors and Next returns io.EOF afterwards, so that
	// everything readable before it is still analysed.
	Next() (Packet, error)
	// Infos describes every input of this source, indexed by Packet.Source.
	Infos() []Info
	// Close releases files and sockets. A live source may be closed while
	// Next runs on another goroutine (Next then returns io.EOF); a file
	// source is for one goroutine at a time.
	Close() error
}

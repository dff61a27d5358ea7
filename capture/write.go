package capture

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrWriterClosed is returned by a Writer used after Close.
var ErrWriterClosed = errors.New("capture: writer closed")

// Writer writes packets to a pcapng file, the format for `ftpscope -w`.
//
// pcapng gives every packet an interface, and every interface one link
// type. The Writer adds one Interface Description Block for each distinct
// (Packet.Source, Packet.LinkType) pair the first time it meets it, so that
// packets merged from several files of different link types keep both
// their bytes and how to decode them. Timestamps keep nanoseconds.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	dst    io.Writer
	ng     *pcapgo.NgWriter // created with the first interface
	ifaces map[ifaceKey]int
	names  []string // interface names by source, from SetSources
	cut    []string // comments cut to MaxCommentLen, reused
	closed bool
}

// ifaceKey identifies a pcapng interface of the output.
type ifaceKey struct {
	source   int
	linkType layers.LinkType
}

// NewWriter returns a Writer writing pcapng to w. Nothing is written before
// the first packet or Close, and Close does not close w.
func NewWriter(w io.Writer) (*Writer, error) {
	if w == nil {
		return nil, errors.New("capture: NewWriter: nil io.Writer")
	}
	return &Writer{dst: w, ifaces: make(map[ifaceKey]int)}, nil
}

// SetSources names the output's interfaces after the inputs packets were
// read from (Info.Name, indexed by Packet.Source). Without it they are
// named "source N". It affects interfaces added afterwards.
func (w *Writer) SetSources(infos []Info) {
	w.names = make([]string, len(infos))
	for i, info := range infos {
		w.names[i] = info.Name
	}
}

// WritePacket appends p to the file, adding an interface for its source and
// link type first if it is the first packet of that pair. Packet data is
// written as it is; a Length shorter than the data is raised to it.
func (w *Writer) WritePacket(p Packet) error {
	return w.WritePacketComments(p)
}

// MaxCommentLen is the longest pcapng comment, in bytes: an option's
// length is 16 bits, and the option is padded to 32 bits.
const MaxCommentLen = 65532

// WritePacketComments is WritePacket with comments on the packet: one
// pcapng opt_comment option each, which Wireshark shows in the packet's
// "Packet comments" and in Expert Info, and filters as frame.comment.
// Comments are UTF-8 (pcapng says so); a comment longer than
// MaxCommentLen is cut there, on a character boundary.
func (w *Writer) WritePacketComments(p Packet, comments ...string) error {
	if w.closed {
		return ErrWriterClosed
	}
	key := ifaceKey{source: p.Source, linkType: p.LinkType}
	id, ok := w.ifaces[key]
	if !ok {
		var err error
		if id, err = w.addInterface(key); err != nil {
			return err
		}
	}
	ci := p.Info
	ci.InterfaceIndex = id
	ci.AncillaryData = nil
	ci.CaptureLength = len(p.Data)
	ci.Length = max(ci.Length, ci.CaptureLength)
	var opts pcapgo.NgPacketOptions
	for i, c := range comments {
		if len(c) > MaxCommentLen {
			// The caller's slice is left alone.
			w.cut = append(w.cut[:0], comments...)
			for j := i; j < len(w.cut); j++ {
				w.cut[j] = cutUTF8(w.cut[j], MaxCommentLen)
			}
			comments = w.cut
			break
		}
	}
	opts.Comments = comments
	if err := w.ng.WritePacketWithOptions(ci, p.Data, opts); err != nil {
		return fmt.Errorf("capture: write packet %d of source %d: %w", p.Number, p.Source, err)
	}
	return nil
}

// addInterface writes an interface description for key and returns its id.
func (w *Writer) addInterface(key ifaceKey) (int, error) {
	intf := pcapgo.NgInterface{
		Name:                w.interfaceName(key.source),
		Description:         linkTypeName(key.linkType),
		LinkType:            key.linkType,
		TimestampResolution: 9,
	}
	var (
		id  int
		err error
	)
	if w.ng == nil {
		// NewNgWriterInterface writes the section header and the first
		// interface, which gets id 0.
		w.ng, err = pcapgo.NewNgWriterInterface(w.dst, intf, pcapgo.NgWriterOptions{
			SectionInfo: pcapgo.NgSectionInfo{Application: "ftpscope"},
		})
	} else {
		id, err = w.ng.AddInterface(intf)
	}
	if err != nil {
		return 0, fmt.Errorf("capture: write pcapng interface %q (%s): %w",
			intf.Name, intf.Description, err)
	}
	w.ifaces[key] = id
	return id, nil
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// end inside a UTF-8 sequence.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (w *Writer) interfaceName(source int) string {
	if source >= 0 && source < len(w.names) {
		return w.names[source]
	}
	return fmt.Sprintf("source %d", source)
}

// Flush writes buffered packets to the underlying writer.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrWriterClosed
	}
	if w.ng == nil {
		return nil
	}
	if err := w.ng.Flush(); err != nil {
		return fmt.Errorf("capture: flush pcapng: %w", err)
	}
	return nil
}

// Close flushes the file. A file that got no packet still gets a section
// header and one (Ethernet) interface, so that it is a valid pcapng file.
// Close does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	if w.ng == nil {
		if _, err := w.addInterface(ifaceKey{linkType: layers.LinkTypeEthernet}); err != nil {
			w.closed = true
			return err
		}
	}
	err := w.Flush()
	w.closed = true
	return err
}

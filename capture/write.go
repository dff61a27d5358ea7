package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writeBuffer is the size of a Writer's buffer.
const writeBuffer = 64 << 10

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
	buf    *bufio.Writer    // over the io.Writer given; pcapgo writes to it too
	ng     *pcapgo.NgWriter // created with the first interface
	hdr    [epbHeaderLen]byte
	zero   [4]byte // padding
	ifaces map[ifaceKey]int
	names  []string // interface names by source, from SetSources
	cut    []string // comments cut to MaxCommentLen, reused
	n      int      // packets written
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
	return &Writer{buf: bufio.NewWriterSize(w, writeBuffer), ifaces: make(map[ifaceKey]int)}, nil
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
	ci.CaptureLength = len(p.Data)
	ci.Length = max(ci.Length, ci.CaptureLength)
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
	if err := w.writeEPB(ci, p.Data, comments); err != nil {
		return fmt.Errorf("capture: write packet %d of source %d: %w", p.Number, p.Source, err)
	}
	w.n++
	return nil
}

// Packets returns the number of packets written.
func (w *Writer) Packets() int { return w.n }

// Enhanced Packet Block layout (pcapng, draft-ietf-opsawg-pcapng section
// 4.3, and its option 1, opt_comment, section 3.5).
const (
	blockTypeEPB     = 6
	epbHeaderLen     = 28 // type, length, interface, timestamp, lengths
	optionComment    = 1
	optionEndOfOpts  = 0
	optionHeaderLen  = 4
	blockTrailerSize = 4
)

// writeEPB writes one Enhanced Packet Block with a comment option for each
// of comments. It writes to the buffer pcapgo writes the section and the
// interfaces to (see addInterface), so the blocks stay in order; pcapgo's
// own WritePacketWithOptions allocates three times per packet for the
// options.
func (w *Writer) writeEPB(ci gopacket.CaptureInfo, data []byte, comments []string) error {
	pad := func(n int) int { return (4 - n&3) & 3 }
	length := epbHeaderLen + len(data) + pad(len(data)) + blockTrailerSize
	for _, c := range comments {
		length += optionHeaderLen + len(c) + pad(len(c))
	}
	if len(comments) > 0 {
		length += optionHeaderLen // opt_endofopt
	}
	le := binary.LittleEndian
	h := w.hdr[:]
	ts := ci.Timestamp.UnixNano()
	le.PutUint32(h[0:], blockTypeEPB)
	le.PutUint32(h[4:], uint32(length))
	le.PutUint32(h[8:], uint32(ci.InterfaceIndex))
	le.PutUint32(h[12:], uint32(uint64(ts)>>32))
	le.PutUint32(h[16:], uint32(ts))
	le.PutUint32(h[20:], uint32(ci.CaptureLength))
	le.PutUint32(h[24:], uint32(ci.Length))
	b := w.buf
	b.Write(h[:epbHeaderLen])
	b.Write(data)
	zero := w.zero[:]
	b.Write(zero[:pad(len(data))])
	for _, c := range comments {
		le.PutUint16(h[0:], optionComment)
		le.PutUint16(h[2:], uint16(len(c)))
		b.Write(h[:optionHeaderLen])
		b.WriteString(c)
		b.Write(zero[:pad(len(c))])
	}
	if len(comments) > 0 {
		le.PutUint32(h[0:], optionEndOfOpts)
		b.Write(h[:optionHeaderLen])
	}
	le.PutUint32(h[0:], uint32(length))
	_, err := b.Write(h[:blockTrailerSize])
	return err // a bufio.Writer keeps its first error
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
		// pcapgo wraps what it writes to in a bufio.Writer, unless it is
		// one of at least the default size already: then it writes to
		// w.buf itself, where writeEPB writes too.
		w.ng, err = pcapgo.NewNgWriterInterface(w.buf, intf, pcapgo.NgWriterOptions{
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

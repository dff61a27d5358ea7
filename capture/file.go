package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Magic numbers that start a capture file, read as a little-endian uint32
// (gzip is checked on its first two bytes).
const (
	magicPcapMicros        = 0xa1b2c3d4
	magicPcapNanos         = 0xa1b23c4d
	magicPcapMicrosSwapped = 0xd4c3b2a1
	magicPcapNanosSwapped  = 0x4d3cb2a1
	magicPcapng            = 0x0a0d0d0a // the Section Header Block type, a palindrome
	magicGzip0, magicGzip1 = 0x1f, 0x8b
)

// Read buffers. pcapgo's own 4 KiB buffer is several times slower than a
// large one; with many files the budget is shared so that merging hundreds
// of rotated captures does not take gigabytes.
const (
	maxBufferSize   = 1 << 20
	minBufferSize   = 64 << 10
	smallestBuffer  = 4096 // below it, pcapgo would add a bufio.Reader of its own
	bufferBudget    = 64 << 20
	pcapRecordBytes = 16 // pcap per-record header
)

// ErrNotCapture means an input starts with neither a pcap, a pcapng nor a
// gzip magic number. It is always wrapped in an *OpenError.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// ErrEmpty means an input holds no bytes at all (or a gzip stream that
// decompresses to none). It is always wrapped in an *OpenError.
var ErrEmpty = errors.New("empty file")

// OpenError reports an input that could not be read at all: missing,
// unreadable, not a capture, or with a damaged file header.
type OpenError struct {
	// Name is the file name as given, "-" for standard input.
	Name string
	// Err is the cause.
	Err error
}

func (e *OpenError) Error() string {
	return "capture: open " + e.Name + ": " + e.Err.Error()
}

// Unwrap returns the cause, so that errors.Is(err, fs.ErrNotExist) and
// errors.Is(err, ErrNotCapture) work.
func (e *OpenError) Unwrap() error { return e.Err }

// OpenFiles opens capture files and returns a Source that reads them as one
// timeline ordered by timestamp. The name "-" reads standard input.
//
// Each file may be pcap (microsecond or nanosecond timestamps, either byte
// order) or pcapng (any number of sections and interfaces, each with its
// own link type), optionally gzip-compressed; the format is told from the
// file's first bytes, never from its name. An input that cannot be read at
// all makes OpenFiles fail with an *OpenError naming it; damage found later
// ends only that input and is recorded in its Info.Errors.
//
// WithFilter makes the Source return only the packets a filter matches;
// an expression that does not compile makes OpenFiles fail before it opens
// any file.
//
// The Source also implements Progresser.
func OpenFiles(names []string, opts ...FileOption) (Source, error) {
	return OpenFilesFrom(names, os.Stdin, opts...)
}

// OpenFilesFrom is OpenFiles reading the name "-" from stdin. Standard
// input may be named once only.
func OpenFilesFrom(names []string, stdin io.Reader, opts ...FileOption) (Source, error) {
	var o fileOptions
	for _, opt := range opts {
		opt(&o)
	}
	keep, err := fileFilter(o.filter)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("capture: no input file")
	}
	bufSize := bufferBudget / len(names)
	bufSize = min(max(bufSize, minBufferSize), maxBufferSize)

	files := make([]*file, 0, len(names))
	usedStdin := false
	for _, name := range names {
		var f *file
		var err error
		if name == "-" {
			if usedStdin {
				err = errors.New("standard input named more than once")
			} else {
				usedStdin = true
				f, err = openStream(name, stdin, nil, sizeOf(stdin), bufSize)
			}
		} else {
			f, err = openPath(name, bufSize)
		}
		if err != nil {
			for _, g := range files {
				_ = g.close()
			}
			return nil, &OpenError{Name: name, Err: err}
		}
		files = append(files, f)
	}
	src := newFileSource(files)
	src.keep = keep
	return src, nil
}

// openPath opens the named file.
func openPath(name string, bufSize int) (*file, error) {
	osf, err := os.Open(name)
	if err != nil {
		return nil, unwrapPath(err)
	}
	st, err := osf.Stat()
	if err != nil {
		_ = osf.Close()
		return nil, unwrapPath(err)
	}
	if st.IsDir() {
		_ = osf.Close()
		return nil, errors.New("is a directory")
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	f, err := openStream(name, osf, osf, size, bufSize)
	if err != nil {
		_ = osf.Close()
		return nil, err
	}
	return f, nil
}

// unwrapPath drops the *fs.PathError around an os error: OpenError already
// names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// sizeOf returns the size of r when it is a regular file, else -1.
func sizeOf(r io.Reader) int64 {
	st, ok := r.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return -1
	}
	fi, err := st.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return -1
	}
	return fi.Size()
}

// file is one input being read.
type file struct {
	info   Info
	closer io.Closer // nil for standard input
	size   int64     // file size in bytes, -1 when unknown

	raw *countReader  // bytes read from the file itself
	dec *countReader  // bytes of the decompressed stream; raw when not gzip
	br  *bufio.Reader // what the pcapgo reader reads
	gz  bool

	pcap   *pcapgo.Reader   // set for pcap
	ng     *pcapgo.NgReader // set for pcapng
	pcapLT layers.LinkType  // the link type of a pcap file

	// end is the offset in the (decompressed) stream just after the last
	// packet returned, to say where damage starts.
	end int64

	lastLT layers.LinkType // link type of the previous packet
	seenLT []layers.LinkType

	done    atomic.Bool // no packet left; read by Progress
	pending Packet      // the packet last read, valid until the next read
}

// openStream detects the format of r and reads its file header.
func openStream(name string, r io.Reader, closer io.Closer, size int64, bufSize int) (*file, error) {
	f := &file{
		info:   Info{Name: name, Dropped: -1},
		closer: closer,
		size:   size,
		raw:    &countReader{r: r},
	}
	f.dec = f.raw
	rawSize := bufSize
	if size >= 0 && size < int64(rawSize) {
		rawSize = max(int(size), smallestBuffer) // a small file needs no big buffer
	}
	f.br = bufio.NewReaderSize(f.raw, rawSize)

	head, err := peekHead(f.br, f.raw)
	if err != nil {
		return nil, err
	}
	if len(head) >= 2 && head[0] == magicGzip0 && head[1] == magicGzip1 {
		zr, err := gzip.NewReader(f.br)
		if err != nil {
			return nil, fmt.Errorf("gzip header: %w", err)
		}
		f.gz = true
		f.dec = &countReader{r: zr}
		f.br = bufio.NewReaderSize(f.dec, bufSize)
		head, err = peekHead(f.br, f.dec)
		if errors.Is(err, ErrEmpty) {
			return nil, fmt.Errorf("%w after gzip decompression", ErrEmpty)
		}
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
	}
	if len(head) < 4 {
		return nil, fmt.Errorf("%w (only %d bytes: % x)", ErrNotCapture, len(head), head)
	}

	switch binary.LittleEndian.Uint32(head) {
	case magicPcapMicros, magicPcapNanos, magicPcapMicrosSwapped, magicPcapNanosSwapped:
		f.pcap, err = pcapgo.NewReader(f.br)
		if err != nil {
			return nil, headerError("pcap", err)
		}
		f.pcapLT = f.pcap.LinkType()
	case magicPcapng:
		f.ng, err = pcapgo.NewNgReader(f.br, pcapgo.NgReaderOptions{
			WantMixedLinkType:  true,
			SkipUnknownVersion: true,
		})
		if err != nil {
			return nil, headerError("pcapng", err)
		}
	default:
		return nil, fmt.Errorf("%w (starts with % x)", ErrNotCapture, head)
	}
	f.end = f.offset()
	return f, nil
}

// peekHead returns up to the first four bytes of br without consuming them.
func peekHead(br *bufio.Reader, c *countReader) ([]byte, error) {
	head, err := br.Peek(4)
	if len(head) == 0 {
		if err == io.EOF {
			return nil, ErrEmpty
		}
		if c.err != nil {
			return nil, c.err
		}
		return nil, err
	}
	if len(head) < 4 && c.err != nil {
		return nil, c.err
	}
	return head, nil
}

// headerError describes a failure to read a file or section header.
func headerError(format string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated %s file header", format)
	}
	return fmt.Errorf("bad %s file header: %w", format, err)
}

// offset returns how many bytes of the (decompressed) stream the pcapgo
// reader has consumed.
func (f *file) offset() int64 {
	return f.dec.n.Load() - int64(f.br.Buffered())
}

// next reads the next packet into f.pending. It returns false at the end of
// the file or at damage, which it records in f.info.Errors. The packet's
// Data aliases the pcapgo reader's buffer until the next call.
func (f *file) next() bool {
	if f.done.Load() {
		return false
	}
	var (
		data []byte
		ci   gopacket.CaptureInfo
		err  error
		lt   layers.LinkType
	)
	if f.pcap != nil {
		data, ci, err = f.pcap.ZeroCopyReadPacketData()
		lt = f.pcapLT
		if err == io.EOF && ci.CaptureLength > 0 {
			// io.ReadFull says io.EOF when not one byte of the
			// record's data is there.
			err = io.ErrUnexpectedEOF
		}
	} else {
		data, ci, err = f.ng.ZeroCopyReadPacketData()
		if len(ci.AncillaryData) > 0 {
			lt, _ = ci.AncillaryData[0].(layers.LinkType)
		}
	}
	if err != nil {
		f.done.Store(true)
		if err != io.EOF || f.dec.err != nil || f.raw.err != nil {
			f.info.Errors = append(f.info.Errors, fmt.Sprintf("%s: packet %d: %s",
				f.info.Name, f.info.Packets+1, f.damage(err, ci)))
		}
		return false
	}
	ci.AncillaryData = nil // aliases the reader's array; LinkType says it

	f.info.Packets++
	f.info.Bytes += int64(len(data))
	if f.info.Packets == 1 {
		f.info.FirstSeen = ci.Timestamp
		f.noteLinkType(lt)
	} else if lt != f.lastLT {
		f.noteLinkType(lt)
	}
	f.info.LastSeen = ci.Timestamp
	f.end = f.offset()

	f.pending.Data = data
	f.pending.Info = ci
	f.pending.LinkType = lt
	f.pending.Number = f.info.Packets
	return true
}

// noteLinkType records lt in the link types seen, by name: 12 and 101
// are both "Raw".
func (f *file) noteLinkType(lt layers.LinkType) {
	f.lastLT = lt
	if slices.Contains(f.seenLT, lt) {
		return
	}
	f.seenLT = append(f.seenLT, lt)
	if name := linkTypeName(lt); !slices.Contains(f.info.LinkTypes, name) {
		f.info.LinkTypes = append(f.info.LinkTypes, name)
	}
}

// linkTypeName returns gopacket's name for lt, naming the raw IP link
// types gopacket has no name for by their framing.
func linkTypeName(lt layers.LinkType) string {
	if s := lt.String(); s != "UnknownLinkType" {
		return s
	}
	switch f, _ := decode.FramingOf(lt); f {
	case decode.FramingIPv4:
		return "IPv4"
	case decode.FramingIPv6:
		return "IPv6"
	case decode.FramingRaw: // 12 and 14: gopacket names only one, by GOOS
		return "Raw"
	}
	return fmt.Sprintf("UnknownLinkType(%d)", uint16(lt))
}

// damage describes err, met while reading the packet after f.end, in words
// that say what is wrong with the file.
func (f *file) damage(err error, ci gopacket.CaptureInfo) string {
	switch {
	case f.gz && f.dec.err != nil:
		return gzipDamage(f.dec.err, f.dec.n.Load())
	case f.raw.err != nil:
		return "read error: " + f.raw.err.Error()
	}
	unexpectedEOF := errors.Is(err, io.ErrUnexpectedEOF)
	total := f.dec.n.Load() // a truncated stream was consumed to its end
	if f.pcap != nil {
		if unexpectedEOF {
			if ci.CaptureLength == 0 {
				return fmt.Sprintf("truncated record header at offset %d (%d of %d bytes present)",
					f.end, total-f.end, pcapRecordBytes)
			}
			start := f.end + pcapRecordBytes
			return fmt.Sprintf("truncated record at offset %d (header says %d bytes, %d present)",
				f.end, ci.CaptureLength, max(total-start, 0))
		}
		msg := err.Error()
		if strings.HasPrefix(msg, "capture length exceeds") {
			return fmt.Sprintf("bogus record length at offset %d (%s)", f.end, msg)
		}
		return fmt.Sprintf("bad record at offset %d (%s)", f.end, msg)
	}
	if unexpectedEOF {
		if f.info.Packets == 0 {
			return fmt.Sprintf("truncated block (file ends %d bytes after the section header)", total-f.end)
		}
		return fmt.Sprintf("truncated block (file ends %d bytes after the previous packet, at offset %d)",
			total-f.end, total)
	}
	return fmt.Sprintf("damaged block after offset %d (%v)", f.end, err)
}

// gzipDamage describes an error of the gzip layer.
func gzipDamage(err error, decompressed int64) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("truncated gzip stream (ends after %d decompressed bytes)", decompressed)
	case errors.Is(err, gzip.ErrChecksum):
		return fmt.Sprintf("gzip CRC error (%v)", err)
	}
	return fmt.Sprintf("damaged gzip stream after %d decompressed bytes (%v)", decompressed, err)
}

// progress returns how many bytes of the file were read, all of them once
// the file is done with.
func (f *file) progress() int64 {
	if f.size >= 0 && f.done.Load() {
		return f.size
	}
	n := f.raw.n.Load()
	if f.size >= 0 {
		n = min(n, f.size) // a file still being written grew
	}
	return n
}

// close closes the file unless it is standard input.
func (f *file) close() error {
	f.done.Store(true)
	if f.closer == nil {
		return nil
	}
	c := f.closer
	f.closer = nil
	return c.Close()
}

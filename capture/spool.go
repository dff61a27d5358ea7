package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// ErrSpoolClosed is returned by a Spool used after Close.
var ErrSpoolClosed = errors.New("capture: spool closed")

// spoolRecordHeader is the size of the header in front of each packet in
// a spool file: source, number, link type, seconds, nanoseconds, captured
// and original length, interface index.
const spoolRecordHeader = 4 + 8 + 2 + 8 + 4 + 4 + 4 + 4

// spoolBuffer is the size of the spool's write and read buffers.
const spoolBuffer = 256 << 10

// Spool keeps packets in a temporary file, in the order they are added,
// to be read back once. `ftpscope -w` spools the packets the analysis
// keeps and writes its pcapng file only when the report exists, because
// the comments on the packets name the findings, which are known only
// when their session ends, long after its packets went by.
//
// Memory use is two buffers whatever the number of packets; the file
// holds each packet's bytes and a 38-byte header. The file is removed as
// soon as it is created where the system allows (Linux and other Unix
// systems: it then never outlives the process, even a killed one), else
// by Close.
//
// A Spool is not safe for concurrent use.
type Spool struct {
	f       *os.File
	name    string // the file's name while it still has one
	w       *bufio.Writer
	n       int
	size    int64
	hdr     [spoolRecordHeader]byte
	read    bool // Replay was called: Add is over
	closed  bool
	dataBuf []byte // Replay's packet buffer
}

// NewSpool creates an empty spool file in dir, or in the default
// directory for temporary files when dir is "".
func NewSpool(dir string) (*Spool, error) {
	f, err := os.CreateTemp(dir, ".ftpscope-spool-*")
	if err != nil {
		return nil, fmt.Errorf("capture: spool: %w", err)
	}
	s := &Spool{f: f, name: f.Name(), w: bufio.NewWriterSize(f, spoolBuffer)}
	if os.Remove(f.Name()) == nil {
		s.name = ""
	}
	return s, nil
}

// Add appends a copy of p: its bytes, timestamp, lengths, interface
// index, link type, source and number (not its AncillaryData).
func (s *Spool) Add(p Packet) error {
	if s.closed || s.read {
		return ErrSpoolClosed
	}
	h := s.hdr[:]
	le := binary.LittleEndian
	le.PutUint32(h[0:], uint32(p.Source))
	le.PutUint64(h[4:], uint64(p.Number))
	le.PutUint16(h[12:], uint16(p.LinkType))
	le.PutUint64(h[14:], uint64(p.Info.Timestamp.Unix()))
	le.PutUint32(h[22:], uint32(p.Info.Timestamp.Nanosecond()))
	le.PutUint32(h[26:], uint32(len(p.Data)))
	le.PutUint32(h[30:], uint32(max(p.Info.Length, len(p.Data))))
	le.PutUint32(h[34:], uint32(int32(p.Info.InterfaceIndex)))
	if _, err := s.w.Write(h); err != nil {
		return fmt.Errorf("capture: spool: %w", err)
	}
	if _, err := s.w.Write(p.Data); err != nil {
		return fmt.Errorf("capture: spool: %w", err)
	}
	s.n++
	s.size += int64(len(h) + len(p.Data))
	return nil
}

// Len returns the number of packets added.
func (s *Spool) Len() int { return s.n }

// Size returns the bytes the spool file holds.
func (s *Spool) Size() int64 { return s.size }

// Replay calls fn with every packet added, in order. The Packet's Data is
// valid only during the call. Add fails after Replay; Replay may be
// called again. It stops at fn's first error and returns it.
func (s *Spool) Replay(fn func(Packet) error) error {
	if s.closed {
		return ErrSpoolClosed
	}
	s.read = true
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("capture: spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("capture: spool: %w", err)
	}
	r := bufio.NewReaderSize(s.f, spoolBuffer)
	le := binary.LittleEndian
	for i := range s.n {
		h, err := r.Peek(spoolRecordHeader)
		if err != nil {
			return fmt.Errorf("capture: spool: reading packet %d of %d: %w", i+1, s.n, err)
		}
		caplen := int(le.Uint32(h[26:]))
		p := Packet{
			LinkType: layers.LinkType(le.Uint16(h[12:])),
			Source:   int(le.Uint32(h[0:])),
			Number:   int(le.Uint64(h[4:])),
		}
		p.Info.Timestamp = time.Unix(int64(le.Uint64(h[14:])), int64(le.Uint32(h[22:]))).UTC()
		p.Info.CaptureLength = caplen
		p.Info.Length = int(le.Uint32(h[30:]))
		p.Info.InterfaceIndex = int(int32(le.Uint32(h[34:])))
		size := spoolRecordHeader + caplen
		if size <= r.Size() {
			// The packet is read where it lies in the buffer.
			rec, err := r.Peek(size)
			if err != nil {
				return fmt.Errorf("capture: spool: reading packet %d of %d: %w", i+1, s.n, err)
			}
			p.Data = rec[spoolRecordHeader:]
		} else {
			if cap(s.dataBuf) < caplen {
				s.dataBuf = make([]byte, caplen)
			}
			p.Data = s.dataBuf[:caplen]
			if _, err := r.Discard(spoolRecordHeader); err != nil {
				return fmt.Errorf("capture: spool: reading packet %d of %d: %w", i+1, s.n, err)
			}
			if _, err := io.ReadFull(r, p.Data); err != nil {
				return fmt.Errorf("capture: spool: reading packet %d of %d: %w", i+1, s.n, err)
			}
			size = 0
		}
		if err := fn(p); err != nil {
			return err
		}
		if _, err := r.Discard(size); err != nil {
			return fmt.Errorf("capture: spool: reading packet %d of %d: %w", i+1, s.n, err)
		}
	}
	return nil
}

// Close closes and removes the spool file.
func (s *Spool) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.f.Close()
	if s.name != "" {
		if rerr := os.Remove(s.name); err == nil {
			err = rerr
		}
	}
	s.dataBuf = nil
	if err != nil {
		return fmt.Errorf("capture: spool: %w", err)
	}
	return nil
}

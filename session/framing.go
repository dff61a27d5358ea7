package session

import (
	"bytes"
	"time"
)

// lineBuf collects one control line, cutting it at the line limit.
type lineBuf struct {
	buf      []byte
	overflow bool // the line passed the limit: bytes are dropped until LF
	// open says a line is being collected; span says where it lies in
	// the sequence space and which segments carried it (the FTP helper's
	// model needs that). span stays after take, until the next line
	// begins.
	open bool
	span lineSpan
}

// lineSpan is where a control line lies in its direction's sequence
// space, and the segments that carried its first byte and its line end.
type lineSpan struct {
	start, end uint32 // the sequence numbers of its first byte and of the byte after its LF
	// first is the segment the helper searches for the line: the one
	// that holds its first byte, or one that holds it whole from its
	// start and in which the helper found an announcement (a
	// retransmission that joined the pieces).
	first segAt
	// endPacket and endTime are the segment that held its LF.
	endPacket int32
	ended     bool // its LF was seen
	endTime   int64
}

// segAt is a segment as the FTP helper's model saw it, with its packet
// and its time (Unix nanoseconds: a session keeps several of these).
type segAt struct {
	ct     ctSeen
	packet int32
	ts     int64
}

func segOf(r *pktRef) segAt {
	if r == nil {
		return segAt{}
	}
	return segAt{ct: r.ct, packet: int32(r.number), ts: r.ts.UnixNano()}
}

// time is the segment's capture time.
func (g segAt) time() Time { return Time{time.Unix(0, g.ts).UTC()} }

// begin starts a line at sequence number seq, in the segment r.
func (l *lineBuf) begin(seq uint32, r *pktRef) {
	l.open = true
	l.span = lineSpan{start: seq, end: seq, first: segOf(r)}
}

func (l *lineBuf) add(b []byte, max int, s *sess) {
	if l.overflow {
		return
	}
	room := max - len(l.buf)
	if len(b) > room {
		b = b[:room]
		l.overflow = true
		s.out.LongLines++
	}
	l.buf = append(l.buf, b...)
}

// take returns the line and empties the buffer. The returned slice is
// valid until the next add.
func (l *lineBuf) take() []byte {
	b := l.buf
	l.buf = l.buf[:0]
	l.overflow = false
	l.open = false
	return b
}

func (l *lineBuf) reset() {
	l.buf = l.buf[:0]
	l.overflow = false
	l.open = false
	l.span = lineSpan{}
}

// tlsSkipper steps over TLS records (RFC 8446 §5.1) on a control
// connection after AUTH TLS, and notices when cleartext resumes (after
// CCC, or after the TLS session closed).
type tlsSkipper struct {
	on   bool
	hdr  [5]byte
	nhdr int // header bytes collected
	left int // record body bytes still to skip
}

// skip consumes TLS records from b and returns how many bytes it used.
// It turns itself off at a record boundary that does not start a record.
func (t *tlsSkipper) skip(b []byte) int {
	used := 0
	hs := 0 // where the record header being read started in b
	for used < len(b) {
		if t.left > 0 {
			k := min(t.left, len(b)-used)
			t.left -= k
			used += k
			continue
		}
		if t.nhdr == 0 {
			hs = used
			ct := b[used]
			if ct < 20 || ct > 24 {
				t.on = false // cleartext again
				return used
			}
		}
		t.hdr[t.nhdr] = b[used]
		t.nhdr++
		used++
		if t.nhdr == 5 {
			if t.hdr[1] != 3 { // not a TLS/SSL3 version: not TLS after all
				// Give the header bytes of this chunk back as cleartext.
				t.on = false
				t.nhdr = 0
				return hs
			}
			t.left = int(t.hdr[3])<<8 | int(t.hdr[4])
			t.nhdr = 0
		}
	}
	return used
}

// lost is called after a gap: record boundaries are unknown, so stay in
// TLS mode but resynchronise on the next chunk.
func (t *tlsSkipper) lost() {
	t.left = 0
	t.nhdr = 0
}

// frame cuts the bytes of one direction into control lines and hands
// each to line, stepping over TLS records after AUTH TLS. r is the packet
// that held data, and seq the sequence number of data[0].
func (s *sess) frame(d int, seq uint32, data []byte, r *pktRef) {
	off := 0
	for off < len(data) {
		if s.tls[d].on {
			k := s.tls[d].skip(data[off:])
			off += k
			if s.tls[d].on {
				return // all of it was TLS
			}
			continue
		}
		lb := &s.lines[d]
		if !lb.open {
			lb.begin(seq+uint32(off), r)
		}
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			lb.add(data[off:], s.a.cfg.MaxLineLen, s)
			lb.span.end = seq + uint32(len(data))
			return
		}
		lb.add(data[off:off+i], s.a.cfg.MaxLineLen, s)
		end := off + i
		off = end + 1
		lb.span.end, lb.span.ended = seq+uint32(off), true
		if g := segOf(r); g.packet != 0 {
			lb.span.endPacket, lb.span.endTime = g.packet, g.ts
			if g.ct.seq == lb.span.start && (g.ct.outcome == ctExpected || g.ct.outcome == ctRefused) {
				lb.span.first = g
			}
		}
		line := lb.take()
		s.line(d, line, r)
	}
}

// line handles one complete control line.
func (s *sess) line(d int, line []byte, r *pktRef) {
	s.rawLine = line
	line = bytes.TrimRight(line, "\r")
	if d == toServer {
		s.command(line, r)
		return
	}
	s.replyLine(line, r)
}

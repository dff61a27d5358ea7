package session

import "bytes"

// lineBuf collects one control line, cutting it at the line limit.
type lineBuf struct {
	buf      []byte
	overflow bool // the line passed the limit: bytes are dropped until LF
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
	return b
}

func (l *lineBuf) reset() {
	l.buf = l.buf[:0]
	l.overflow = false
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
// each to line, stepping over TLS records after AUTH TLS. at returns the
// packet that held the byte at an offset of data.
func (s *sess) frame(d int, data []byte, at func(int) *pktRef) {
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
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			lb.add(data[off:], s.a.cfg.MaxLineLen, s)
			return
		}
		lb.add(data[off:off+i], s.a.cfg.MaxLineLen, s)
		end := off + i
		off = end + 1
		line := lb.take()
		s.line(d, line, at(end))
	}
}

// line handles one complete control line.
func (s *sess) line(d int, line []byte, r *pktRef) {
	line = bytes.TrimRight(line, "\r")
	if d == toServer {
		s.command(line, r)
		return
	}
	s.replyLine(line, r)
}

package synth

import (
	"fmt"
	"net/netip"
	"time"
)

// Shape of the bulk traffic of a mixed big capture (BigOptions.FTPShare).
const (
	// bulkEvery is how many sessions share one bulk connection: one
	// starts beside every bulkEvery-th session, carrying what those
	// sessions owe. At 10 % FTP that is about 5 MB each.
	bulkEvery = 16
	// bulkChunk is the payload the server sends between two refills of a
	// bulk connection's tape: 64 full segments and 32 ACKs, 2.75 ms of
	// capture time. A download is a whole number of chunks, so that its
	// last TLS record is whole.
	bulkChunk = 64 * 1460
	// bulkRTT is the round trip of a bulk connection, a data-centre
	// one: the download runs at about 34 MB/s.
	bulkRTT = 100 * time.Microsecond
	// bulkSetup is the packets of a bulk connection besides its download:
	// handshake 3, ClientHello 1, the server's handshake 3 segments and 2
	// ACKs, the client's Finished 1, and the closing 3.
	bulkSetup = 13
	// bulkMin is the fewest packets worth a bulk connection; what is owed
	// below it waits for the next one.
	bulkMin = 200
	// bulkTLSRecord is the largest TLS record (RFC 8446 section 5.1:
	// 2^14 bytes of plaintext) plus its 5-byte header.
	bulkTLSRecord = 1<<14 + 5
)

// bulkConn is one long HTTPS-like download between hosts that take no part
// in FTP: a TLS handshake, then the server sends in full-size segments with
// the client acknowledging every second one, then the client closes. Its
// frames are put on its tape a chunk at a time by more, so that a download
// of many megabytes holds only one chunk in memory.
type bulkConn struct {
	c *conv
	// left is the payload the server has still to send.
	left int
	// closed is set once the closing handshake is on the tape.
	closed bool
	// payload is the bulkChunk bytes of TLS records the server sends in
	// every chunk, shared by every bulk connection.
	payload []byte
	// packets is how many frames the connection will put on its tape.
	packets int
}

// newBulk returns the k-th (0-based) bulk connection, starting a little
// after start with its handshake on its tape and sized so that it has
// about owed packets, or nil when owed is too few for one.
func newBulk(k int, start time.Time, owed int, seed uint64, payload []byte) *bulkConn {
	if owed < bulkMin {
		return nil
	}
	// 64 segments and the ACK of every second one: 96 packets a chunk.
	// The rest of owed goes to the next connection.
	size := (owed - bulkSetup) / 96 * bulkChunk
	r := bigRand(seed^0xb01c, k)
	t := newTape()
	t.now = start.Add(time.Duration(r.below(2000)) * time.Microsecond)
	client := bigHost(netip.AddrFrom4([4]byte{10, 192, 0, 0}), k)
	server := mkHost(fmt.Sprintf("198.51.100.%d", 10+k%8), byte(0xe0+k%8))
	c := t.conv(framing{}, client.at(uint16(50000+k%10000)), server.at(443))
	c.rtt = bulkRTT
	b := &bulkConn{c: c, left: size, payload: payload, packets: bulkPackets(size)}
	c.handshake()
	t.wait(time.Millisecond)
	c.says(initiator, tlsRecord(0x16, 512, uint64(k)))
	t.wait(c.rtt)
	c.says(responder, tlsRecord(0x16, 4000, uint64(k)+1))
	t.wait(c.rtt)
	c.says(initiator, tlsRecord(0x17, 74, uint64(k)+2))
	t.wait(c.rtt)
	return b
}

// more replaces the frames on b's tape by the next chunk of the download,
// or by the closing handshake after the last one, and reports whether it
// put any.
func (b *bulkConn) more() bool {
	if b.closed {
		return false
	}
	t := b.c.t
	t.frames = t.frames[:0]
	if b.left > 0 {
		b.c.says(responder, b.payload)
		b.left -= len(b.payload)
		return true
	}
	t.wait(time.Millisecond)
	b.c.close(initiator)
	b.closed = true
	return true
}

// bulkPackets returns how many frames a bulk connection whose server sends
// size bytes (whole chunks) puts on the tape: conv.says cuts each chunk
// into 64 segments and the client acknowledges every second one.
func bulkPackets(size int) int {
	return bulkSetup + size/bulkChunk*96
}

// tlsStream returns n bytes of back-to-back full TLS application-data
// records (RFC 8446 section 5.2) with pseudo-random contents from seed.
func tlsStream(n int, seed uint64) []byte {
	b := randomBytes(n, seed^0x715)
	for off := 0; off+5 <= n; off += bulkTLSRecord {
		l := min(bulkTLSRecord, n-off) - 5
		b[off], b[off+1], b[off+2], b[off+3], b[off+4] = 0x17, 0x03, 0x03, byte(l>>8), byte(l)
	}
	return b
}

package session

import (
	"testing"
)

// FuzzAnalyzer replaces the control payload of one packet of a real
// session with arbitrary bytes (hostile control traffic) and checks that
// the analyser neither panics nor loses the session.
func FuzzAnalyzer(f *testing.F) {
	pkts := loadPackets(f, "many-transfers-mixed.pcap")
	// Seeds: hostile control lines.
	f.Add(uint8(14), []byte("227 Entering Passive Mode (300,1,1,1,1,1)\r\n"))
	f.Add(uint8(15), []byte("PORT 1,2,3,4,5,6,7,8,9\r\nEPRT |9|x|0|\r\n"))
	f.Add(uint8(20), []byte("229-\r\n229 (|||0|)\r\n\x00\x00\r\n"))
	f.Add(uint8(9), []byte("234 go\r\n\x16\x03\x01\x00\x05hello"))
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		a := NewAnalyzer(Config{MaxLineLen: 64})
		for i, p := range pkts {
			if i == int(which)%len(pkts) && len(p.Data) > 54 {
				// Keep the Ethernet/IP/TCP headers (54 bytes here) and
				// replace what follows; the IP length stays, so the
				// payload is cut or padded as a snap length would.
				d := append(append([]byte(nil), p.Data[:54]...), payload...)
				p.Data = d
			}
			a.Packet(p)
		}
		r := a.Finish(nil)
		if len(r.Sessions) != 1 {
			t.Fatalf("%d sessions, want 1", len(r.Sessions))
		}
	})
}

// FuzzAnalyzerTCP rewrites the TCP flags and sequence numbers of two
// packets of a real session (control or data): SYNs on used four-tuples,
// RSTs and FINs out of place, jumps in the sequence space. The analyser
// must not panic and must keep the session.
func FuzzAnalyzerTCP(f *testing.F) {
	pkts := loadPackets(f, "many-transfers-mixed.pcap")
	f.Add(uint8(40), uint8(0x02), uint32(12345), uint8(41), uint8(0x12), uint32(99))
	f.Add(uint8(10), uint8(0x04), uint32(0), uint8(60), uint8(0x02), uint32(1<<31))
	f.Add(uint8(66), uint8(0x11), uint32(7), uint8(67), uint8(0x02), uint32(8))
	f.Fuzz(func(t *testing.T, w1, flags1 uint8, seq1 uint32, w2, flags2 uint8, seq2 uint32) {
		a := NewAnalyzer(Config{})
		// Ethernet (14) + IPv4 without options (20): TCP at 34.
		const tcpOff = 34
		for i, p := range pkts {
			for _, m := range []struct {
				w, flags uint8
				seq      uint32
			}{{w1, flags1, seq1}, {w2, flags2, seq2}} {
				if i == int(m.w)%len(pkts) && len(p.Data) >= tcpOff+20 {
					d := append([]byte(nil), p.Data...)
					d[tcpOff+4], d[tcpOff+5], d[tcpOff+6], d[tcpOff+7] = byte(m.seq>>24), byte(m.seq>>16), byte(m.seq>>8), byte(m.seq)
					d[tcpOff+13] = m.flags
					p.Data = d
				}
			}
			a.Packet(p)
		}
		r := a.Finish(nil)
		if len(r.Sessions) == 0 {
			t.Fatal("the session was lost")
		}
	})
}

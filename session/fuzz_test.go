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

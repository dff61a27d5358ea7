package decode

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/internal/synth"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tcpDatagram is a raw IPv4 datagram of a TCP segment carrying payload.
func tcpDatagram(t *testing.T, payload string) []byte {
	return serialize(t, ip4("10.0.0.2", "10.0.0.1", layers.IPProtocolTCP), data(21, 51000), gopacket.Payload(payload))
}

func TestReassembleIPv4(t *testing.T) {
	line := "227 Entering Passive Mode (10,0,0,2,156,65).\r\n"
	frags := synth.FragmentIPv4(tcpDatagram(t, line), 24, 7)
	if len(frags) != 3 {
		t.Fatalf("%d fragments, want 3", len(frags))
	}
	d := NewDecoder()
	var h Headers
	ts := time.Unix(1000, 0)
	// Out of order, with a duplicate: the last fragment first.
	for i, f := range [][]byte{frags[2], frags[0], frags[0], frags[1]} {
		if err := d.Decode(f, layers.LinkTypeIPv4, &h); err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		if !h.Fragment || h.HasTCP {
			t.Fatalf("fragment %d: Fragment %v, HasTCP %v", i, h.Fragment, h.HasTCP)
		}
		done, err := d.Reassemble(&h, ts)
		if err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		if done != (i == 3) {
			t.Fatalf("fragment %d: done %v", i, done)
		}
	}
	if !h.HasTCP || h.Fragment || string(h.TCP.Payload) != line || h.PayloadLen != len(line) || h.TCP.SrcPort != 21 {
		t.Errorf("reassembled: HasTCP %v, Fragment %v, payload %q (%d), port %d", h.HasTCP, h.Fragment, h.TCP.Payload, h.PayloadLen, h.TCP.SrcPort)
	}
	if len(d.frag.held) != 0 || d.frag.bytes != 0 {
		t.Errorf("after the datagram: %d datagrams, %d bytes held", len(d.frag.held), d.frag.bytes)
	}
}

// TestReassembleKeepsOwnCopy: the frame buffer is reused by the capture;
// fragments held must not change with it.
func TestReassembleKeepsOwnCopy(t *testing.T) {
	line := strings.Repeat("x", 40) + "\r\n"
	frags := synth.FragmentIPv4(tcpDatagram(t, line), 32, 9)
	d := NewDecoder()
	var h Headers
	buf := make([]byte, 100)
	for i, f := range frags {
		n := copy(buf, f)
		if err := d.Decode(buf[:n], layers.LinkTypeIPv4, &h); err != nil {
			t.Fatal(err)
		}
		done, err := d.Reassemble(&h, time.Unix(1, 0))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			for j := range buf {
				buf[j] = 0xee
			}
		}
		if done && string(h.TCP.Payload) != line {
			t.Errorf("payload %q, want %q", h.TCP.Payload, line)
		}
	}
}

func TestReassembleBadFragments(t *testing.T) {
	frags := synth.FragmentIPv4(tcpDatagram(t, strings.Repeat("y", 60)), 32, 11)
	d := NewDecoder()
	var h Headers
	feed := func(f []byte, ts time.Time) (bool, error) {
		t.Helper()
		if err := d.Decode(f, layers.LinkTypeIPv4, &h); err != nil {
			t.Fatal(err)
		}
		return d.Reassemble(&h, ts)
	}
	// A fragment overlapping another with other bytes: both dropped.
	if _, err := feed(frags[0], time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), frags[1]...)
	binary.BigEndian.PutUint16(bad[6:], 0x2000|2) // offset 16: inside the first
	if _, err := feed(bad, time.Unix(1, 0)); err == nil {
		t.Error("overlapping fragment accepted")
	}
	if len(d.frag.held) != 0 || d.frag.bytes != 0 {
		t.Errorf("after the overlap: %d datagrams, %d bytes held", len(d.frag.held), d.frag.bytes)
	}
	// An incomplete datagram is forgotten after the timeout.
	if _, err := feed(frags[0], time.Unix(10, 0)); err != nil {
		t.Fatal(err)
	}
	d.ForgetFragments(time.Unix(5, 0).Add(FragmentTimeout))
	if len(d.frag.held) != 1 {
		t.Fatalf("%d datagrams held, want 1", len(d.frag.held))
	}
	d.ForgetFragments(time.Unix(11, 0).Add(FragmentTimeout))
	if len(d.frag.held) != 0 || d.frag.bytes != 0 {
		t.Errorf("after the timeout: %d datagrams, %d bytes held", len(d.frag.held), d.frag.bytes)
	}
	// The rest of it, after the timeout, completes nothing.
	for _, f := range frags[1:] {
		if done, err := feed(f, time.Unix(12, 0)); done || err != nil {
			t.Errorf("late fragment: done %v, err %v", done, err)
		}
	}
}

// TestReassembleBounded: first fragments of ever new datagrams stop being
// held at the limit, with an error.
func TestReassembleBounded(t *testing.T) {
	first := synth.FragmentIPv4(tcpDatagram(t, strings.Repeat("z", 1400)), 1200, 0)[0]
	floodNewDatagrams(t, first, layers.LinkTypeIPv4, func(id int) { binary.BigEndian.PutUint16(first[4:], uint16(id)) })
}

// floodNewDatagrams feeds first, a first fragment, 20000 times, setID
// giving it a new identification each time: the held bytes stay within
// the bound, and fragments are refused once it is reached.
func floodNewDatagrams(t *testing.T, first []byte, lt layers.LinkType, setID func(id int)) {
	t.Helper()
	d := NewDecoder()
	var h Headers
	var refused int
	for id := range 20000 {
		setID(id)
		if err := d.Decode(first, lt, &h); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Reassemble(&h, time.Unix(1, 0)); err != nil {
			refused++
		}
	}
	if d.frag.bytes > maxHeldFragmentBytes {
		t.Errorf("%d bytes held, limit %d", d.frag.bytes, maxHeldFragmentBytes)
	}
	if refused == 0 {
		t.Error("no fragment refused at the limit")
	}
}

func tcp6Datagram(t *testing.T, payload string) []byte {
	return serialize(t, ip6("2001:db8::2", "2001:db8::1", layers.IPProtocolTCP), data(21, 51000), gopacket.Payload(payload))
}

func TestReassembleIPv6(t *testing.T) {
	line := "229 Entering Extended Passive Mode (|||40002|)\r\n"
	frags := synth.FragmentIPv6(tcp6Datagram(t, line), 32, 0xabcdef)
	if len(frags) != 3 {
		t.Fatalf("%d fragments, want 3", len(frags))
	}
	d := NewDecoder()
	var h Headers
	for i, f := range [][]byte{frags[1], frags[2], frags[1], frags[0]} {
		if err := d.Decode(f, layers.LinkTypeIPv6, &h); err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		if !h.Fragment {
			t.Fatalf("fragment %d not marked as a fragment", i)
		}
		done, err := d.Reassemble(&h, time.Unix(1, 0))
		if err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		if done != (i == 3) {
			t.Fatalf("fragment %d: done %v", i, done)
		}
	}
	if !h.HasTCP || string(h.TCP.Payload) != line || h.PayloadLen != len(line) || h.TCP.DstPort != 51000 {
		t.Errorf("reassembled: HasTCP %v, payload %q (%d), port %d", h.HasTCP, h.TCP.Payload, h.PayloadLen, h.TCP.DstPort)
	}
	if len(d.frag.v6) != 0 || d.frag.bytes != 0 {
		t.Errorf("after the datagram: %d datagrams, %d bytes held", len(d.frag.v6), d.frag.bytes)
	}
}

func TestReassembleIPv6Bad(t *testing.T) {
	frags := synth.FragmentIPv6(tcp6Datagram(t, strings.Repeat("q", 60)), 32, 3)
	feed := func(d *Decoder, f []byte, ts time.Time) (bool, error) {
		t.Helper()
		var h Headers
		if err := d.Decode(f, layers.LinkTypeIPv6, &h); err != nil {
			t.Fatal(err)
		}
		return d.Reassemble(&h, ts)
	}
	// Overlap (RFC 5722): the whole datagram goes.
	d := NewDecoder()
	if _, err := feed(d, frags[0], time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), frags[1]...)
	binary.BigEndian.PutUint16(bad[42:], 2<<3|1) // offset 16: inside the first
	if _, err := feed(d, bad, time.Unix(1, 0)); err == nil {
		t.Error("overlapping fragment accepted")
	}
	if len(d.frag.v6) != 0 || d.frag.bytes != 0 {
		t.Errorf("after the overlap: %d datagrams, %d bytes held", len(d.frag.v6), d.frag.bytes)
	}
	// A non-final fragment whose length is not a multiple of 8.
	odd := append([]byte(nil), frags[0][:len(frags[0])-3]...)
	binary.BigEndian.PutUint16(odd[4:], uint16(len(odd)-40))
	if _, err := feed(d, odd, time.Unix(1, 0)); err == nil {
		t.Error("non-final fragment of 29 bytes accepted")
	}
	// Incomplete datagrams are forgotten after Fragment6Timeout.
	if _, err := feed(d, frags[0], time.Unix(100, 0)); err != nil {
		t.Fatal(err)
	}
	d.ForgetFragments(time.Unix(100, 0).Add(FragmentTimeout))
	if len(d.frag.v6) != 1 {
		t.Fatalf("%d datagrams held after 30 s, want 1", len(d.frag.v6))
	}
	d.ForgetFragments(time.Unix(101, 0).Add(Fragment6Timeout))
	if len(d.frag.v6) != 0 || d.frag.bytes != 0 {
		t.Errorf("after the timeout: %d datagrams, %d bytes held", len(d.frag.v6), d.frag.bytes)
	}
}

// FuzzReassemble feeds three fragments of a datagram whose offsets, flags,
// lengths and identifications are rewritten, in any order: no panic, a
// consistent count of held bytes, and a segment only from whole datagrams.
func FuzzReassemble(f *testing.F) {
	f.Add(uint16(0x2000), uint16(0x2003), uint16(6), uint8(0), uint16(7), []byte{})
	f.Add(uint16(0x2000), uint16(0x2002), uint16(4), uint8(5), uint16(7), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, fo0, fo1, fo2 uint16, order uint8, id uint16, junk []byte) {
		dg := serialize(t, ip4("10.0.0.2", "10.0.0.1", layers.IPProtocolTCP), data(21, 51000),
			gopacket.Payload("227 Entering Passive Mode (10,0,0,2,156,65).\r\n"+string(junk)))
		frags := synth.FragmentIPv4(dg, 24, id)
		if len(frags) < 3 {
			return
		}
		reassembleInAnyOrder(t, frags, layers.LinkTypeIPv4, 6, [3]uint16{fo0, fo1, fo2}, order)
	})
}

// TestReassembleIPv6Bounded: the byte bound holds for IPv6 too.
func TestReassembleIPv6Bounded(t *testing.T) {
	first := synth.FragmentIPv6(tcp6Datagram(t, strings.Repeat("z", 1400)), 1200, 0)[0]
	floodNewDatagrams(t, first, layers.LinkTypeIPv6, func(id int) { binary.BigEndian.PutUint32(first[44:], uint32(id)) })
}

// FuzzReassemble6 is FuzzReassemble for IPv6 fragments.
func FuzzReassemble6(f *testing.F) {
	f.Add(uint16(0<<3|1), uint16(4<<3|1), uint16(8<<3), uint8(0), uint32(7), []byte{})
	f.Add(uint16(0<<3|1), uint16(2<<3|1), uint16(8<<3), uint8(5), uint32(7), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, fo0, fo1, fo2 uint16, order uint8, id uint32, junk []byte) {
		dg := serialize(t, ip6("2001:db8::2", "2001:db8::1", layers.IPProtocolTCP), data(21, 51000),
			gopacket.Payload("229 Entering Extended Passive Mode (|||40002|)\r\n"+string(junk)))
		frags := synth.FragmentIPv6(dg, 32, id)
		if len(frags) < 3 {
			return
		}
		reassembleInAnyOrder(t, frags, layers.LinkTypeIPv6, 42, [3]uint16{fo0, fo1, fo2}, order)
	})
}

// reassembleInAnyOrder writes fos into the fragment-offset field (at byte
// offAt) of three fragments and feeds them in the order'th permutation: a
// segment comes only from a whole datagram, and the bytes held always add
// up to what the held datagrams say.
func reassembleInAnyOrder(t *testing.T, frags [][]byte, lt layers.LinkType, offAt int, fos [3]uint16, order uint8) {
	for i, fo := range fos {
		binary.BigEndian.PutUint16(frags[i][offAt:], fo)
	}
	perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	d := NewDecoder()
	var h Headers
	for _, i := range perms[int(order)%len(perms)] {
		if err := d.Decode(frags[i], lt, &h); err != nil || !h.Fragment {
			continue
		}
		done, _ := d.Reassemble(&h, time.Unix(int64(i), 0))
		if done && (!h.HasTCP || len(h.TCP.Payload) > h.PayloadLen) {
			t.Fatalf("reassembled segment: HasTCP %v, payload %d of %d", h.HasTCP, len(h.TCP.Payload), h.PayloadLen)
		}
		sum := 0
		for _, hd := range d.frag.held {
			sum += hd.bytes
		}
		for _, g := range d.frag.v6 {
			sum += g.bytes
		}
		if sum != d.frag.bytes || sum < 0 {
			t.Fatalf("held bytes %d, datagrams say %d", d.frag.bytes, sum)
		}
	}
}

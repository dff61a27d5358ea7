package capture

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// replayAll reads a spool back, copying each packet.
func replayAll(t *testing.T, s *Spool) []Packet {
	t.Helper()
	var got []Packet
	err := s.Replay(func(p Packet) error {
		p.Data = append([]byte(nil), p.Data...)
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return got
}

func TestSpoolRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pkt := func(source, number int, lt layers.LinkType, ts time.Time, data string, length, ifindex int) Packet {
		return Packet{
			Data:     []byte(data),
			Info:     gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: length, InterfaceIndex: ifindex},
			LinkType: lt,
			Source:   source,
			Number:   number,
		}
	}
	in := []Packet{
		pkt(0, 1, layers.LinkTypeEthernet, t0, "first", 1514, 0),
		pkt(1, 7, layers.LinkTypeLinuxSLL2, t0.Add(time.Nanosecond), "", 0, 3),
		pkt(0, 1<<40, layers.LinkTypeRaw, time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), "before 1970", 11, -1),
		pkt(2, 3, 228, time.Date(2300, 1, 1, 0, 0, 0, 1, time.UTC), string(make([]byte, 70000)), 70000, 0),
		pkt(2, 4, 228, t0, string(make([]byte, spoolBuffer+1)), spoolBuffer+1, 0), // longer than the read buffer
	}
	buf := []byte("reused by the source")
	in = append(in, Packet{Data: buf, Info: gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(buf), Length: len(buf),
		AncillaryData: []any{"dropped"}}, Number: 9})
	for _, p := range in {
		if err := s.Add(p); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	copy(buf, "changed after Add!!!") // Add copied it
	if s.Len() != len(in) {
		t.Errorf("Len() = %d, want %d", s.Len(), len(in))
	}
	want := make([]Packet, len(in))
	size := int64(0)
	for i, p := range in {
		p.Info.Timestamp = p.Info.Timestamp.UTC()
		p.Info.AncillaryData = nil
		p.Info.Length = max(p.Info.Length, len(p.Data))
		want[i] = p
		size += int64(len(p.Data)) + spoolRecordHeader
	}
	want[len(want)-1].Data = []byte("reused by the source")
	if s.Size() != size {
		t.Errorf("Size() = %d, want %d", s.Size(), size)
	}
	if diff := cmp.Diff(want, replayAll(t, s), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("replayed (-want +got):\n%s", diff)
	}
	// Again, the same.
	if diff := cmp.Diff(want, replayAll(t, s), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("replayed twice (-want +got):\n%s", diff)
	}
	if err := s.Add(in[0]); !errors.Is(err, ErrSpoolClosed) {
		t.Errorf("Add after Replay = %v, want ErrSpoolClosed", err)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.Replay(func(Packet) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Replay stopped after %d packets with %v, want 1 and fn's error", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Replay(func(Packet) error { return nil }); !errors.Is(err, ErrSpoolClosed) {
		t.Errorf("Replay after Close = %v, want ErrSpoolClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("the spool left %d files in its directory", len(left))
	}
}

// TestSpoolFileUnlinked: on Unix systems the spool file has no name while
// it is used, so a killed process leaves nothing behind.
func TestSpoolFileUnlinked(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipping: Windows cannot remove an open file")
	}
	dir := t.TempDir()
	s, err := NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Add(Packet{Data: []byte{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the spool file has a name in %s while in use: %v", dir, left)
	}
}

func TestSpoolNoDirectory(t *testing.T) {
	if _, err := NewSpool("/nonexistent/ftpscope"); err == nil {
		t.Error("NewSpool in a missing directory succeeded")
	}
}

// TestSpoolAddAllocs pins Add at zero allocations: it runs for every
// packet -w keeps while the analysis runs.
func TestSpoolAddAllocs(t *testing.T) {
	s, err := NewSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := Packet{Data: make([]byte, 100), Info: gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 100, Length: 100}}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := s.Add(p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Add allocates %.2f times per packet, want 0", allocs)
	}
}

func BenchmarkSpool(b *testing.B) {
	s, err := NewSpool(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := Packet{Data: make([]byte, 200), Info: gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 200, Length: 200},
		LinkType: layers.LinkTypeEthernet}
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for b.Loop() {
		if err := s.Add(p); err != nil {
			b.Fatal(err)
		}
	}
}

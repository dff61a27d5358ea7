package capture

import (
	"context"
	"errors"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestInterfaceErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  *InterfaceError
		want string
		is   []error
	}{
		{
			name: "permission, as people hit it without sudo",
			err:  &InterfaceError{Interface: "eth0", Kind: ErrPermission, Err: syscall.EPERM},
			want: "permission denied opening eth0: run as root or grant CAP_NET_RAW (sudo setcap cap_net_raw+ep $(which ftpscope))",
			is:   []error{ErrPermission, syscall.EPERM},
		},
		{
			name: "typo in the interface name",
			err:  &InterfaceError{Interface: "eth9", Kind: ErrNoInterface, Available: []string{"lo", "eth0", "veth1"}},
			want: `no interface "eth9"; interfaces here: lo, eth0, veth1`,
			is:   []error{ErrNoInterface},
		},
		{
			name: "no interfaces at all",
			err:  &InterfaceError{Interface: "eth0", Kind: ErrNoInterface},
			want: `no interface "eth0"; interfaces here: none`,
			is:   []error{ErrNoInterface},
		},
		{
			name: "administratively down",
			err:  &InterfaceError{Interface: "eth1", Kind: ErrInterfaceDown},
			want: "interface eth1 is down",
			is:   []error{ErrInterfaceDown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
			for _, target := range tt.is {
				if !errors.Is(tt.err, target) {
					t.Errorf("errors.Is(err, %v) = false, want true", target)
				}
			}
			for _, other := range []error{ErrPermission, ErrNoInterface, ErrInterfaceDown} {
				if other != tt.err.Kind && errors.Is(tt.err, other) {
					t.Errorf("errors.Is(err, %v) = true, want false", other)
				}
			}
		})
	}
}

func TestLiveOptionsNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in      LiveOptions
		want    LiveOptions
		wantErr bool
	}{
		{name: "zero values get defaults", in: LiveOptions{Interface: "eth0"},
			want: LiveOptions{Interface: "eth0", Snaplen: DefaultSnaplen, PollTimeout: DefaultPollTimeout}},
		{name: "short snaplen kept", in: LiveOptions{Snaplen: 96, PollTimeout: time.Second},
			want: LiveOptions{Snaplen: 96, PollTimeout: time.Second}},
		{name: "sub-millisecond poll would spin", in: LiveOptions{Snaplen: 96, PollTimeout: time.Microsecond},
			want: LiveOptions{Snaplen: 96, PollTimeout: time.Millisecond}},
		{name: "negative snaplen", in: LiveOptions{Snaplen: -1}, wantErr: true},
		{name: "snaplen past tcpdump's limit", in: LiveOptions{Snaplen: DefaultSnaplen + 1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.normalize()
			if (err != nil) != tt.wantErr {
				t.Fatalf("normalize() error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("normalize() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Minimal IP headers: only the version nibble matters to the live source.
var (
	liveIPv4 = []byte{0x45, 0x00, 0x00, 0x14}
	liveIPv6 = []byte{0x60, 0x00, 0x00, 0x00}
)

func liveCat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// fakeLiveRead is one scripted result of fakeLiveHandle.read.
type fakeLiveRead struct {
	data []byte
	ci   gopacket.CaptureInfo
	err  error
}

// fakeLiveHandle plays scripted reads, then poll timeouts for ever, and
// records whether it was ever closed during a read.
type fakeLiveHandle struct {
	mu           sync.Mutex
	reads        []fakeLiveRead
	reading      bool
	closed       bool
	closedInRead bool
	drops        int64
	dropsErr     error
}

func (f *fakeLiveHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, gopacket.CaptureInfo{}, errors.New("read after close")
	}
	f.reading = true
	var r fakeLiveRead
	if len(f.reads) > 0 {
		r, f.reads = f.reads[0], f.reads[1:]
	} else {
		r.err = errPollTimeout
	}
	f.mu.Unlock()
	if errors.Is(r.err, errPollTimeout) {
		time.Sleep(time.Millisecond) // like a short poll
	}
	f.mu.Lock()
	f.reading = false
	f.mu.Unlock()
	return r.data, r.ci, r.err
}

func (f *fakeLiveHandle) dropped() (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drops, f.dropsErr
}

func (f *fakeLiveHandle) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closedInRead = f.closedInRead || f.reading
	f.closed = true
}

func (f *fakeLiveHandle) state() (closed, closedInRead bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed, f.closedInRead
}

// liveGot is what the tests compare of a Packet.
type liveGot struct {
	Data     []byte
	Info     gopacket.CaptureInfo
	LinkType layers.LinkType
	Source   int
	Number   int
}

func liveReadAll(t *testing.T, src Source) []liveGot {
	t.Helper()
	var got []liveGot
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatalf("Next() error = %v", err)
		}
		got = append(got, liveGot{append([]byte(nil), p.Data...), p.Info, p.LinkType, p.Source, p.Number})
	}
}

func TestLiveSourceNext(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	long := liveCat(liveIPv6, make([]byte, 100))
	ci := func(sec, length int) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(sec) * time.Second), CaptureLength: length, Length: length, InterfaceIndex: 3}
	}
	eth := func(etherType ...byte) []byte {
		return append([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, etherType...)
	}
	ethIPv4 := liveCat(eth(0x08, 0x00), liveIPv4)
	vlanIPv6 := liveCat(eth(0x81, 0x00, 0x20, 0x0a, 0x86, 0xdd), liveIPv6) // priority 1, VLAN 10
	tests := []struct {
		name       string
		lt         layers.LinkType // Raw when zero
		reads      []fakeLiveRead
		drops      int64
		dropsErr   error
		want       []liveGot
		wantInfo   Info
		wantClosed bool
	}{
		{
			name: "packets numbered, timeouts and non-IP skipped, snaplen applied, read error ends",
			reads: []fakeLiveRead{
				{data: liveIPv4, ci: ci(1, 4)},
				{err: errPollTimeout},
				{data: []byte{0x00, 0x01, 0x08, 0x00}, ci: ci(2, 4)}, // ARP before the filter was attached
				{data: long, ci: ci(3, len(long))},
				{err: syscall.ENETDOWN},
				{data: liveIPv4, ci: ci(4, 4)}, // never read
			},
			drops: 7,
			want: []liveGot{
				{Data: liveIPv4, Info: ci(1, 4), LinkType: layers.LinkTypeRaw, Number: 1},
				{Data: long[:64], Info: gopacket.CaptureInfo{Timestamp: t0.Add(3 * time.Second), CaptureLength: 64, Length: len(long), InterfaceIndex: 3},
					LinkType: layers.LinkTypeRaw, Number: 2},
			},
			wantInfo: Info{
				Name: "any", LinkTypes: []string{"Raw"}, Packets: 2, Bytes: 68,
				FirstSeen: t0.Add(time.Second), LastSeen: t0.Add(3 * time.Second),
				Errors:  []string{"any: capture ended: network is down"},
				Dropped: 7,
			},
			wantClosed: true,
		},
		{
			name:       "handle closed by the backend ends quietly",
			reads:      []fakeLiveRead{{data: liveIPv6, ci: ci(1, 4)}, {err: io.EOF}},
			want:       []liveGot{{Data: liveIPv6, Info: ci(1, 4), LinkType: layers.LinkTypeRaw, Number: 1}},
			wantInfo:   Info{Name: "any", LinkTypes: []string{"Raw"}, Packets: 1, Bytes: 4, FirstSeen: t0.Add(time.Second), LastSeen: t0.Add(time.Second)},
			wantClosed: true,
		},
		{
			name: "Ethernet: frames without IP skipped, VLAN tags kept",
			lt:   layers.LinkTypeEthernet,
			reads: []fakeLiveRead{
				{data: liveCat(eth(0x08, 0x06), make([]byte, 28)), ci: ci(1, 42)}, // ARP
				{data: ethIPv4, ci: ci(2, len(ethIPv4))},
				{data: liveCat(eth(0x08, 0x00), liveIPv6), ci: ci(3, 18)}, // says IPv4, is not
				{data: vlanIPv6, ci: ci(4, len(vlanIPv6))},
				{err: io.EOF},
			},
			want: []liveGot{
				{Data: ethIPv4, Info: ci(2, len(ethIPv4)), LinkType: layers.LinkTypeEthernet, Number: 1},
				{Data: vlanIPv6, Info: ci(4, len(vlanIPv6)), LinkType: layers.LinkTypeEthernet, Number: 2},
			},
			wantInfo: Info{Name: "any", LinkTypes: []string{"Ethernet"}, Packets: 2, Bytes: int64(len(ethIPv4) + len(vlanIPv6)),
				FirstSeen: t0.Add(2 * time.Second), LastSeen: t0.Add(4 * time.Second)},
			wantClosed: true,
		},
		{
			name:       "drop counter unreadable",
			reads:      []fakeLiveRead{{err: errors.New("poll failed")}},
			dropsErr:   errors.New("bad file descriptor"),
			wantInfo:   Info{Name: "any", Errors: []string{"any: capture ended: poll failed"}, Dropped: -1},
			wantClosed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeLiveHandle{reads: tt.reads, drops: tt.drops, dropsErr: tt.dropsErr}
			// Named "any", whose read errors are not looked up among
			// this machine's interfaces.
			lt := tt.lt
			if lt == 0 {
				lt = layers.LinkTypeRaw
			}
			src := newLiveSource(context.Background(), AnyInterface, 64, lt, h)
			if src.LinkType() != lt {
				t.Errorf("LinkType() = %v, want %v", src.LinkType(), lt)
			}
			got := liveReadAll(t, src)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("packets mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]Info{tt.wantInfo}, src.Infos(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Infos() mismatch (-want +got):\n%s", diff)
			}
			if closed, _ := h.state(); closed != tt.wantClosed {
				t.Errorf("handle closed = %v, want %v", closed, tt.wantClosed)
			}
			if _, err := src.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("Next() after the end = %v, want io.EOF", err)
			}
			if err := src.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
		})
	}
}

func TestLiveSourceDataIsACopy(t *testing.T) {
	ring := liveCat(liveIPv4, []byte{1, 2, 3})
	h := &fakeLiveHandle{reads: []fakeLiveRead{{data: ring, ci: gopacket.CaptureInfo{CaptureLength: 7, Length: 7}}}}
	src := newLiveSource(context.Background(), "lo", DefaultSnaplen, layers.LinkTypeRaw, h)
	defer src.Close()
	p, err := src.Next()
	if err != nil {
		t.Fatalf("Next() error = %v", err)
	}
	want := append([]byte(nil), ring...)
	ring[4] = 0xff // the kernel reuses its ring slot
	if diff := cmp.Diff(want, p.Data); diff != "" {
		t.Errorf("Packet.Data changed with the ring (-want +got):\n%s", diff)
	}
}

// TestLiveSourceStops checks both ways a capture is stopped while Next is
// waiting for packets: the context is cancelled, or Close is called from
// another goroutine. Either way Next returns io.EOF and the handle is
// closed, never during a read.
func TestLiveSourceStops(t *testing.T) {
	tests := []struct {
		name string
		stop func(cancel context.CancelFunc, src Source) error
	}{
		{"context cancelled", func(cancel context.CancelFunc, _ Source) error { cancel(); return nil }},
		{"Close from another goroutine", func(_ context.CancelFunc, src Source) error { return src.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h := &fakeLiveHandle{}
			src := newLiveSource(ctx, "eth0", DefaultSnaplen, layers.LinkTypeRaw, h)
			done := make(chan error, 1)
			go func() {
				_, err := src.Next()
				done <- err
			}()
			time.Sleep(5 * time.Millisecond) // let Next start waiting
			if err := tt.stop(cancel, src); err != nil {
				t.Errorf("stopping: %v", err)
			}
			if err := <-done; !errors.Is(err, io.EOF) {
				t.Errorf("Next() = %v, want io.EOF", err)
			}
			if err := src.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
			closed, inRead := h.state()
			if !closed || inRead {
				t.Errorf("handle closed = %v, closed during a read = %v; want true, false", closed, inRead)
			}
		})
	}
}

// TestLiveSourceReportsIdle: with ReportIdle, a poll timeout comes back as
// ErrIdle and the next packet still follows; without it, Next waits on.
func TestLiveSourceReportsIdle(t *testing.T) {
	reads := []fakeLiveRead{{err: errPollTimeout}, {data: liveIPv4, ci: gopacket.CaptureInfo{CaptureLength: len(liveIPv4), Length: len(liveIPv4)}}}
	for _, idle := range []bool{true, false} {
		h := &fakeLiveHandle{reads: append([]fakeLiveRead(nil), reads...)}
		src := newLiveSource(context.Background(), AnyInterface, DefaultSnaplen, layers.LinkTypeRaw, h)
		src.reportIdle = idle
		_, err := src.Next()
		if idle {
			if !errors.Is(err, ErrIdle) {
				t.Fatalf("ReportIdle: first Next() = %v, want ErrIdle", err)
			}
			_, err = src.Next()
		}
		if err != nil {
			t.Errorf("ReportIdle %v: Next() after the timeout = %v, want the packet", idle, err)
		}
		src.Close()
	}
}

// TestLiveSourceDrainsAfterCancel: packets the kernel captured before the
// cancel are still returned; the first poll timeout then ends the source.
func TestLiveSourceDrainsAfterCancel(t *testing.T) {
	pkt := gopacket.CaptureInfo{CaptureLength: len(liveIPv4), Length: len(liveIPv4)}
	h := &fakeLiveHandle{reads: []fakeLiveRead{{data: liveIPv4, ci: pkt}, {data: liveIPv4, ci: pkt}, {err: errPollTimeout}, {data: liveIPv4, ci: pkt}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := newLiveSource(ctx, AnyInterface, DefaultSnaplen, layers.LinkTypeRaw, h)
	defer src.Close()
	n := 0
	for {
		_, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d packets drained after the cancel, want the 2 before the poll timeout", n)
	}
}

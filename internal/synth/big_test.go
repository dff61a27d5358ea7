package synth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ftpscope/ftpscope/internal/synth"
)

// bigReadBack is what reading a big capture back found.
type bigReadBack struct {
	Packets int
	// FTP counts the packets of the FTP control and data connections,
	// Noise the DNS and HTTPS packets.
	FTP, Noise int
	DNS        int
	// Announced counts the PASV (227) and PORT announcements; Connected
	// those whose endpoint received a SYN and answered with a SYN-ACK.
	Announced, Connected int
	// Undecodable counts packets gopacket could not decode, Unordered those
	// older than the packet before them.
	Undecodable, Unordered int
	Bytes                  int64
	First, Last            time.Time
}

// hostPortRE matches the h1,h2,h3,h4,p1,p2 of a 227 reply or a PORT command
// (RFC 959 section 4.1.2).
var hostPortRE = regexp.MustCompile(`^(?:227 Entering Passive Mode \(|PORT )(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)`)

// readBig reads capture b and checks each data connection independently of
// ftpscope: every announced endpoint must get a SYN and send a SYN-ACK.
func readBig(t *testing.T, b []byte) bigReadBack {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Errorf("link type %v, want Ethernet", r.LinkType())
	}
	var got bigReadBack
	announced := map[netip.AddrPort]bool{}
	synTo, synAckFrom := map[netip.AddrPort]bool{}, map[netip.AddrPort]bool{}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", got.Packets+1, err)
		}
		got.Packets++
		got.Bytes += int64(len(data))
		if got.Packets == 1 {
			got.First = ci.Timestamp
		} else if ci.Timestamp.Before(got.Last) {
			got.Unordered++
		}
		got.Last = ci.Timestamp

		p := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if p.ErrorLayer() != nil || ip == nil {
			got.Undecodable++
			continue
		}
		if dns, ok := p.Layer(layers.LayerTypeDNS).(*layers.DNS); ok {
			got.DNS++
			if len(dns.Questions) != 1 {
				t.Errorf("packet %d: DNS with %d questions, want 1", got.Packets, len(dns.Questions))
			}
			got.Noise++
			continue
		}
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			got.Undecodable++
			continue
		}
		if tcp.SrcPort == 443 || tcp.DstPort == 443 {
			got.Noise++
			continue
		}
		got.FTP++
		src, _ := netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ := netip.AddrFromSlice(ip.DstIP.To4())
		switch {
		case tcp.SYN && !tcp.ACK:
			synTo[netip.AddrPortFrom(dst, uint16(tcp.DstPort))] = true
		case tcp.SYN && tcp.ACK:
			synAckFrom[netip.AddrPortFrom(src, uint16(tcp.SrcPort))] = true
		}
		if m := hostPortRE.FindSubmatch(tcp.Payload); m != nil {
			var n [6]int
			for i := range n {
				n[i], _ = strconv.Atoi(string(m[i+1]))
			}
			ep := netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3])}), uint16(n[4]<<8|n[5]))
			if announced[ep] {
				t.Errorf("packet %d: %v announced twice", got.Packets, ep)
			}
			announced[ep] = true
		}
	}
	got.Announced = len(announced)
	for ep := range announced {
		if synTo[ep] && synAckFrom[ep] {
			got.Connected++
		}
	}
	return got
}

func TestBigCapture(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		sessions                int
		seed                    uint64
		wantPassive, wantActive int
		wantDNS                 int
	}{
		{name: "empty", sessions: 0, seed: 1},
		{name: "one passive session", sessions: 1, seed: 1, wantPassive: 1, wantDNS: 2},
		{name: "third session is active", sessions: 3, seed: 7, wantPassive: 2, wantActive: 1, wantDNS: 6},
		{name: "many sessions open at once", sessions: 120, seed: 42, wantPassive: 80, wantActive: 40, wantDNS: 240},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			st, err := synth.BigCapture(&b, tc.sessions, tc.seed)
			if err != nil {
				t.Fatalf("BigCapture: %v", err)
			}
			wantStats := synth.BigStats{Sessions: tc.sessions, Passive: tc.wantPassive, Active: tc.wantActive}
			gotStats := synth.BigStats{Sessions: st.Sessions, Passive: st.Passive, Active: st.Active}
			if diff := cmp.Diff(wantStats, gotStats); diff != "" {
				t.Errorf("sessions (-want +got):\n%s", diff)
			}

			got := readBig(t, b.Bytes())
			want := bigReadBack{
				Packets: st.Packets, FTP: st.FTPPackets, Noise: st.NoisePackets, DNS: tc.wantDNS,
				Announced: tc.sessions, Connected: tc.sessions,
				Bytes: st.Bytes, First: st.First, Last: st.Last,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			// Every session has at least 38 packets: handshake, banner,
			// login, setup, transfer of 5 or more segments, QUIT, close.
			if st.FTPPackets < 38*tc.sessions {
				t.Errorf("%d FTP packets for %d sessions, want at least %d", st.FTPPackets, tc.sessions, 38*tc.sessions)
			}
		})
	}
}

// TestBigCaptureUnchanged pins the default big capture (no bulk traffic),
// so that a change to the generator that alters it is seen: bench/run.sh
// compares figures across runs on this capture. The hash and stats are
// those of the generator before FTPShare existed.
func TestBigCaptureUnchanged(t *testing.T) {
	var b bytes.Buffer
	st, err := synth.BigCapture(&b, 1000, 1)
	if err != nil {
		t.Fatalf("BigCapture: %v", err)
	}
	want := synth.BigStats{
		Sessions: 1000, Passive: 667, Active: 333,
		Packets: 45533, FTPPackets: 38325, NoisePackets: 7208,
		Bytes: 12732797,
	}
	got := st
	got.First, got.Last = time.Time{}, time.Time{}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if span, want := st.Last.Sub(st.First), 1057858500*time.Nanosecond; span != want {
		t.Errorf("span %v, want %v", span, want)
	}
	sum := sha256.Sum256(b.Bytes())
	if got, want := hex.EncodeToString(sum[:]), "ae7331e98732a5ae8a7f4bf2870dd948f037bbe64e0f6879e2360feec1053c36"; got != want {
		t.Errorf("sha256 %s, want %s", got, want)
	}
}

// TestBigCaptureMixed checks the mixed capture: bulk downloads between other
// hosts bring FTP down to about the share asked for, and the FTP sessions
// are those of the default capture.
func TestBigCaptureMixed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sessions int
		share    float64
	}{
		{name: "ten percent FTP", sessions: 200, share: 0.10},
		{name: "half FTP", sessions: 100, share: 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			st, err := synth.BigCaptureWith(&b, synth.BigOptions{Sessions: tc.sessions, Seed: 1, FTPShare: tc.share})
			if err != nil {
				t.Fatalf("BigCaptureWith: %v", err)
			}
			var plain bytes.Buffer
			pst, err := synth.BigCapture(&plain, tc.sessions, 1)
			if err != nil {
				t.Fatalf("BigCapture: %v", err)
			}
			if st.FTPPackets != pst.FTPPackets || st.Passive != pst.Passive || st.Active != pst.Active {
				t.Errorf("FTP: %d packets, %d passive, %d active; without bulk %d, %d, %d",
					st.FTPPackets, st.Passive, st.Active, pst.FTPPackets, pst.Passive, pst.Active)
			}
			if st.BulkConnections == 0 || st.NoisePackets-st.BulkPackets != pst.NoisePackets {
				t.Errorf("%d bulk connections, %d noise packets of which %d bulk; without bulk %d noise packets",
					st.BulkConnections, st.NoisePackets, st.BulkPackets, pst.NoisePackets)
			}
			if got := float64(st.FTPPackets) / float64(st.Packets); got < tc.share*0.95 || got > tc.share*1.05 {
				t.Errorf("FTP is %.3f of the packets (%d of %d), want %.3f ± 5 %%", got, st.FTPPackets, st.Packets, tc.share)
			}
			got := readBig(t, b.Bytes())
			want := bigReadBack{
				Packets: st.Packets, FTP: st.FTPPackets, Noise: st.NoisePackets, DNS: 2 * tc.sessions,
				Announced: tc.sessions, Connected: tc.sessions,
				// The file holds microseconds; a frame's clock may be
				// half a microsecond on (conv.says waits rtt/2).
				Bytes: st.Bytes, First: st.First.Truncate(time.Microsecond), Last: st.Last.Truncate(time.Microsecond),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBigCaptureInterleaved checks that sessions overlap in time, as on a
// busy server, instead of following each other.
func TestBigCaptureInterleaved(t *testing.T) {
	var b bytes.Buffer
	if _, err := synth.BigCapture(&b, 200, 3); err != nil {
		t.Fatalf("BigCapture: %v", err)
	}
	r, err := pcapgo.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	// Sessions open at once: control connections that sent a SYN and
	// have not yet closed (the server's FIN ends them).
	open, most := map[uint16]bool{}, 0
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.NoCopy)
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			continue
		}
		switch {
		case tcp.DstPort == 21 && tcp.SYN:
			open[uint16(tcp.SrcPort)] = true
		case tcp.SrcPort == 21 && tcp.FIN:
			delete(open, uint16(tcp.DstPort))
		}
		most = max(most, len(open))
	}
	if len(open) != 0 {
		t.Errorf("%d control connections never closed", len(open))
	}
	// About 0.3 s per session and 0.5 ms between starts: far more than 50
	// sessions overlap once the first ones are running.
	if most < 50 {
		t.Errorf("at most %d sessions open at once, want at least 50", most)
	}
}

func TestBigCaptureDeterministic(t *testing.T) {
	build := func(sessions int, seed uint64) []byte {
		t.Helper()
		var b bytes.Buffer
		if _, err := synth.BigCapture(&b, sessions, seed); err != nil {
			t.Fatalf("BigCapture(%d, %d): %v", sessions, seed, err)
		}
		return b.Bytes()
	}
	mixed := func(sessions int, seed uint64) []byte {
		t.Helper()
		var b bytes.Buffer
		if _, err := synth.BigCaptureWith(&b, synth.BigOptions{Sessions: sessions, Seed: seed, FTPShare: 0.1}); err != nil {
			t.Fatalf("BigCaptureWith(%d, %d): %v", sessions, seed, err)
		}
		return b.Bytes()
	}
	for _, tc := range []struct {
		name      string
		a, b      func() []byte
		wantEqual bool
	}{
		{"same sessions and seed", func() []byte { return build(40, 5) }, func() []byte { return build(40, 5) }, true},
		{"another seed", func() []byte { return build(40, 5) }, func() []byte { return build(40, 6) }, false},
		{"another session count", func() []byte { return build(40, 5) }, func() []byte { return build(41, 5) }, false},
		{"mixed, same options", func() []byte { return mixed(40, 5) }, func() []byte { return mixed(40, 5) }, true},
		{"mixed, another seed", func() []byte { return mixed(40, 5) }, func() []byte { return mixed(40, 6) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.a(), tc.b()
			if got := bytes.Equal(a, b); got != tc.wantEqual {
				t.Errorf("captures equal = %t (%d and %d bytes), want %t", got, len(a), len(b), tc.wantEqual)
			}
		})
	}
}

// failingWriter fails every write after the first n bytes.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestBigCaptureErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		w        io.Writer
		sessions int
		share    float64
	}{
		{"negative session count", io.Discard, -1, 0},
		{"writer fails", &failingWriter{n: 1 << 20}, 200, 0},
		{"writer fails in the bulk traffic", &failingWriter{n: 4 << 20}, 200, 0.1},
		{"FTP share of one", io.Discard, 10, 1},
		{"negative FTP share", io.Discard, 10, -0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := synth.BigOptions{Sessions: tc.sessions, Seed: 1, FTPShare: tc.share}
			if _, err := synth.BigCaptureWith(tc.w, o); err == nil {
				t.Errorf("BigCaptureWith(%+v) succeeded, want an error", o)
			}
		})
	}
}

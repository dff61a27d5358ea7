//go:build linux

package main

// End-to-end tests of -w on a live capture: the frames written keep the
// interface's link layer (Ethernet with the veth ends' MAC addresses, and
// VLAN tags), carry their comments, and say, analysed again, what the
// live capture said. Like live_e2e_test.go they need root and skip
// otherwise.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/internal/netns"
	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"
)

// tsharkFields runs tshark -T fields on a file, one line per frame with
// the fields separated by tabs and the occurrences of one field by \x1f.
func tsharkFields(t *testing.T, path string, fields ...string) [][]string {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skipf("skipping: tshark is not installed (apt-get install tshark): %v", err)
	}
	args := []string{"-r", path, "-T", "fields", "-E", "aggregator=\x1f"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rows [][]string
	for line := range strings.Lines(string(out)) {
		rows = append(rows, strings.Split(strings.TrimSuffix(line, "\n"), "\t"))
	}
	return rows
}

// macOf returns the MAC address of dev inside ns.
func macOf(t *testing.T, ns *netns.NS, dev string) string {
	t.Helper()
	// ip netns exec mounts the namespace's own /sys.
	out, err := ns.Output(context.Background(), "cat", "/sys/class/net/"+dev+"/address")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// fileLinkTypes returns the link types of a capture file.
func fileLinkTypes(t *testing.T, path string) []string {
	t.Helper()
	src, err := capture.OpenFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		if _, err := src.Next(); err != nil {
			break
		}
	}
	return src.Infos()[0].LinkTypes
}

// TestLiveWrite runs the passive and active downloads through vsftpd while
// ftpscope sniffs with -w, then reads the file it wrote with tshark: on
// the veth every frame keeps its Ethernet header, each host's packets come
// from its own end's MAC address, and every frame says its number in the
// capture; on "any" the frames are raw IP. The file, analysed again, gives
// the sessions of the live report.
func TestLiveWrite(t *testing.T) {
	l := newLiveLab(t)
	clientMAC, serverMAC := macOf(t, l.pair.Client, l.pair.ClientDev), macOf(t, l.pair.Server, l.pair.ServerDev)
	for _, iface := range []string{l.pair.ClientDev, capture.AnyInterface} {
		t.Run(iface, func(t *testing.T) {
			lt := liveLinkType(iface)
			out := filepath.Join(t.TempDir(), "out.pcapng")
			r := startFtpscope(t, l.bin, l.pair.Client, "-i", iface, "-o", "json", "-w", out)
			l.transfers(t, false)
			r.signal(t, os.Interrupt)
			code, stdout, errOut := r.wait(t, "SIGINT")
			if code != exitOK {
				t.Fatalf("exit status %d, want %d\nstderr: %s", code, exitOK, errOut)
			}
			if want := listening(iface, lt) + "\n"; errOut != want {
				t.Errorf("stderr %q, want %q", errOut, want)
			}
			live, _ := decodeLive(t, "json", stdout)
			if diff := cmp.Diff(l.wantSessions(false), viewSessions(live.Sessions)); diff != "" {
				t.Errorf("live sessions (-want +got):\n%s", diff)
			}

			if got := fileLinkTypes(t, out); !slices.Equal(got, []string{lt.String()}) {
				t.Errorf("the file's link types %q, want %v", got, lt)
			}
			rows := tsharkFields(t, out, "frame.comment", "eth.src", "ip.src")
			macs := map[string]string{} // by IP address
			last := 0
			for i, row := range rows {
				comments := strings.Split(row[0], "\x1f")
				m := numberComment.FindStringSubmatch(comments[0])
				n := 0
				if m != nil {
					n, _ = strconv.Atoi(m[2])
				}
				if m == nil || m[1] != iface || n <= last {
					t.Errorf("frame %d: first comment %q, want %q after #%d", i+1, comments[0], "ftpscope: "+iface+" #N", last)
				}
				last = n
				if lt == layers.LinkTypeEthernet {
					if prev, ok := macs[row[2]]; ok && prev != row[1] {
						t.Errorf("frame %d: %s from %s, before from %s", i+1, row[2], row[1], prev)
					}
					macs[row[2]] = row[1]
				}
			}
			if len(rows) == 0 || last > live.Stats.Packets {
				t.Errorf("%d frames written, the last #%d, of %d packets captured", len(rows), last, live.Stats.Packets)
			}
			if lt == layers.LinkTypeEthernet {
				want := map[string]string{l.pair.ClientAddr.String(): clientMAC, l.pair.ServerAddr.String(): serverMAC}
				if diff := cmp.Diff(want, macs); diff != "" {
					t.Errorf("MAC addresses of the hosts in the file (-want +got):\n%s", diff)
				}
			}

			code, back, errOut := ftpscope(t, "-r", out, "-o", "json")
			if code != exitOK {
				t.Fatalf("reading the file back: exit %d: %s", code, errOut)
			}
			rb, _ := decodeLive(t, "json", back)
			if diff := cmp.Diff(viewSessions(live.Sessions), viewSessions(rb.Sessions)); diff != "" {
				t.Errorf("sessions of the file written (-live +file):\n%s", diff)
			}
		})
	}
}

// sendFrames sends frames out of dev inside ns through a packet socket,
// each after the same gap as in the capture they come from, at most
// maxGap. The socket is made inside the namespace by a thread that joins
// it for the time of the call (a socket stays in the namespace it was
// made in).
func sendFrames(t *testing.T, ns *netns.NS, dev string, frames [][]byte, times []time.Time, maxGap time.Duration) {
	t.Helper()
	fd, ifindex := func() (int, int) {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			t.Fatal(err)
		}
		defer self.Close()
		target, err := os.Open("/run/netns/" + ns.Name)
		if err != nil {
			runtime.UnlockOSThread()
			t.Fatal(err)
		}
		defer target.Close()
		setns := func(f *os.File) error { return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET) }
		if err := setns(target); err != nil {
			runtime.UnlockOSThread()
			t.Fatalf("joining %s: %v", ns.Name, err)
		}
		ifc, ierr := net.InterfaceByName(dev)
		fd, serr := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0)
		if err := setns(self); err != nil {
			// The thread stays locked and ends with this goroutine.
			t.Fatalf("leaving %s: %v", ns.Name, err)
		}
		runtime.UnlockOSThread()
		if ierr != nil || serr != nil {
			t.Fatalf("in %s: %v %v", ns.Name, ierr, serr)
		}
		return fd, ifc.Index
	}()
	defer syscall.Close(fd)
	for i, f := range frames {
		if i > 0 {
			time.Sleep(min(times[i].Sub(times[i-1]), maxGap))
		}
		to := &syscall.SockaddrLinklayer{Ifindex: ifindex, Halen: 6}
		copy(to.Addr[:], f[:6])
		if err := syscall.Sendto(fd, f, 0, to); err != nil {
			t.Fatalf("sending frame %d: %v", i+1, err)
		}
	}
}

// TestLiveWriteVLAN plays the frames of a capture, tagged with VLAN 100,
// into a veth pair, as a switch's trunk port would, and captures them on
// the other end with -w. Linux takes the tag out of each frame on receipt
// (no 8021q module needed); the file written has it back, and the live
// report is the capture file's: same sessions, findings and packet
// numbers. Gaps longer than 300 ms are shortened to it (the SYNs resent
// after 1 s are still more than 100 ms apart, so not taken for copies).
func TestLiveWriteVLAN(t *testing.T) {
	skipUnlessNamespaces(t)
	bin := ftpscopeBinary(t)
	p := newPair(t, "v", 251+os.Getpid()%4)
	name := "passive-private-nat.pcap"
	src, err := capture.OpenFiles([]string{filepath.Join(testdataDir, name)})
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	var times []time.Time
	for {
		pk, err := src.Next()
		if err != nil {
			break
		}
		if pk.LinkType != layers.LinkTypeEthernet {
			t.Fatalf("%s: packet %d is %v, not Ethernet", name, pk.Number, pk.LinkType)
		}
		f := slices.Concat(pk.Data[:12], []byte{0x81, 0x00, 0x00, 100}, pk.Data[12:])
		frames = append(frames, f)
		times = append(times, pk.Info.Timestamp)
	}
	src.Close()

	out := filepath.Join(t.TempDir(), "out.pcapng")
	// tcp: only the frames played, not the pair's own IPv6 neighbour
	// discovery, so that the packet numbers are the file's.
	r := startFtpscope(t, bin, p.Server, "-i", p.ServerDev, "-o", "json", "-w", out, "tcp")
	sendFrames(t, p.Client, p.ClientDev, frames, times, 300*time.Millisecond)
	time.Sleep(200 * time.Millisecond) // the last frames reach the ring
	r.signal(t, os.Interrupt)
	code, stdout, errOut := r.wait(t, "SIGINT")
	if code != exitOK {
		t.Fatalf("exit status %d\nstderr: %s", code, errOut)
	}
	code, want, errFile := ftpscope(t, "-r", filepath.Join(testdataDir, name), "-o", "json")
	if code != exitOK {
		t.Fatalf("%s: exit %d: %s", name, code, errFile)
	}
	t.Logf("the report compared:\n%s", strings.Join(findingView(t, want), "\n"))
	if diff := cmp.Diff(findingView(t, want), findingView(t, stdout)); diff != "" {
		t.Errorf("the live report (+) differs from the file's (-):\n%s", diff)
	}

	rows := tsharkFields(t, out, "frame.comment", "vlan.id", "vlan.priority", "eth.src", "eth.dst")
	if len(rows) != len(frames) {
		t.Fatalf("%d frames written, %d played", len(rows), len(frames))
	}
	for i, row := range rows {
		sent := frames[i]
		want := []string{fmt.Sprintf("ftpscope: %s #%d", p.ServerDev, i+1), "100", "0",
			net.HardwareAddr(sent[6:12]).String(), net.HardwareAddr(sent[0:6]).String()}
		row[0], _, _ = strings.Cut(row[0], "\x1f")
		if diff := cmp.Diff(want, row); diff != "" {
			t.Errorf("frame %d (-want +got):\n%s\nsent %s", i+1, diff, hex.EncodeToString(sent[:18]))
		}
	}
}

// findingView is what TestLiveWriteVLAN compares of two JSON reports:
// per session the hosts, verdict and mode, per data channel the setup,
// announcement and what became of it, and every finding's code with the
// packets it cites. Times are left out (the live ones are the replay's).
func findingView(t *testing.T, report string) []string {
	t.Helper()
	var r struct {
		Sessions []struct {
			Client, Server, Verdict, Mode string
			Findings                      []wFindingPackets
			DataChannels                  []struct {
				SetupCommand string  `json:"setup_command"`
				SetupPacket  int     `json:"setup_packet"`
				Announced    *string `json:"announced"`
				Observed     *struct {
					SYNPacket   int    `json:"syn_packet"`
					SYNAttempts int    `json:"syn_attempts"`
					State       string `json:"state"`
				} `json:"observed"`
				TransferReply *int              `json:"transfer_reply"`
				Findings      []wFindingPackets `json:"findings"`
			} `json:"data_channels"`
		}
		Findings []wFindingPackets
	}
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatalf("%v\n%s", err, report)
	}
	var v []string
	for _, s := range r.Sessions {
		v = append(v, fmt.Sprintf("session %s → %s %s %s %v", s.Client, s.Server, s.Verdict, s.Mode, s.Findings))
		for _, d := range s.DataChannels {
			v = append(v, fmt.Sprintf("  channel %s #%d %v %+v %v %v", d.SetupCommand, d.SetupPacket, deref(d.Announced), deref(d.Observed), deref(d.TransferReply), d.Findings))
		}
	}
	return append(v, fmt.Sprint("global ", r.Findings))
}

type wFindingPackets struct {
	Code     string
	Evidence []struct{ Packet int }
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

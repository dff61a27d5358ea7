//go:build linux

package main

// End-to-end test of a live capture on several cores (--workers N with
// -i): the frames of capture files are played into a veth pair and
// captured on the other end by a fanout group of N sockets. Like
// live_e2e_test.go it needs root and skips otherwise.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/internal/synth"
	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
)

// TestLiveWorkers plays captures of many sessions into a veth pair, as
// they were recorded (gaps of more than 300 ms shortened to it), and
// captures them on the other end with --workers 1, 2 and 4: every time
// the report has the sessions, verdicts, data channels and findings that
// the capture file itself gives, the packets are shared by the sockets
// (-v says how), and the kernel dropped none. Played: a synthetic capture
// of 120 sessions, each from its own client (120 address pairs, beside
// DNS and HTTPS), also with an 802.1Q tag on every frame (Linux takes it
// out before the fanout program sees the packet), and the lab's real
// capture of fifty sessions from two clients.
func TestLiveWorkers(t *testing.T) {
	if !capture.LiveFanout {
		t.Skipf("skipping: the %s build captures on one socket", capture.LiveBackend)
	}
	skipUnlessNamespaces(t)
	bin := ftpscopeBinary(t)
	p := newPair(t, "w", 255)

	big := filepath.Join(t.TempDir(), "big.pcap")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synth.BigCapture(f, 120, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		tagged  bool
		workers []int
	}{
		{"120 sessions", big, false, []int{1, 2, 4}},
		{"120 sessions tagged", big, true, []int{2}},
		{"fifty lab sessions", filepath.Join(testdataDir, "lab", "captures", "fifty-sessions.pcap"), false, []int{1, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, times := readFrames(t, tt.path, tt.tagged)
			code, out, errOut := ftpscope(t, "-r", tt.path, "-o", "json")
			if code != exitOK {
				t.Fatalf("%s: exit %d: %s", tt.path, code, errOut)
			}
			want := workersView(t, out)
			if len(want.Sessions) < 50 {
				t.Fatalf("%s has %d sessions", tt.path, len(want.Sessions))
			}
			for _, n := range tt.workers {
				t.Run(fmt.Sprintf("workers=%d", n), func(t *testing.T) {
					r := startFtpscope(t, bin, p.Server, "-i", p.ServerDev, "-o", "json", "-v", "--workers", strconv.Itoa(n))
					sendFrames(t, p.Client, p.ClientDev, frames, times, 300*time.Millisecond)
					time.Sleep(200 * time.Millisecond) // the last frames reach the rings
					r.signal(t, os.Interrupt)
					code, stdout, errOut := r.wait(t, "SIGINT")
					if code != exitOK {
						t.Fatalf("exit status %d\nstderr: %s", code, errOut)
					}
					got := workersView(t, stdout)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("live report with %d workers (+) differs from the file's (-):\n%s", n, diff)
					}
					var rep liveReport
					if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
						t.Fatal(err)
					}
					if len(rep.Sources) != 1 || rep.Sources[0].Dropped == nil || *rep.Sources[0].Dropped != 0 {
						t.Errorf("sources %+v, want one, the interface, with no drop", rep.Sources)
					}
					packets := socketPackets(t, errOut, p.ServerDev)
					t.Logf("packets per socket: %v", packets)
					if len(packets) != n {
						t.Errorf("%d sockets, want %d", len(packets), n)
					}
					var sum, busy int
					for _, k := range packets {
						sum += k
						if k > 0 {
							busy++
						}
					}
					if len(rep.Sources) == 1 && sum != rep.Sources[0].Packets {
						t.Errorf("the sockets read %v packets, %d in all; the report's source %d", packets, sum, rep.Sources[0].Packets)
					}
					if n > 1 && busy < 2 {
						t.Errorf("packets per socket %v: the work was not shared", packets)
					}
					wantErr := listening(p.ServerDev, layers.LinkTypeEthernet) + "\n"
					if first, _, _ := strings.Cut(errOut, "\n"); first+"\n" != wantErr || strings.Count(errOut, "\n") != 2 {
						t.Errorf("stderr %q, want the listening line and the sockets' line", errOut)
					}
				})
			}
		})
	}
}

// readFrames reads the frames of an Ethernet capture and their times,
// with an 802.1Q tag (VLAN 100) put in each when tagged.
func readFrames(t *testing.T, path string, tagged bool) (frames [][]byte, times []time.Time) {
	t.Helper()
	src, err := capture.OpenFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		pk, err := src.Next()
		if err != nil {
			break
		}
		if pk.LinkType != layers.LinkTypeEthernet {
			t.Fatalf("%s: packet %d is %v, not Ethernet", path, pk.Number, pk.LinkType)
		}
		f := slices.Clone(pk.Data)
		if tagged {
			f = slices.Concat(pk.Data[:12], []byte{0x81, 0x00, 0x00, 100}, pk.Data[12:])
		}
		frames = append(frames, f)
		times = append(times, pk.Info.Timestamp)
	}
	return frames, times
}

// workersView is what TestLiveWorkers compares of two JSON reports: the
// sessions, each once, in the order of their client and server, with
// their verdict, mode, data channels (setup, announcement, who opened
// the connection and what became of it, the transfer) and the codes of
// their findings; the global findings; the counts. Session numbers,
// times and packet numbers are left out: they are the live capture's own.
type workersReport struct {
	Sessions               []string
	Findings               []string
	FTPSessions, Channels  int
	SessionNumbersDistinct bool
}

func workersView(t *testing.T, report string) workersReport {
	t.Helper()
	var r struct {
		Sessions []struct {
			ID                            int
			Client, Server, Verdict, Mode string
			Findings                      []liveFinding
			DataChannels                  []struct {
				SetupCommand      string        `json:"setup_command"`
				SetupReply        *int          `json:"setup_reply"`
				Announced         *string       `json:"announced"`
				ExpectedInitiator string        `json:"expected_initiator"`
				Observed          *liveObserved `json:"observed"`
				TransferCommand   *string       `json:"transfer_command"`
				TransferReply     *int          `json:"transfer_reply"`
				Findings          []liveFinding `json:"findings"`
			} `json:"data_channels"`
		}
		Findings []struct{ Code, Summary string }
		Stats    struct {
			FTPSessions  int `json:"ftp_sessions"`
			DataChannels int `json:"data_channels"`
		}
	}
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatalf("%v\n%s", err, report)
	}
	v := workersReport{FTPSessions: r.Stats.FTPSessions, Channels: r.Stats.DataChannels, SessionNumbersDistinct: true}
	ids := map[int]bool{}
	for _, s := range r.Sessions {
		if ids[s.ID] {
			v.SessionNumbersDistinct = false
		}
		ids[s.ID] = true
		line := fmt.Sprintf("%s → %s %s %s %v", s.Client, s.Server, s.Verdict, s.Mode, findingCodes(s.Findings))
		for _, d := range s.DataChannels {
			line += fmt.Sprintf(" | %s %v %v %s %+v %v %v %v", d.SetupCommand, deref(d.SetupReply), deref(d.Announced), d.ExpectedInitiator,
				deref(d.Observed), deref(d.TransferCommand), deref(d.TransferReply), findingCodes(d.Findings))
		}
		v.Sessions = append(v.Sessions, line)
	}
	slices.Sort(v.Sessions)
	for _, f := range r.Findings {
		v.Findings = append(v.Findings, f.Code+": "+f.Summary)
	}
	slices.Sort(v.Findings)
	return v
}

// socketLine is what -v says of a live capture's sockets at its end.
var socketLine = regexp.MustCompile(`(?m)^ftpscope: (\S+): \d+ sockets?: ([\d, and]+) packets, [\d, and]+ dropped by the kernel$`)

// socketPackets reads the packets each socket read from -v's line.
func socketPackets(t *testing.T, stderr, iface string) []int {
	t.Helper()
	m := socketLine.FindStringSubmatch(stderr)
	if m == nil || m[1] != iface {
		t.Fatalf("no line about the sockets of %s in stderr %q", iface, stderr)
	}
	var out []int
	for _, f := range strings.FieldsFunc(m[2], func(r rune) bool { return r == ',' || r == ' ' }) {
		if f == "and" {
			continue
		}
		k, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%q: %v", m[0], err)
		}
		out = append(out, k)
	}
	return out
}

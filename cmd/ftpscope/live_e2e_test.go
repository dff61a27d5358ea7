//go:build linux

package main

// End-to-end tests of live capture (-i). Most need root: they build two
// network namespaces joined by a veth pair whose private addresses
// (10.77.0.0/16) exist only there, run a real vsftpd in one and real curl
// in the other, and run ftpscope, built from this package, sniffing inside
// one of them. Nothing is sent anywhere else. Without root, iproute2,
// vsftpd or curl, or where namespaces cannot be made, they skip and say
// why.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/internal/netns"
	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
)

// The file vsftpd serves, and its data ports.
const (
	liveFile     = "file.bin"
	liveFileSize = 256 << 10
	livePasvMin  = 40000
	livePasvMax  = 40049
)

// Bounds that keep a broken build from hanging the test run; none of them
// is a timed assertion (on a healthy run everything takes milliseconds).
const (
	liveSetupTimeout = 15 * time.Second // namespaces, vsftpd, ftpscope's socket
	liveRunTimeout   = 60 * time.Second // one ftpscope process, killed after it
	liveEndTimeout   = 15 * time.Second // from the signal or the last transfer to exit
	liveCurlTimeout  = "20"             // curl --max-time, seconds
)

// raceBuild says to build the binary with -race (race_test.go sets it
// when the tests run with -race).
var raceBuild bool

// liveBin is the ftpscope binary the live tests run: built at most once per
// test binary, into a directory that user nobody may read, and removed by
// TestMain.
var liveBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if liveBin.dir != "" {
		os.RemoveAll(liveBin.dir)
	}
	os.Exit(code)
}

// ftpscopeBinary builds this package once and returns the binary's path.
func ftpscopeBinary(t *testing.T) string {
	t.Helper()
	liveBin.once.Do(func() {
		gocmd, err := exec.LookPath("go")
		if err != nil {
			liveBin.err = fmt.Errorf("the go command is needed to build ftpscope: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "ftpscope-e2e-")
		if err != nil {
			liveBin.err = err
			return
		}
		liveBin.dir = dir
		if err := os.Chmod(dir, 0o755); err != nil {
			liveBin.err = err
			return
		}
		path := filepath.Join(dir, "ftpscope")
		args := []string{"build", "-o", path}
		if raceBuild {
			args = append(args, "-race")
		}
		if capture.LiveBackend == "libpcap" {
			// The binary captures as this test binary does.
			args = append(args, "-tags", "libpcap")
		}
		if out, err := exec.Command(gocmd, append(args, ".")...).CombinedOutput(); err != nil {
			liveBin.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		liveBin.path = path
	})
	if liveBin.err != nil {
		t.Fatalf("building ftpscope: %v", liveBin.err)
	}
	return liveBin.path
}

// liveLinkType is the link type of a capture on iface in this build:
// Ethernet on a veth end; on "any" raw IP (afpacket) or Linux cooked
// (libpcap).
func liveLinkType(iface string) layers.LinkType {
	switch {
	case iface != capture.AnyInterface:
		return layers.LinkTypeEthernet
	case capture.LiveBackend == "libpcap":
		return layers.LinkTypeLinuxSLL
	}
	return layers.LinkTypeRaw
}

// skipUnlessNamespaces skips t when it cannot make network namespaces.
func skipUnlessNamespaces(t *testing.T) {
	t.Helper()
	if err := netns.Usable(); err != nil {
		t.Skipf("skipping live end-to-end test: %v", err)
	}
}

// ftpServer finds vsftpd and curl and checks that vsftpd's anonymous user
// exists, or skips t.
func ftpServer(t *testing.T) (vsftpd string) {
	t.Helper()
	vsftpd, err := exec.LookPath("vsftpd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/vsftpd"); serr != nil {
			t.Skipf("skipping live end-to-end test: vsftpd is not installed (apt-get install vsftpd): %v", err)
		}
		vsftpd = "/usr/sbin/vsftpd"
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skipf("skipping live end-to-end test: curl is not installed (apt-get install curl): %v", err)
	}
	// vsftpd changes into the anonymous user's home before it chroots to
	// anon_root; Debian's package makes user ftp with home /srv/ftp.
	u, err := user.Lookup("ftp")
	if err != nil {
		t.Skipf("skipping live end-to-end test: vsftpd's anonymous user ftp does not exist (the vsftpd package makes it): %v", err)
	}
	if _, err := os.Stat(u.HomeDir); err != nil {
		t.Skipf("skipping live end-to-end test: the home of user ftp is missing, vsftpd cannot log anonymous users in: %v", err)
	}
	return vsftpd
}

// newPair makes the namespaces of one test; tag tells the tests of one
// process apart, and the subnet 10.77.<octet>.0/24 exists only in them.
func newPair(t *testing.T, tag string, octet int) *netns.Pair {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveSetupTimeout)
	defer cancel()
	p, err := netns.NewPair(ctx, fmt.Sprintf("fe%d%s", os.Getpid()%100000, tag), netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 77, byte(octet), 0}), 24))
	if errors.Is(err, netns.ErrNoNamespaces) {
		t.Skipf("skipping live end-to-end test: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("removing the namespaces: %v", err)
		}
	})
	return p
}

// liveLab is a namespace pair with vsftpd serving liveFile on the server
// side.
type liveLab struct {
	pair *netns.Pair
	bin  string
	file []byte
}

func newLiveLab(t *testing.T) *liveLab {
	t.Helper()
	skipUnlessNamespaces(t)
	vsftpd := ftpServer(t)
	l := &liveLab{bin: ftpscopeBinary(t), file: make([]byte, liveFileSize)}
	for i := range l.file {
		l.file[i] = byte(i*7 + i>>9)
	}
	l.pair = newPair(t, "a", 1+os.Getpid()%200)

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{root, empty} {
		// The anonymous session reads root after dropping to user ftp.
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, liveFile), l.file, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "vsftpd.conf")
	text := fmt.Sprintf(`listen=YES
listen_ipv6=NO
listen_address=%s
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=%s
local_enable=NO
write_enable=NO
secure_chroot_dir=%s
seccomp_sandbox=NO
pasv_enable=YES
port_enable=YES
connect_from_port_20=YES
pasv_min_port=%d
pasv_max_port=%d
connect_timeout=5
accept_timeout=5
xferlog_enable=NO
dirmessage_enable=NO
`, l.pair.ServerAddr, root, empty, livePasvMin, livePasvMax)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "vsftpd.out")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()

	cmd := l.pair.Server.Command(context.Background(), vsftpd, conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so that cleanup stops the session processes
	// it forks too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting vsftpd: %v", err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	ctx, cancel := context.WithTimeout(context.Background(), liveSetupTimeout)
	defer cancel()
	if err := l.pair.Server.WaitListen(ctx, 21); err != nil {
		out, _ := os.ReadFile(logPath)
		t.Fatalf("vsftpd did not start: %v\nvsftpd said: %s", err, out)
	}
	return l
}

// transfers downloads liveFile with curl in the client namespace: first in
// passive mode (curl connects to the port vsftpd announced), then in active
// mode (vsftpd connects from port 20 to the port curl announced). classic
// uses PASV and PORT instead of EPSV and EPRT. Both downloads must bring
// the whole file.
func (l *liveLab) transfers(t *testing.T, classic bool) {
	t.Helper()
	dir := t.TempDir()
	url := fmt.Sprintf("ftp://%s/%s", l.pair.ServerAddr, liveFile)
	for _, mode := range []string{"passive", "active"} {
		out := filepath.Join(dir, mode)
		args := []string{"-sS", "--max-time", liveCurlTimeout, "-o", out}
		switch {
		case mode == "active":
			args = append(args, "-P", "-")
			if classic {
				args = append(args, "--disable-eprt")
			}
		case classic:
			args = append(args, "--disable-epsv")
		}
		ctx, cancel := context.WithTimeout(context.Background(), liveRunTimeout)
		_, err := l.pair.Client.Output(ctx, "curl", append(args, url)...)
		cancel()
		if err != nil {
			t.Fatalf("%s download: %v", mode, err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, l.file) {
			t.Fatalf("%s download brought %d bytes, not the %d of %s", mode, len(got), len(l.file), liveFile)
		}
	}
}

// liveRun is one ftpscope process sniffing inside a namespace.
type liveRun struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer // read only after done
	stderr lineBuffer
	done   chan struct{}
}

// lineBuffer is a buffer that may be read while it is written, and says
// when its first line is complete.
type lineBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	once  sync.Once
	first chan struct{} // closed once the first line is complete
}

func newLineBuffer() lineBuffer { return lineBuffer{first: make(chan struct{})} }

func (l *lineBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.b.Write(p)
	if bytes.IndexByte(l.b.Bytes(), '\n') >= 0 {
		l.once.Do(func() { close(l.first) })
	}
	return n, err
}

func (l *lineBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startFtpscope starts ftpscope with args inside ns and returns once it
// is capturing: its packet socket is up and it said "listening on" (with
// several sockets, a fanout group takes some milliseconds more to form
// after the first one is up, and the capture starts when it is).
func startFtpscope(t *testing.T, bin string, ns *netns.NS, args ...string) *liveRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveRunTimeout)
	r := &liveRun{cmd: ns.Command(ctx, bin, args...), stderr: newLineBuffer(), done: make(chan struct{})}
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting ftpscope: %v", err)
	}
	go func() {
		r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel() // kills it if it is still running
		<-r.done
	})

	ready, stop := context.WithTimeout(ctx, liveSetupTimeout)
	defer stop()
	go func() {
		select {
		case <-r.done: // exited early: stop waiting for its socket
			stop()
		case <-ready.Done():
		}
	}()
	if err := ns.WaitPacketSocket(ready, r.cmd.Process.Pid); err != nil {
		select {
		case <-r.done:
			t.Fatalf("ftpscope %s ended before it captured (%v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.cmd.ProcessState, r.stdout.String(), r.stderr.String())
		default:
		}
		t.Fatalf("ftpscope %s: %v", strings.Join(args, " "), err)
	}
	select {
	case <-r.stderr.first:
	case <-r.done:
		t.Fatalf("ftpscope %s ended before it said it was listening (%v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.cmd.ProcessState, r.stdout.String(), r.stderr.String())
	case <-ready.Done():
		t.Fatalf("ftpscope %s did not say it was listening within %v\nstderr: %s", strings.Join(args, " "), liveSetupTimeout, r.stderr.String())
	}
	return r
}

// signal sends sig to ftpscope (ip netns exec has become ftpscope by the
// time its socket is up).
func (r *liveRun) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v to ftpscope: %v", sig, err)
	}
}

// wait waits for ftpscope to end and returns its exit status and output.
func (r *liveRun) wait(t *testing.T, after string) (int, string, string) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(liveEndTimeout):
		r.cmd.Process.Kill()
		<-r.done
		t.Fatalf("ftpscope did not end within %v after %s\nstdout: %s\nstderr: %s", liveEndTimeout, after, r.stdout.String(), r.stderr.String())
	}
	return r.cmd.ProcessState.ExitCode(), r.stdout.String(), r.stderr.String()
}

// liveReport is the part of the JSON report the live tests read, with the
// keys of CONTRACT.md.
type liveReport struct {
	Version  int               `json:"version"`
	Sources  []liveSource      `json:"sources"`
	Sessions []liveSession     `json:"sessions"`
	Findings []json.RawMessage `json:"findings"`
	Stats    *liveStats        `json:"stats"`
}

type liveSource struct {
	Name    string   `json:"name"`
	Packets int      `json:"packets"`
	Errors  []string `json:"errors"`
	Dropped *int64   `json:"dropped"`
}

type liveStats struct {
	Packets      int `json:"packets"`
	FTPSessions  int `json:"ftp_sessions"`
	DataChannels int `json:"data_channels"`
}

type liveSession struct {
	Type         string        `json:"type"` // ndjson only
	Client       string        `json:"client"`
	Server       string        `json:"server"`
	Mode         string        `json:"mode"`
	DataChannels []liveChannel `json:"data_channels"`
	Findings     []liveFinding `json:"findings"`
}

type liveChannel struct {
	SetupCommand      string        `json:"setup_command"`
	Mode              string        `json:"mode"`
	Announced         *string       `json:"announced"`
	ExpectedInitiator string        `json:"expected_initiator"`
	Observed          *liveObserved `json:"observed"`
	TransferCommand   *string       `json:"transfer_command"`
	Argument          *string       `json:"argument"`
	TransferReply     *int          `json:"transfer_reply"`
	Findings          []liveFinding `json:"findings"`
}

type liveObserved struct {
	Initiator     string `json:"initiator"`
	Responder     string `json:"responder"`
	State         string `json:"state"`
	Established   bool   `json:"established"`
	BytesToClient int64  `json:"bytes_to_client"`
}

type liveFinding struct {
	Code string `json:"code"`
}

// sessionView is what the tests compare of a session: the hosts, the mode
// and, for each data channel, who opened it. Ports other than the control
// port are left out (curl's are ephemeral); whether the SYN went to the
// announced port is kept as ToAnnounced.
type sessionView struct {
	Client, Server, Mode string
	Channels             []channelView
	Findings             []string
}

type channelView struct {
	Setup, Mode, ExpectedInitiator string
	// Initiator and Responder are the hosts of the observed handshake.
	Initiator, Responder string
	ToAnnounced          bool
	State                string
	Established          bool
	// Payload says whether exactly the file crossed to the client: "file"
	// when bytes_to_client is its size (retransmissions count once).
	Payload  string
	Transfer string // command, argument and final reply
	Findings []string
}

func host(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return "unparsable " + hostport
	}
	return h
}

func findingCodes(fs []liveFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func viewSessions(ss []liveSession) []sessionView {
	var out []sessionView
	for _, s := range ss {
		v := sessionView{Client: host(s.Client), Server: s.Server, Mode: s.Mode, Findings: findingCodes(s.Findings)}
		for _, d := range s.DataChannels {
			c := channelView{Setup: d.SetupCommand, Mode: d.Mode, ExpectedInitiator: d.ExpectedInitiator, Findings: findingCodes(d.Findings)}
			if o := d.Observed; o != nil {
				c.Initiator, c.Responder = host(o.Initiator), host(o.Responder)
				c.ToAnnounced = d.Announced != nil && *d.Announced == o.Responder
				c.State, c.Established = o.State, o.Established
				c.Payload = fmt.Sprintf("%d bytes, not all of the %d of the file", o.BytesToClient, liveFileSize)
				if o.BytesToClient == liveFileSize {
					c.Payload = "file"
				}
			}
			if d.TransferCommand != nil {
				c.Transfer = *d.TransferCommand
			}
			if d.Argument != nil {
				c.Transfer += " " + *d.Argument
			}
			if d.TransferReply != nil {
				c.Transfer += fmt.Sprintf(" %d", *d.TransferReply)
			}
			v.Channels = append(v.Channels, c)
		}
		out = append(out, v)
	}
	return out
}

// wantSessions is what l.transfers leaves in the report: a passive session
// whose data connection the client opened to the server, then an active one
// whose data connection the server opened to the client.
func (l *liveLab) wantSessions(classic bool) []sessionView {
	client, server := l.pair.ClientAddr.String(), l.pair.ServerAddr.String()
	pasv, port := "EPSV", "EPRT"
	if classic {
		pasv, port = "PASV", "PORT"
	}
	transfer := fmt.Sprintf("RETR %s 226", liveFile)
	return []sessionView{
		{Client: client, Server: net.JoinHostPort(server, "21"), Mode: "passive", Channels: []channelView{{
			Setup: pasv, Mode: "passive", ExpectedInitiator: "client",
			Initiator: client, Responder: server, ToAnnounced: true,
			State: "established", Established: true, Payload: "file", Transfer: transfer,
		}}},
		{Client: client, Server: net.JoinHostPort(server, "21"), Mode: "active", Channels: []channelView{{
			Setup: port, Mode: "active", ExpectedInitiator: "server",
			Initiator: server, Responder: client, ToAnnounced: true,
			State: "established", Established: true, Payload: "file", Transfer: transfer,
		}}},
	}
}

// decodeLive reads a JSON report, or an ndjson stream into the same shape
// (and returns the types of its lines in order).
func decodeLive(t *testing.T, format, out string) (liveReport, []string) {
	t.Helper()
	var r liveReport
	if format != "ndjson" {
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
		}
		return r, nil
	}
	var types []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			t.Fatalf("ndjson line %q: %v", line, err)
		}
		types = append(types, head.Type)
		var err error
		switch head.Type {
		case "session":
			var s liveSession
			err = json.Unmarshal(line, &s)
			r.Sessions = append(r.Sessions, s)
		case "source":
			var s liveSource
			err = json.Unmarshal(line, &s)
			r.Sources = append(r.Sources, s)
		case "finding":
			r.Findings = append(r.Findings, append(json.RawMessage(nil), line...))
		case "stats":
			r.Stats = new(liveStats)
			err = json.Unmarshal(line, r.Stats)
		}
		if err != nil {
			t.Fatalf("ndjson %s line %q: %v", head.Type, line, err)
		}
	}
	r.Version = 1 // ndjson has no version key
	return r, types
}

// TestLiveCapture runs a passive and an active download through vsftpd
// while ftpscope sniffs the veth pair, with each way of choosing what to
// capture and each way of ending the capture, and checks the sessions in
// the report: who opened each data connection, that it was established,
// and that the whole file crossed it.
func TestLiveCapture(t *testing.T) {
	l := newLiveLab(t)
	client, server := l.pair.ClientAddr.String(), l.pair.ServerAddr.String()
	tests := []struct {
		name    string
		server  bool     // sniff in the server's namespace, not the client's
		iface   string   // "" for the veth end in that namespace
		args    []string // after -i
		classic bool     // PASV and PORT instead of EPSV and EPRT
		// stop is how the capture ends: "signal" (SIGINT after the
		// transfers), "count" or "duration" (by itself).
		stop string
		// none: the filter excludes the FTP traffic, no session is
		// reported.
		none bool
	}{
		{name: "veth on the client side", args: []string{"-o", "json"}, stop: "signal"},
		{name: "veth on the server side with PASV and PORT", server: true, args: []string{"-o", "json"}, classic: true, stop: "signal"},
		{name: "any interface", iface: capture.AnyInterface, args: []string{"-o", "json"}, stop: "signal"},
		{name: "filter that keeps the sessions", args: []string{"-o", "json", "host", client, "and", "tcp"}, stop: "signal"},
		{name: "filter as -f on the server side", server: true, args: []string{"-o", "json", "-f", "src host " + client + " or src host " + server}, stop: "signal"},
		{name: "filter that excludes the sessions", args: []string{"-o", "json", "port", "2121"}, stop: "signal", none: true},
		{name: "ndjson", args: []string{"-o", "ndjson"}, stop: "signal"},
		{name: "count stops by itself", args: []string{"-o", "json", "-c", "7"}, stop: "count"},
		{name: "duration stops by itself", args: []string{"-o", "json", "--duration", "3s"}, stop: "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, iface := l.pair.Client, l.pair.ClientDev
			if tt.server {
				ns, iface = l.pair.Server, l.pair.ServerDev
			}
			if tt.iface != "" {
				iface = tt.iface
			}
			format := "json"
			if slices.Contains(tt.args, "ndjson") {
				format = "ndjson"
			}
			r := startFtpscope(t, l.bin, ns, append([]string{"-i", iface}, tt.args...)...)
			l.transfers(t, tt.classic)
			after := "the transfers"
			if tt.stop == "signal" {
				// SIGINT right after the transfers: the capture must
				// drain what the kernel holds and still report all.
				r.signal(t, os.Interrupt)
				after = "SIGINT"
			}
			code, out, errOut := r.wait(t, after)
			if code != exitOK {
				t.Fatalf("exit status %d, want %d\nstderr: %s", code, exitOK, errOut)
			}
			rep, types := decodeLive(t, format, out)
			if rep.Version != 1 || rep.Stats == nil || len(rep.Sources) != 1 {
				t.Fatalf("incomplete report: version %d, stats %v, %d sources\n%s", rep.Version, rep.Stats, len(rep.Sources), out)
			}
			src := rep.Sources[0]
			if src.Name != iface {
				t.Errorf("source name %q, want the interface %q", src.Name, iface)
			}
			if src.Dropped == nil || *src.Dropped != 0 {
				t.Errorf("source dropped %v, want 0 (a live source always says)", src.Dropped)
			}
			if len(src.Errors) != 0 {
				t.Errorf("source errors %q, want none", src.Errors)
			}
			if want := listening(iface, liveLinkType(iface)) + "\n"; errOut != want {
				t.Errorf("stderr %q, want tcpdump's line alone: %q", errOut, want)
			}

			switch {
			case tt.stop == "count":
				// -c counts packets that pass the filter, and ftpscope
				// stops reading there.
				if rep.Stats.Packets != 7 || src.Packets != 7 {
					t.Errorf("-c 7 analysed %d packets, read %d; want 7 and 7", rep.Stats.Packets, src.Packets)
				}
			case tt.none:
				if diff := cmp.Diff([]sessionView(nil), viewSessions(rep.Sessions)); diff != "" {
					t.Errorf("sessions (-want +got):\n%s", diff)
				}
				if rep.Stats.Packets != 0 {
					t.Errorf("%d packets passed a filter that matches none", rep.Stats.Packets)
				}
			default:
				if diff := cmp.Diff(l.wantSessions(tt.classic), viewSessions(rep.Sessions)); diff != "" {
					t.Errorf("sessions (-want +got):\n%s\nreport: %s", diff, out)
				}
				if rep.Stats.FTPSessions != 2 || rep.Stats.DataChannels != 2 {
					t.Errorf("stats count %d sessions, %d data channels; want 2 and 2", rep.Stats.FTPSessions, rep.Stats.DataChannels)
				}
			}
			if format == "ndjson" {
				// The finding is passive-port-range, for the port the
				// server announced in its 229.
				want := []string{"session", "session", "source", "finding", "stats"}
				if diff := cmp.Diff(want, types); diff != "" {
					t.Errorf("ndjson line types (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestLiveInterrupt: SIGINT or SIGTERM ends a capture of an idle veth, and
// ftpscope still prints a complete report and exits 0.
func TestLiveInterrupt(t *testing.T) {
	skipUnlessNamespaces(t)
	bin := ftpscopeBinary(t)
	p := newPair(t, "b", 201+os.Getpid()%50)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			r := startFtpscope(t, bin, p.Client, "-i", p.ClientDev, "-o", "json")
			r.signal(t, sig)
			code, out, errOut := r.wait(t, sig.String())
			if code != exitOK {
				t.Fatalf("exit status %d, want %d\nstderr: %s", code, exitOK, errOut)
			}
			rep, _ := decodeLive(t, "json", out)
			type summary struct {
				Version     int
				Sources     []string
				Dropped     []int64
				Sessions    int
				Stats, Errs bool
			}
			got := summary{Version: rep.Version, Sessions: len(rep.Sessions), Stats: rep.Stats != nil, Errs: errOut != listening(p.ClientDev, layers.LinkTypeEthernet)+"\n"}
			for _, s := range rep.Sources {
				got.Sources = append(got.Sources, s.Name)
				if s.Dropped != nil {
					got.Dropped = append(got.Dropped, *s.Dropped)
				}
			}
			want := summary{Version: 1, Sources: []string{p.ClientDev}, Dropped: []int64{0}, Stats: true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report after %v (-want +got):\n%s\nstdout: %s\nstderr: %s", sig, diff, out, errOut)
			}
		})
	}
}

// TestLiveNoSuchInterface: a mistyped interface is a usage error, and the
// message lists the interfaces there are. It needs no privilege: the name
// is checked before any socket is opened.
func TestLiveNoSuchInterface(t *testing.T) {
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ifc := range ifaces {
		names = append(names, ifc.Name)
	}
	code, out, errOut := ftpscope(t, "-i", "nosuchif0")
	want := fmt.Sprintf("ftpscope: no interface %q; interfaces here: %s\n", "nosuchif0", strings.Join(names, ", "))
	if code != exitUsage || out != "" || errOut != want {
		t.Errorf("ftpscope -i nosuchif0 = exit %d, stdout %q, stderr %q; want exit %d, no stdout, stderr %q", code, out, errOut, exitUsage, want)
	}
}

// TestLiveNotPermitted: without CAP_NET_RAW the error says so and what to
// do. As root it runs the binary as user nobody with setpriv; otherwise it
// runs in this process.
func TestLiveNotPermitted(t *testing.T) {
	const want = "ftpscope: permission denied opening lo: run as root or grant CAP_NET_RAW (sudo setcap cap_net_raw+ep $(which ftpscope))\n"
	var code int
	var out, errOut string
	if os.Geteuid() != 0 {
		code, out, errOut = ftpscope(t, "-i", "lo")
		if code == exitOK {
			t.Skip("skipping: this process may capture without being root (it has CAP_NET_RAW), so the error cannot be provoked")
		}
	} else {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skipf("skipping: running as root, and setpriv (util-linux) is missing to drop to user nobody: %v", err)
		}
		bin := ftpscopeBinary(t)
		cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-i", "lo")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatalf("setpriv: %v", err)
		}
		code, out, errOut = cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}
	if code != exitUsage || out != "" || errOut != want {
		t.Errorf("ftpscope -i lo as nobody = exit %d, stdout %q, stderr %q; want exit %d, no stdout, stderr %q", code, out, errOut, exitUsage, want)
	}
}

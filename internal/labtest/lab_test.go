package labtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/internal/netns"
	"github.com/google/go-cmp/cmp"
)

// labDir is the lab's directory, relative to this package.
const labDir = "../../testdata/lab"

// build is the ftpscope binary TestMain built for this test binary; it is set
// once before any test runs and only read afterwards.
var build struct {
	bin string
	err error
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "labtest-ftpscope-")
	if err != nil {
		build.err = fmt.Errorf("labtest: temp dir for the ftpscope binary: %w", err)
		return m.Run()
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ftpscope")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ftpscope")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		build.err = fmt.Errorf("labtest: go build ./cmd/ftpscope: %w\n%s", err, out)
	} else {
		build.bin = bin
	}
	return m.Run()
}

func ftpscopeBin(t *testing.T) string {
	t.Helper()
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// runFtpscope runs ftpscope on one capture the way ../shared/conformance/check
// does and decodes its JSON report.
func runFtpscope(t *testing.T, capture string, ports *string) report {
	t.Helper()
	args := []string{"-r", capture, "-o", "json", "--no-progress"}
	if ports != nil && *ports != "" {
		args = append(args, "--ports", *ports)
	}
	cmd := exec.Command(ftpscopeBin(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("ftpscope %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("ftpscope %s: output is not one JSON document: %v", strings.Join(args, " "), err)
	}
	return r
}

// truthFiles lists the truth files in dir, sorted.
func truthFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// checkCaptures runs ftpscope on every capture that has a truth file in
// truthDir and reports each disagreement as a test error.
func checkCaptures(t *testing.T, truthDir, captureDir string) {
	t.Helper()
	files := truthFiles(t, truthDir)
	if len(files) == 0 {
		t.Fatalf("no truth files in %s", truthDir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			tr, err := readTruth(f)
			if err != nil {
				t.Fatal(err)
			}
			capture := filepath.Join(captureDir, filepath.Base(tr.Capture))
			if _, err := os.Stat(capture); err != nil {
				t.Fatalf("capture of %s: %v", filepath.Base(f), err)
			}
			checks, problems := compare(tr, runFtpscope(t, capture, tr.Ports))
			for _, p := range problems {
				t.Error(p)
			}
			t.Logf("%d of %d checks hold", checks-len(problems), checks)
		})
	}
}

// TestLabCaptures checks ftpscope against the committed lab captures.
func TestLabCaptures(t *testing.T) {
	checkCaptures(t, filepath.Join(labDir, "truth"), filepath.Join(labDir, "captures"))
}

// TestLabFresh runs the lab afresh and checks ftpscope against what it
// captured. It needs FTPSCOPE_LAB=1, root and network namespaces; give it a
// -timeout well above the lab's run time.
func TestLabFresh(t *testing.T) {
	if os.Getenv("FTPSCOPE_LAB") != "1" {
		t.Skip("the real-traffic lab runs only when asked: FTPSCOPE_LAB=1 go test -run TestLabFresh -timeout 30m ./internal/labtest (as root)")
	}
	if uid := os.Geteuid(); uid != 0 {
		t.Skipf("TestLabFresh needs root for network namespaces, iptables and tcpdump; running as uid %d", uid)
	}
	if err := probeNetns(); err != nil {
		t.Skipf("TestLabFresh cannot create a network namespace here: %v", err)
	}
	ftpscopeBin(t) // fail early when ftpscope does not build
	out := t.TempDir()

	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer cancel()
	}
	// FTPSCOPE_LAB_SCENARIOS="a b" runs only those scenarios (run.sh --list).
	only := strings.Fields(os.Getenv("FTPSCOPE_LAB_SCENARIOS"))
	log, err := runLab(ctx, t, out, only...)
	if err != nil {
		t.Errorf("lab script: %v\n%s", err, log)
	} else {
		t.Logf("lab log:\n%s", log)
	}

	t.Run("same-findings-as-committed", func(t *testing.T) {
		differ := compareWithCommitted(t, filepath.Join(out, "truth"), filepath.Join(labDir, "truth"), log, only)
		if len(differ) == 0 {
			return
		}
		// A real network is not a simulation: a difference could be a
		// one-off of the machine's timing. Each scenario that differed runs
		// once more; only a difference that comes back fails the test, and
		// the first one is described either way.
		rerun := t.TempDir()
		var scenarios []string
		for _, d := range differ {
			if !slices.Contains(scenarios, d.scenario) {
				scenarios = append(scenarios, d.scenario)
			}
		}
		relog, err := runLab(ctx, t, rerun, scenarios...)
		if err != nil {
			t.Errorf("lab script, rerun of %v: %v\n%s", scenarios, err, relog)
		}
		for _, d := range differ {
			first := fmt.Sprintf("%s: fresh lab run differs from the committed truth (-committed +fresh):\n%s%s",
				d.name, d.diff, describeMissing(filepath.Join(out, "truth", d.name), filepath.Join(out, "captures")))
			again := filepath.Join(rerun, "truth", d.name)
			if _, err := os.Stat(again); err != nil {
				t.Errorf("%s\nthe rerun made no %s", first, d.name)
				continue
			}
			if diff := cmp.Diff(summarize(t, d.committed), summarize(t, again)); diff != "" {
				t.Errorf("%s\nand the rerun of scenario %s differs too:\n%s%s", first, d.scenario, diff,
					describeMissing(again, filepath.Join(rerun, "captures")))
				continue
			}
			t.Logf("%s\na rerun of scenario %s agrees with the committed truth: a one-off of this run, not a failure", first, d.scenario)
		}
	})
	checkCaptures(t, filepath.Join(out, "truth"), filepath.Join(out, "captures"))
}

// runLab runs the lab script into out, all scenarios or the ones named,
// and returns its log.
func runLab(ctx context.Context, t *testing.T, out string, scenarios ...string) (string, error) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join(labDir, "run.sh"))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "bash", append([]string{script, out}, scenarios...)...)
	// SIGTERM, so that the script's trap deletes its namespaces and processes.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	err = cmd.Run()
	t.Logf("lab run %v took %v", scenarios, time.Since(start).Round(time.Second))
	return log.String(), err
}

// probeNetns creates and deletes a network namespace to learn whether this
// environment allows it.
func probeNetns() error {
	if err := netns.Usable(); err != nil {
		return err
	}
	ns, err := netns.Add(context.Background(), fmt.Sprintf("fslprobe%d", os.Getpid()))
	if err != nil {
		return err
	}
	return ns.Delete()
}

// truthSummary is what must not change between two runs of the lab: the
// sessions, their channels and the findings the packets call for.
type truthSummary struct {
	Sessions int
	Facts    []string // verdict, detection, login and control state of each session, sorted
	Channels []string // setup command, mode and helper_expected of each channel, sorted
	Findings []string
	Global   []string // findings that belong to no session
	Healthy  bool
}

func summarize(t *testing.T, path string) truthSummary {
	t.Helper()
	tr, err := readTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	s := truthSummary{Sessions: len(tr.ControlSessions), Findings: tr.ExpectedFindings, Global: tr.GlobalFindings,
		Healthy: tr.Healthy}
	for _, ts := range tr.ControlSessions {
		s.Facts = append(s.Facts, fmt.Sprintf("%s by %s, logged_in %s, failed_logins %s, control %s", ts.Verdict,
			ts.DetectedBy, ts.LoggedIn, showInt(ts.FailedLogins), deref(ts.ControlState)))
		for _, d := range ts.DataChannels {
			ch := d.SetupCommand + " " + d.Mode
			if d.HelperExpected != nil {
				ch += fmt.Sprintf(", helper expected %v", *d.HelperExpected)
			}
			s.Channels = append(s.Channels, ch)
		}
	}
	// Sorted: a client that opens several control connections at once
	// (lftp's FXP) does not always send the same SYN first, and the truth
	// lists sessions in the order of their first packet.
	slices.Sort(s.Facts)
	slices.Sort(s.Channels)
	return s
}

// difference is a truth file of a fresh lab run whose summary differs from
// the committed one.
type difference struct {
	name      string // truth file name
	scenario  string // the lab scenario that made it
	committed string // path of the committed truth file
	diff      string
}

// compareWithCommitted compares a fresh lab run's truth files with the
// committed ones (of the scenarios in only, when it is not empty), capture
// by capture, and returns those that differ. A committed truth file the
// fresh run did not make is an error at once.
func compareWithCommitted(t *testing.T, freshDir, committedDir, labLog string, only []string) []difference {
	var out []difference
	for _, f := range truthFiles(t, committedDir) {
		name := filepath.Base(f)
		committed, err := readTruth(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(only) > 0 && !slices.Contains(only, committed.Scenario) {
			continue
		}
		fresh := filepath.Join(freshDir, name)
		if _, err := os.Stat(fresh); err != nil {
			// run.sh skips the scenarios that need the conntrack FTP
			// helper on a kernel without it, and says so.
			if committed.Scenario != "" && strings.Contains(labLog, committed.Scenario+" skipped") {
				t.Logf("%s: not made, this kernel has no conntrack FTP helper", name)
				continue
			}
			t.Errorf("%s: the fresh lab run made no such truth file", name)
			continue
		}
		if diff := cmp.Diff(summarize(t, f), summarize(t, fresh)); diff != "" {
			tr, err := readTruth(fresh)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, difference{name: name, scenario: tr.Scenario, committed: f, diff: diff})
		}
	}
	return out
}

// describeMissing says, for each data channel of a truth file that has no
// data connection, what was announced and which SYNs towards that port the
// capture holds, so that a failure in CI explains itself.
func describeMissing(truthPath, captureDir string) string {
	tr, err := readTruth(truthPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)\n", truthPath, err)
	}
	var sb strings.Builder
	capture := filepath.Join(captureDir, filepath.Base(tr.Capture))
	for _, s := range tr.ControlSessions {
		for _, d := range s.DataChannels {
			if d.Observed != nil {
				continue
			}
			fmt.Fprintf(&sb, "  no connection for %s %s in session %s -> %s (setup frame %d, announced in frame %d, transfer %s, reply %q)\n",
				d.SetupCommand, d.Announced, s.Client, s.Server, d.SetupFrame, d.AnnounceFrame, deref(d.TransferCommand), deref(d.TransferReply))
			port := d.Announced[strings.LastIndexByte(d.Announced, ':')+1:]
			out, err := exec.Command("tshark", "-n", "-r", capture, "-Y", "tcp.flags.syn == 1 && tcp.port == "+port,
				"-T", "fields", "-e", "frame.number", "-e", "frame.time_relative", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
				"-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.flags.str", "-e", "tcp.seq_raw").Output()
			if err != nil {
				fmt.Fprintf(&sb, "  (tshark on %s: %v)\n", capture, err)
				continue
			}
			fmt.Fprintf(&sb, "  SYNs with port %s in %s (frame, time, src, port, dst, port, flags, seq):\n", port, capture)
			n := 0
			for line := range strings.Lines(string(out)) {
				if f := strings.Fields(line); len(f) > 0 {
					sb.WriteString("    " + strings.Join(f, " ") + "\n")
					n++
				}
			}
			if n == 0 {
				sb.WriteString("    none\n")
			}
		}
	}
	return sb.String()
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}

// TestDescribeMissing: the description of a channel without a data
// connection names it and lists the capture's SYNs on its port.
func TestDescribeMissing(t *testing.T) {
	for _, tool := range []string{"python3", "tshark"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (the lab's truth.py): %v", tool, err)
		}
	}
	truthPath := filepath.Join(t.TempDir(), "missing.json")
	cmd := exec.Command("python3", filepath.Join(labDir, "truth.py"), "--capture", "../../testdata/data-connection-missing.pcap",
		"--out", truthPath, "--scenario", "synthetic", "--side", "client")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("truth.py: %v\n%s", err, out)
	}
	got := describeMissing(truthPath, "../../testdata")
	for _, want := range []string{"no connection for PASV 10.0.0.2:40009 in session 10.0.0.1:51000 -> 10.0.0.2:21",
		"transfer RETR", "SYNs with port 40009", "    none\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("description lacks %q:\n%s", want, got)
		}
	}
}

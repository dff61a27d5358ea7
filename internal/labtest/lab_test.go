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
	script, err := filepath.Abs(filepath.Join(labDir, "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", script, out)
	// SIGTERM, so that the script's trap deletes its namespaces and processes.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	err = cmd.Run()
	t.Logf("lab run took %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Errorf("lab script: %v\n%s", err, log.Bytes())
	} else {
		t.Logf("lab log:\n%s", log.Bytes())
	}

	t.Run("same-findings-as-committed", func(t *testing.T) {
		compareWithCommitted(t, filepath.Join(out, "truth"), filepath.Join(labDir, "truth"), log.String())
	})
	checkCaptures(t, filepath.Join(out, "truth"), filepath.Join(out, "captures"))
}

// probeNetns creates and deletes a network namespace to learn whether this
// environment allows it.
func probeNetns() error {
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("no ip command (iproute2): %w", err)
	}
	name := fmt.Sprintf("fslprobe%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %v: %s", err, bytes.TrimSpace(out))
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	return nil
}

// truthSummary is what must not change between two runs of the lab: the
// sessions, their channels and the findings the packets call for.
type truthSummary struct {
	Sessions int
	Channels []string // setup command and mode of each channel, in order
	Findings []string
	Healthy  bool
}

func summarize(t *testing.T, path string) truthSummary {
	t.Helper()
	tr, err := readTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	s := truthSummary{Sessions: len(tr.ControlSessions), Findings: tr.ExpectedFindings, Healthy: tr.Healthy}
	for _, ts := range tr.ControlSessions {
		for _, d := range ts.DataChannels {
			s.Channels = append(s.Channels, d.SetupCommand+" "+d.Mode)
		}
	}
	return s
}

// compareWithCommitted checks that a fresh lab run found what the committed
// truth files say, capture by capture.
func compareWithCommitted(t *testing.T, freshDir, committedDir, labLog string) {
	for _, f := range truthFiles(t, committedDir) {
		name := filepath.Base(f)
		fresh := filepath.Join(freshDir, name)
		if _, err := os.Stat(fresh); err != nil {
			if strings.HasPrefix(name, "snat-port-helper") && strings.Contains(labLog, "snat-port-helper skipped") {
				t.Logf("%s: not made, this kernel has no conntrack FTP helper", name)
				continue
			}
			t.Errorf("%s: the fresh lab run made no such truth file", name)
			continue
		}
		if diff := cmp.Diff(summarize(t, f), summarize(t, fresh)); diff != "" {
			t.Errorf("%s: fresh lab run differs from the committed truth (-committed +fresh):\n%s", name, diff)
		}
	}
}

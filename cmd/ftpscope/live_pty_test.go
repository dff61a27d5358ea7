//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/gopacket/gopacket/layers"
)

// ptyOutput collects what a program writes to its terminal.
type ptyOutput struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func (p *ptyOutput) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// waitFor waits until the output matches re, or fails t after limit.
func (p *ptyOutput) waitFor(t *testing.T, re *regexp.Regexp, limit time.Duration, what string) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if m := re.FindString(p.String()); m != "" {
			return m
		}
		select {
		case <-p.done:
			if m := re.FindString(p.String()); m != "" {
				return m
			}
			t.Fatalf("ftpscope ended before %s; its terminal showed:\n%q", what, p.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("no %s within %v; the terminal showed:\n%q", what, limit, p.String())
	return ""
}

// TestLiveTerminal runs a live capture on a pseudo-terminal, as a user at
// a terminal would: tcpdump's "listening on" line comes first, a status
// line is redrawn about once a second with the packets and sessions seen,
// and Ctrl-C (SIGINT) clears it and prints the report, in colour.
func TestLiveTerminal(t *testing.T) {
	l := newLiveLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), liveRunTimeout)
	defer cancel()
	cmd := l.pair.Client.Command(ctx, l.bin, "-i", l.pair.ClientDev)
	cmd.Env = append(os.Environ(), "TZ=UTC-2", "COLUMNS=")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatalf("starting ftpscope on a pseudo-terminal: %v", err)
	}
	defer tty.Close()
	out := &ptyOutput{done: make(chan struct{})}
	go func() {
		defer close(out.done)
		b := make([]byte, 4096)
		for {
			n, err := tty.Read(b)
			out.mu.Lock()
			out.buf.Write(b[:n])
			out.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})

	want := regexp.QuoteMeta(listening(l.pair.ClientDev, layers.LinkTypeEthernet))
	out.waitFor(t, regexp.MustCompile(want+`\r\n`), liveSetupTimeout, "listening line")
	status := regexp.MustCompile(`\r` + regexp.QuoteMeta(l.pair.ClientDev) +
		`: \d+ packets?, \d+ FTP sessions? \(\d+ open\), \d+ problems?, \d+ kernel drops\. Ctrl-C ends and reports\.\x1b\[K`)
	out.waitFor(t, status, liveSetupTimeout, "status line")
	l.transfers(t, false)
	seen := regexp.MustCompile(`\r` + regexp.QuoteMeta(l.pair.ClientDev) + `: [1-9]\d* packets, 2 FTP sessions \(\d+ open\), 0 problems`)
	out.waitFor(t, seen, liveSetupTimeout, "status line counting the two sessions")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-out.done:
	case <-time.After(liveEndTimeout):
		t.Fatalf("ftpscope did not end within %v of SIGINT; its terminal showed:\n%q", liveEndTimeout, out.String())
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitOK {
		t.Errorf("exit status %d, want %d", code, exitOK)
	}
	got := out.String()
	report := got[strings.LastIndex(got, "\r\x1b[K")+len("\r\x1b[K"):]
	for _, w := range []string{"FTP sessions", "STATUS", "\x1b[32mOK\x1b[0m", "START (local)", "OK: 1 passive transfer"} {
		if !strings.Contains(report, w) {
			t.Errorf("the report after Ctrl-C lacks %q:\n%q", w, report)
		}
	}
	for i, line := range strings.Split(ansiSeq.ReplaceAllString(report, ""), "\r\n") {
		if n := len([]rune(line)); n > 120 {
			t.Errorf("report line %d is %d columns on a 120-column terminal: %q", i+1, n, line)
		}
	}
}

var ansiSeq = regexp.MustCompile("\x1b\\[[0-9;]*[mK]")

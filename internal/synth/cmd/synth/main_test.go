package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/internal/synth"
)

func TestBig(t *testing.T) {
	out := filepath.Join(t.TempDir(), "big.pcap")
	var stdout bytes.Buffer
	if err := run([]string{"big", "-sessions", "30", "-seed", "2", "-o", out}, &stdout); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	st, err := synth.BigCaptureWith(&want, synth.BigOptions{Sessions: 30, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("synth big wrote %d bytes, BigCaptureWith %d: not the same capture", len(got), want.Len())
	}
	if line := stdout.String(); !strings.HasPrefix(line, "sessions=30 ") || !strings.Contains(line, fmt.Sprintf(" packets=%d ", st.Packets)) {
		t.Errorf("stats line %q, want sessions=30 and packets=%d", line, st.Packets)
	}
}

func TestScenarios(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	if err := run([]string{"-out", dir}, &stdout); err != nil {
		t.Fatal(err)
	}
	for _, sc := range synth.Scenarios() {
		got, err := os.ReadFile(filepath.Join(dir, sc.File))
		if err != nil {
			t.Error(err)
			continue
		}
		want, err := sc.Build()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the file written is not the scenario's capture", sc.File)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, synth.IndexFile)); err != nil {
		t.Error(err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"big"}, {"small"}, {"big", "-sessions"}} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("synth %s: no error", strings.Join(args, " "))
		}
	}
}

package main

import (
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
)

// infoSource is a capture.Source that only describes itself.
type infoSource struct{ capture.Source }

func (infoSource) Infos() []capture.Info { return []capture.Info{{Name: "eth0", Dropped: 3}} }

// TestStatusLine: the live status line says the counts, and keeps the
// hint about Ctrl-C only when the terminal is wide enough.
func TestStatusLine(t *testing.T) {
	s := &liveStatus{iface: "eth0", src: infoSource{}, packets: 12345, ended: 2, problems: 1, width: 120}
	want := "eth0: 12345 packets, 3 FTP sessions (1 open), 1 problem, 3 kernel drops"
	if got := s.line(1); got != want+". Ctrl-C ends and reports." {
		t.Errorf("at 120 columns: %q", got)
	}
	s.width = 80
	if got := s.line(1); got != want || len(got) >= 80 {
		t.Errorf("at 80 columns: %q", got)
	}
	if got := listening("eth0"); !strings.HasPrefix(got, "listening on eth0, link-type RAW (Raw IP), snapshot length 262144 bytes") {
		t.Errorf("listening line %q", got)
	}
}

package main

import (
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/gopacket/gopacket/layers"
)

// TestStatusLine: the live status line says the counts, the kernel drops
// summed over the capture's sockets, and keeps the hint about Ctrl-C only
// when the terminal is wide enough.
func TestStatusLine(t *testing.T) {
	infos := func() []capture.Info { return []capture.Info{{Name: "eth0", Dropped: 1}, {Name: "eth0", Dropped: 2}} }
	s := &liveStatus{iface: "eth0", infos: infos, packets: 12345, ended: 2, problems: 1, width: 120}
	want := "eth0: 12345 packets, 3 FTP sessions (1 open), 1 problem, 3 kernel drops"
	if got := s.line(1); got != want+". Ctrl-C ends and reports." {
		t.Errorf("at 120 columns: %q", got)
	}
	s.width = 80
	if got := s.line(1); got != want || len(got) >= 80 {
		t.Errorf("at 80 columns: %q", got)
	}
	s.infos = func() []capture.Info { return []capture.Info{{Name: "eth0", Dropped: 1}, {Name: "eth0", Dropped: -1}} }
	if got := s.line(1); got != "eth0: 12345 packets, 3 FTP sessions (1 open), 1 problem, kernel drops unknown" {
		t.Errorf("with a socket's drops unknown: %q", got)
	}
	for lt, want := range map[layers.LinkType]string{
		layers.LinkTypeEthernet: "listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes",
		layers.LinkTypeRaw:      "listening on eth0, link-type RAW (Raw IP), snapshot length 262144 bytes",
		layers.LinkTypeLinuxSLL: "listening on eth0, link-type LINUX_SLL (Linux cooked v1), snapshot length 262144 bytes",
	} {
		if got := listening("eth0", lt); got != want {
			t.Errorf("listening line %q, want %q", got, want)
		}
	}
}

package pipeline

import (
	"bytes"
	"context"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/session"
)

func open(t *testing.T, name string) capture.Source {
	t.Helper()
	src, err := capture.OpenFiles([]string{"../testdata/" + name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func TestRun(t *testing.T) {
	res, err := Run(context.Background(), open(t, "active-blocked.pcap"), Options{})
	if err != nil || res.SourceErr != nil || res.Interrupted {
		t.Fatalf("Run: %v, %+v", err, res)
	}
	r := res.Report
	if len(r.Sessions) != 1 || r.Sessions[0].Source != "../testdata/active-blocked.pcap" {
		t.Fatalf("sessions = %+v, want one from the file", r.Sessions)
	}
	if got := r.Worst(); got != session.SeverityError {
		t.Errorf("Worst() = %q, want error", got)
	}
	if r.Stats.Packets != r.Sources[0].Packets || r.Stats.Packets == 0 {
		t.Errorf("stats count %d packets, the source %d", r.Stats.Packets, r.Sources[0].Packets)
	}
}

func TestRunCount(t *testing.T) {
	ticks := 0
	res, err := Run(context.Background(), open(t, "passive.pcap"), Options{Count: 5, Packet: func() { ticks++ }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Stats.Packets != 5 || ticks != 5 {
		t.Errorf("analysed %d packets with %d ticks, want 5", res.Report.Stats.Packets, ticks)
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, open(t, "passive.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Report == nil || res.Report.Stats.Packets != 0 {
		t.Errorf("cancelled run: interrupted %v, report %+v", res.Interrupted, res.Report)
	}
}

func TestRunStreamsAndWrites(t *testing.T) {
	var streamed []*session.Session
	var b bytes.Buffer
	src := open(t, "passive.pcap")
	w, err := capture.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.SetSources(src.Infos())
	res, err := Run(context.Background(), src, Options{
		Session: session.Config{OnSession: func(s *session.Session) { streamed = append(streamed, s) }},
		Write:   w,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(streamed) != 1 || len(res.Report.Sessions) != 0 || res.Report.Stats.FTPSessions != 1 {
		t.Errorf("streamed %d sessions, kept %d, counted %d; want 1, 0, 1",
			len(streamed), len(res.Report.Sessions), res.Report.Stats.FTPSessions)
	}
	// Every packet of passive.pcap belongs to the session: the written
	// file holds them all.
	back, err := capture.OpenFilesFrom([]string{"-"}, &b)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := back.Next(); err != nil {
			break
		}
		n++
	}
	if want := res.Report.Stats.Packets; n != want {
		t.Errorf("wrote %d packets of %d", n, want)
	}
}

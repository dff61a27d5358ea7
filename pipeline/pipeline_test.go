package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// asJSON is the report as its JSON contract has it.
func asJSON(t *testing.T, r *session.Report) string {
	t.Helper()
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// countingObserver records what an Observer is told.
type countingObserver struct {
	packets, bytes int
	maxOpen        int
	ended          []*session.Session
	openAtEnd      []int
}

func (c *countingObserver) Packet(ts time.Time, length, open int) {
	c.packets++
	c.bytes += length
	c.maxOpen = max(c.maxOpen, open)
}

func (c *countingObserver) SessionEnded(s *session.Session, open int) {
	c.ended = append(c.ended, s)
	c.openAtEnd = append(c.openAtEnd, open)
}

// TestObserver: the Observer hears of every packet and every session as
// it ends, and the report is the one a run without it gives, with the
// sessions kept or streamed as they would be.
func TestObserver(t *testing.T) {
	for _, name := range []string{"control-tuple-reused.pcap", "many-transfers-mixed.pcap"} {
		t.Run(name, func(t *testing.T) {
			plain, err := Run(context.Background(), open(t, name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var obs countingObserver
			res, err := Run(context.Background(), open(t, name), Options{Observer: &obs})
			if err != nil {
				t.Fatal(err)
			}
			plain.Report.Stats.ElapsedMS, res.Report.Stats.ElapsedMS = 0, 0
			if diff := cmp.Diff(asJSON(t, plain.Report), asJSON(t, res.Report)); diff != "" {
				t.Errorf("the Observer changed the report (-without +with):\n%s", diff)
			}
			r := res.Report
			if obs.packets != r.Stats.Packets || int64(obs.bytes) != r.Stats.Bytes {
				t.Errorf("observer saw %d packets, %d bytes; the report counts %d, %d", obs.packets, obs.bytes, r.Stats.Packets, r.Stats.Bytes)
			}
			if len(obs.ended) != len(r.Sessions) || obs.maxOpen < 1 {
				t.Errorf("observer saw %d sessions end (at most %d open), the report has %d", len(obs.ended), obs.maxOpen, len(r.Sessions))
			}
			if n := len(obs.openAtEnd); n > 0 && obs.openAtEnd[n-1] != 0 {
				t.Errorf("%d sessions open after the last ended", obs.openAtEnd[n-1])
			}

			// Streaming: the Observer hears first, then OnSession.
			var streamed []*session.Session
			obs = countingObserver{}
			res, err = Run(context.Background(), open(t, name), Options{Observer: &obs,
				Session: session.Config{OnSession: func(s *session.Session) {
					if len(obs.ended) != len(streamed)+1 {
						t.Errorf("OnSession before the Observer heard of the session")
					}
					streamed = append(streamed, s)
				}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(streamed) != len(plain.Report.Sessions) || len(res.Report.Sessions) != 0 {
				t.Errorf("streamed %d of %d sessions, kept %d", len(streamed), len(plain.Report.Sessions), len(res.Report.Sessions))
			}
		})
	}
}

// TestObserverTwoPoints: with two capture points the sessions are told
// at the end, once correlated, and the report is unchanged.
func TestObserverTwoPoints(t *testing.T) {
	files := []string{"../testdata/lab/captures/snat-port-helper-client.pcap", "../testdata/lab/captures/snat-port-helper-server.pcap"}
	openBoth := func() capture.Source {
		src, err := capture.OpenFiles(files)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		return src
	}
	plain, err := Run(context.Background(), openBoth(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var obs countingObserver
	res, err := Run(context.Background(), openBoth(), Options{Observer: &obs})
	if err != nil {
		t.Fatal(err)
	}
	plain.Report.Stats.ElapsedMS, res.Report.Stats.ElapsedMS = 0, 0
	if diff := cmp.Diff(asJSON(t, plain.Report), asJSON(t, res.Report)); diff != "" {
		t.Errorf("the Observer changed the report (-without +with):\n%s", diff)
	}
	if len(obs.ended) != len(res.Report.Sessions) || len(obs.ended) == 0 {
		t.Errorf("observer saw %d sessions, the report has %d", len(obs.ended), len(res.Report.Sessions))
	}
}

// nopObserver costs only its calls.
type nopObserver struct{}

func (nopObserver) Packet(time.Time, int, int)         {}
func (nopObserver) SessionEnded(*session.Session, int) {}

// BenchmarkRunObserver measures what an Observer adds per packet: run it
// with and without one and compare ns/op and allocs/op.
func BenchmarkRunObserver(b *testing.B) {
	data, err := os.ReadFile("../testdata/many-transfers-mixed.pcap")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		obs  Observer
	}{{"without", nil}, {"with", nopObserver{}}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				src, err := capture.OpenFilesFrom([]string{"-"}, bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Run(context.Background(), src, Options{Observer: tc.obs}); err != nil {
					b.Fatal(err)
				}
				src.Close()
			}
		})
	}
}

package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/session"
)

// The fifty sessions of the lab capture come from two clients of one
// server: two filters share its address pairs as the sockets of a fanout
// group would, and keep Wireshark's packet numbers.
const fanoutCapture = "lab/captures/fifty-sessions.pcap"

var fanoutShares = []string{"host 10.0.1.2", "not host 10.0.1.2"}

// openShares opens the capture once per share.
func openShares(t *testing.T) []capture.Source {
	t.Helper()
	var srcs []capture.Source
	for _, f := range fanoutShares {
		src, err := capture.OpenFiles([]string{"../testdata/" + fanoutCapture}, capture.WithFilter(f))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		srcs = append(srcs, &lockedSource{Source: src})
	}
	return srcs
}

// lockedSource lets Close be called while Next runs, as RunFanout needs
// and live sources allow; a file source is for one goroutine.
type lockedSource struct {
	mu sync.Mutex
	capture.Source
}

func (s *lockedSource) Next() (capture.Packet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Source.Next()
}

func (s *lockedSource) Infos() []capture.Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Source.Infos()
}

func (s *lockedSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Source.Close()
}

// sessionsByStart is the report's sessions as JSON without their
// numbers, in the order they began: what RunFanout must give as one
// Analyzer does, whatever order the sources were read in.
func sessionsByStart(t *testing.T, ss []*session.Session) []string {
	t.Helper()
	ss = slices.Clone(ss)
	slices.SortFunc(ss, func(a, b *session.Session) int {
		return cmp.Or(a.Start.Compare(b.Start.Time), a.Client.Compare(b.Client))
	})
	var out []string
	for _, s := range ss {
		c := *s
		c.ID = 0
		b, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func findingsOf(fs []session.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Code)+": "+f.Summary)
	}
	return out
}

// TestRunFanout: two sources sharing the address pairs of a capture,
// each analysed on its own goroutine, give the sessions, global findings
// and counts of one analysis of the whole, numbered 1 to N once each;
// sessions are kept for the report, or streamed, the Observer and the
// callbacks told of them one at a time.
func TestRunFanout(t *testing.T) {
	one, err := Run(context.Background(), open(t, fanoutCapture), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := one.Report
	if len(want.Sessions) < 10 {
		t.Fatalf("only %d sessions in %s", len(want.Sessions), fanoutCapture)
	}
	check := func(t *testing.T, r *session.Report, sessions []*session.Session) {
		t.Helper()
		if diff := gocmp.Diff(sessionsByStart(t, want.Sessions), sessionsByStart(t, sessions)); diff != "" {
			t.Errorf("sessions (-one Analyzer +RunFanout):\n%s", diff)
		}
		ids := make([]int, 0, len(sessions))
		for _, s := range sessions {
			ids = append(ids, s.ID)
		}
		slices.Sort(ids)
		if len(ids) > 0 && (ids[0] < 1 || len(slices.Compact(slices.Clone(ids))) != len(ids)) {
			t.Errorf("session numbers %v, want each once", ids)
		}
		if diff := gocmp.Diff(findingsOf(want.Findings), findingsOf(r.Findings)); diff != "" {
			t.Errorf("global findings (-one Analyzer +RunFanout):\n%s", diff)
		}
		if r.Stats.FTPSessions != want.Stats.FTPSessions || r.Stats.DataChannels != want.Stats.DataChannels {
			t.Errorf("stats count %d sessions and %d data channels, want %d and %d", r.Stats.FTPSessions, r.Stats.DataChannels, want.Stats.FTPSessions, want.Stats.DataChannels)
		}
		if len(r.Sources) != 1 || r.Sources[0].Name != "../testdata/"+fanoutCapture {
			t.Errorf("sources %+v, want the two joined in one", r.Sources)
		}
	}

	t.Run("kept", func(t *testing.T) {
		var obs countingObserver
		var mu sync.Mutex // held by nobody else: the race detector checks the calls are serialised
		packets, ticks := 0, 0
		res, err := RunFanout(context.Background(), openShares(t), Options{Live: true, Observer: &obs,
			Packet: func() { mu.Lock(); packets++; mu.Unlock() },
			Tick:   func(f Followed) { ticks++; _ = f.OpenSessions() }})
		if err != nil || res.SourceErr != nil {
			t.Fatalf("RunFanout: %v, %v", err, res.SourceErr)
		}
		r := res.Report
		check(t, r, r.Sessions)
		for i, s := range r.Sessions {
			if i > 0 && s.ID <= r.Sessions[i-1].ID {
				t.Errorf("session %d numbered %d after %d: not in order", i, s.ID, r.Sessions[i-1].ID)
			}
		}
		if obs.packets != r.Stats.Packets || packets != r.Stats.Packets || r.Stats.Packets == 0 {
			t.Errorf("the Observer heard of %d packets, Packet of %d; the report counts %d", obs.packets, packets, r.Stats.Packets)
		}
		if len(obs.ended) != len(r.Sessions) {
			t.Errorf("the Observer heard of %d sessions, the report has %d", len(obs.ended), len(r.Sessions))
		}
		if n := len(obs.openAtEnd); n > 0 && obs.openAtEnd[n-1] != 0 {
			t.Errorf("%d sessions open after the last ended", obs.openAtEnd[n-1])
		}
	})

	t.Run("streamed", func(t *testing.T) {
		var streamed []*session.Session
		var obs countingObserver
		res, err := RunFanout(context.Background(), openShares(t), Options{Live: true, Observer: &obs,
			Session: session.Config{OnSession: func(s *session.Session) {
				if len(obs.ended) != len(streamed)+1 {
					t.Errorf("OnSession before the Observer heard of the session")
				}
				streamed = append(streamed, s)
			}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Report.Sessions) != 0 {
			t.Errorf("%d sessions kept in the report, want all streamed", len(res.Report.Sessions))
		}
		check(t, res.Report, streamed)
	})

	t.Run("count", func(t *testing.T) {
		res, err := RunFanout(context.Background(), openShares(t), Options{Live: true, Count: 100})
		if err != nil {
			t.Fatal(err)
		}
		if res.Report.Stats.Packets != 100 {
			t.Errorf("analysed %d packets, want 100", res.Report.Stats.Packets)
		}
	})
}

func TestRunFanoutRefuses(t *testing.T) {
	if _, err := RunFanout(context.Background(), nil, Options{Live: true}); err == nil {
		t.Error("RunFanout without a source succeeded")
	}
	w, err := capture.NewWriter(&strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunFanout(context.Background(), openShares(t), Options{Live: true, Write: w}); err == nil {
		t.Error("RunFanout with Write succeeded")
	}
}

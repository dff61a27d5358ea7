package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/session"
)

// scrape fetches url and parses it with Prometheus' text parser.
func scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return mfs
}

// value returns the sum of the metrics called name whose labels include
// want, and whether there was one.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
	sum, found := 0.0, false
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum, found = sum+m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			sum, found = sum+m.GetGauge().GetValue(), true
		}
	}
	return sum, found
}

func TestMetrics(t *testing.T) {
	dropped := int64(3)
	m := New(func() []capture.Info { return []capture.Info{{Name: "eth0", Dropped: dropped}} })
	wall := time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC)
	m.now = func() time.Time { return wall }
	ts := wall.Add(-2 * time.Second)
	m.Packet(ts, 60, 1)
	m.Packet(ts.Add(time.Millisecond), 1500, 1)
	refused := &session.Observed{State: session.StateRefused}
	m.SessionEnded(&session.Session{
		Verdict:  session.VerdictFailed,
		Findings: []session.Finding{{Code: session.CodeControlGap, Severity: session.SeverityWarning}},
		DataChannels: []*session.DataChannel{
			{Mode: session.ModePassive, Observed: refused, Findings: []session.Finding{{Code: session.CodePassiveBlocked, Severity: session.SeverityError}}},
			{Mode: session.ModeActive},
		},
	}, 0)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	mfs := scrape(t, srv.URL)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ftpscope_packets_total", nil, 2},
		{"ftpscope_bytes_total", nil, 1560},
		{"ftpscope_kernel_drops_total", nil, 3},
		{"ftpscope_sessions_open", nil, 0},
		{"ftpscope_sessions_ended_total", map[string]string{"verdict": "failed"}, 1},
		{"ftpscope_sessions_ended_total", map[string]string{"verdict": "ok"}, 0},
		{"ftpscope_data_channels_total", map[string]string{"mode": "passive", "state": "refused"}, 1},
		{"ftpscope_data_channels_total", map[string]string{"mode": "active", "state": "none"}, 1},
		{"ftpscope_findings_total", map[string]string{"code": "passive-blocked", "severity": "error"}, 1},
		{"ftpscope_findings_total", map[string]string{"code": "control-gap", "severity": "warning"}, 1},
		{"ftpscope_last_packet_timestamp_seconds", nil, float64(ts.Add(time.Millisecond).UnixNano()) / 1e9},
		{"ftpscope_analysis_lag_seconds", nil, 2},
	} {
		got, ok := value(mfs, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

// TestPacketAllocs: counting a packet allocates nothing.
func TestPacketAllocs(t *testing.T) {
	m := New(nil)
	ts := time.Now()
	if n := testing.AllocsPerRun(1000, func() { m.Packet(ts, 100, 3) }); n != 0 {
		t.Errorf("Packet allocates %v times", n)
	}
}

func BenchmarkPacket(b *testing.B) {
	m := New(nil)
	ts := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		m.Packet(ts, 100, 3)
	}
}

// slowSource hands out a capture's packets one by one, each only when
// the test allows, so that scrapes happen in the middle of an analysis.
type slowSource struct {
	capture.Source
	gate chan struct{}
}

func (s *slowSource) Next() (capture.Packet, error) {
	<-s.gate
	return s.Source.Next()
}

// TestScrapeDuringAnalysis scrapes the metrics over HTTP while
// pipeline.Run analyses a capture, as a Prometheus server does during a
// live capture (run it with -race), and checks the counts at the end.
func TestScrapeDuringAnalysis(t *testing.T) {
	src, err := capture.OpenFiles([]string{"../testdata/many-transfers-mixed.pcap"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	slow := &slowSource{Source: src, gate: make(chan struct{})}
	// A file source's Infos may not be called during Next, unlike a live
	// source's: no drop counter here.
	m := New(nil)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	var res pipeline.Result
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, runErr = pipeline.Run(context.Background(), slow, pipeline.Options{Observer: m})
	}()
	seen, scrapes := 0.0, 0
feed:
	for i := 1; ; i++ {
		select {
		case slow.gate <- struct{}{}:
		case <-done:
			break feed
		case <-time.After(10 * time.Second):
			t.Fatal("the analysis neither asks for packets nor ends")
		}
		if i%4 == 0 {
			n, _ := value(scrape(t, srv.URL), "ftpscope_packets_total", nil)
			if n < seen {
				t.Fatalf("packets_total went down from %v to %v", seen, n)
			}
			seen = n
			scrapes++
		}
	}
	if runErr != nil {
		t.Fatal(runErr)
	}
	if scrapes == 0 || seen == 0 {
		t.Fatalf("%d scrapes during the analysis saw %v packets", scrapes, seen)
	}
	mfs := scrape(t, srv.URL)
	r := res.Report
	if got, _ := value(mfs, "ftpscope_packets_total", nil); got != float64(r.Stats.Packets) {
		t.Errorf("packets_total %v, the report counts %d", got, r.Stats.Packets)
	}
	ended := 0.0
	for _, v := range []string{"ok", "warning", "failed"} {
		n, _ := value(mfs, "ftpscope_sessions_ended_total", map[string]string{"verdict": v})
		ended += n
	}
	if ended != float64(len(r.Sessions)) || ended == 0 {
		t.Errorf("sessions_ended_total %v, the report has %d sessions", ended, len(r.Sessions))
	}
	if got, _ := value(mfs, "ftpscope_data_channels_total", map[string]string{"state": "established"}); got != 4 {
		t.Errorf("%v established data channels, want the 4 of many-transfers-mixed", got)
	}
}

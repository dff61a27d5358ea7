//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// liveMetricsAddr is where ftpscope serves its metrics inside the client
// namespace, whose loopback only this test uses.
const liveMetricsAddr = "127.0.0.1:9464"

// metricSum adds up the samples of the metric called name whose labels
// include want.
func metricSum(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	sum, found := 0.0, false
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		for k, v := range want {
			ok := false
			for _, l := range m.GetLabel() {
				ok = ok || (l.GetName() == k && l.GetValue() == v)
			}
			if !ok {
				continue next
			}
		}
		found = true
		if m.Counter != nil {
			sum += m.GetCounter().GetValue()
		} else if m.Gauge != nil {
			sum += m.GetGauge().GetValue()
		}
	}
	return sum, found
}

// TestLiveMetrics runs ftpscope -i with --metrics while curl makes a
// passive and an active download through vsftpd, scrapes /metrics over
// HTTP from inside the namespace during the capture, and parses it with
// Prometheus' text parser: packets were counted, both sessions ended with
// the verdict ok, and their data channels were established. Then SIGINT
// still ends the capture with the full report.
func TestLiveMetrics(t *testing.T) {
	l := newLiveLab(t)
	r := startFtpscope(t, l.bin, l.pair.Client, "-i", l.pair.ClientDev, "-o", "json", "--metrics", liveMetricsAddr)
	l.transfers(t, false)

	scrape := func() (map[string]*dto.MetricFamily, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := l.pair.Client.Output(ctx, "curl", "-sS", "--max-time", "5", "http://"+liveMetricsAddr+"/metrics")
		if err != nil {
			return nil, err
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := p.TextToMetricFamilies(bytes.NewReader(out))
		if err != nil {
			return nil, fmt.Errorf("the exposition does not parse: %w\n%s", err, out)
		}
		return mfs, nil
	}
	// The sessions end a few seconds of capture time after their control
	// connections closed (the close grace): scrape until they have.
	var mfs map[string]*dto.MetricFamily
	var err error
	deadline := time.Now().Add(liveEndTimeout + 10*time.Second)
	for {
		mfs, err = scrape()
		if ended, _ := metricSum(mfs, "ftpscope_sessions_ended_total", nil); err == nil && ended >= 2 {
			break
		}
		if time.Now().After(deadline) {
			r.signal(t, os.Interrupt)
			_, _, errOut := r.wait(t, "the scrapes")
			t.Fatalf("the metrics never counted the 2 sessions as ended: %v\n%v\nstderr: %s", err, mfs, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		check  func(float64) bool
		want   string
	}{
		{"ftpscope_packets_total", nil, func(v float64) bool { return v > 0 }, "> 0"},
		{"ftpscope_bytes_total", nil, func(v float64) bool { return v >= 2*liveFileSize }, ">= both downloads"},
		{"ftpscope_kernel_drops_total", nil, func(v float64) bool { return v == 0 }, "0"},
		{"ftpscope_sessions_ended_total", map[string]string{"verdict": "ok"}, func(v float64) bool { return v == 2 }, "2"},
		{"ftpscope_sessions_open", nil, func(v float64) bool { return v == 0 }, "0"},
		{"ftpscope_data_channels_total", map[string]string{"mode": "passive", "state": "established"}, func(v float64) bool { return v == 1 }, "1"},
		{"ftpscope_data_channels_total", map[string]string{"mode": "active", "state": "established"}, func(v float64) bool { return v == 1 }, "1"},
		{"ftpscope_last_packet_timestamp_seconds", nil, func(v float64) bool { return v > 1e9 }, "a time"},
		{"ftpscope_analysis_lag_seconds", nil, func(v float64) bool { return v < 60 }, "< 60 s"},
	} {
		v, ok := metricSum(mfs, c.name, c.labels)
		if !ok || !c.check(v) {
			t.Errorf("%s%v = %v (present %v), want %s", c.name, c.labels, v, ok, c.want)
		}
	}
	if f, ok := mfs["ftpscope_findings_total"]; ok && len(f.GetMetric()) > 0 {
		t.Errorf("findings counted for two healthy transfers: %v", f.GetMetric())
	}

	r.signal(t, os.Interrupt)
	code, out, errOut := r.wait(t, "SIGINT")
	if code != exitOK {
		t.Fatalf("exit status %d, want %d\nstderr: %s", code, exitOK, errOut)
	}
	rep, _ := decodeLive(t, "json", out)
	if len(rep.Sessions) != 2 || rep.Stats == nil || float64(rep.Stats.Packets) < 1 {
		t.Errorf("report after the scrapes: %d sessions, stats %+v\n%s", len(rep.Sessions), rep.Stats, out)
	}
	// Nothing but tcpdump's "listening on" line.
	if rest := strings.TrimSpace(errOut); rest != "" && (!strings.HasPrefix(rest, "listening on ") || strings.Contains(rest, "\n")) {
		t.Errorf("stderr %q, want the listening line only", errOut)
	}
}

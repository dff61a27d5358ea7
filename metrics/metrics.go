package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/session"
)

// lagEvery is how many packets pass between two samples of the analysis
// lag: reading the wall clock for every packet would cost more than the
// rest of what a packet costs here.
const lagEvery = 64

// Metrics counts what an analysis saw, for Prometheus. Its Observer
// methods are called by the goroutine running pipeline.Run; the registry
// may be scraped from any goroutine meanwhile.
type Metrics struct {
	reg *prometheus.Registry

	packets    prometheus.Counter
	bytes      prometheus.Counter
	open       prometheus.Gauge
	ended      *prometheus.CounterVec
	channels   *prometheus.CounterVec
	findings   *prometheus.CounterVec
	lastPacket prometheus.Gauge
	lag        prometheus.Gauge

	n uint64 // packets seen, for sampling the lag
	// now is the wall clock; time.Now unless a test sets it.
	now func() time.Time
}

var _ pipeline.Observer = (*Metrics)(nil)

// New returns Metrics in a registry of their own. infos, when not nil,
// reports the capture's inputs: their kernel drops are read from it at
// each scrape, from the scraping goroutine, so it must be safe to call
// while the analysis runs (a live source's Infos is; a file source's is
// not).
func New(infos func() []capture.Info) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		now: time.Now,
		packets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ftpscope_packets_total", Help: "Packets analysed.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ftpscope_bytes_total", Help: "Captured bytes of the packets analysed.",
		}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ftpscope_sessions_open", Help: "FTP sessions being followed: begun and not yet ended.",
		}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ftpscope_sessions_ended_total", Help: "FTP sessions ended, by verdict (ok, warning, failed).",
		}, []string{"verdict"}),
		channels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ftpscope_data_channels_total",
			Help: "Data channels of ended sessions, by mode and by the state of their connection (none: no connection seen).",
		}, []string{"mode", "state"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ftpscope_findings_total", Help: "Findings of ended sessions and their data channels, by code and severity.",
		}, []string{"code", "severity"}),
		lastPacket: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ftpscope_last_packet_timestamp_seconds", Help: "Capture time of the newest packet analysed, in seconds since the epoch.",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ftpscope_analysis_lag_seconds",
			Help: "Wall clock minus capture time of a packet as it is analysed, sampled every 64 packets.",
		}),
	}
	m.reg.MustRegister(m.packets, m.bytes, m.open, m.ended, m.channels, m.findings, m.lastPacket, m.lag)
	// The verdicts and states are known: show them at 0 from the start,
	// so that rate() and absent() work before the first one happens.
	for _, v := range []session.Verdict{session.VerdictOK, session.VerdictWarning, session.VerdictFailed} {
		m.ended.WithLabelValues(string(v))
	}
	if infos != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "ftpscope_kernel_drops_total", Help: "Packets the kernel dropped before ftpscope could read them.",
		}, func() float64 {
			var d int64
			for _, in := range infos() {
				if in.Dropped > 0 {
					d += in.Dropped
				}
			}
			return float64(d)
		}))
	}
	return m
}

// Registry returns the registry the metrics are in, to add more or to
// gather them.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Packet counts one packet analysed. It does not allocate.
func (m *Metrics) Packet(ts time.Time, length, open int) {
	m.packets.Inc()
	m.bytes.Add(float64(length))
	m.open.Set(float64(open))
	m.lastPacket.Set(float64(ts.UnixNano()) / 1e9)
	if m.n%lagEvery == 0 {
		m.lag.Set(m.now().Sub(ts).Seconds())
	}
	m.n++
}

// SessionEnded counts a session that ended, its data channels and its
// findings.
func (m *Metrics) SessionEnded(s *session.Session, open int) {
	m.open.Set(float64(open))
	v := s.Verdict
	if v == "" {
		v = session.VerdictOf(s.Worst())
	}
	m.ended.WithLabelValues(string(v)).Inc()
	m.count(s.Findings)
	for _, dc := range s.DataChannels {
		if dc == nil {
			continue
		}
		state := "none"
		if dc.Observed != nil {
			state = string(dc.Observed.State)
		}
		m.channels.WithLabelValues(string(dc.Mode), state).Inc()
		m.count(dc.Findings)
	}
}

func (m *Metrics) count(fs []session.Finding) {
	for _, f := range fs {
		m.findings.WithLabelValues(string(f.Code), string(f.Severity)).Inc()
	}
}

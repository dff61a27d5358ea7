// Package metrics exposes a running analysis as Prometheus metrics: what
// ftpscope --metrics ADDR serves during a live capture.
//
// A [Metrics] is a [pipeline.Observer]: pipeline.Run tells it about every
// packet and every session that ends, and it keeps counters that a
// Prometheus server scrapes from [Metrics.Handler]. The metrics live in a
// registry of their own, never in the process-wide default one, so that
// two analyses in one process keep their numbers apart.
//
// # Metrics
//
//	ftpscope_packets_total                        packets analysed
//	ftpscope_bytes_total                          their captured bytes
//	ftpscope_kernel_drops_total                   packets the kernel dropped before ftpscope read them
//	ftpscope_sessions_open                        FTP sessions being followed
//	ftpscope_sessions_ended_total{verdict}        sessions ended, by verdict (ok, warning, failed)
//	ftpscope_data_channels_total{mode,state}      data channels of ended sessions, by mode and by what
//	                                              became of their connection (established, unanswered,
//	                                              refused, unreachable, reset, or none when none was seen)
//	ftpscope_findings_total{code,severity}        findings of ended sessions and their data channels
//	ftpscope_last_packet_timestamp_seconds        capture time of the newest packet analysed
//	ftpscope_analysis_lag_seconds                 wall clock minus capture time of a packet as it is
//	                                              analysed, sampled every 64 packets
//
// Sessions and their findings are counted when a session ends (its control
// connection closed, or it was idle), as the report has them then.
//
// # What it does not do
//
// It serves nothing by itself (the caller runs the HTTP server) and keeps no
// per-session state: the cost per packet is a few atomic operations and no
// allocation.
package metrics

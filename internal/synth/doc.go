// Package synth generates the synthetic FTP captures under testdata/ that the
// end-to-end tests of ftpscope analyse.
//
// Every capture is built packet by packet from a short script: a tape holds
// a capture clock and the frames written so far, a conv plays one TCP
// conversation on it (three-way handshake, data segments with correct
// sequence and acknowledgement numbers, FIN or RST) and an ftp wraps a
// control conversation with the usual dialogue helpers. Scripts can drop,
// reorder, duplicate or split segments by building them with conv.mk and
// putting them on the tape in any order.
//
// # Determinism
//
// Output is byte-for-byte reproducible: timestamps start at
// 2026-01-01T00:00:00Z and advance by fixed amounts, MAC addresses and
// initial sequence numbers are fixed (an ISN is derived from its endpoint),
// and pcapng section and interface blocks carry no host-dependent option.
// The one exception is the compressed gzip scenario, whose DEFLATE stream may
// in principle change with the Go release; its tests compare the
// decompressed bytes.
//
// # Addresses
//
// Only documentation and private addresses are used (10.0.0.0/8,
// 192.168.0.0/16 where a scenario is about NAT, 192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and locally administered
// MAC addresses (02:00:00:...).
//
// # What it does not do
//
// It does not analyse captures and is not used by ftpscope itself: only
// tests and the generator command internal/synth/cmd/synth import it.
package synth

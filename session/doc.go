// Package session follows FTP sessions through a stream of packets and
// turns them into the report of CONTRACT.md.
//
// # What it does
//
// An Analyzer takes packets in timestamp order (capture.Packet), decodes
// their headers (package decode) and:
//
//   - puts every TCP connection on a control port back in order
//     (control.go: RFC 9293 sequence numbers, retransmissions, overlaps,
//     out-of-order segments held within bounds), keeping its two
//     directions in step: bytes missing from the capture are given up as
//     soon as the other side acknowledges them, counted as control_gaps,
//     and a capture that starts mid-connection is followed from its first
//     segment;
//   - frames control lines (cut at Config.MaxLineLen and counted), pairs
//     every command with its final reply (RFC 959 §4.2, multi-line replies
//     included), and steps over TLS records after AUTH TLS/SSL (RFC 4217)
//     until cleartext resumes;
//   - turns every PORT, EPRT, LPRT, PASV, EPSV and LPSV into a data channel
//     and every announced endpoint into an expectation with a lifetime;
//   - matches TCP handshakes to expectations: the announced endpoint
//     first, then the announced port at the control peer's address (NAT),
//     and follows the connection (SYN attempts, SYN-ACK, RST, ICMP errors,
//     bytes each way by sequence space, FIN/RST);
//   - attaches each connection to its transfer command and final reply,
//     and draws findings from the evidence when the session ends.
//
// Time is capture time throughout: a file analyses the same way every
// run, and a live capture behaves like a file (Analyzer.Advance moves the
// clock while an interface is quiet).
//
// # Bounds
//
// State is kept only for control connections and pending expectations,
// and freed when a session ends; Config sets the limits (sessions at once,
// channels per session, line length, ladder events), and a limit that is
// hit is said in the report. With Config.OnSession set, sessions are
// handed on as they end and not kept.
//
// # What it does not do
//
// It does not read or write files or print. IP fragments are put back
// together by the decoder. It is not safe for concurrent use.
package session

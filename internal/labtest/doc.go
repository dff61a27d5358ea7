// Package labtest checks ftpscope against real traffic made in the lab.
//
// # What it tests
//
// testdata/lab/run.sh builds throw-away network namespaces, runs real FTP
// servers and clients between them and captures the traffic;
// testdata/lab/truth.py derives a ground-truth file for every capture from its
// packets. The committed captures live in testdata/lab/captures, their truth
// files in testdata/lab/truth.
//
// TestLabCaptures builds cmd/ftpscope once per test binary, runs it on every
// committed capture (-r CAP -o json --no-progress, plus --ports when the truth
// names them) and compares the report with the truth under the rules of
// ../shared/conformance/check: for each control session of the truth, the
// session with the same client and server endpoints must be reported; each of
// its data channels must be reported with the same setup command and announced
// endpoint, the same mode and, where the truth saw the data connection, the same
// initiator, responder and established flag; every expected finding code must
// appear somewhere in the report; and a capture marked healthy must carry no
// finding of severity error. Beyond conformance/check, where the lab's truth.py
// states them: the data connection's state (observed_detail.state) must be
// the reported observed.state; each session's verdict, logged_in (null
// included), failed_logins and detected_by must be the reported ones (the
// n-th truth session with given endpoints is the n-th reported one); a
// control connection that was never established must be reported with no
// commands; every global finding must be among the report's top-level
// findings, with one login-brute-force per client address and server pair
// the truth lists and none where it lists none, and one passive-port-range
// per server address of the truth's passive_ports and none where it lists
// none; where a real conntrack FTP helper was on the path (helper_expected in
// the truth), the channel's helper.would_expect must be what the kernel did;
// and no session may be reported that the truth does not have (an SMTP
// conversation beside FTP).
//
// TestLabFresh runs the lab script afresh (FTPSCOPE_LAB=1, as root) and applies
// the same checks to what it captured.
//
// # What it does not test
//
// Fields the truth does not state (times, byte counts, packet numbers, finding
// wording) and findings a capture does not expect: an extra warning or info
// finding is not a failure by itself (but a warning changes the verdict), an
// extra error finding is, on a healthy capture.
package labtest

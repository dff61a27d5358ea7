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
// finding of severity error. One check goes beyond conformance/check: where the
// truth gives the data connection's state (observed_detail.state, written by
// the lab's truth.py), the reported observed.state must be the same.
//
// TestLabFresh runs the lab script afresh (FTPSCOPE_LAB=1, as root) and applies
// the same checks to what it captured.
//
// # What it does not test
//
// Fields the truth does not state (times, byte counts, packet numbers, finding
// wording) and findings a capture does not expect: an extra warning or info
// finding is not a failure, an extra error finding is, on a healthy capture.
package labtest

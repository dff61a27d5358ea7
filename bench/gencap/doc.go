// Command gencap writes the large synthetic FTP captures that bench/run.sh
// measures ftpscope on, using synth.BigCaptureWith:
//
//	go run ./bench/gencap -sessions 20000 -seed 1 -o /tmp/big.pcap
//	go run ./bench/gencap -sessions 2800 -seed 1 -ftp-share 0.1 -o /tmp/mixed.pcap
//
// The first is FTP with a little DNS and HTTPS beside it (about 270 MB);
// the second adds long HTTPS-like downloads between other hosts until FTP
// is about 10 % of the packets (about 1 GB).
//
// It prints what it wrote (sessions by mode, packets, FTP and noise
// packets, bulk connections, bytes) as one line of key=value pairs on
// stdout. The same flags always give the same file.
package main

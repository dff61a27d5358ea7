// Command gencap writes the large synthetic FTP capture that bench/run.sh
// measures ftpscope on, using synth.BigCapture:
//
//	go run ./bench/gencap -sessions 20000 -seed 1 -o /tmp/big.pcap
//
// It prints what it wrote (sessions by mode, packets, bytes) as one line of
// key=value pairs on stdout. The same flags always give the same file.
package main

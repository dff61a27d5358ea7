// Command decodeloop measures the bare loop ftpscope is built on, as the
// baseline of bench/run.sh: capture.OpenFiles reading a capture and
// decode.Decoder decoding the headers of every packet, nothing more.
//
//	go run ./bench/decodeloop -r /tmp/big.pcap
//
// With -mode read it only reads packets; with -mode analyse it runs the
// whole analysis of ftpscope without its command line (session.Analyzer,
// then the report of -o json, table or none written to nowhere), which
// with -cpuprofile shows where ftpscope spends its time beyond the
// baseline:
//
//	go run ./bench/decodeloop -r /tmp/big.pcap -mode analyse -o table -cpuprofile cpu.out
//	go tool pprof -top cpu.out
//
// It prints one line of key=value pairs on stdout: the mode, packets,
// bytes, TCP packets decoded, elapsed seconds, packets/s and MB/s (10^6
// bytes of packet data per second).
package main

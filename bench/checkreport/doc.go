// Command checkreport checks that ftpscope's JSON report of the capture
// written by "synth big" (internal/synth/cmd/synth) is right, so that
// bench/run.sh cannot time a broken analysis:
//
//	ftpscope -r big.pcap -o json -q | checkreport -passive 13334 -active 6666
//
// The report must hold exactly passive + active sessions, as many passive
// and active ones as given, each with its user, seven commands and one
// data channel whose announcement was answered, whose data connection was
// established and closed after 7 to 9 KiB, and whose RETR got 226; no
// finding anywhere but the passive-port-range findings of the servers
// (information, one per server), and no source error. It prints a
// one-line summary, or what is wrong and exits 1.
package main

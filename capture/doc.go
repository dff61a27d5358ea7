// Package capture reads packets from capture files (pcap and pcapng,
// optionally gzip-compressed, or standard input) and live interfaces, and
// hands them on in timestamp order with their link type and Wireshark frame
// number.
//
// # What it does not do
//
// It does not decode headers (see package decode) and never prints: damage
// found in an input is recorded in that input's Info.Errors.
package capture

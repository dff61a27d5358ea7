// Package capture reads packets from capture files (pcap and pcapng,
// optionally gzip-compressed, or standard input) and live interfaces, and
// hands them on in timestamp order with their link type and Wireshark frame
// number.
//
// # Filters
//
// A BPF filter expression is an option of the source (WithFilter for files,
// LiveOptions.Filter for interfaces), which then returns only the packets
// it matches: the subset of tcpdump's syntax that package filter compiles,
// or in a build with -tags libpcap and cgo the whole syntax, compiled by
// libpcap for files too (FullFilterSyntax).
//
// # What it does not do
//
// It does not decode headers beyond the link layer that live capture strips
// (see package decode) and never prints: damage found in an input is
// recorded in that input's Info.Errors.
package capture

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
// # Live capture
//
// OpenLive keeps the link layer of the interface where it can (Ethernet
// with MAC addresses and, on request, VLAN tags; raw IP on "any" in the
// default build): see LinkTyper. OpenLiveFanout opens several sockets on
// one interface in an AF_PACKET fanout group whose classic BPF program
// sends both directions of every IP address pair to the same socket, for
// one reader per core (Linux, default build).
//
// # Writing
//
// Writer writes pcapng, one interface per input and link type, with
// comments on the packets if asked (WritePacketComments). Spool keeps
// packets on disk in order until what to say about them is known.
//
// # What it does not do
//
// It does not decode headers (see package decode) and never prints: damage
// found in an input is recorded in that input's Info.Errors.
package capture

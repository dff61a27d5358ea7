// Package filter compiles the part of tcpdump's filter language that people
// use with FTP into classic BPF, without cgo. The program can be attached to
// an AF_PACKET socket for a live capture, and Matcher runs the same program
// in user space, on golang.org/x/net/bpf's virtual machine, on packets read
// from files, so a file and a live interface keep the same packets — the
// ones tcpdump would keep.
//
// # Syntax
//
// The subset of pcap-filter(7) that Parse reads:
//
//	[proto] [dir] host ADDR         ADDR is IPv4 (10.0.0.1, or short: 10.1) or IPv6
//	[proto] [dir] net NET/LEN       also NET mask MASK, and short nets: net 10, net 192.168.1
//	[proto] [dir] port PORT         PORT is a number (decimal, 0x hex, 0 octal) or ftp, ftp-data, ftps, ftps-data
//	[proto] [dir] portrange LO-HI
//	tcp  udp  sctp  icmp  icmp6  ip  ip6  arp  rarp
//	vlan [ID]
//	and &&  or ||  not !  ( )
//
// where dir is src, dst, "src or dst" or "src and dst", and proto is tcp,
// udp or sctp before port and portrange, ip, arp or rarp before an IPv4
// host or net, ip6 before an IPv6 one. A qualifier alone stands for host
// ("src 10.0.0.1"). As in tcpdump, and and or have the same precedence and
// group to the left, not binds tightest, and a bare value after and/or
// takes the qualifiers written before it: "host 10.0.0.1 or 10.0.0.2",
// "port 21 or 20", "port 21 and not 22", "port 21 or (20 or 2121)".
//
// # Semantics
//
// Every primitive tests what tcpdump's does (libpcap 1.10's gencode.c):
//
//   - host and net with an IPv4 address match IPv4 source or destination,
//     and ARP and RARP sender or target; with an IPv6 address, IPv6 only.
//   - port and portrange mean TCP, UDP or SCTP. On IPv4 only the first
//     fragment is checked (fragment offset zero); on IPv6 only when the
//     fixed header's next header is directly TCP, UDP or SCTP.
//   - tcp, udp, sctp and icmp6 on IPv6 also match the protocol after one
//     fragment header; icmp is IPv4 only.
//   - vlan matches an 802.1Q, 802.1ad or old QinQ (0x9100) tag and, as in
//     tcpdump, moves the offsets of everything written after it by four
//     bytes, whatever the parentheses ("vlan or port 21" reads the port as
//     if tagged). It is Ethernet only.
//   - A packet too short for a field a test reads is rejected, as the
//     kernel does, even under not.
//
// Compile supports the link types package decode reads (decode.FramingOf):
// Ethernet, Linux cooked capture v1 and v2, raw IP (LinkTypeRaw and DLT_RAW
// as the BSDs number it, LinkTypeIPv4, LinkTypeIPv6) and BSD loopback
// (LinkTypeNull, LinkTypeLoop; IPv6 is any of the BSDs' AF_INET6 values, as
// libpcap compiles it for files).
//
// # Tests against tcpdump
//
// The tests compare, for about a hundred expressions and eight link types,
// this package's programs with tcpdump -ddd's on a corpus of packets
// (including VLAN tags, fragments, IPv6 extension headers, truncated and
// mutated packets), and Matcher's selection with tcpdump -r -w's on capture
// files, including the shared real captures. The programs are not
// optimised as tcpdump's are (they are longer), but the code generator
// orders its loads as tcpdump's optimiser does where that decides the
// verdict on truncated packets: runs of ports, and of IPv4 hosts, joined
// by or are tested field by field ("port 21 or port 20" compares the source
// port with both before loading the destination port).
//
// # What it does not do
//
// Byte offsets (tcp[13]), arithmetic, link-layer addresses (ether host),
// length tests (less, greater, len), broadcast/multicast, proto and
// protochain, gateway, other protocols and encapsulations (mpls, pppoe,
// geneve, ...), host names and service names other than the FTP ones are
// refused with an *Error that wraps ErrUnsupported and says that the
// libpcap build of ftpscope has the full syntax.
//
// One known difference remains: where a later protocol name makes earlier
// port tests pointless ("port 21 or tcp or port 20"), tcpdump's optimiser
// drops their loads and this package does not, so a TCP packet cut short
// before its ports is rejected here and kept by tcpdump. Whole packets get
// the same verdict.
//
// On a live Linux socket the kernel removes the VLAN tag before the filter
// runs; like tcpdump -d's, these programs do not use the kernel's VLAN
// extensions, so vlan does not match there and other primitives see
// tagged traffic untagged.
//
// The package never prints and holds no global mutable state. A Filter is
// safe for concurrent use; a Matcher is not.
package filter

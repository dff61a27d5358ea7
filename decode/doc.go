// Package decode turns bytes into typed values: packet headers (link,
// IPv4/IPv6 with extension headers, TCP, ICMP errors) and the FTP grammar
// (commands, replies and every data-channel announcement of RFC 959, RFC
// 2428 and RFC 1639).
//
// # Headers
//
// Decoder wraps gopacket's DecodingLayerParser over preallocated layers, so
// decoding a frame allocates nothing. It reads Ethernet (with 802.1Q and
// QinQ tags), Linux cooked SLL and SLL2, BSD loopback/NULL and raw IPv4/IPv6
// frames. FramingOf is the one list of these link types, which the filter
// compiler and live capture go by too; IPPacket strips their link-layer
// header.
//
// # FTP grammar
//
// The FTP functions are pure: one line or argument in, a typed value or an
// error that quotes the input out. An FTP error reply (4xx, 5xx) is data,
// not an error. Stream framing (CRLF, partial lines, gaps) is not done
// here; see package session.
//
// # What it does not do
//
// It does not reassemble TCP streams. The only state kept between frames,
// beyond reused buffers, is the IP fragments that wait for the rest of
// their datagram (Decoder.Reassemble: IPv4 with gopacket's ip4defrag, IPv6
// by RFC 8200 and RFC 5722 since gopacket has no defragmenter for it;
// bounded in bytes and forgotten after FragmentTimeout or Fragment6Timeout).
package decode

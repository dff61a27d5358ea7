package decode

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Framing is how the frames of a link type carry their network packet:
// how long the link-layer header is and how it names the protocol inside.
// It is all that ftpscope knows of a link layer; several link types can
// share one framing (raw IP has three numbers).
type Framing uint8

// The framings of the link types ftpscope reads.
const (
	// FramingEthernet is a 14-byte Ethernet II header with the EtherType
	// at offset 12, which 802.1Q, 802.1ad and old QinQ (0x9100) tags may
	// follow.
	FramingEthernet Framing = iota + 1
	// FramingLinuxSLL is Linux cooked capture v1: 16 bytes, the protocol
	// (an EtherType) at offset 14.
	FramingLinuxSLL
	// FramingLinuxSLL2 is Linux cooked capture v2: 20 bytes, the protocol
	// at offset 0.
	FramingLinuxSLL2
	// FramingNull is BSD loopback: a 4-byte address family in the byte
	// order of the host that wrote it.
	FramingNull
	// FramingLoop is OpenBSD loopback: a 4-byte address family in network
	// byte order.
	FramingLoop
	// FramingRaw is raw IP: no header, IPv4 or IPv6 by the version
	// nibble.
	FramingRaw
	// FramingIPv4 is raw IPv4 only.
	FramingIPv4
	// FramingIPv6 is raw IPv6 only.
	FramingIPv6
)

// SupportedLinkTypes names in words the link types of LinkTypes, for
// messages about the ones ftpscope cannot read.
const SupportedLinkTypes = "Ethernet with 802.1Q/QinQ, Linux SLL and SLL2, BSD loopback/NULL, raw IPv4/IPv6"

// linkTypes is the one list of the link types ftpscope reads, as pcap
// and pcapng files number them, with their framing: the Decoder, the
// filter compilers and live capture all go by it.
var linkTypes = [...]struct {
	lt layers.LinkType
	f  Framing
}{
	{layers.LinkTypeEthernet, FramingEthernet},
	{layers.LinkTypeLinuxSLL, FramingLinuxSLL},
	{layers.LinkTypeLinuxSLL2, FramingLinuxSLL2},
	{layers.LinkTypeRaw, FramingRaw}, // LINKTYPE_RAW
	{12, FramingRaw},                 // DLT_RAW as most systems number it
	{14, FramingRaw},                 // DLT_RAW as OpenBSD numbers it
	{layers.LinkTypeIPv4, FramingIPv4},
	{layers.LinkTypeIPv6, FramingIPv6},
	{layers.LinkTypeNull, FramingNull},
	{layers.LinkTypeLoop, FramingLoop},
}

// FramingOf returns the framing of link type lt; ok is false for a link
// type ftpscope cannot read.
func FramingOf(lt layers.LinkType) (f Framing, ok bool) {
	for _, l := range linkTypes {
		if l.lt == lt {
			return l.f, true
		}
	}
	return 0, false
}

// LinkTypes returns the link types ftpscope reads, Ethernet first.
func LinkTypes() []layers.LinkType {
	out := make([]layers.LinkType, len(linkTypes))
	for i, l := range linkTypes {
		out[i] = l.lt
	}
	return out
}

// Supported reports whether the Decoder reads frames of link type lt.
func Supported(lt layers.LinkType) bool {
	_, ok := FramingOf(lt)
	return ok
}

// HeaderLen returns the length of the link-layer header in front of the
// network packet, VLAN tags not counted.
func (f Framing) HeaderLen() int {
	switch f {
	case FramingEthernet:
		return 14
	case FramingLinuxSLL:
		return 16
	case FramingLinuxSLL2:
		return 20
	case FramingNull, FramingLoop:
		return 4
	}
	return 0
}

// EtherTypeAt returns the offset of the 16-bit EtherType that names the
// network protocol, or -1 for a framing without one.
func (f Framing) EtherTypeAt() int {
	switch f {
	case FramingEthernet:
		return 12
	case FramingLinuxSLL:
		return 14
	case FramingLinuxSLL2:
		return 0
	}
	return -1
}

// EtherTypes of the network protocols and VLAN tags that IPPacket reads.
const (
	etherTypeIPv4   = 0x0800
	etherTypeIPv6   = 0x86dd
	etherType8021Q  = 0x8100
	etherType8021AD = 0x88a8
	etherTypeQinQ   = 0x9100
)

// IPPacket strips the link-layer header, VLAN tags included, from frame,
// of link type lt, and returns the IPv4 or IPv6 packet it carries; ok is
// false for anything else (ARP and other protocols, truncated frames,
// link types FramingOf does not know). The packet aliases frame.
func IPPacket(lt layers.LinkType, frame []byte) (packet []byte, ok bool) {
	f, ok := FramingOf(lt)
	if !ok || len(frame) < f.HeaderLen() {
		return nil, false
	}
	packet = frame[f.HeaderLen():]
	proto := 0 // 0: go by the version nibble alone
	if at := f.EtherTypeAt(); at >= 0 {
		proto = int(binary.BigEndian.Uint16(frame[at:]))
	}
	for f == FramingEthernet && (proto == etherType8021Q || proto == etherType8021AD || proto == etherTypeQinQ) {
		if len(packet) < 4 {
			return nil, false
		}
		proto, packet = int(binary.BigEndian.Uint16(packet[2:])), packet[4:]
	}
	if len(packet) == 0 {
		return nil, false
	}
	switch v := packet[0] >> 4; {
	case proto == 0 && (v == 4 || v == 6),
		proto == etherTypeIPv4 && v == 4,
		proto == etherTypeIPv6 && v == 6:
		return packet, true
	}
	return nil, false
}

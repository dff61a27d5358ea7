package synth

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// epoch returns the timestamp of the first packet of every scenario.
func epoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// frameGap is how far the capture clock moves after every frame by default,
// so that no two frames share a timestamp.
const frameGap = 12 * time.Microsecond

// host is one machine as seen on the wire at the capture point. For a host
// behind a router, mac is the router's MAC address.
type host struct {
	addr netip.Addr
	mac  net.HardwareAddr
}

// mkHost returns a host with address addr and MAC address 02:00:00:00:00:last.
// It panics on a malformed address: addresses are literals of the scripts.
func mkHost(addr string, last byte) host {
	return host{addr: netip.MustParseAddr(addr), mac: net.HardwareAddr{0x02, 0, 0, 0, 0, last}}
}

// endpoint is a host and a TCP port.
type endpoint struct {
	host
	port uint16
}

// at returns the endpoint of h on port.
func (h host) at(port uint16) endpoint { return endpoint{host: h, port: port} }

// linkKind says which link-layer header frames carry.
type linkKind int

const (
	linkEthernet linkKind = iota // Ethernet II, optionally with VLAN tags
	linkNull                     // BSD loopback/NULL: 4-byte address family, host byte order
	linkRaw                      // no link header: the frame starts with the IP header
	linkSLL                      // Linux cooked capture v1 (16 bytes)
	linkSLL2                     // Linux cooked capture v2 (20 bytes)
)

// framing says how the frames of one conversation are wrapped and on which
// pcapng interface they are recorded. The zero value is plain Ethernet on
// interface 0.
type framing struct {
	kind linkKind
	// vlans are the 802.1Q VLAN identifiers, outermost first.
	vlans []uint16
	// qinq makes the outermost tag an 802.1ad service tag (TPID 0x88a8).
	qinq bool
	// iface is the pcapng interface index.
	iface int
	// ifindex is the Linux interface index written in SLL2 headers.
	ifindex uint32
	// local is the address of the capturing host: cooked headers mark the
	// frames it sends as outgoing and the others as addressed to it.
	local netip.Addr
}

// frame is one recorded packet.
type frame struct {
	ts    time.Time
	iface int
	data  []byte
}

// tape records frames on a capture clock. The first error met while
// serializing is kept and reported by the writers, so scripts need not check
// every step.
type tape struct {
	now time.Time
	// gap is how far the clock moves after every frame.
	gap    time.Duration
	frames []frame
	ipID   map[netip.Addr]uint16
	err    error
}

// newTape returns an empty tape whose clock reads epoch().
func newTape() *tape {
	return &tape{now: epoch(), gap: frameGap, ipID: make(map[netip.Addr]uint16)}
}

// wait moves the capture clock forward by d.
func (t *tape) wait(d time.Duration) { t.now = t.now.Add(d) }

// fail records err unless an earlier error is already recorded.
func (t *tape) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// nextID returns the next IPv4 identification field of src, starting from a
// value derived from the address so that hosts differ.
func (t *tape) nextID(src netip.Addr) uint16 {
	id, ok := t.ipID[src]
	if !ok {
		h := fnv.New32a()
		b := src.As16()
		h.Write(b[:])
		id = uint16(h.Sum32())
	}
	t.ipID[src] = id + 1
	return id
}

// serializeOpts are the options of every serialization: lengths and
// checksums are computed, never written by hand.
func serializeOpts() gopacket.SerializeOptions {
	return gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
}

// ipPacket serializes an IP packet from src to dst around the transport
// layers l4, which may include a payload. A TCP layer gets its checksum
// pseudo-header from the IP layer built here.
func (t *tape) ipPacket(src, dst netip.Addr, proto layers.IPProtocol, l4 ...gopacket.SerializableLayer) []byte {
	var netLayer gopacket.SerializableLayer
	var forChecksum gopacket.NetworkLayer
	if src.Is4() {
		ip := &layers.IPv4{
			Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment,
			Id: t.nextID(src), Protocol: proto,
			SrcIP: src.AsSlice(), DstIP: dst.AsSlice(),
		}
		if proto == layers.IPProtocolICMPv4 {
			// ICMP errors are sent without DF (RFC 1812 leaves it unset).
			ip.Flags = 0
		}
		netLayer, forChecksum = ip, ip
	} else {
		ip := &layers.IPv6{
			Version: 6, HopLimit: 64, NextHeader: proto,
			SrcIP: src.AsSlice(), DstIP: dst.AsSlice(),
		}
		netLayer, forChecksum = ip, ip
	}
	for _, l := range l4 {
		switch l := l.(type) {
		case *layers.TCP:
			if err := l.SetNetworkLayerForChecksum(forChecksum); err != nil {
				t.fail(fmt.Errorf("synth: tcp checksum layer: %w", err))
			}
		case *layers.ICMPv6:
			if err := l.SetNetworkLayerForChecksum(forChecksum); err != nil {
				t.fail(fmt.Errorf("synth: icmpv6 checksum layer: %w", err))
			}
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serializeOpts(), append([]gopacket.SerializableLayer{netLayer}, l4...)...); err != nil {
		t.fail(fmt.Errorf("synth: serialize %v -> %v: %w", src, dst, err))
		return nil
	}
	return append([]byte(nil), buf.Bytes()...)
}

// record wraps the IP packet ip in the link-layer header of fr and appends
// the frame at the current clock reading, which then moves by t.gap.
func (t *tape) record(fr framing, src, dst host, ip []byte) {
	if t.err != nil {
		return
	}
	etherType := layers.EthernetTypeIPv4
	if src.addr.Is6() {
		etherType = layers.EthernetTypeIPv6
	}
	var link []gopacket.SerializableLayer
	switch fr.kind {
	case linkEthernet:
		eth := &layers.Ethernet{SrcMAC: src.mac, DstMAC: dst.mac, EthernetType: etherType}
		link = append(link, eth)
		next := &eth.EthernetType
		for i, id := range fr.vlans {
			*next = layers.EthernetTypeDot1Q
			if i == 0 && fr.qinq {
				*next = layers.EthernetTypeQinQ
			}
			tag := &layers.Dot1Q{VLANIdentifier: id, Type: etherType}
			link = append(link, tag)
			next = &tag.Type
		}
	case linkNull:
		family := layers.ProtocolFamilyIPv4
		if src.addr.Is6() {
			family = layers.ProtocolFamilyIPv6BSD
		}
		link = append(link, &layers.Loopback{Family: family})
	case linkRaw:
	case linkSLL, linkSLL2:
		link = append(link, &cookedHeader{v2: fr.kind == linkSLL2, outgoing: src.addr == fr.local,
			ifindex: fr.ifindex, mac: src.mac, proto: etherType})
	default:
		t.fail(fmt.Errorf("synth: unknown link kind %d", fr.kind))
		return
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serializeOpts(), append(link, gopacket.Payload(ip))...); err != nil {
		t.fail(fmt.Errorf("synth: serialize link header %v -> %v: %w", src.addr, dst.addr, err))
		return
	}
	t.frames = append(t.frames, frame{ts: t.now, iface: fr.iface, data: append([]byte(nil), buf.Bytes()...)})
	t.now = t.now.Add(t.gap)
}

// icmpUnreachable records an ICMP destination-unreachable error (ICMPv6 for
// IPv6 addresses) from router to dst that quotes the packet quoted, as
// RFC 792 and RFC 4443 section 3.1 describe.
func (t *tape) icmpUnreachable(fr framing, router, dst host, code uint8, quoted []byte) {
	var ip []byte
	if router.addr.Is4() {
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, code)}
		ip = t.ipPacket(router.addr, dst.addr, layers.IPProtocolICMPv4, icmp, gopacket.Payload(quoted))
	} else {
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeDestinationUnreachable, code)}
		// Four unused bytes precede the invoking packet.
		body := append(make([]byte, 4), quoted...)
		ip = t.ipPacket(router.addr, dst.addr, layers.IPProtocolICMPv6, icmp, gopacket.Payload(body))
	}
	t.record(fr, router, dst, ip)
}

// cookedHeader is a Linux cooked-capture header (SLL or SLL2) as tcpdump -i
// any writes it; gopacket decodes both but serializes neither.
type cookedHeader struct {
	v2       bool
	outgoing bool
	ifindex  uint32
	mac      net.HardwareAddr
	proto    layers.EthernetType
}

// Packet types of the cooked headers (linux/if_packet.h).
const (
	packetHost     = 0
	packetOutgoing = 4
	arphrdEther    = 1
)

// LayerType implements gopacket.SerializableLayer.
func (c *cookedHeader) LayerType() gopacket.LayerType {
	if c.v2 {
		return layers.LayerTypeLinuxSLL2
	}
	return layers.LayerTypeLinuxSLL
}

// SerializeTo implements gopacket.SerializableLayer.
func (c *cookedHeader) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	pktType := uint8(packetHost)
	if c.outgoing {
		pktType = packetOutgoing
	}
	if c.v2 {
		h, err := b.PrependBytes(20)
		if err != nil {
			return err
		}
		binary.BigEndian.PutUint16(h[0:], uint16(c.proto))
		binary.BigEndian.PutUint16(h[2:], 0) // reserved
		binary.BigEndian.PutUint32(h[4:], c.ifindex)
		binary.BigEndian.PutUint16(h[8:], arphrdEther)
		h[10] = pktType
		h[11] = byte(len(c.mac))
		clear(h[12:20])
		copy(h[12:20], c.mac)
		return nil
	}
	h, err := b.PrependBytes(16)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(h[0:], uint16(pktType))
	binary.BigEndian.PutUint16(h[2:], arphrdEther)
	binary.BigEndian.PutUint16(h[4:], uint16(len(c.mac)))
	clear(h[6:14])
	copy(h[6:14], c.mac)
	binary.BigEndian.PutUint16(h[14:], uint16(c.proto))
	return nil
}

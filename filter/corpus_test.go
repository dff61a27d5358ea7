package filter

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// sample is one test packet, kept independent of the link type: the
// EtherType and what follows it on Ethernet (for a VLAN-tagged frame, the
// tag, the inner EtherType and the rest).
type sample struct {
	name  string
	etype uint16
	rest  []byte
}

// linkTypes are the link types the differential tests cover, with
// tcpdump's -y name for each.
var linkTypes = []struct {
	lt  layers.LinkType
	dlt string
}{
	{layers.LinkTypeEthernet, "EN10MB"},
	{layers.LinkTypeLinuxSLL, "LINUX_SLL"},
	{layers.LinkTypeLinuxSLL2, "LINUX_SLL2"},
	{layers.LinkTypeRaw, "RAW"},
	{layers.LinkTypeIPv4, "IPV4"},
	{layers.LinkTypeIPv6, "IPV6"},
	{layers.LinkTypeNull, "NULL"},
	{layers.LinkTypeLoop, "LOOP"},
}

// frame returns s as a packet of link type lt.
func (s sample) frame(lt layers.LinkType, i int) []byte {
	var hdr []byte
	switch lt {
	case layers.LinkTypeEthernet:
		hdr = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0, 0}
		binary.BigEndian.PutUint16(hdr[12:], s.etype)
	case layers.LinkTypeLinuxSLL:
		hdr = []byte{0, byte(i % 5), 0, 1, 0, 6, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(hdr[14:], s.etype)
	case layers.LinkTypeLinuxSLL2:
		hdr = []byte{0, 0, 0, 0, 0, 0, 0, 2, 0, 1, byte(i % 5), 6, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0, 0}
		binary.BigEndian.PutUint16(hdr[0:], s.etype)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		af := uint32(0x1234)
		switch s.etype {
		case etherIPv4:
			af = afInet
		case etherIPv6:
			af = []uint32{10, afInet6BSD, afInet6FreeBSD, afInet6Darwin}[i%4] // Linux's AF_INET6 and the BSDs'
		}
		hdr = make([]byte, 4)
		if lt == layers.LinkTypeNull {
			binary.NativeEndian.PutUint32(hdr, af)
		} else {
			binary.BigEndian.PutUint32(hdr, af)
		}
	}
	return append(hdr, s.rest...)
}

var serOpts = gopacket.SerializeOptions{FixLengths: true}

// ser serialises ls and returns the bytes.
func ser(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serOpts, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

var (
	hosts4 = []string{"10.0.0.1", "10.0.0.2", "10.1.2.3", "192.168.1.10", "172.16.5.4", "10.0.0.22"}
	hosts6 = []string{"2001:db8::1", "2001:db8::2", "2001:db8:1::5", "fe80::1", "::1", "::ffff:10.0.0.1"}
	ports  = [][2]uint16{{50000, 21}, {21, 50000}, {20, 2121}, {2121, 20}, {22, 53}, {53, 1024}, {21, 21}, {30000, 989}}
)

// transport returns a transport layer of IP protocol proto between ports.
func transport(proto layers.IPProtocol, pp [2]uint16) []gopacket.SerializableLayer {
	payload := gopacket.Payload("USER anonymous\r\n")
	switch proto {
	case layers.IPProtocolTCP:
		return []gopacket.SerializableLayer{&layers.TCP{SrcPort: layers.TCPPort(pp[0]), DstPort: layers.TCPPort(pp[1]), ACK: true, PSH: true, Window: 512}, payload}
	case layers.IPProtocolUDP:
		return []gopacket.SerializableLayer{&layers.UDP{SrcPort: layers.UDPPort(pp[0]), DstPort: layers.UDPPort(pp[1])}, payload}
	case layers.IPProtocolSCTP:
		return []gopacket.SerializableLayer{&layers.SCTP{SrcPort: layers.SCTPPort(pp[0]), DstPort: layers.SCTPPort(pp[1])}, payload}
	case layers.IPProtocolICMPv4:
		return []gopacket.SerializableLayer{&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: pp[0], Seq: pp[1]}, payload}
	}
	return []gopacket.SerializableLayer{&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}, gopacket.Payload([]byte{byte(pp[0] >> 8), byte(pp[0]), byte(pp[1] >> 8), byte(pp[1])})}
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, nh layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: nh, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

// corpus builds the test packets: IPv4 and IPv6 with TCP, UDP, SCTP and
// ICMP between several hosts and the FTP ports, IPv4 fragments and
// options, IPv6 extension headers, VLAN tags (802.1Q, 802.1ad, QinQ),
// ARP and RARP, truncated copies and random mutations.
func corpus() []sample {
	var out []sample
	add := func(name string, etype uint16, b []byte) { out = append(out, sample{name, etype, b}) }
	protos4 := []layers.IPProtocol{layers.IPProtocolTCP, layers.IPProtocolUDP, layers.IPProtocolSCTP, layers.IPProtocolICMPv4}
	protos6 := []layers.IPProtocol{layers.IPProtocolTCP, layers.IPProtocolUDP, layers.IPProtocolSCTP, layers.IPProtocolICMPv6}
	for hi := range hosts4 {
		src, dst := hosts4[hi], hosts4[(hi+1)%len(hosts4)]
		for pi, pp := range ports {
			proto := protos4[(hi+pi)%len(protos4)]
			if pi%2 == 0 {
				proto = protos4[pi/2%3]
			}
			add(fmt.Sprintf("ipv4 %s %s>%s %v", proto, src, dst, pp), etherIPv4, ser(append([]gopacket.SerializableLayer{ip4(src, dst, proto)}, transport(proto, pp)...)...))
		}
	}
	for hi := range hosts6 {
		src, dst := hosts6[hi], hosts6[(hi+1)%len(hosts6)]
		for pi, pp := range ports {
			proto := protos6[(hi+pi)%len(protos6)]
			if pi%2 == 0 {
				proto = protos6[pi/2%3]
			}
			add(fmt.Sprintf("ipv6 %s %s>%s %v", proto, src, dst, pp), etherIPv6, ser(append([]gopacket.SerializableLayer{ip6(src, dst, proto)}, transport(proto, pp)...)...))
		}
	}
	// IPv4 fragments: the first (ports present, MF set), a later one whose
	// bytes where ports would be read as 21, and one with the DF flag.
	for _, frag := range []struct {
		name   string
		flags  layers.IPv4Flag
		offset uint16
	}{{"first", layers.IPv4MoreFragments, 0}, {"middle", layers.IPv4MoreFragments, 185}, {"last", 0, 370}, {"df", layers.IPv4DontFragment, 0}, {"offset-1", 0, 1}} {
		for _, proto := range []layers.IPProtocol{layers.IPProtocolTCP, layers.IPProtocolUDP} {
			ip := ip4("10.0.0.1", "10.0.0.2", proto)
			ip.Flags, ip.FragOffset = frag.flags, frag.offset
			add("ipv4 fragment "+frag.name+" "+proto.String(), etherIPv4, ser(append([]gopacket.SerializableLayer{ip}, transport(proto, [2]uint16{21, 21})...)...))
		}
	}
	// IPv4 with options: the ports move by the header length.
	{
		ip := ip4("10.0.0.2", "192.168.1.10", layers.IPProtocolTCP)
		ip.Options = []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}}
		add("ipv4 options tcp 21", etherIPv4, ser(append([]gopacket.SerializableLayer{ip}, transport(layers.IPProtocolTCP, [2]uint16{2121, 21})...)...))
		ip = ip4("10.0.0.2", "192.168.1.10", layers.IPProtocolUDP)
		ip.Options = []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}, {OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
		add("ipv4 options udp 20", etherIPv4, ser(append([]gopacket.SerializableLayer{ip}, transport(layers.IPProtocolUDP, [2]uint16{20, 53})...)...))
	}
	// IPv6 with a fragment header, and with hop-by-hop options, before TCP.
	for _, off := range []uint16{0, 100} {
		fr := &layers.IPv6Fragment{NextHeader: layers.IPProtocolTCP, FragmentOffset: off, MoreFragments: off == 0, Identification: 7}
		add(fmt.Sprintf("ipv6 fragment %d tcp 21", off), etherIPv6, ser(append([]gopacket.SerializableLayer{ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolIPv6Fragment), fr}, transport(layers.IPProtocolTCP, [2]uint16{21, 50000})...)...))
		fr = &layers.IPv6Fragment{NextHeader: layers.IPProtocolICMPv6, FragmentOffset: off, Identification: 8}
		add(fmt.Sprintf("ipv6 fragment %d icmp6", off), etherIPv6, ser(append([]gopacket.SerializableLayer{ip6("2001:db8::2", "2001:db8::1", layers.IPProtocolIPv6Fragment), fr}, transport(layers.IPProtocolICMPv6, [2]uint16{1, 2})...)...))
	}
	{
		hbh := gopacket.Payload([]byte{byte(layers.IPProtocolTCP), 0, 1, 4, 0, 0, 0, 0})
		add("ipv6 hop-by-hop tcp 21", etherIPv6, ser(append([]gopacket.SerializableLayer{ip6("2001:db8::1", "2001:db8:1::5", layers.IPProtocolIPv6HopByHop), hbh}, transport(layers.IPProtocolTCP, [2]uint16{21, 21})...)...))
	}
	// ARP and RARP about 10.0.0.1.
	for _, et := range []uint16{etherARP, etherRARP} {
		for _, pair := range [][2]string{{"10.0.0.1", "10.0.0.2"}, {"192.168.1.10", "10.0.0.1"}, {"172.16.5.4", "192.168.1.1"}} {
			a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4, Operation: 1,
				SourceHwAddress: []byte{0, 0x66, 0x77, 0x88, 0x99, 0xaa}, SourceProtAddress: net.ParseIP(pair[0]).To4(),
				DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP(pair[1]).To4()}
			add(fmt.Sprintf("arp %#x %s>%s", et, pair[0], pair[1]), et, ser(a))
		}
	}
	// VLAN-tagged copies of some of the above: 802.1Q with VLAN 100 and
	// 200, 802.1ad and old QinQ outer tags, and double tags.
	base := len(out)
	for i := 0; i < base; i += 3 {
		s := out[i]
		tags := [][]uint16{{ether8021Q, 100}, {ether8021Q, 200}, {ether8021AD, 100}, {etherQinQ, 300}, {ether8021AD, 100, ether8021Q, 200}, {ether8021Q, 200, ether8021Q, 100}}[i/3%6]
		rest := s.rest
		inner := s.etype
		for t := len(tags) - 2; t >= 0; t -= 2 {
			tag := []byte{byte(tags[t+1] >> 8), byte(tags[t+1]), byte(inner >> 8), byte(inner)}
			tag[0] |= 0x20 // a priority, which vlan ID must ignore
			rest = append(tag, rest...)
			inner = tags[t]
		}
		add(fmt.Sprintf("vlan %v %s", tags, s.name), inner, rest)
	}
	// Truncated copies: cut inside or just after each header.
	base = len(out)
	for i := 0; i < base; i += 2 {
		s := out[i]
		for _, n := range []int{0, 1, 9, 10, 16, 19, 20, 21, 22, 23, 24, 26, 30, 40, 41, 42, 43, 44, 45, 46, 48, 50} {
			if n < len(s.rest) && (i/2+n)%3 == 0 {
				add(fmt.Sprintf("truncated %d %s", n, s.name), s.etype, s.rest[:n])
			}
		}
	}
	// Random mutations of header bytes, and random EtherTypes.
	rng := rand.New(rand.NewPCG(1, 2))
	base = len(out)
	for i := 0; i < 400; i++ {
		s := out[rng.IntN(base)]
		rest := append([]byte(nil), s.rest...)
		for k := rng.IntN(3) + 1; k > 0 && len(rest) > 0; k-- {
			rest[rng.IntN(min(len(rest), 64))] = byte(rng.IntN(256))
		}
		etype := s.etype
		if rng.IntN(8) == 0 {
			etype = []uint16{0x0800, 0x86dd, 0x8100, 0x0806, 0x8035, 0x88a8, 0x9100, 0x0842, 0x05dc}[rng.IntN(9)]
		}
		add(fmt.Sprintf("mutation %d of %s", i, s.name), etype, rest)
	}
	return out
}

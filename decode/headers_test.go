package decode

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	mac1 = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	mac2 = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	for _, l := range ls {
		for _, n := range ls {
			nl, ok := n.(gopacket.NetworkLayer)
			if !ok {
				continue
			}
			switch x := l.(type) {
			case *layers.TCP:
				_ = x.SetNetworkLayerForChecksum(nl)
			case *layers.ICMPv6:
				_ = x.SetNetworkLayerForChecksum(nl)
			}
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

func syn(sp, dp uint16) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), SYN: true, Seq: 100, Window: 1000}
}

func data(sp, dp uint16) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), ACK: true, PSH: true, Seq: 101, Ack: 7, Window: 1000}
}

// sll2 builds a Linux cooked v2 header by hand: gopacket cannot
// serialize one.
func sll2(proto uint16) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], proto)
	binary.BigEndian.PutUint32(b[4:], 2) // interface index
	binary.BigEndian.PutUint16(b[8:], 1) // ARPHRD_ETHER
	b[10] = 0                            // to us
	b[11] = 6
	copy(b[12:], mac1)
	return b
}

// sll builds a Linux cooked v1 header by hand.
func sll(proto uint16) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint16(b[0:], 0) // to us
	binary.BigEndian.PutUint16(b[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(b[4:], 6)
	copy(b[6:], mac1)
	binary.BigEndian.PutUint16(b[14:], proto)
	return b
}

// summary is what the tests compare of Headers.
type summary struct {
	Src, Dst   string
	Proto      layers.IPProtocol
	TCP        bool
	SrcPort    uint16
	DstPort    uint16
	SYN        bool
	Payload    string
	PayloadLen int
	Truncated  bool
	Fragment   bool
	ICMP       string
}

func summarise(h *Headers) summary {
	s := summary{Src: h.Src.String(), Dst: h.Dst.String(), Proto: h.Proto, TCP: h.HasTCP, Fragment: h.Fragment}
	if h.HasTCP {
		s.SrcPort, s.DstPort, s.SYN = uint16(h.TCP.SrcPort), uint16(h.TCP.DstPort), h.TCP.SYN
		s.Payload, s.PayloadLen, s.Truncated = string(h.TCP.Payload), h.PayloadLen, h.Truncated
	}
	if h.HasICMPError {
		e := h.ICMPError
		s.ICMP = e.From.String() + " " + e.What() + " " + e.InnerSrc.String() + ">" + e.InnerDst.String()
	}
	return s
}

func TestDecode(t *testing.T) {
	pasv := gopacket.Payload("PASV\r\n")
	eth4 := &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeIPv4}
	eth6 := &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeIPv6}
	ipv4Data := serialize(t, ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), data(51000, 21), pasv)
	want4 := summary{Src: "10.0.0.1", Dst: "10.0.0.2", Proto: layers.IPProtocolTCP, TCP: true, SrcPort: 51000, DstPort: 21, Payload: "PASV\r\n", PayloadLen: 6}

	// A SYN quoted by an ICMP admin-prohibited error from a firewall.
	quoted := serialize(t, ip4("10.0.0.1", "192.0.2.10", layers.IPProtocolTCP), syn(51002, 40006))[:28]
	icmp := serialize(t, eth4, ip4("10.0.0.254", "10.0.0.1", layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(quoted))
	quoted6 := serialize(t, ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolTCP), syn(51002, 40006))[:48]
	icmp6 := serialize(t, eth6, ip6("2001:db8::fe", "2001:db8::1", layers.IPProtocolICMPv6),
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 1)}, gopacket.Payload(append([]byte{0, 0, 0, 0}, quoted6...)))
	icmp6Layer := icmp6 // checksum needs the network layer; the decoder does not check it

	frag := ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP)
	frag.FragOffset = 185

	full := serialize(t, eth4, ip4("10.0.0.2", "10.0.0.1", layers.IPProtocolTCP), data(40001, 51002), gopacket.Payload(make([]byte, 1000)))
	cut := full[:14+20+20+40] // snap length 94: 40 payload bytes kept of 1000

	tests := []struct {
		name string
		lt   layers.LinkType
		data []byte
		want summary
	}{
		{"ethernet", layers.LinkTypeEthernet, serialize(t, eth4, ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), data(51000, 21), pasv), want4},
		{"802.1Q", layers.LinkTypeEthernet, serialize(t,
			&layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4},
			ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), data(51000, 21), pasv), want4},
		{"QinQ", layers.LinkTypeEthernet, serialize(t,
			&layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeQinQ},
			&layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 300, Type: layers.EthernetTypeIPv4},
			ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), data(51000, 21), pasv), want4},
		{"Linux SLL", layers.LinkTypeLinuxSLL, append(sll(0x0800), ipv4Data...), want4},
		{"Linux SLL2", layers.LinkTypeLinuxSLL2, append(sll2(0x0800), ipv4Data...), want4},
		{"BSD loopback", layers.LinkTypeNull, append([]byte{2, 0, 0, 0}, ipv4Data...), want4},
		{"raw IPv4 (101)", layers.LinkTypeRaw, ipv4Data, want4},
		{"raw IPv4 (228)", layers.LinkTypeIPv4, ipv4Data, want4},
		{"raw IPv6 (101)", layers.LinkTypeRaw, serialize(t, ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolTCP), data(51000, 21), pasv),
			summary{Src: "2001:db8::1", Dst: "2001:db8::2", Proto: layers.IPProtocolTCP, TCP: true, SrcPort: 51000, DstPort: 21, Payload: "PASV\r\n", PayloadLen: 6}},
		{"IPv6 hop-by-hop then TCP", layers.LinkTypeEthernet, serialize(t, eth6, ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolIPv6HopByHop),
			hopByHop(), data(51000, 21), pasv),
			summary{Src: "2001:db8::1", Dst: "2001:db8::2", Proto: layers.IPProtocolTCP, TCP: true, SrcPort: 51000, DstPort: 21, Payload: "PASV\r\n", PayloadLen: 6}},
		{"snap length cut the payload", layers.LinkTypeEthernet, cut,
			summary{Src: "10.0.0.2", Dst: "10.0.0.1", Proto: layers.IPProtocolTCP, TCP: true, SrcPort: 40001, DstPort: 51002, Payload: string(make([]byte, 40)), PayloadLen: 1000, Truncated: true}},
		{"ethernet padding is not payload", layers.LinkTypeEthernet, append(serialize(t, eth4, ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), syn(51000, 21)), 0, 0, 0, 0, 0, 0),
			summary{Src: "10.0.0.1", Dst: "10.0.0.2", Proto: layers.IPProtocolTCP, TCP: true, SrcPort: 51000, DstPort: 21, SYN: true}},
		{"IPv4 fragment", layers.LinkTypeEthernet, serialize(t, eth4, frag, gopacket.Payload("xxxxxxxx")),
			summary{Src: "10.0.0.1", Dst: "10.0.0.2", Proto: layers.IPProtocolTCP, Fragment: true}},
		{"ICMP admin prohibited", layers.LinkTypeEthernet, icmp,
			summary{Src: "10.0.0.254", Dst: "10.0.0.1", Proto: layers.IPProtocolICMPv4, ICMP: "10.0.0.254 administratively prohibited 10.0.0.1:51002>192.0.2.10:40006"}},
		{"ICMPv6 admin prohibited", layers.LinkTypeEthernet, icmp6Layer,
			summary{Src: "2001:db8::fe", Dst: "2001:db8::1", Proto: layers.IPProtocolICMPv6, ICMP: "2001:db8::fe administratively prohibited [2001:db8::1]:51002>[2001:db8::2]:40006"}},
	}
	d := NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Headers
			if err := d.Decode(tt.data, tt.lt, &h); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarise(&h)); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	d := NewDecoder()
	var h Headers
	arp := serialize(t, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: 1, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			SourceHwAddress: mac1, SourceProtAddress: []byte{10, 0, 0, 1}, DstHwAddress: mac2, DstProtAddress: []byte{10, 0, 0, 2}})
	tests := []struct {
		name string
		lt   layers.LinkType
		data []byte
		want error // nil: any non-nil error
	}{
		{"unsupported link type", layers.LinkType(147), []byte{1, 2, 3}, ErrUnsupportedLink},
		{"ARP", layers.LinkTypeEthernet, arp, ErrNoIP},
		{"cut in the IP header", layers.LinkTypeRaw, []byte{0x45, 0, 0, 40, 0, 0}, nil},
		{"cut in the TCP header", layers.LinkTypeRaw, serialize(t, ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), syn(1, 21))[:30], nil},
		{"empty", layers.LinkTypeEthernet, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Decode(tt.data, tt.lt, &h)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeAllocatesNothing(t *testing.T) {
	d := NewDecoder()
	frame := serialize(t, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeIPv4},
		ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), data(443, 50000), gopacket.Payload(make([]byte, 1400)))
	var h Headers
	if n := testing.AllocsPerRun(1000, func() { _ = d.Decode(frame, layers.LinkTypeEthernet, &h) }); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}

func TestSupported(t *testing.T) {
	for _, lt := range []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6} {
		if !Supported(lt) {
			t.Errorf("%v not supported", lt)
		}
	}
	if Supported(layers.LinkTypeIEEE802_11) {
		t.Errorf("802.11 reported as supported")
	}
}

// FuzzDecode feeds arbitrary frames of every supported link type: the
// decoder must never panic, and what it reports must be consistent.
func FuzzDecode(f *testing.F) {
	eth := serialize(f, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeIPv4},
		ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), data(51000, 21), gopacket.Payload("227 (10,0,0,2,156,65)\r\n"))
	f.Add(uint8(0), eth)                                // Ethernet, TCP with payload
	f.Add(uint8(5), eth[14:])                           // raw IPv4
	f.Add(uint8(5), []byte{0x60, 0, 0, 0, 0, 8, 6, 64}) // IPv6 header cut short
	f.Add(uint8(0), eth[:20])                           // cut in the IP header
	linkTypes := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeIPv4, layers.LinkTypeRaw, layers.LinkTypeIPv6}
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, lt uint8, frame []byte) {
		var h Headers
		if err := d.Decode(frame, linkTypes[int(lt)%len(linkTypes)], &h); err != nil {
			return
		}
		if !h.Src.IsValid() || !h.Dst.IsValid() {
			t.Fatalf("no addresses without an error: %+v", h)
		}
		if h.HasTCP && (len(h.TCP.Payload) > h.PayloadLen || h.PayloadLen < 0) {
			t.Fatalf("captured payload %d longer than announced %d", len(h.TCP.Payload), h.PayloadLen)
		}
		if h.HasICMPError && (!h.ICMPError.InnerSrc.IsValid() || h.ICMPError.InnerSrc.Addr() == (netip.Addr{})) {
			t.Fatalf("ICMP error without its quoted segment")
		}
	})
}

// hopByHop is an IPv6 hop-by-hop header with one PadN option filling it
// to 8 bytes.
func hopByHop() *layers.IPv6HopByHop {
	h := &layers.IPv6HopByHop{}
	h.NextHeader = layers.IPProtocolTCP
	h.Options = []*layers.IPv6HopByHopOption{{OptionType: 1, OptionLength: 4, OptionData: []byte{0, 0, 0, 0}}}
	return h
}

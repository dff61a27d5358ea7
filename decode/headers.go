package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ErrUnsupportedLink is returned for a link type the Decoder cannot read.
var ErrUnsupportedLink = errors.New("decode: unsupported link type")

// ErrNoIP is returned for a frame that carries no IPv4 or IPv6 packet
// (ARP, spanning tree, ...): not damage, just nothing to analyse.
var ErrNoIP = errors.New("decode: no IP packet")

// Headers is what the Decoder extracts from one frame. It is reused from
// one frame to the next: copy what must outlive the call.
type Headers struct {
	// Src and Dst are the IP addresses (IPv4 addresses unmapped).
	Src, Dst netip.Addr
	// NetFlow is the IP layer's flow, as gopacket's reassembly wants it.
	NetFlow gopacket.Flow
	// Proto is the transport protocol after IPv6 extension headers.
	Proto layers.IPProtocol
	// IPID is the IPv4 identification field; 0 for IPv6.
	IPID uint16
	// Fragment is set for an IP fragment; its transport header, if any,
	// is not decoded (Decoder.Reassemble puts IPv4 datagrams back
	// together).
	Fragment bool

	// HasTCP is set when TCP holds a decoded TCP header.
	HasTCP bool
	// TCP is the decoded TCP header; TCP.Payload is the captured payload,
	// which can be shorter than PayloadLen when the snap length cut it.
	TCP layers.TCP
	// PayloadLen is the TCP payload length the IP header announces.
	PayloadLen int
	// Truncated is set when the snap length cut the payload.
	Truncated bool

	// HasICMPError is set when the frame is an ICMP or ICMPv6 error
	// quoting a TCP segment; ICMPError then describes it.
	HasICMPError bool
	ICMPError    ICMPError
}

// ICMPError is an ICMP destination-unreachable (or similar) error and the
// header of the TCP segment it quotes (RFC 792, RFC 4443).
type ICMPError struct {
	V6         bool
	Type, Code uint8
	// From is the address that sent the error (a router, a firewall or the
	// destination host).
	From netip.Addr
	// Inner is the quoted segment's 4-tuple: Src is the original sender.
	InnerSrc, InnerDst netip.AddrPort
}

// What describes the error in words ("port unreachable",
// "administratively prohibited").
func (e ICMPError) What() string {
	if e.V6 {
		switch e.Type {
		case 1:
			switch e.Code {
			case 0:
				return "no route to destination"
			case 1:
				return "administratively prohibited"
			case 3:
				return "address unreachable"
			case 4:
				return "port unreachable"
			case 5:
				return "source address failed ingress/egress policy"
			case 6:
				return "reject route to destination"
			}
			return fmt.Sprintf("destination unreachable (code %d)", e.Code)
		case 3:
			return "time exceeded"
		}
		return fmt.Sprintf("ICMPv6 type %d code %d", e.Type, e.Code)
	}
	switch e.Type {
	case 3:
		switch e.Code {
		case 0:
			return "network unreachable"
		case 1:
			return "host unreachable"
		case 2:
			return "protocol unreachable"
		case 3:
			return "port unreachable"
		case 9, 10, 13:
			return "administratively prohibited"
		}
		return fmt.Sprintf("destination unreachable (code %d)", e.Code)
	case 11:
		return "time exceeded"
	}
	return fmt.Sprintf("ICMP type %d code %d", e.Type, e.Code)
}

// Decoder decodes link, IP, TCP and ICMP headers with gopacket's
// DecodingLayerParser over preallocated layers: decoding a frame allocates
// nothing. A Decoder is not safe for concurrent use.
type Decoder struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	lo      layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	ip6ext  layers.IPv6ExtensionSkipper
	ip6frag layers.IPv6Fragment
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	payload gopacket.Payload

	byFirst map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType

	frag defrag // IPv4 fragments waiting for the rest of their datagram
}

// NewDecoder returns a Decoder for every link type Supported reports.
func NewDecoder() *Decoder {
	d := &Decoder{
		byFirst: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser),
		decoded: make([]gopacket.LayerType, 0, 16),
	}
	for _, first := range []gopacket.LayerType{
		layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
	} {
		// TCP is decoded by hand after the parser stops at it, so that a
		// segment cut by the snap length still yields its header.
		p := gopacket.NewDecodingLayerParser(first,
			&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.lo, &d.ip4, &d.ip6,
			&d.ip6ext, &d.ip6frag, &d.icmp4, &d.icmp6, &d.payload)
		p.IgnoreUnsupported = true
		d.byFirst[first] = p
	}
	return d
}

// Supported reports whether the Decoder reads frames of link type lt.
func Supported(lt layers.LinkType) bool {
	_, ok := firstLayer(lt, nil)
	return ok
}

func firstLayer(lt layers.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet, true
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback, true
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4, true
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6, true
	case layers.LinkTypeRaw, 12, 14: // 12 and 14 are raw IP on some BSDs
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6, true
		}
		return layers.LayerTypeIPv4, true
	}
	return 0, false
}

// Decode fills h from one frame of link type lt. It returns
// ErrUnsupportedLink for a link type it cannot read, ErrNoIP for a frame
// without an IP packet, and an error describing the damage for a frame
// it cannot decode.
func (d *Decoder) Decode(data []byte, lt layers.LinkType, h *Headers) error {
	// Keep the TCP options' backing array: a SYN would allocate it anew.
	opts := h.TCP.Options[:0]
	*h = Headers{}
	h.TCP.Options = opts
	first, ok := firstLayer(lt, data)
	if !ok {
		return fmt.Errorf("%w %d (%s)", ErrUnsupportedLink, int(lt), lt)
	}
	p := d.byFirst[first]
	if err := p.DecodeLayers(data, &d.decoded); err != nil {
		var unsup gopacket.UnsupportedLayerType
		if !errors.As(err, &unsup) {
			return fmt.Errorf("decode: %w", err)
		}
	}
	var haveIP bool
	var tcpData []byte
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			haveIP = true
			h.Src, _ = netip.AddrFromSlice(d.ip4.SrcIP.To4())
			h.Dst, _ = netip.AddrFromSlice(d.ip4.DstIP.To4())
			h.Proto = d.ip4.Protocol
			h.IPID = d.ip4.Id
			h.NetFlow = d.ip4.NetworkFlow()
			h.Fragment = d.ip4.FragOffset != 0 || d.ip4.Flags&layers.IPv4MoreFragments != 0
			if h.Proto == layers.IPProtocolTCP && !h.Fragment {
				tcpData = d.ip4.Payload
				h.PayloadLen = int(d.ip4.Length) - int(d.ip4.IHL)*4
			}
		case layers.LayerTypeIPv6:
			haveIP = true
			h.Src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
			h.Dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
			h.Proto = d.ip6.NextHeader
			h.NetFlow = d.ip6.NetworkFlow()
			h.PayloadLen = int(d.ip6.Length)
			if hbh := d.ip6.HopByHop; hbh != nil {
				// gopacket decodes a hop-by-hop header as part of IPv6.
				h.Proto = hbh.NextHeader
				h.PayloadLen -= hbh.ActualLength
			}
			if h.Proto == layers.IPProtocolTCP {
				tcpData = d.ip6.Payload
			}
		case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
			h.Proto = d.ip6ext.NextHeader
			if h.Proto == layers.IPProtocolTCP {
				tcpData = d.ip6ext.Payload
				h.PayloadLen -= len(d.ip6ext.Contents)
			}
		case layers.LayerTypeIPv6Fragment:
			h.Fragment = true
			h.Proto = d.ip6frag.NextHeader
			tcpData = nil
		case layers.LayerTypeICMPv4:
			d.icmpError(h, false, d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code(), d.icmp4.Payload)
		case layers.LayerTypeICMPv6:
			// ICMPv6 keeps 4 unused bytes before the quoted packet in its
			// payload (RFC 4443 §3.1).
			pl := d.icmp6.Payload
			if len(pl) >= 4 {
				d.icmpError(h, true, d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code(), pl[4:])
			}
		}
	}
	if !haveIP {
		return ErrNoIP
	}
	if tcpData != nil {
		return segment(h, tcpData, h.PayloadLen)
	}
	return nil
}

// segment fills h with a TCP segment: data is what was captured of the
// transport bytes, n how many the IP header (or the reassembled datagram)
// announces.
func segment(h *Headers, data []byte, n int) error {
	h.Fragment = false
	h.Proto = layers.IPProtocolTCP
	if err := decodeTCP(&h.TCP, data); err != nil {
		return err
	}
	h.HasTCP = true
	h.PayloadLen = max(0, n-int(h.TCP.DataOffset)*4)
	if h.PayloadLen < len(h.TCP.Payload) {
		// Ethernet padding or a bogus length: trust what was captured.
		h.TCP.Payload = h.TCP.Payload[:h.PayloadLen]
	}
	h.Truncated = h.PayloadLen > len(h.TCP.Payload)
	return nil
}

// decodeTCP decodes a TCP header that may be followed by a payload cut by
// the snap length, which layers.TCP would reject.
func decodeTCP(t *layers.TCP, data []byte) error {
	if len(data) < 20 {
		return fmt.Errorf("decode: TCP header cut short (%d bytes)", len(data))
	}
	off := int(data[12]>>4) * 4
	if off < 20 || off > len(data) {
		if off < 20 {
			return fmt.Errorf("decode: TCP data offset %d is less than 20", off)
		}
		return fmt.Errorf("decode: TCP header cut short (offset %d, %d bytes)", off, len(data))
	}
	if err := t.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return fmt.Errorf("decode: TCP: %w", err)
	}
	return nil
}

// icmpError records an ICMP error that quotes a TCP segment.
func (d *Decoder) icmpError(h *Headers, v6 bool, typ, code uint8, quoted []byte) {
	isErr := (!v6 && (typ == 3 || typ == 11)) || (v6 && (typ == 1 || typ == 3))
	if !isErr {
		return
	}
	src, dst, ok := quotedTCP(quoted)
	if !ok {
		return
	}
	h.HasICMPError = true
	h.ICMPError = ICMPError{V6: v6, Type: typ, Code: code, InnerSrc: src, InnerDst: dst}
	// From is filled by the caller's view of the outer header; set it
	// here from whatever IP layer was decoded.
	if v6 {
		h.ICMPError.From, _ = netip.AddrFromSlice(d.ip6.SrcIP)
	} else {
		h.ICMPError.From, _ = netip.AddrFromSlice(d.ip4.SrcIP.To4())
	}
}

// quotedTCP reads the addresses and ports of the IP packet an ICMP error
// quotes (its header and at least the first 8 bytes of its payload).
func quotedTCP(b []byte) (src, dst netip.AddrPort, ok bool) {
	if len(b) < 1 {
		return
	}
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || b[9] != byte(layers.IPProtocolTCP) || len(b) < ihl+4 {
			return
		}
		s, _ := netip.AddrFromSlice(b[12:16])
		d, _ := netip.AddrFromSlice(b[16:20])
		sp := binary.BigEndian.Uint16(b[ihl:])
		dp := binary.BigEndian.Uint16(b[ihl+2:])
		return netip.AddrPortFrom(s, sp), netip.AddrPortFrom(d, dp), true
	case 6:
		if len(b) < 44 || b[6] != byte(layers.IPProtocolTCP) {
			return
		}
		s, _ := netip.AddrFromSlice(b[8:24])
		d, _ := netip.AddrFromSlice(b[24:40])
		sp := binary.BigEndian.Uint16(b[40:])
		dp := binary.BigEndian.Uint16(b[42:])
		return netip.AddrPortFrom(s, sp), netip.AddrPortFrom(d, dp), true
	}
	return
}

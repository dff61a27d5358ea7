package decode

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
)

// Minimal IP headers: only the version nibble matters to IPPacket.
var (
	minIPv4 = []byte{0x45, 0x00, 0x00, 0x14}
	minIPv6 = []byte{0x60, 0x00, 0x00, 0x00}
)

func TestIPPacket(t *testing.T) {
	macs := make([]byte, 12)
	sll := make([]byte, 14) // Linux SLL header up to its protocol field
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		lt   layers.LinkType
		in   []byte
		want []byte // nil: not IP
	}{
		{"ethernet IPv4", layers.LinkTypeEthernet, cat(macs, []byte{0x08, 0x00}, minIPv4), minIPv4},
		{"ethernet IPv6", layers.LinkTypeEthernet, cat(macs, []byte{0x86, 0xdd}, minIPv6), minIPv6},
		{"ethernet 802.1Q tag put back by libpcap", layers.LinkTypeEthernet,
			cat(macs, []byte{0x81, 0x00, 0x00, 0x07, 0x08, 0x00}, minIPv4), minIPv4},
		{"ethernet QinQ 802.1ad outer and 802.1Q inner", layers.LinkTypeEthernet,
			cat(macs, []byte{0x88, 0xa8, 0x00, 0x07, 0x81, 0x00, 0x00, 0x08, 0x86, 0xdd}, minIPv6), minIPv6},
		{"ethernet old QinQ 0x9100", layers.LinkTypeEthernet,
			cat(macs, []byte{0x91, 0x00, 0x00, 0x07, 0x08, 0x00}, minIPv4), minIPv4},
		{"ethernet ARP", layers.LinkTypeEthernet, cat(macs, []byte{0x08, 0x06}, make([]byte, 28)), nil},
		{"ethertype IPv4 but IPv6 inside", layers.LinkTypeEthernet, cat(macs, []byte{0x08, 0x00}, minIPv6), nil},
		{"ethernet cut inside the tag", layers.LinkTypeEthernet, cat(macs, []byte{0x81, 0x00, 0x00}), nil},
		{"ethernet shorter than its header", layers.LinkTypeEthernet, macs, nil},
		{"ethernet header only", layers.LinkTypeEthernet, cat(macs, []byte{0x08, 0x00}), nil},
		{"linux SLL from libpcap's any", layers.LinkTypeLinuxSLL, cat(sll, []byte{0x08, 0x00}, minIPv4), minIPv4},
		{"linux SLL2", layers.LinkTypeLinuxSLL2, cat([]byte{0x86, 0xdd}, make([]byte, 18), minIPv6), minIPv6},
		{"linux SLL2 truncated", layers.LinkTypeLinuxSLL2, []byte{0x86, 0xdd}, nil},
		{"BSD loopback (null)", layers.LinkTypeNull, cat([]byte{2, 0, 0, 0}, minIPv4), minIPv4},
		{"OpenBSD loopback", layers.LinkTypeLoop, cat([]byte{0, 0, 0, 24}, minIPv6), minIPv6},
		{"raw IPv6", layers.LinkTypeRaw, minIPv6, minIPv6},
		{"raw IPv4 numbered as OpenBSD's DLT_RAW", 14, minIPv4, minIPv4},
		{"raw garbage", layers.LinkTypeRaw, []byte{0x00, 0x01}, nil},
		{"raw empty", layers.LinkTypeRaw, nil, nil},
		{"unsupported link type", layers.LinkTypeIEEE80211Radio, minIPv4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := IPPacket(tt.lt, tt.in)
			if ok != (tt.want != nil) {
				t.Fatalf("IPPacket() ok = %v, want %v", ok, tt.want != nil)
			}
			if diff := cmp.Diff(tt.want, got); ok && diff != "" {
				t.Errorf("IPPacket() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFramingOf pins the one list of link types and that the Decoder
// reads every one of them.
func TestFramingOf(t *testing.T) {
	want := map[layers.LinkType]Framing{
		layers.LinkTypeEthernet:  FramingEthernet,
		layers.LinkTypeLinuxSLL:  FramingLinuxSLL,
		layers.LinkTypeLinuxSLL2: FramingLinuxSLL2,
		layers.LinkTypeNull:      FramingNull,
		layers.LinkTypeLoop:      FramingLoop,
		layers.LinkTypeRaw:       FramingRaw,
		12:                       FramingRaw,
		14:                       FramingRaw,
		layers.LinkTypeIPv4:      FramingIPv4,
		layers.LinkTypeIPv6:      FramingIPv6,
	}
	got := map[layers.LinkType]Framing{}
	for lt := range layers.LinkType(1023) {
		if f, ok := FramingOf(lt); ok {
			got[lt] = f
			if _, ok := firstLayer(lt, nil); !ok {
				t.Errorf("the Decoder has no first layer for link type %d", lt)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FramingOf mismatch (-want +got):\n%s", diff)
	}
	if lts := LinkTypes(); len(lts) != len(want) || lts[0] != layers.LinkTypeEthernet {
		t.Errorf("LinkTypes() = %v; want the %d link types above, Ethernet first", lts, len(want))
	}
	for _, word := range []string{"Ethernet", "SLL", "SLL2", "loopback", "raw"} {
		if !strings.Contains(SupportedLinkTypes, word) {
			t.Errorf("SupportedLinkTypes %q does not mention %s", SupportedLinkTypes, word)
		}
	}
}

package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func TestTagFrame(t *testing.T) {
	eth := []byte{
		1, 2, 3, 4, 5, 6, // dst
		7, 8, 9, 10, 11, 12, // src
		0x08, 0x00, 0x45, // IPv4 and the first byte after it
	}
	tests := []struct {
		name   string
		frame  []byte
		tci    uint16
		want   []byte
		wantOK bool
	}{
		{
			name:   "vlan 100 priority 0",
			frame:  eth,
			tci:    100,
			want:   []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45},
			wantOK: true,
		},
		{
			name:   "priority 5 vlan 4094",
			frame:  eth,
			tci:    5<<13 | 4094,
			want:   []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0x00, 0xaf, 0xfe, 0x08, 0x00, 0x45},
			wantOK: true,
		},
		{
			name:   "runt frame copied unchanged",
			frame:  eth[:7],
			tci:    100,
			want:   eth[:7],
			wantOK: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tagFrame(tt.frame, tt.tci)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tagFrame() frame mismatch (-want +got):\n%s", diff)
			}
			if ok != tt.wantOK {
				t.Errorf("tagFrame() ok = %v, want %v", ok, tt.wantOK)
			}
		})
	}
}

// TestTagDecodes checks that gopacket decodes a tagged frame as
// Ethernet/Dot1Q/IPv4/TCP with the original ports and timestamps.
func TestTagDecodes(t *testing.T) {
	buf := gopacket.NewSerializeBuffer()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: []byte{10, 0, 1, 2}, DstIP: []byte{10, 0, 2, 2}}
	tcp := &layers.TCP{SrcPort: 51000, DstPort: 21, SYN: true, Window: 64240}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4},
		ip, tcp)
	if err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)

	var in bytes.Buffer
	w := pcapgo.NewWriter(&in)
	if err := w.WriteFileHeader(96, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(frame), Length: len(frame) + 100}
	if err := w.WritePacket(ci, frame); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	st, err := tag(&in, &out, 100, 0)
	if err != nil {
		t.Fatalf("tag() error = %v", err)
	}
	if diff := cmp.Diff(stats{tagged: 1}, st, cmp.AllowUnexported(stats{})); diff != "" {
		t.Errorf("tag() stats mismatch (-want +got):\n%s", diff)
	}
	r, err := pcapgo.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	data, gotCI, err := r.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	wantCI := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(frame) + 4, Length: len(frame) + 104}
	if diff := cmp.Diff(wantCI, gotCI, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("capture info mismatch (-want +got):\n%s", diff)
	}
	p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
	type got struct {
		VLAN    uint16
		Src     string
		DstPort layers.TCPPort
	}
	var g got
	if d, ok := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
		g.VLAN = d.VLANIdentifier
	}
	if l, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		g.Src = l.SrcIP.String()
	}
	if l, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		g.DstPort = l.DstPort
	}
	if diff := cmp.Diff(got{VLAN: 100, Src: "10.0.1.2", DstPort: 21}, g); diff != "" {
		t.Errorf("decoded tagged frame mismatch (-want +got):\n%s", diff)
	}
}

func TestTagRejects(t *testing.T) {
	var eth bytes.Buffer
	w := pcapgo.NewWriter(&eth)
	if err := w.WriteFileHeader(96, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	var sll bytes.Buffer
	w = pcapgo.NewWriter(&sll)
	if err := w.WriteFileHeader(96, layers.LinkTypeLinuxSLL); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		vid  uint16
		pcp  uint16
	}{
		{name: "vid 0", in: eth.Bytes(), vid: 0},
		{name: "vid 4095", in: eth.Bytes(), vid: 4095},
		{name: "pcp 8", in: eth.Bytes(), vid: 1, pcp: 8},
		{name: "linux cooked link type", in: sll.Bytes(), vid: 100},
		{name: "not a pcap file", in: []byte("hello, this is not a capture"), vid: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tag(bytes.NewReader(tt.in), &bytes.Buffer{}, tt.vid, tt.pcp); err == nil {
				t.Error("tag() error = nil, want an error")
			}
		})
	}
}

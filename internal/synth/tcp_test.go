package synth

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// wireSeg is what a test sees of one recorded TCP segment.
type wireSeg struct {
	From     uint16 // source port
	Flags    string
	Seq, Ack uint32
	Len      int
}

// segments decodes the TCP segments recorded on t, with sequence numbers
// made relative to the ISN of their sender as Wireshark shows them.
func segments(t *testing.T, tp *tape, lt layers.LinkType) []wireSeg {
	t.Helper()
	if tp.err != nil {
		t.Fatalf("tape: %v", tp.err)
	}
	base := map[uint16]uint32{}
	var out []wireSeg
	for i, f := range tp.frames {
		p := gopacket.NewPacket(f.data, lt, gopacket.Default)
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			t.Fatalf("frame %d: no TCP layer: %v", i+1, p)
		}
		fl := ""
		for _, x := range []struct {
			on   bool
			name string
		}{{tcp.SYN, "S"}, {tcp.FIN, "F"}, {tcp.RST, "R"}, {tcp.PSH, "P"}, {tcp.ACK, "."}} {
			if x.on {
				fl += x.name
			}
		}
		if tcp.SYN {
			base[uint16(tcp.SrcPort)] = tcp.Seq
		}
		s := wireSeg{From: uint16(tcp.SrcPort), Flags: fl, Seq: tcp.Seq - base[uint16(tcp.SrcPort)], Len: len(tcp.Payload)}
		if tcp.ACK {
			s.Ack = tcp.Ack - base[uint16(tcp.DstPort)]
		}
		out = append(out, s)
	}
	return out
}

func TestConvSequenceNumbers(t *testing.T) {
	a, b := mkHost("10.0.0.1", 1).at(51000), mkHost("10.0.0.2", 2).at(21)
	tests := []struct {
		name   string
		script func(c *conv)
		want   []wireSeg
	}{
		{
			name:   "handshake then orderly close from the responder",
			script: func(c *conv) { c.handshake(); c.close(responder) },
			want: []wireSeg{
				{51000, "S", 0, 0, 0}, {21, "S.", 0, 1, 0}, {51000, ".", 1, 1, 0},
				{21, "F.", 1, 1, 0}, {51000, "F.", 1, 2, 0}, {21, ".", 2, 2, 0},
			},
		},
		{
			name: "one-segment messages piggyback acknowledgements",
			script: func(c *conv) {
				c.handshake()
				c.says(responder, []byte("220 hi\r\n"))
				c.says(initiator, []byte("QUIT\r\n"))
			},
			want: []wireSeg{
				{51000, "S", 0, 0, 0}, {21, "S.", 0, 1, 0}, {51000, ".", 1, 1, 0},
				{21, "P.", 1, 1, 8}, {51000, "P.", 1, 9, 6},
			},
		},
		{
			name: "a long message is cut at the MSS and acknowledged every second segment",
			script: func(c *conv) {
				c.handshake()
				c.says(responder, make([]byte, 3*1460+10))
			},
			want: []wireSeg{
				{51000, "S", 0, 0, 0}, {21, "S.", 0, 1, 0}, {51000, ".", 1, 1, 0},
				{21, ".", 1, 1, 1460}, {21, ".", 1461, 1, 1460}, {51000, ".", 1, 2921, 0},
				{21, ".", 2921, 1, 1460}, {21, "P.", 4381, 1, 10}, {51000, ".", 1, 4391, 0},
			},
		},
		{
			name: "unanswered SYN keeps its sequence number",
			script: func(c *conv) {
				c.synUnanswered(time.Second, 2*time.Second)
			},
			want: []wireSeg{{51000, "S", 0, 0, 0}, {51000, "S", 0, 0, 0}, {51000, "S", 0, 0, 0}},
		},
		{
			name:   "refused SYN gets RST-ACK with sequence zero",
			script: func(c *conv) { c.refused() },
			// The RST's seq is 0 absolute, shown relative to no SYN of its own.
			want: []wireSeg{{51000, "S", 0, 0, 0}, {21, "R.", 0, 1, 0}},
		},
		{
			name: "reset mid-stream uses the next sequence number",
			script: func(c *conv) {
				c.handshake()
				c.says(responder, []byte("data"))
				c.reset(responder)
			},
			want: []wireSeg{
				{51000, "S", 0, 0, 0}, {21, "S.", 0, 1, 0}, {51000, ".", 1, 1, 0},
				{21, "P.", 1, 1, 4}, {21, "R.", 5, 1, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := newTape()
			tt.script(tp.conv(framing{}, a, b))
			if diff := cmp.Diff(tt.want, segments(t, tp, layers.LinkTypeEthernet)); diff != "" {
				t.Errorf("segments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTapeClockOnlyMovesForward(t *testing.T) {
	for _, s := range []struct {
		name  string
		build func(*tape)
	}{
		{"passive session", func(tp *tape) { passiveSession(tp, framing{}, cli(), srv()) }},
	} {
		t.Run(s.name, func(t *testing.T) {
			tp := newTape()
			s.build(tp)
			if got := tp.frames[0].ts; !got.Equal(epoch()) {
				t.Errorf("first frame at %v, want %v", got, epoch())
			}
			for i := 1; i < len(tp.frames); i++ {
				if !tp.frames[i].ts.After(tp.frames[i-1].ts) {
					t.Errorf("frame %d at %v is not after frame %d at %v", i+1, tp.frames[i].ts, i, tp.frames[i-1].ts)
				}
			}
		})
	}
}

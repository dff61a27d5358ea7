package synth

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// BigStats says what BigCapture wrote.
type BigStats struct {
	// Sessions is the number of FTP sessions, Passive + Active.
	Sessions, Passive, Active int
	// Packets counts every frame written: FTPPackets on the control and
	// data connections, NoisePackets of the unrelated DNS, HTTPS and bulk
	// traffic.
	Packets, FTPPackets, NoisePackets int
	// BulkConnections is the number of bulk connections written (only with
	// BigOptions.FTPShare) and BulkPackets their frames, which are counted
	// in NoisePackets too.
	BulkConnections, BulkPackets int
	// Bytes is the captured bytes of the frames, without pcap record
	// headers.
	Bytes int64
	// First and Last are the timestamps of the first and last frame.
	First, Last time.Time
}

// Shape of the big capture: sessions start on average bigArrival apart, a
// client thinks between bigThinkMin and bigThinkMin+bigThinkSpread before
// each command, and a round trip takes between bigRTTMin and
// bigRTTMin+bigRTTSpread. With these a session lasts about 0.3 s, so some
// 600 sessions are open at any moment.
const (
	bigArrival     = 500 * time.Microsecond
	bigThinkMin    = 5 * time.Millisecond
	bigThinkSpread = 40 * time.Millisecond
	bigRTTMin      = 200 * time.Microsecond
	bigRTTSpread   = 20 * time.Millisecond
	// bigFileMin and bigFileSpread bound the size of each RETR.
	bigFileMin    = 7 * 1024
	bigFileSpread = 2 * 1024
	// bigServers is how many FTP servers share the sessions.
	bigServers = 4
	// bigClientsPerNet is the number of client hosts per /24 used.
	bigClientsPerNet = 250
)

// BigOptions say what BigCaptureWith writes.
type BigOptions struct {
	// Sessions is the number of FTP sessions.
	Sessions int
	// Seed seeds every random choice: timing, file sizes, bulk sizes.
	Seed uint64
	// FTPShare, when above zero, adds bulk traffic (long HTTPS-like
	// downloads between hosts that take no part in FTP) until the packets
	// of the FTP control and data connections are about this share of
	// all packets, as in a capture of a busy network where FTP is one
	// protocol among others. Zero adds none. It must be below 1.
	FTPShare float64
}

// BigCapture writes to w a pcap (Ethernet, microsecond timestamps) of
// sessions FTP sessions interleaved in time as on a busy server, with
// unrelated DNS and HTTPS traffic between them. It is meant for benchmarks:
// the same sessions and seed always give the same bytes, and the capture is
// streamed, so memory stays at a few megabytes whatever its size.
//
// Every session logs in (USER, PASS, SYST, TYPE I), sets up one data
// connection, retrieves one file of 7 to 9 KiB in MSS-sized segments over
// it, gets 226 and quits. One session in three is active (PORT; the server
// connects from port 20), the others passive (PASV/227; the client
// connects). Each session has its own client host in 10.64.0.0/10 and uses
// one of the servers 10.0.0.2 to 10.0.0.5; every announcement matches the
// control connection's addresses and every data connection is established,
// so an analysis should report sessions sessions, as many data channels,
// all established, and no finding. Beside each session the capture holds a
// DNS query and answer, and beside every other session a short HTTPS
// connection, between hosts that take no part in FTP.
func BigCapture(w io.Writer, sessions int, seed uint64) (BigStats, error) {
	return BigCaptureWith(w, BigOptions{Sessions: sessions, Seed: seed})
}

// BigCaptureWith writes to w the capture BigCapture writes, shaped by o:
// with o.FTPShare it adds bulk connections so that FTP is about that share
// of the packets. A bulk connection is started beside every bulkEvery-th
// session, sized to the packets owed by the sessions since the last one;
// its frames are made a chunk at a time while the capture is written, so
// memory stays flat however large the file.
func BigCaptureWith(w io.Writer, o BigOptions) (BigStats, error) {
	var st BigStats
	sessions, seed := o.Sessions, o.Seed
	if sessions < 0 {
		return st, fmt.Errorf("synth: big capture: negative session count %d", sessions)
	}
	if o.FTPShare < 0 || o.FTPShare >= 1 {
		return st, fmt.Errorf("synth: big capture: FTP share %g, want at least 0 and below 1", o.FTPShare)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(snapLen, layers.LinkTypeEthernet); err != nil {
		return st, fmt.Errorf("synth: big capture: pcap header: %w", err)
	}

	// Sessions are built one at a time, just before the first of their
	// frames is due, and merged by timestamp with the tapes of the
	// sessions still running.
	var open tapeHeap
	start := epoch()
	// Every session sends a prefix of the same file: what its bytes are
	// does not matter to a benchmark.
	file := binaryBody(bigFileMin+bigFileSpread, 0xb16)
	var order int
	push := func(t *tape, noise bool, bulk *bulkConn) error {
		if t.err != nil {
			return t.err
		}
		if len(t.frames) > 0 {
			heap.Push(&open, &playing{t: t, order: order, noise: noise, bulk: bulk})
			order++
		}
		return nil
	}
	// owed is how many noise packets the sessions built so far still call
	// for to keep FTP at o.FTPShare of the packets.
	var owed float64
	var bulkPayload []byte
	if o.FTPShare > 0 {
		bulkPayload = tlsStream(bulkChunk, seed)
	}
	next := 0
	for next < sessions || open.Len() > 0 {
		if next < sessions && (open.Len() == 0 || !open[0].ts().Before(start)) {
			r := bigRand(seed, next)
			ftpTape, active := bigSession(next, start, &r, file)
			if active {
				st.Active++
			} else {
				st.Passive++
			}
			if err := push(ftpTape, false, nil); err != nil {
				return st, fmt.Errorf("synth: big capture: session %d: %w", next+1, err)
			}
			noise := bigNoise(next, start, &r)
			for _, n := range noise {
				if err := push(n, true, nil); err != nil {
					return st, fmt.Errorf("synth: big capture: noise of session %d: %w", next+1, err)
				}
			}
			if o.FTPShare > 0 {
				owed += float64(len(ftpTape.frames)) * (1 - o.FTPShare) / o.FTPShare
				for _, n := range noise {
					owed -= float64(len(n.frames))
				}
				if (next+1)%bulkEvery == 0 || next+1 == sessions {
					if b := newBulk(st.BulkConnections, start, int(owed), seed, bulkPayload); b != nil {
						owed -= float64(b.packets)
						st.BulkConnections++
						if err := push(b.c.t, true, b); err != nil {
							return st, fmt.Errorf("synth: big capture: bulk connection %d: %w", st.BulkConnections, err)
						}
					}
				}
			}
			next++
			start = start.Add(time.Duration(r.below(uint64(2*bigArrival/time.Microsecond))) * time.Microsecond)
			continue
		}
		p := open[0]
		f := p.t.frames[p.pos]
		if err := pw.WritePacket(captureInfo(f), f.data); err != nil {
			return st, fmt.Errorf("synth: big capture: packet %d: %w", st.Packets+1, err)
		}
		if st.Packets == 0 {
			st.First = f.ts
		}
		st.Last = f.ts
		st.Packets++
		st.Bytes += int64(len(f.data))
		if p.noise {
			st.NoisePackets++
			if p.bulk != nil {
				st.BulkPackets++
			}
		} else {
			st.FTPPackets++
		}
		// Let the frame go: only the tapes of running sessions stay.
		p.t.frames[p.pos].data = nil
		p.pos++
		if p.pos == len(p.t.frames) && p.bulk != nil && p.bulk.more() {
			// The next chunk of a bulk connection replaces the frames
			// played.
			if p.t.err != nil {
				return st, fmt.Errorf("synth: big capture: bulk connection: %w", p.t.err)
			}
			p.pos = 0
		}
		if p.pos == len(p.t.frames) {
			heap.Pop(&open)
		} else {
			heap.Fix(&open, 0)
		}
	}
	st.Sessions = st.Passive + st.Active
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("synth: big capture: %w", err)
	}
	return st, nil
}

// bigSession plays session i (0-based) starting at start on a tape of its
// own, retrieving a prefix of file, and reports whether it is active.
func bigSession(i int, start time.Time, r *xorshift, file []byte) (*tape, bool) {
	t := newTape()
	t.now = start
	client := bigHost(netip.AddrFrom4([4]byte{10, 64, 0, 0}), i)
	server := mkHost(fmt.Sprintf("10.0.0.%d", 2+i%bigServers), byte(2+i%bigServers))
	cport := uint16(20000 + i%40000)

	f := t.ftp(framing{}, client.at(cport), server.at(21))
	f.think = bigThinkMin + time.Duration(r.below(uint64(bigThinkSpread/time.Microsecond)))*time.Microsecond
	f.rtt = bigRTTMin + time.Duration(r.below(uint64(bigRTTSpread/time.Microsecond)))*time.Microsecond
	f.start(fmt.Sprintf("user%d", i+1), "s3cret")
	body := file[:bigFileMin+int(r.below(bigFileSpread))]
	command := fmt.Sprintf("RETR pub/file-%d.bin", i+1)
	active := i%3 == 2
	if active {
		f.port(client.at(cport + 2))
		f.activeTransfer(f.data(server.at(20), client.at(cport+2)), command, body)
	} else {
		// Each server hands out its passive ports in turn, so that no two
		// sessions open at once announce the same one.
		dport := uint16(10000 + (i/bigServers)%50000)
		f.pasv(server.at(dport))
		f.passiveTransfer(f.data(client.at(cport+1), server.at(dport)), command, body)
	}
	f.quit()
	return t, active
}

// bigNoise plays the unrelated traffic beside session i: a DNS query and
// its answer, and for every other session a short HTTPS connection, each
// starting a little after start on a tape of its own.
func bigNoise(i int, start time.Time, r *xorshift) []*tape {
	client := bigHost(netip.AddrFrom4([4]byte{10, 128, 0, 0}), i)
	dns := newTape()
	dns.now = start.Add(time.Duration(r.below(300_000)) * time.Microsecond)
	dns.dnsExchange(client.at(uint16(33000+i%30000)), mkHost("10.0.0.53", 0x35).at(53), uint16(i), r)
	tapes := []*tape{dns}
	if i%2 == 0 {
		web := newTape()
		web.now = start.Add(time.Duration(r.below(300_000)) * time.Microsecond)
		c := web.conv(framing{}, client.at(uint16(40000+i%20000)), mkHost("203.0.113.80", 0xfe).at(443))
		c.rtt = 15 * time.Millisecond
		c.handshake()
		c.t.wait(time.Millisecond)
		c.says(initiator, tlsRecord(0x16, 512, uint64(i)))
		c.t.wait(c.rtt)
		c.says(responder, tlsRecord(0x17, 1000+int(r.below(3000)), uint64(i)+1))
		c.t.wait(time.Millisecond)
		c.close(initiator)
		tapes = append(tapes, web)
	}
	return tapes
}

// bigHost returns the i-th host of the block starting at base, skipping
// the .0 and .251 to .255 addresses of every /24. It wraps around after
// 64 × 256 × bigClientsPerNet hosts, the size of a /10.
func bigHost(base netip.Addr, i int) host {
	i %= 64 * 256 * bigClientsPerNet
	net24 := i / bigClientsPerNet
	b := base.As4()
	b[1] += byte(net24 / 256)
	b[2] = byte(net24 % 256)
	b[3] = byte(i%bigClientsPerNet + 1)
	return host{addr: netip.AddrFrom4(b), mac: net.HardwareAddr{0x02, 0, 0, 0, 0, 0xfe}}
}

// dnsExchange records a DNS query for an A record from client to server and
// its answer one millisecond later (RFC 1035 section 4.1).
func (t *tape) dnsExchange(client, server endpoint, id uint16, r *xorshift) {
	name := []byte(fmt.Sprintf("host%d.example.com", r.below(1000)))
	q := &layers.DNS{ID: id, RD: true, OpCode: layers.DNSOpCodeQuery,
		Questions: []layers.DNSQuestion{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	t.udp(client, server, q)
	t.wait(time.Millisecond)
	a := *q
	a.QR, a.RA, a.ANCount = true, true, 1
	a.Answers = []layers.DNSResourceRecord{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN,
		TTL: 300, IP: net.IPv4(192, 0, 2, byte(1+r.below(254))).To4()}}
	t.udp(server, client, &a)
}

// udp records one IPv4 UDP datagram from src to dst carrying payload.
func (t *tape) udp(src, dst endpoint, payload gopacket.SerializableLayer) {
	ip := &layers.IPv4{
		Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment,
		Id: t.nextID(src.addr), Protocol: layers.IPProtocolUDP,
		SrcIP: src.addr.AsSlice(), DstIP: dst.addr.AsSlice(),
	}
	u := &layers.UDP{SrcPort: layers.UDPPort(src.port), DstPort: layers.UDPPort(dst.port)}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		t.fail(fmt.Errorf("synth: udp checksum layer: %w", err))
		return
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serializeOpts(), ip, u, payload); err != nil {
		t.fail(fmt.Errorf("synth: serialize udp %v -> %v: %w", src.addr, dst.addr, err))
		return
	}
	t.record(framing{}, src.host, dst.host, append([]byte(nil), buf.Bytes()...))
}

// bigRand returns the generator of session i's random choices: a
// splitmix64 step of the seed and index, so that sessions differ and a
// session's choices do not depend on the others.
func bigRand(seed uint64, i int) xorshift {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return xorshift(z | 1)
}

// below returns a pseudo-random number in [0, n); n must be positive.
func (x *xorshift) below(n uint64) uint64 { return x.next() % n }

// playing is a tape being merged into the big capture: pos is its next
// frame, order breaks timestamp ties in the order tapes were built. The
// tape of a bulk connection is refilled by bulk when it runs out.
type playing struct {
	t     *tape
	pos   int
	order int
	noise bool
	bulk  *bulkConn
}

func (p *playing) ts() time.Time { return p.t.frames[p.pos].ts }

// tapeHeap orders playing tapes by the timestamp of their next frame.
type tapeHeap []*playing

func (h tapeHeap) Len() int { return len(h) }

func (h tapeHeap) Less(i, j int) bool {
	a, b := h[i].ts(), h[j].ts()
	if !a.Equal(b) {
		return a.Before(b)
	}
	return h[i].order < h[j].order
}

func (h tapeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *tapeHeap) Push(x any) { *h = append(*h, x.(*playing)) }

func (h *tapeHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return p
}

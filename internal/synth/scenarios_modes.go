package synth

import (
	"fmt"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// cli and srv are the usual hosts, client 10.0.0.1 and server 10.0.0.2 on
// one LAN; cli6 and srv6 are their IPv6 counterparts.
func cli() host  { return mkHost("10.0.0.1", 0x01) }
func srv() host  { return mkHost("10.0.0.2", 0x02) }
func cli6() host { return mkHost("2001:db8::1", 0x01) }
func srv6() host { return mkHost("2001:db8::2", 0x02) }

// passiveSession plays the reference session on t: login, PASV announcing
// server:40001, RETR of 4 KiB over a client-opened data connection, QUIT.
func passiveSession(t *tape, fr framing, client, server host) {
	f := t.ftp(fr, client.at(51000), server.at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(server.at(40001))
	f.passiveTransfer(f.data(client.at(51002), server.at(40001)), "RETR pub/release-1.4.tar.gz", binaryBody(4096, 1))
	f.quit()
}

func buildPassive() ([]byte, error) {
	t := newTape()
	passiveSession(t, framing{}, cli(), srv())
	return t.pcap(layers.LinkTypeEthernet)
}

func buildActive() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("alice", "Secr3t!")
	f.port(cli().at(50000))
	f.activeTransfer(f.data(srv().at(20), cli().at(50000)), "STOR upload/report.csv", textBody(3000))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildActiveNonstandardPort() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("alice", "Secr3t!")
	f.port(cli().at(50000))
	// connect_from_port_20=NO: the server's stack picks the source port.
	f.activeTransfer(f.data(srv().at(38412), cli().at(50000)), "RETR docs/README", textBody(2500))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildEpsvEprtIPv6() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli6().at(51000), srv6().at(21))
	f.start("anonymous", "anonymous@")
	// RFC 2428 section 3: EPSV answers with the port only.
	f.cmd("EPSV")
	f.reply("229 Entering Extended Passive Mode (|||40002|)")
	f.passiveTransfer(f.data(cli6().at(51002), srv6().at(40002)), "LIST",
		listing("release-1.3.tar.gz", "release-1.4.tar.gz", "SHA256SUMS"))
	// RFC 2428 section 2: EPRT |af|address|port|.
	f.cmd("EPRT |2|2001:db8::1|50001|")
	f.reply("200 EPRT command successful. Consider using EPSV.")
	f.activeTransfer(f.data(srv6().at(20), cli6().at(50001)), "RETR SHA256SUMS", textBody(1200))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildLprtLpsv() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.bsd = true
	f.start("alice", "Secr3t!")
	// RFC 1639 section 2: af, address length, address, port length, port.
	f.cmd("LPSV")
	f.reply("228 Entering Long Passive Mode (4,4,10,0,0,2,2,156,66)")
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40002)), "RETR notes.txt", textBody(2048))
	f.cmd("LPRT 4,4,10,0,0,1,2,195,81")
	f.reply("200 LPRT command successful.")
	f.activeTransfer(f.data(srv().at(20), cli().at(50001)), "STOR notes-reviewed.txt", textBody(2100))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildMultilineReplies() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	// RFC 959 section 4.2: a multi-line reply ends at the line starting
	// with the same code and a space; other lines may start with digits.
	f.open(
		"220-Welcome to the ACME release mirror.",
		"220-All transfers are logged.",
		"123 lines starting with other digits do not end this reply.",
		" 220 neither does an indented one.",
		"220 FTP server ready.",
	)
	f.cmd("FEAT")
	f.reply("211-Features:", " EPRT", " EPSV", " MDTM", " PASV", " REST STREAM", " SIZE", " TVFS", " UTF8", "211 End")
	f.login("anonymous", "anonymous@")
	f.cmd("PASV")
	f.reply(
		"227-Passive mode is enabled.",
		"227-Connect to the address below.",
		"227 Entering Passive Mode (10,0,0,2,156,67).",
	)
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40003)), "RETR pub/ChangeLog", textBody(3000))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildSplit227() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.cmd("PASV")
	reply := []byte("227 Entering Passive Mode (10,0,0,2,156,68).\r\n")
	cut := len("227 Entering Passive Mode (10,0,0,2,156")
	f.t.wait(f.rtt + f.work)
	f.put(f.mk(responder, fACK, reply[:cut]))
	f.t.wait(25 * time.Millisecond)
	f.put(f.mk(responder, fACK|fPSH, reply[cut:]))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40004)), "RETR pub/release-1.4.tar.gz", binaryBody(3000, 2))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildOutOfOrder() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")

	// The two halves of the FEAT reply reach the capture point swapped.
	f.cmd("FEAT")
	feat := []byte("211-Features:\r\n EPRT\r\n EPSV\r\n PASV\r\n SIZE\r\n211 End\r\n")
	f.t.wait(f.rtt + f.work)
	first := f.mk(responder, fACK, feat[:22])
	second := f.mk(responder, fACK|fPSH, feat[22:])
	f.put(second)
	f.put(first)
	f.t.wait(40 * time.Microsecond)
	f.ack(initiator)

	// PASV is lost beyond the capture point and retransmitted unchanged
	// after the minimum retransmission timeout.
	f.t.wait(f.think)
	pasv := f.mk(initiator, fACK|fPSH, []byte("PASV\r\n"))
	f.put(pasv)
	f.t.wait(200 * time.Millisecond)
	f.put(pasv)

	// The 227 goes out in two segments; the first is lost beyond the
	// capture point, the client sends a duplicate ACK, and the server
	// retransmits the whole reply as one segment overlapping both.
	reply := []byte(fmt.Sprintf("227 Entering Passive Mode (%s).\r\n", hostPort(srv().at(40005))))
	f.t.wait(f.rtt + f.work)
	head := f.mk(responder, fACK, reply[:20])
	tail := f.mk(responder, fACK|fPSH, reply[20:])
	f.put(head)
	f.put(tail)
	f.t.wait(f.rtt / 2)
	f.put(seg{from: initiator, seq: f.nxt[initiator], ack: head.seq, flags: fACK})
	f.t.wait(200 * time.Millisecond)
	f.put(seg{from: responder, seq: head.seq, ack: head.ack, flags: fACK | fPSH, payload: reply})
	f.t.wait(40 * time.Microsecond)
	f.ack(initiator)

	f.passiveTransfer(f.data(cli().at(51002), srv().at(40005)), "RETR pub/release-1.4.tar.gz", binaryBody(2000, 3))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildMidstream() ([]byte, error) {
	t := newTape()
	// The capture starts long after login: no SYN, no banner.
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.nxt[initiator] += 187
	f.nxt[responder] += 402
	f.pasv(srv().at(40001))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40001)), "RETR pub/release-1.4.tar.gz", binaryBody(3000, 4))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildVLAN() ([]byte, error) {
	t := newTape()
	passiveSession(t, framing{vlans: []uint16{100}}, cli(), srv())
	t.wait(time.Second)
	qinq := framing{vlans: []uint16{200, 300}, qinq: true}
	c, s := mkHost("10.0.1.1", 0x11), mkHost("10.0.1.2", 0x12)
	f := t.ftp(qinq, c.at(51000), s.at(21))
	f.start("alice", "Secr3t!")
	f.port(c.at(50000))
	f.activeTransfer(f.data(s.at(20), c.at(50000)), "RETR reports/2025.csv", textBody(2200))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildSLL() ([]byte, error) {
	t := newTape()
	passiveSession(t, framing{kind: linkSLL, local: cli().addr}, cli(), srv())
	return t.pcap(layers.LinkTypeLinuxSLL)
}

func buildSLL2() ([]byte, error) {
	t := newTape()
	passiveSession(t, framing{kind: linkSLL2, local: cli().addr, ifindex: 2}, cli(), srv())
	return t.pcap(layers.LinkTypeLinuxSLL2)
}

func buildPcapngTwoInterfaces() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{iface: 0}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40001))
	d := t.conv(framing{kind: linkRaw, iface: 1}, cli().at(51002), srv().at(40001))
	f.passiveTransfer(d, "RETR pub/release-1.4.tar.gz", binaryBody(4096, 1))
	f.quit()
	return t.pcapng(ngInterface{"eth0", layers.LinkTypeEthernet}, ngInterface{"tun0", layers.LinkTypeRaw})
}

// truncatedKeep is how many bytes of the last packet truncated.pcap keeps.
const truncatedKeep = 20

func buildTruncated() ([]byte, error) {
	t := newTape()
	passiveSession(t, framing{}, cli(), srv())
	// A second session starts; the file ends inside its SYN.
	t.wait(2 * time.Second)
	t.conv(framing{}, cli().at(51010), srv().at(21)).send(initiator, fSYN, nil)
	b, err := t.pcap(layers.LinkTypeEthernet)
	if err != nil {
		return nil, err
	}
	last := t.frames[len(t.frames)-1]
	return b[:len(b)-len(last.data)+truncatedKeep], nil
}

func buildNanosecond() ([]byte, error) {
	t := newTape()
	t.wait(123 * time.Nanosecond)
	t.gap = 12_345 * time.Nanosecond
	passiveSession(t, framing{}, cli(), srv())
	return t.pcapNanoBigEndian(layers.LinkTypeEthernet)
}

func buildGzip() ([]byte, error) {
	return gzipped(buildPassive())
}

func buildLoopbackNull() ([]byte, error) {
	t := newTape()
	fr := framing{kind: linkNull}
	f := t.ftp(fr, cli().at(51000), srv().at(21))
	f.start("alice", "Secr3t!")
	f.port(cli().at(50000))
	f.activeTransfer(f.data(srv().at(20), cli().at(50000)), "RETR docs/README", textBody(2500))
	f.quit()
	return t.pcap(layers.LinkTypeNull)
}

func buildRawIP() ([]byte, error) {
	t := newTape()
	passiveSession(t, framing{kind: linkRaw}, cli(), srv())
	return t.pcap(layers.LinkTypeRaw)
}

func buildManyTransfersMixed() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("alice", "Secr3t!")
	f.port(cli().at(50004))
	f.activeTransfer(f.data(srv().at(20), cli().at(50004)), "LIST", listing("a.bin", "b.bin", "notes.txt"))
	f.pasv(srv().at(40013))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40013)), "RETR a.bin", binaryBody(2000, 5))
	f.cmd("EPSV")
	f.reply("229 Entering Extended Passive Mode (|||40014|)")
	f.passiveTransfer(f.data(cli().at(51004), srv().at(40014)), "RETR b.bin", binaryBody(1500, 6))
	f.port(cli().at(50005))
	f.activeTransfer(f.data(srv().at(20), cli().at(50005)), "STOR notes.txt", textBody(900))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPort2121() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(2121))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40016))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40016)), "RETR pub/release-1.4.tar.gz", binaryBody(2500, 7))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// buildDataTupleReused plays two active sessions of one client, one after
// the other, whose data connections have the same four-tuple: the second
// PORT names the port the first did, and the server connects from port 20
// again. A stack accepts a new SYN for a tuple in TIME_WAIT when its
// sequence number is higher (RFC 6191), so this happens on busy servers.
func buildDataTupleReused() ([]byte, error) {
	t := newTape()
	for i, ctl := range []uint16{51000, 51010} {
		f := t.ftp(framing{}, cli().at(ctl), srv().at(21))
		f.start("anonymous", "anonymous@")
		f.port(cli().at(50000))
		d := f.data(srv().at(20), cli().at(50000))
		// A later incarnation starts higher in the sequence space.
		d.nxt[initiator] += uint32(i) * 1_000_000
		d.nxt[responder] += uint32(i) * 3_000_000
		f.activeTransfer(d, fmt.Sprintf("RETR pub/file%d.txt", i+1), textBody(1200+i*300))
		f.quit()
		t.wait(300 * time.Millisecond)
	}
	return t.pcap(layers.LinkTypeEthernet)
}

// buildControlTupleReused plays three sessions on one control four-tuple:
// the client binds the same source port again a second after the previous
// session ended, with new initial sequence numbers on both sides. The
// first session closes with FIN both ways, the second with the client's
// RST after 221.
func buildControlTupleReused() ([]byte, error) {
	t := newTape()
	for i := range 3 {
		f := t.ftp(framing{}, cli().at(51000), srv().at(21))
		f.nxt[initiator] += uint32(i) * 5_000_000
		f.nxt[responder] += uint32(i) * 7_000_000
		f.start("anonymous", "anonymous@")
		f.pasv(srv().at(uint16(40001 + i)))
		f.passiveTransfer(f.data(cli().at(uint16(51002+i)), srv().at(uint16(40001+i))), fmt.Sprintf("RETR pub/file%d.txt", i+1), textBody(1000+i*500))
		if i == 1 {
			f.cmd("QUIT")
			f.reply("221 Goodbye.")
			f.reset(initiator)
		} else {
			f.quit()
		}
		t.wait(time.Second)
	}
	return t.pcap(layers.LinkTypeEthernet)
}

// fragmentedRetr is a passive RETR across a path that fragments: the
// announcement and the first data segment arrive as fragments.
type fragmentedRetr struct {
	client, server host
	setup, reply   string // the passive command and its reply line
	replyFrag      int    // fragment payload size of the reply
	dataPort       uint16
	file           string
	size           int   // bytes of the file
	first          int   // bytes of the fragmented first data segment
	dataFrag       int   // fragment payload size of that segment
	order          []int // the order its fragments arrive in
}

func (r fragmentedRetr) build() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, r.client.at(51000), r.server.at(21))
	f.start("anonymous", "anonymous@")
	f.cmd(r.setup)
	f.t.wait(f.rtt + f.work)
	f.putFragmented(f.mk(responder, fACK|fPSH, []byte(r.reply+"\r\n")), r.replyFrag, nil)
	f.t.wait(40 * time.Microsecond)
	f.ack(initiator)
	d := f.data(r.client.at(51002), r.server.at(r.dataPort))
	f.t.wait(150 * time.Microsecond)
	d.handshake()
	f.cmd("RETR " + r.file)
	f.reply(fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", r.file, r.size))
	body := textBody(r.size)
	d.t.wait(200 * time.Microsecond)
	d.putFragmented(d.mk(responder, fACK, body[:r.first]), r.dataFrag, r.order)
	d.send(responder, fACK|fPSH, body[r.first:])
	d.t.wait(d.rtt / 2)
	d.ack(initiator)
	d.close(responder)
	f.reply("226 Transfer complete.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// buildIPFragments: the 227 reply arrives as three IPv4 fragments, and one
// data segment as three fragments, the last one first.
func buildIPFragments() ([]byte, error) {
	return fragmentedRetr{
		client: cli(), server: srv(), setup: "PASV",
		reply:     fmt.Sprintf("227 Entering Passive Mode (%s).", hostPort(srv().at(40013))),
		replyFrag: 32, dataPort: 40013, file: "pub/notes.txt", size: 2400,
		first: 1400, dataFrag: 560, order: []int{2, 0, 1},
	}.build()
}

// buildIP6Fragments: an IPv6 EPSV RETR whose 229 reply arrives as two
// fragments and one data segment as three, the middle one first.
func buildIP6Fragments() ([]byte, error) {
	return fragmentedRetr{
		client: cli6(), server: srv6(), setup: "EPSV",
		reply:     "229 Entering Extended Passive Mode (|||40014|)",
		replyFrag: 40, dataPort: 40014, file: "pub/notes6.txt", size: 2000,
		first: 1200, dataFrag: 512, order: []int{1, 0, 2},
	}.build()
}

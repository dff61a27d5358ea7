package synth

import (
	"fmt"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// The scenarios in this file reproduce, class by class, what captures
// made by other people look like: the ways real stacks end data
// connections, captures that hold only payload, PORTs that name port 21,
// ports already in use before an announcement, replies without their
// commands, and port scans.

func buildResetAfterTransfer() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	// The server sends the file and its FIN; the client (Windows) ends its
	// side with RST instead of FIN, and 226 follows.
	f.pasv(srv().at(40030))
	d := f.data(cli().at(51002), srv().at(40030))
	d.handshake()
	f.cmd("RETR pub/release-1.4.tar.gz")
	f.reply("150 Opening BINARY mode data connection for pub/release-1.4.tar.gz (3000 bytes).")
	t.wait(200 * time.Microsecond)
	d.says(responder, binaryBody(3000, 20))
	d.send(responder, fFIN|fACK, nil)
	t.wait(d.rtt)
	d.reset(initiator)
	f.reply("226 Transfer complete.")
	// A passive data connection the client opens and closes at once, with
	// no transfer command; the server answers with RST.
	f.pasv(srv().at(40031))
	e := f.data(cli().at(51003), srv().at(40031))
	e.handshake()
	t.wait(time.Millisecond)
	e.send(initiator, fFIN|fACK, nil)
	t.wait(e.rtt)
	e.reset(responder)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPayloadOnly() ([]byte, error) {
	t := newTape()
	// An export of "ftp || ftp-data" from Wireshark: only packets with
	// payload remain. The server's data segment is captured a fraction of
	// a millisecond after the 226 that ends it.
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.port(cli().at(50030))
	f.cmd("LIST")
	d := f.data(srv().at(20), cli().at(50030))
	d.mk(initiator, fSYN, nil) // the handshake is not in the export
	d.mk(responder, fSYN|fACK, nil)
	f.reply("150 Here comes the directory listing.")
	f.reply("226 Directory send OK.")
	t.wait(300 * time.Microsecond)
	d.send(initiator, fACK|fPSH, listing("README", "pub"))
	f.quit()
	var kept []frame
	for _, fr := range t.frames {
		// Frames with TCP payload: longer than the 54 bytes of Ethernet,
		// IPv4 and TCP headers without options.
		if len(fr.data) > 54 {
			kept = append(kept, fr)
		}
	}
	t.frames = kept
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPortToClient21() ([]byte, error) {
	t := newTape()
	// An FTP bounce scan probing port 21 of the client's own address: the
	// server connects from port 20 to 10.0.0.1:21 and is refused.
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.port(cli().at(21))
	f.cmd("LIST")
	t.wait(f.work)
	f.data(srv().at(20), cli().at(21)).refused()
	f.reply("425 Failed to establish connection.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildConnectionBeforeAnnouncement() ([]byte, error) {
	t := newTape()
	// 10.0.0.2:33000 -> 10.0.0.1:50040 is a long-lived connection of
	// another program; later the client's PORT names port 50040 too, and
	// the server connects to it from port 20.
	other := t.conv(framing{}, srv().at(33000), cli().at(50040))
	other.handshake()
	for i := range 3 {
		t.wait(500 * time.Millisecond)
		other.says(initiator, []byte(fmt.Sprintf("heartbeat %d\n", i)))
		t.wait(other.rtt)
		other.ack(responder)
	}
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.port(cli().at(50040))
	// The other program goes on talking after the announcement.
	other.says(initiator, []byte("heartbeat 3\n"))
	t.wait(other.rtt)
	other.says(responder, []byte("ok 3\n"))
	f.activeTransfer(f.data(srv().at(20), cli().at(50040)), "RETR pub/README", textBody(1500))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildReplyWithoutCommand() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40032))
	// The capture starts here: what came before is not in the file.
	t.frames = nil
	f.cmd("RETR pub/release-1.4.tar.gz")
	f.t.frames = nil
	f.t.wait(5 * time.Second)
	f.reply("425 Unable to build data connection: Connection timed out.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPortScan() ([]byte, error) {
	t := newTape()
	scanner := mkHost("10.0.0.66", 0x66)
	// A SYN scan: port 21 answers and the scanner resets at once; other
	// ports of the same host answer with RST or not at all.
	c := t.conv(framing{}, scanner.at(45000), srv().at(21))
	c.send(initiator, fSYN, nil)
	t.wait(c.rtt)
	c.send(responder, fSYN|fACK, nil)
	t.wait(20 * time.Microsecond)
	c.reset(initiator)
	for i, port := range []uint16{22, 23, 25, 80, 443, 8080} {
		s := t.conv(framing{}, scanner.at(uint16(45001+i)), srv().at(port))
		if port == 22 || port == 80 {
			s.send(initiator, fSYN, nil)
			t.wait(s.rtt)
			s.send(responder, fSYN|fACK, nil)
			s.reset(initiator)
			continue
		}
		s.refused()
	}
	// A PORT to a third host's SMTP port that the server refuses: a
	// bounce that failed.
	f := t.ftp(framing{}, scanner.at(45100), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.cmd("PORT 198,51,100,99,0,25")
	f.reply("500 Illegal PORT command.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

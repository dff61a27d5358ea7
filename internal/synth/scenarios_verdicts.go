package synth

import (
	"fmt"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// The scenarios in this file make the session verdicts of CONTRACT.md:
// control connections that are never established, failed logins, refused
// transfers, data connections the capture does not hold, and captures
// that lose, repeat or cut packets.

func buildControlBlocked() ([]byte, error) {
	t := newTape()
	// The client's SYNs to port 21 are dropped beyond the capture point:
	// the first and two retransmissions, 1 s and 2 s apart.
	c := t.conv(framing{}, cli().at(51000), srv().at(21))
	c.synUnanswered(time.Second, 2*time.Second)
	t.wait(4 * time.Second)
	return t.pcap(layers.LinkTypeEthernet)
}

func buildControlRefusedRST() ([]byte, error) {
	t := newTape()
	// Nothing listens on port 21: the server's stack answers with RST, and
	// the client tries once more a second later.
	c := t.conv(framing{}, cli().at(51000), srv().at(21))
	c.refused()
	t.wait(time.Second)
	c2 := t.conv(framing{}, cli().at(51001), srv().at(21))
	c2.refused()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildControlUnreachableICMP() ([]byte, error) {
	t := newTape()
	// The server is beyond firewall 10.0.0.254, which rejects the SYN with
	// ICMP type 3 code 13 (communication administratively prohibited).
	c, fw, s := cli(), mkHost("10.0.0.254", 0xfe), mkHost("192.0.2.10", 0xfe)
	conv := t.conv(framing{}, c.at(51000), s.at(21))
	syn := conv.send(initiator, fSYN, nil)
	t.wait(300 * time.Microsecond)
	t.icmpUnreachable(framing{}, fw, c, layers.ICMPv4CodeCommAdminProhibited, syn)
	return t.pcap(layers.LinkTypeEthernet)
}

func buildLoginFailed() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.open("220 (vsFTPd 3.0.5)")
	f.cmd("USER bob")
	f.reply("331 Please specify the password.")
	f.cmd("PASS hunter3")
	f.t.wait(time.Second) // vsftpd's delay_failed_login
	f.reply("530 Login incorrect.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildLoginBruteForce() ([]byte, error) {
	t := newTape()
	attacker := mkHost("10.0.0.9", 0x09)
	users := []string{"admin", "root", "ftp", "test"}
	// 12 connections 4 s apart, two guesses each, then one that gets in.
	for i := range 12 {
		f := t.ftp(framing{}, attacker.at(uint16(40000+i)), srv().at(21))
		f.open("220 (vsFTPd 3.0.5)")
		for j := range 2 {
			f.cmd("USER " + users[(2*i+j)%len(users)])
			f.reply("331 Please specify the password.")
			f.cmd(fmt.Sprintf("PASS guess%d", 2*i+j))
			f.reply("530 Login incorrect.")
		}
		f.quit()
		t.wait(4 * time.Second)
	}
	f := t.ftp(framing{}, attacker.at(40100), srv().at(21))
	f.start("test", "test123")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildTransferRejected() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40020))
	d := f.data(cli().at(51002), srv().at(40020))
	d.handshake()
	f.cmd("RETR pub/missing.tar.gz")
	f.reply("550 Failed to open file.")
	// The client closes the unused data connection; the server resets it.
	d.send(initiator, fFIN|fACK, nil)
	t.wait(d.rtt)
	d.reset(responder)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildDataPathUnseen() ([]byte, error) {
	t := newTape()
	// Captured with the filter "port 21": the transfers work, and their
	// data connections are not in the file.
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40021))
	f.cmd("RETR pub/release-1.4.tar.gz")
	f.reply("150 Opening BINARY mode data connection for pub/release-1.4.tar.gz (4096 bytes).")
	t.wait(5 * time.Millisecond)
	f.reply("226 Transfer complete.")
	f.port(cli().at(50010))
	f.cmd("LIST")
	f.reply("150 Here comes the directory listing.")
	t.wait(2 * time.Millisecond)
	f.reply("226 Directory send OK.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildReplyResync() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	// The client pipelines SIZE and PASV in two segments; the capture
	// loses the one with SIZE. The server's 213 then 227 both arrive.
	f.t.wait(f.think)
	f.mk(initiator, fACK|fPSH, []byte("SIZE pub/a.bin\r\n"))
	f.clientSays("PASV\r\n")
	f.reply("213 3000")
	f.reply(fmt.Sprintf("227 Entering Passive Mode (%s).", hostPort(srv().at(40022))))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40022)), "RETR pub/a.bin", binaryBody(3000, 12))
	// Later the capture loses a 227: the client connects anyway, and the
	// 150 and 226 still answer its RETR.
	f.cmd("PASV")
	f.t.wait(f.rtt + f.work)
	f.mk(responder, fACK|fPSH, []byte(fmt.Sprintf("227 Entering Passive Mode (%s).\r\n", hostPort(srv().at(40023)))))
	f.passiveTransfer(f.data(cli().at(51003), srv().at(40023)), "RETR pub/b.bin", binaryBody(2000, 13))
	// And a third transfer in the clear.
	f.pasv(srv().at(40024))
	f.passiveTransfer(f.data(cli().at(51004), srv().at(40024)), "RETR pub/c.bin", binaryBody(1000, 14))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildSpanDuplicates() ([]byte, error) {
	t := newTape()
	passiveSession(t, framing{}, cli(), srv())
	// A SPAN port copies every packet twice, 3 µs apart.
	var frames []frame
	for _, fr := range t.frames {
		cp := fr
		cp.ts = fr.ts.Add(3 * time.Microsecond)
		frames = append(frames, fr, cp)
	}
	t.frames = frames
	return t.pcap(layers.LinkTypeEthernet)
}

func buildConcatenated() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40026))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40026)), "RETR pub/release-1.4.tar.gz", binaryBody(4096, 16))
	t.wait(3 * time.Second)
	f.quit()
	// The file merged with itself: every packet again, time back at the
	// start.
	t.frames = append(t.frames, slices.Clone(t.frames)...)
	return t.pcap(layers.LinkTypeEthernet)
}

func buildCaptureEndsMidTransfer() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40025))
	d := f.data(cli().at(51002), srv().at(40025))
	d.handshake()
	f.cmd("RETR images/install.iso")
	f.reply("150 Opening BINARY mode data connection for images/install.iso (4700000000 bytes).")
	d.t.wait(200 * time.Microsecond)
	d.says(responder, binaryBody(6*1460, 15))
	// The capture stops here (tcpdump -c, or the capture host was stopped).
	return t.pcap(layers.LinkTypeEthernet)
}

func buildContentDetected() ([]byte, error) {
	t := newTape()
	// An SMTP conversation first: a 220 greeting, then EHLO. Not FTP.
	mail := mkHost("10.0.0.25", 0x25)
	m := t.ftp(framing{}, cli().at(52000), mail.at(2525))
	m.open("220 mail.example.org ESMTP Postfix")
	m.cmd("EHLO client.example.org")
	m.reply("250-mail.example.org", "250-PIPELINING", "250 8BITMIME")
	m.cmd("QUIT")
	m.reply("221 2.0.0 Bye")
	m.close(responder)
	// A server on 2121 that nobody named with -p: its 220 and the
	// client's USER make it FTP.
	f := t.ftp(framing{}, cli().at(51000), srv().at(2121))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40027))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40027)), "RETR pub/README", textBody(1200))
	f.quit()
	// A second session to the same server starts mid-connection, with no
	// greeting: the server is known to speak FTP by now.
	g := t.ftp(framing{}, cli().at(51010), srv().at(2121))
	g.cmd("NOOP")
	g.reply("200 NOOP ok.")
	g.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

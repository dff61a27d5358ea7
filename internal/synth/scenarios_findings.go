package synth

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Every scenario in this file shows the evidence of one finding code of
// CONTRACT.md, named like the scenario.

// wanRTT is the round-trip time of scenarios that cross the Internet.
const wanRTT = 30 * time.Millisecond

// retr is the transfer command of the scenarios whose transfer never
// starts.
const retr = "RETR pub/release-1.4.tar.gz"

// failedToConnect is vsftpd's reply when the data connection cannot be made.
const failedToConnect = "425 Failed to establish connection."

func buildActiveBlocked() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.port(cli().at(50002))
	f.cmd(retr)
	f.t.wait(f.work)
	// The client's host firewall drops the server's SYNs after the capture
	// point: the SYN and its 3 retransmissions 1 s, 2 s and 4 s apart.
	f.data(srv().at(20), cli().at(50002)).synUnanswered(time.Second, 2*time.Second, 4*time.Second)
	f.t.wait(time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPassiveBlockedRST() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40006))
	f.cmd(retr)
	f.data(cli().at(51002), srv().at(40006)).refused()
	// The server gives up waiting for the data connection.
	f.t.wait(5 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPassiveBlockedICMP() ([]byte, error) {
	t := newTape()
	c := cli()
	// The server is beyond firewall 10.0.0.254, the client's gateway.
	fw, s := mkHost("10.0.0.254", 0xfe), mkHost("192.0.2.10", 0xfe)
	f := t.ftp(framing{}, c.at(51000), s.at(21))
	f.rtt = 2 * time.Millisecond
	f.start("anonymous", "anonymous@")
	f.pasv(s.at(40006))
	f.cmd(retr)
	syn := f.data(c.at(51002), s.at(40006)).send(initiator, fSYN, nil)
	t.wait(300 * time.Microsecond)
	// RFC 1812 section 5.2.7.1: code 13, communication administratively
	// prohibited, quoting the SYN.
	t.icmpUnreachable(framing{}, fw, c, layers.ICMPv4CodeCommAdminProhibited, syn)
	f.t.wait(5 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPassiveBlockedICMP6() ([]byte, error) {
	t := newTape()
	c := cli6()
	fw, s := mkHost("2001:db8::fe", 0xfe), mkHost("2001:db8:2::10", 0xfe)
	f := t.ftp(framing{}, c.at(51000), s.at(21))
	f.rtt = 2 * time.Millisecond
	f.start("anonymous", "anonymous@")
	f.cmd("EPSV")
	f.reply("229 Entering Extended Passive Mode (|||40006|)")
	f.cmd(retr)
	syn := f.data(c.at(51002), s.at(40006)).send(initiator, fSYN, nil)
	t.wait(300 * time.Microsecond)
	// RFC 4443 section 3.1: code 1, communication with destination
	// administratively prohibited.
	t.icmpUnreachable(framing{}, fw, c, layers.ICMPv6CodeAdminProhibited, syn)
	f.t.wait(5 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// natHosts are the hosts of the passive NAT scenarios, captured at the
// client: client 198.51.100.7, server 203.0.113.10 beyond the gateway, and
// the private address the server wrongly announces.
func natHosts() (client, server, private host) {
	return mkHost("198.51.100.7", 0x01), mkHost("203.0.113.10", 0xfe), mkHost("192.168.1.10", 0xfe)
}

func buildPassivePrivateNAT() ([]byte, error) {
	t := newTape()
	c, s, priv := natHosts()
	f := t.ftp(framing{}, c.at(51000), s.at(21))
	f.rtt = wanRTT
	f.start("anonymous", "anonymous@")
	f.pasv(priv.at(40007))
	f.cmd(retr)
	f.data(c.at(51002), priv.at(40007)).synUnanswered(time.Second, 2*time.Second)
	f.t.wait(3 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildPassiveNATCurlOK() ([]byte, error) {
	t := newTape()
	c, s, priv := natHosts()
	f := t.ftp(framing{}, c.at(51000), s.at(21))
	f.rtt = wanRTT
	f.start("anonymous", "ftp@example.com")
	f.pasv(priv.at(40007))
	// curl's --ftp-skip-pasv-ip (its default): the announced address is
	// ignored, the port is used with the control connection's address.
	f.passiveTransfer(f.data(c.at(51002), s.at(40007)), retr, binaryBody(4096, 8))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildActivePrivateNAT() ([]byte, error) {
	t := newTape()
	// Captured at the server: the client's NAT shows it as 203.0.113.50
	// and has no FTP helper, so PORT carries the private address.
	s, c, priv := mkHost("198.51.100.20", 0x02), mkHost("203.0.113.50", 0xfe), mkHost("192.168.0.5", 0xfe)
	f := t.ftp(framing{}, c.at(51000), s.at(21))
	f.rtt = wanRTT
	f.start("alice", "Secr3t!")
	f.port(priv.at(50003))
	f.cmd(retr)
	f.t.wait(f.work)
	f.data(s.at(20), priv.at(50003)).synUnanswered(time.Second, 2*time.Second)
	f.t.wait(time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildAddressRewritten() ([]byte, error) {
	t := newTape()
	// Captured on the server's LAN behind its NAT: the server 10.0.0.2
	// announces its public address 203.0.113.10 (pasv_address), the NAT
	// forwards the client's connection to 10.0.0.2.
	c, s, public := mkHost("198.51.100.7", 0xfe), srv(), mkHost("203.0.113.10", 0)
	f := t.ftp(framing{}, c.at(51000), s.at(21))
	f.rtt = wanRTT
	f.start("anonymous", "anonymous@")
	f.pasv(public.at(40008))
	f.passiveTransfer(f.data(c.at(51002), s.at(40008)), retr, binaryBody(3000, 9))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildFTPBounce() ([]byte, error) {
	t := newTape()
	// Captured at the server; the third host is beyond the gateway.
	mx := mkHost("198.51.100.99", 0xfe)
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.port(mx.at(25))
	f.cmd("RETR incoming/mail.txt")
	f.t.wait(f.work)
	d := f.data(srv().at(20), mx.at(25))
	d.rtt = 20 * time.Millisecond
	d.handshake()
	mail := []byte("HELO example.org\r\nMAIL FROM:<nobody@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n" +
		"Subject: you have won\r\n\r\nThis message was relayed through an FTP server.\r\n.\r\nQUIT\r\n")
	pre, done := f.replies("RETR incoming/mail.txt", len(mail))
	f.reply(pre)
	// The mail server greets first; the file follows as SMTP commands.
	d.t.wait(d.rtt)
	d.says(responder, []byte("220 mx.example.org ESMTP\r\n"))
	moveData(d, initiator, mail)
	f.reply(done)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// sealed returns a TLS 1.3 application-data record as long as line would
// be once encrypted (one content-type byte and a 16-byte tag added).
func sealed(line string, seed uint64) []byte { return tlsRecord(0x17, len(line)+17, seed) }

func buildControlEncrypted() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.open("220 (vsFTPd 3.0.5)")
	f.cmd("AUTH TLS")
	f.reply("234 Proceed with negotiation.")

	var seed uint64 = 100
	next := func() uint64 { seed++; return seed }
	handshake := func(c *conv) {
		c.t.wait(time.Millisecond)
		hello := tlsRecord(0x16, 512, next())
		hello[1], hello[2] = 0x03, 0x01
		c.says(initiator, hello)
		c.t.wait(c.rtt + time.Millisecond)
		flight := append(tlsRecord(0x16, 122, next()), tlsRecord(0x14, 1, next())...)
		flight = append(flight, tlsRecord(0x17, 2400, next())...)
		c.says(responder, flight)
		c.t.wait(time.Millisecond)
		c.says(initiator, append(tlsRecord(0x14, 1, next()), tlsRecord(0x17, 53, next())...))
	}
	handshake(f.conv)
	exchange := func(cmd, reply string) {
		f.t.wait(f.think)
		f.says(initiator, sealed(cmd+"\r\n", next()))
		f.t.wait(f.rtt + f.work)
		f.says(responder, sealed(reply+"\r\n", next()))
	}
	exchange("USER alice", "331 Please specify the password.")
	exchange("PASS Secr3t!", "230 Login successful.")
	exchange("PBSZ 0", "200 PBSZ set to 0.")
	exchange("PROT P", "200 PROT now Private.")
	exchange("TYPE I", "200 Switching to Binary mode.")
	exchange("PASV", "227 Entering Passive Mode (10,0,0,2,156,73).")
	d := f.data(cli().at(51002), srv().at(40009))
	d.handshake()
	handshake(d)
	exchange("RETR secret/payroll.xlsx", "150 Opening BINARY mode data connection for secret/payroll.xlsx (3000 bytes).")
	d.t.wait(time.Millisecond)
	d.says(responder, sealed(string(make([]byte, 3000)), next()))
	d.says(responder, tlsRecord(0x17, 19, next())) // close_notify
	d.close(responder)
	f.t.wait(f.rtt + f.work)
	f.says(responder, sealed("226 Transfer complete.\r\n", next()))
	exchange("QUIT", "221 Goodbye.")
	f.t.wait(100 * time.Microsecond)
	f.says(responder, tlsRecord(0x17, 19, next()))
	f.close(responder)
	return t.pcap(layers.LinkTypeEthernet)
}

func buildDataUnannounced() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40010))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40010)), "RETR pub/README", textBody(1500))
	// Nothing on the control connection announces port 40777.
	t.wait(2 * time.Second)
	moveDataAfterHandshake(f.data(cli().at(51004), srv().at(40777)), responder, textBody(1800))
	t.wait(time.Second)
	f.cmd("NOOP")
	f.reply("200 NOOP ok.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// moveDataAfterHandshake connects d and moves body over it.
func moveDataAfterHandshake(d *conv, sender side, body []byte) {
	d.handshake()
	moveData(d, sender, body)
}

func buildTransferFailed426() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40011))
	d := f.data(cli().at(51002), srv().at(40011))
	d.handshake()
	f.cmd("RETR images/install.iso")
	f.reply("150 Opening BINARY mode data connection for images/install.iso (4700000 bytes).")
	d.t.wait(200 * time.Microsecond)
	d.says(responder, binaryBody(3*1460, 10))
	d.t.wait(3 * time.Millisecond)
	d.reset(responder)
	f.reply("426 Connection closed; transfer aborted.")
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildControlGap() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	// PASV and its 227 cross the network but the capture loses them:
	// their bytes take sequence numbers and are acknowledged later.
	f.t.wait(f.think)
	f.mk(initiator, fACK|fPSH, []byte("PASV\r\n"))
	f.t.wait(f.rtt + f.work)
	f.mk(responder, fACK|fPSH, []byte(fmt.Sprintf("227 Entering Passive Mode (%s).\r\n", hostPort(srv().at(40012)))))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40012)), retr, binaryBody(2500, 11))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildHostile() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	// A 20 KiB line: nothing ends it for 20480 bytes.
	f.cmd("USER " + strings.Repeat("A", 20*1024))
	f.reply("500 Input line too long.")
	// An 8 KiB reply line.
	f.cmd("HELP")
	f.reply("214-"+strings.Repeat("x", 8*1024), "214 Help OK.")
	f.cmd("NO\x00OP\x00\xff")
	f.reply("500 Unknown command.")
	numbers := make([]string, 300)
	for i := range numbers {
		numbers[i] = strconv.Itoa(i + 1)
	}
	f.cmd("PASV")
	f.reply("227 Entering Passive Mode (" + strings.Join(numbers, ",") + ").")
	f.cmd("PORT 10,0,0,1,300,999")
	f.reply("500 Illegal PORT command.")
	f.cmd("NOOP")
	f.reply("this line has no reply code", "200 NOOP ok.")
	// The session is healthy afterwards.
	f.pasv(srv().at(40015))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40015)), "RETR pub/README", textBody(2000))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

func buildDataConnectionMissing() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40009))
	f.cmd(retr)
	// The client's own firewall drops its SYN before the capture point:
	// no connection towards 10.0.0.2:40009 is ever seen. The server gives
	// up waiting.
	f.t.wait(5 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

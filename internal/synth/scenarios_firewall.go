package synth

import (
	"fmt"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// The scenarios in this file show what firewalls do to FTP: what a
// firewall's FTP helper (Linux nf_conntrack_ftp, and ALGs that parse
// alike) can and cannot read, idle timers that forget a control
// connection during a long transfer, the passive ports a firewall must
// open, and server-to-server (FXP) transfers.

// loginOnly plays USER and PASS without SYST and TYPE, for scenarios that
// send those their own way.
func (f *ftp) loginOnly(user, pass string) {
	f.cmd("USER " + user)
	f.reply("331 Please specify the password.")
	f.cmd("PASS " + pass)
	f.reply("230 Login successful.")
}

// buildHelperPipelinedPort: the client writes TYPE I and PORT in one
// segment, so PORT does not start its segment and the helper never sees
// it; the client's firewall drops the server's SYN back.
func buildHelperPipelinedPort() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.open("220 (vsFTPd 3.0.5)")
	f.loginOnly("anonymous", "anonymous@")
	f.t.wait(f.think)
	f.clientSays("TYPE I\r\nPORT 10,0,0,1,195,91\r\n")
	f.reply("200 Switching to Binary mode.", "200 PORT command successful. Consider using PASV.")
	f.cmd(retr)
	f.t.wait(f.work)
	f.data(srv().at(20), cli().at(50011)).synUnanswered(time.Second, 2*time.Second)
	f.t.wait(3 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// buildHelperNonstandardPort: a server on port 2121 (found by its
// content); the server's firewall relies on the helper, which watches
// port 21 only, so the client's SYN to the passive port is dropped.
func buildHelperNonstandardPort() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(2121))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40022))
	f.cmd(retr)
	f.data(cli().at(51002), srv().at(40022)).synUnanswered(time.Second, 2*time.Second)
	f.t.wait(3 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// buildHelperSecondPasv: the client sends PASV twice and connects to the
// first port; the helper keeps one expectation per control connection,
// the second's, so the server's firewall drops the SYN.
func buildHelperSecondPasv() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40011))
	f.pasv(srv().at(40012))
	f.cmd(retr)
	f.data(cli().at(51002), srv().at(40011)).synUnanswered(time.Second, 2*time.Second)
	f.t.wait(3 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// buildHelperPasvAddress: the server behind NAT announces its private
// address; the client connects to the control connection's address
// instead (as curl does), and the server's firewall, which relies on the
// helper, drops the SYN: the helper made no expectation for an address
// other than the server's.
func buildHelperPasvAddress() ([]byte, error) {
	t := newTape()
	c, s, priv := natHosts()
	f := t.ftp(framing{}, c.at(51000), s.at(21))
	f.rtt = wanRTT
	f.start("anonymous", "anonymous@")
	f.pasv(priv.at(40021))
	f.cmd(retr)
	f.data(c.at(51002), s.at(40021)).synUnanswered(time.Second, 2*time.Second)
	f.t.wait(3 * time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// buildHelperTLS: after AUTH TLS the PASV exchange is encrypted; the
// client's SYN to the passive port goes unanswered at the server's
// firewall, whose helper read nothing.
func buildHelperTLS() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.open("220 (vsFTPd 3.0.5)")
	f.cmd("AUTH TLS")
	f.reply("234 Proceed with negotiation.")
	var seed uint64 = 300
	next := func() uint64 { seed++; return seed }
	f.t.wait(time.Millisecond)
	hello := tlsRecord(0x16, 512, next())
	hello[1], hello[2] = 0x03, 0x01
	f.says(initiator, hello)
	f.t.wait(f.rtt + time.Millisecond)
	flight := append(tlsRecord(0x16, 122, next()), tlsRecord(0x14, 1, next())...)
	f.says(responder, append(flight, tlsRecord(0x17, 1200, next())...))
	f.t.wait(time.Millisecond)
	f.says(initiator, append(tlsRecord(0x14, 1, next()), tlsRecord(0x17, 53, next())...))
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
	exchange("PASV", "227 Entering Passive Mode (10,0,0,2,156,87).")
	f.t.wait(f.think)
	f.says(initiator, sealed("RETR secret/payroll.xlsx\r\n", next()))
	f.data(cli().at(51002), srv().at(40023)).synUnanswered(time.Second, 2*time.Second)
	f.t.wait(3 * time.Second)
	f.says(responder, sealed(failedToConnect+"\r\n", next()))
	exchange("QUIT", "221 Goodbye.")
	f.t.wait(100 * time.Microsecond)
	f.close(responder)
	return t.pcap(layers.LinkTypeEthernet)
}

// buildHelperForms: three transfers that work, captured where no helper
// stands, whose announcements are in forms the helper refuses: PORT with
// spaces after the commas, a 229 with its address fields filled in, and
// PORT ended by a bare LF.
func buildHelperForms() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.start("anonymous", "anonymous@")

	f.cmd("PORT 10, 0, 0, 1, 195, 96")
	f.reply("200 PORT command successful. Consider using PASV.")
	f.activeTransfer(f.data(srv().at(20), cli().at(50016)), "LIST", textBody(600))

	f.cmd("EPSV")
	f.reply("229 Entering Extended Passive Mode (|1|10.0.0.2|40031|)")
	f.passiveTransfer(f.data(cli().at(51003), srv().at(40031)), "RETR pub/release-1.4.tar.gz", binaryBody(2000, 11))

	f.t.wait(f.think)
	f.clientSays("PORT 10,0,0,1,195,97\n")
	f.reply("200 PORT command successful. Consider using PASV.")
	f.activeTransfer(f.data(srv().at(20), cli().at(50017)), "STOR incoming/notes.txt", textBody(700))
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

// idleVariant says how a control connection that sat idle through a long
// transfer died, and where the capture was taken.
type idleVariant int

const (
	idleUnanswered idleVariant = iota // at the server: its 226 is retransmitted and never acknowledged
	idleReset                         // at the server: a firewall answers the 226 with an RST in the client's name
	idleCut                           // at the client: the 226 never comes, the client gives up and closes
)

// buildIdle plays a slow 8-minute download during which nothing crosses
// the control connection, and then the death of the control connection.
func buildIdle(v idleVariant) ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.rtt = wanRTT
	f.start("anonymous", "anonymous@")
	f.pasv(srv().at(40030))
	f.t.wait(150 * time.Microsecond)
	d := f.data(cli().at(51002), srv().at(40030))
	d.handshake()
	f.cmd("RETR pub/dvd.iso")
	f.reply("150 Opening BINARY mode data connection for pub/dvd.iso (16000 bytes).")
	f.t.wait(40 * time.Microsecond)
	f.ack(initiator)
	// A slow path: a kilobyte every 30 s.
	for i := range 16 {
		t.wait(30 * time.Second)
		d.says(responder, binaryBody(1000, uint64(40+i)))
		t.wait(d.rtt)
		d.ack(initiator)
	}
	d.close(responder)
	f.t.wait(f.work)
	switch v {
	case idleUnanswered:
		s := f.mk(responder, fACK|fPSH, []byte("226 Transfer complete.\r\n"))
		f.put(s)
		for _, rto := range []time.Duration{200, 400, 800, 1600, 3200, 6400} {
			t.wait(rto * time.Millisecond)
			f.put(s)
		}
		t.wait(20 * time.Second)
		f.put(s)
	case idleReset:
		f.put(f.mk(responder, fACK|fPSH, []byte("226 Transfer complete.\r\n")))
		t.wait(f.rtt / 2)
		// The firewall had forgotten the connection: it rejects the
		// reply with an RST in the client's name, at the client's next
		// sequence number.
		f.put(seg{from: initiator, seq: f.nxt[initiator], flags: fRST})
	case idleCut:
		// The firewall dropped the 226; the client waits a minute for
		// it, then gives up and closes.
		t.wait(60 * time.Second)
		f.send(initiator, fFIN|fACK, nil)
	}
	return t.pcap(layers.LinkTypeEthernet)
}

func buildControlIdleTimeout() ([]byte, error) { return buildIdle(idleUnanswered) }
func buildControlIdleReset() ([]byte, error)   { return buildIdle(idleReset) }
func buildControlIdleCut() ([]byte, error)     { return buildIdle(idleCut) }

// buildPassivePortRange plays healthy passive sessions from three clients
// to two servers: vsftpd on 10.0.0.2 announcing ports between 40000 and
// 40100, ProFTPD on 10.0.0.3 answering EPSV with ports between 50000 and
// 51000.
func buildPassivePortRange() ([]byte, error) {
	t := newTape()
	vsftpd, proftpd := srv(), mkHost("10.0.0.3", 0x03)
	clients := []host{cli(), mkHost("10.0.0.4", 0x04), mkHost("10.0.0.5", 0x05)}
	type run struct {
		client host
		server host
		port   uint16
	}
	runs := []run{
		{clients[0], vsftpd, 40004}, {clients[1], proftpd, 50012}, {clients[2], vsftpd, 40058},
		{clients[0], vsftpd, 40096}, {clients[1], vsftpd, 40033}, {clients[2], proftpd, 50876},
	}
	for i, r := range runs {
		f := t.ftp(framing{}, r.client.at(uint16(51000+i)), r.server.at(21))
		if r.server.addr == proftpd.addr {
			f.open("220 ProFTPD Server (Debian) [10.0.0.3]")
			f.loginOnly("anonymous", "anonymous@")
			f.cmd("EPSV")
			f.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", r.port))
		} else {
			f.start("anonymous", "anonymous@")
			f.pasv(r.server.at(r.port))
		}
		f.passiveTransfer(f.data(r.client.at(uint16(52000+i)), r.server.at(r.port)), "RETR pub/README", textBody(400+100*i))
		f.quit()
		t.wait(2 * time.Second)
	}
	return t.pcap(layers.LinkTypeEthernet)
}

// buildFXPTransfer plays a server-to-server transfer captured on the
// switch that all three hosts share: the client puts server A
// (10.0.0.2) in passive mode, gives its endpoint to server B (10.0.0.3)
// with PORT, and B sends the file straight to A.
func buildFXPTransfer() ([]byte, error) {
	t := newTape()
	a, b := srv(), mkHost("10.0.0.3", 0x03)
	fa := t.ftp(framing{}, cli().at(51000), a.at(21))
	fa.start("alice", "Secr3t!")
	fb := t.ftp(framing{}, cli().at(51001), b.at(21))
	fb.start("alice", "Secr3t!")
	fa.pasv(a.at(40020))
	fb.port(a.at(40020))
	fa.cmd("STOR incoming/release-1.4.tar.gz")
	fb.cmd("RETR pub/release-1.4.tar.gz")
	fb.t.wait(fb.work)
	d := fb.data(b.at(20), a.at(40020))
	d.handshake()
	fb.reply("150 Opening BINARY mode data connection for pub/release-1.4.tar.gz (3000 bytes).")
	fa.reply("150 Ok to send data.")
	moveData(d, initiator, binaryBody(3000, 12))
	fb.reply("226 Transfer complete.")
	fa.reply("226 Transfer complete.")
	fb.quit()
	fa.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

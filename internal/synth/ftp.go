package synth

import (
	"fmt"
	"strings"
	"time"
)

// ftp is an FTP control connection (RFC 959): the TCP initiator is the FTP
// client.
type ftp struct {
	*conv
	// think is how long the client waits before each command.
	think time.Duration
	// work is how long the server takes to answer, on top of the round trip.
	work time.Duration
	// bsd makes the server answer as the BSD ftpd does instead of vsftpd.
	bsd bool
}

// ftp returns a control connection from client to server on framing fr.
func (t *tape) ftp(fr framing, client, server endpoint) *ftp {
	return &ftp{conv: t.conv(fr, client, server), think: 3 * time.Millisecond, work: 150 * time.Microsecond}
}

// clientSays sends raw bytes from the client, as they are.
func (f *ftp) clientSays(s string) { f.says(initiator, []byte(s)) }

// serverSays sends raw bytes from the server, as they are.
func (f *ftp) serverSays(s string) { f.says(responder, []byte(s)) }

// cmd sends one command line, CRLF-terminated, after the client's think time.
func (f *ftp) cmd(line string) {
	f.t.wait(f.think)
	f.clientSays(line + "\r\n")
}

// reply sends the lines of one reply, each CRLF-terminated, in one write
// after a round trip and the server's work time.
func (f *ftp) reply(lines ...string) {
	f.t.wait(f.rtt + f.work)
	f.serverSays(strings.Join(lines, "\r\n") + "\r\n")
}

// open connects and reads the banner, acknowledged by the client.
func (f *ftp) open(banner ...string) {
	f.handshake()
	f.reply(banner...)
	f.t.wait(40 * time.Microsecond)
	f.ack(initiator)
}

// login plays USER, PASS, SYST and TYPE I with the server's replies.
func (f *ftp) login(user, pass string) {
	if f.bsd {
		f.cmd("USER " + user)
		f.reply("331 Password required for " + user + ".")
		f.cmd("PASS " + pass)
		f.reply("230 User " + user + " logged in.")
		f.cmd("SYST")
		f.reply("215 UNIX Type: L8 Version: BSD-199506")
		f.cmd("TYPE I")
		f.reply("200 Type set to I.")
		return
	}
	f.cmd("USER " + user)
	f.reply("331 Please specify the password.")
	f.cmd("PASS " + pass)
	f.reply("230 Login successful.")
	f.cmd("SYST")
	f.reply("215 UNIX Type: L8")
	f.cmd("TYPE I")
	f.reply("200 Switching to Binary mode.")
}

// start opens the connection with the server's banner and logs in.
func (f *ftp) start(user, pass string) {
	if f.bsd {
		f.open("220 files.example.org FTP server (Version 6.00LS) ready.")
	} else {
		f.open("220 (vsFTPd 3.0.5)")
	}
	f.login(user, pass)
}

// quit plays QUIT and 221, then the server closes the connection first.
func (f *ftp) quit() {
	f.cmd("QUIT")
	f.reply("221 Goodbye.")
	f.close(responder)
}

// data returns a data connection from a to b that shares the control
// connection's framing and round-trip time.
func (f *ftp) data(a, b endpoint) *conv {
	d := f.t.conv(f.fr, a, b)
	d.rtt = f.rtt
	return d
}

// verb returns the command word of a command line, upper-cased.
func verb(command string) string {
	v, _, _ := strings.Cut(command, " ")
	return strings.ToUpper(v)
}

// isUpload reports whether command sends data from client to server.
func isUpload(command string) bool {
	switch verb(command) {
	case "STOR", "STOU", "APPE":
		return true
	}
	return false
}

// replies returns the server's preliminary (150) and completion (226)
// replies for a transfer command moving n bytes.
func (f *ftp) replies(command string, n int) (string, string) {
	_, arg, _ := strings.Cut(command, " ")
	if f.bsd {
		switch verb(command) {
		case "LIST", "NLST":
			return "150 Opening ASCII mode data connection for '/bin/ls'.", "226 Transfer complete."
		case "STOR", "STOU", "APPE":
			return fmt.Sprintf("150 Opening BINARY mode data connection for '%s'.", arg), "226 Transfer complete."
		default:
			return fmt.Sprintf("150 Opening BINARY mode data connection for '%s' (%d bytes).", arg, n),
				"226 Transfer complete."
		}
	}
	switch verb(command) {
	case "LIST", "NLST":
		return "150 Here comes the directory listing.", "226 Directory send OK."
	case "STOR", "STOU", "APPE":
		return "150 Ok to send data.", "226 Transfer complete."
	default:
		return fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", arg, n),
			"226 Transfer complete."
	}
}

// moveData sends body over the established data connection d from the side
// that holds the file and closes it from that side, as servers and clients
// signal the end of a stream-mode transfer (RFC 959 section 3.4.1).
func moveData(d *conv, sender side, body []byte) {
	d.t.wait(200 * time.Microsecond)
	d.says(sender, body)
	d.t.wait(50 * time.Microsecond)
	d.close(sender)
}

// passiveTransfer plays a transfer over passive data connection d (client
// is the initiator): the client connects, sends command, the server answers
// 150, the data moves and 226 follows.
func (f *ftp) passiveTransfer(d *conv, command string, body []byte) {
	f.t.wait(150 * time.Microsecond)
	d.handshake()
	f.cmd(command)
	pre, done := f.replies(command, len(body))
	f.reply(pre)
	sender := responder
	if isUpload(command) {
		sender = initiator
	}
	moveData(d, sender, body)
	f.reply(done)
}

// activeTransfer plays a transfer over active data connection d (server is
// the initiator): the client sends command, the server connects, answers
// 150, the data moves and 226 follows.
func (f *ftp) activeTransfer(d *conv, command string, body []byte) {
	f.cmd(command)
	f.t.wait(f.work)
	d.handshake()
	pre, done := f.replies(command, len(body))
	f.reply(pre)
	sender := initiator
	if isUpload(command) {
		sender = responder
	}
	moveData(d, sender, body)
	f.reply(done)
}

// pasv plays PASV and a 227 announcing a. Port numbers are written as
// RFC 959 section 4.1.2 says: p1,p2 with port = p1*256 + p2.
func (f *ftp) pasv(a endpoint) {
	f.cmd("PASV")
	f.reply(fmt.Sprintf("227 Entering Passive Mode (%s).", hostPort(a)))
}

// port plays PORT announcing a and vsftpd's 200.
func (f *ftp) port(a endpoint) {
	f.cmd("PORT " + hostPort(a))
	f.reply("200 PORT command successful. Consider using PASV.")
}

// hostPort returns the h1,h2,h3,h4,p1,p2 form of an IPv4 endpoint.
func hostPort(a endpoint) string {
	b := a.addr.As4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", b[0], b[1], b[2], b[3], a.port>>8, a.port&0xff)
}

// xorshift is a tiny deterministic generator for payload bytes (Marsaglia's
// xorshift64*), fixed here so that no library change alters the output.
type xorshift uint64

func (x *xorshift) next() uint64 {
	*x ^= *x >> 12
	*x ^= *x << 25
	*x ^= *x >> 27
	return uint64(*x) * 2685821657736338717
}

// randomBytes returns n pseudo-random bytes from seed.
func randomBytes(n int, seed uint64) []byte {
	x := xorshift(seed | 1)
	b := make([]byte, n)
	for i := range b {
		if i%8 == 0 {
			x.next()
		}
		b[i] = byte(uint64(x) >> (8 * (i % 8)))
	}
	return b
}

// binaryBody returns n bytes that look like a gzip-compressed tarball.
func binaryBody(n int, seed uint64) []byte {
	b := randomBytes(n, seed)
	copy(b, []byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03})
	return b
}

// textBody returns n bytes of a plain-text README.
func textBody(n int) []byte {
	var sb strings.Builder
	for i := 1; sb.Len() < n; i++ {
		fmt.Fprintf(&sb, "%04d  This mirror carries release tarballs, checksums and signatures.\n", i)
	}
	return []byte(sb.String()[:n])
}

// listing returns a LIST reply body in the format of ls -l, CRLF-terminated.
func listing(names ...string) []byte {
	var sb strings.Builder
	for i, name := range names {
		fmt.Fprintf(&sb, "-rw-r--r--    1 ftp      ftp      %8d Dec 31 23:%02d %s\r\n", 1024*(i+3), 10+i, name)
	}
	return []byte(sb.String())
}

// tlsRecord returns a TLS record header of content type typ (0x16
// handshake, 0x17 application data) followed by n opaque bytes.
func tlsRecord(typ byte, n int, seed uint64) []byte {
	b := make([]byte, 5, 5+n)
	b[0], b[1], b[2] = typ, 0x03, 0x03
	b[3], b[4] = byte(n>>8), byte(n)
	return append(b, randomBytes(n, seed)...)
}

package synth

import (
	"time"

	"github.com/gopacket/gopacket/layers"
)

// buildMarkupInjection carries text that would run in a browser if a
// report pasted it into HTML as it is: a banner with a script element, a
// user name and file names that close an attribute or a title and open
// an element with an event handler. The passive RETR works; the active
// STOR is blocked, so that a finding quotes its file name too.
func buildMarkupInjection() ([]byte, error) {
	t := newTape()
	f := t.ftp(framing{}, cli().at(51000), srv().at(21))
	f.open(`220 <script>window.__pwned="banner";document.title="pwned"</script> FTP ready`)
	f.login(`"><img src=x onerror="window.__pwned='user'">`, `</title><script>window.__pwned="pass"</script>`)
	f.pasv(srv().at(40020))
	f.passiveTransfer(f.data(cli().at(51002), srv().at(40020)),
		`RETR "><svg onload="window.__pwned='file'">.txt`, textBody(300))
	f.port(cli().at(50020))
	f.cmd(`STOR </title></text></svg><script>window.__pwned="stor"</script>.csv`)
	f.t.wait(f.work)
	f.data(srv().at(20), cli().at(50020)).synUnanswered(time.Second)
	f.t.wait(time.Second)
	f.reply(failedToConnect)
	f.quit()
	return t.pcap(layers.LinkTypeEthernet)
}

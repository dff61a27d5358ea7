package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Scenario is one synthetic capture.
type Scenario struct {
	// Name identifies the scenario; File is named after it.
	Name string
	// File is the capture's file name inside testdata/, with its extension
	// (.pcap, .pcapng or .pcap.gz).
	File string
	// Description says in one line what the capture shows.
	Description string
	// Build returns the capture's bytes, the same on every call.
	Build func() ([]byte, error)
}

// IndexFile is the name of the generated list of scenarios in testdata/.
const IndexFile = "SCENARIOS.md"

// Scenarios returns every scenario, in the order of SCENARIOS.md.
func Scenarios() []Scenario {
	return []Scenario{
		{"passive", "passive.pcap", "PASV/227 (10,0,0,2,156,65), client opens the data connection to 10.0.0.2:40001, RETR of 4 KiB, 226.", buildPassive},
		{"active", "active.pcap", "PORT 10,0,0,1,195,80 then STOR; the server connects from port 20 to 10.0.0.1:50000; 226.", buildActive},
		{"active-nonstandard-port", "active-nonstandard-port.pcap", "Active RETR where the server connects from an ephemeral port (38412), not from port 20.", buildActiveNonstandardPort},
		{"epsv-eprt-ipv6", "epsv-eprt-ipv6.pcap", "IPv6: EPSV/229 (|||40002|) with LIST, then EPRT |2|2001:db8::1|50001| with RETR (server connects from port 20).", buildEpsvEprtIPv6},
		{"lprt-lpsv", "lprt-lpsv.pcap", "BSD ftpd: LPSV/228 (4,4,10,0,0,2,2,156,66) with RETR, then LPRT 4,4,10,0,0,1,2,195,81 with STOR.", buildLprtLpsv},
		{"multiline-replies", "multiline-replies.pcap", "Multi-line 220 banner (with a line starting with other digits), FEAT/211 multi-line, and a multi-line 227 before a RETR.", buildMultilineReplies},
		{"split-227", "split-227.pcap", "The 227 reply arrives in two TCP segments split inside the numbers (\"...156\" | \",68).\"), then RETR.", buildSplit227},
		{"out-of-order", "out-of-order.pcap", "Control segments reordered (FEAT reply halves swapped), PASV retransmitted with the same seq, 227 retransmitted as one segment overlapping both halves.", buildOutOfOrder},
		{"midstream", "midstream.pcap", "Capture starts mid-session: no SYN of the control connection; first packets are PASV and its 227, then a RETR and QUIT.", buildMidstream},
		{"vlan", "vlan.pcap", "Passive session on 802.1Q VLAN 100, then an active session QinQ-tagged (802.1ad S-tag 200 + 802.1Q C-tag 300).", buildVLAN},
		{"sll", "sll.pcap", "Linux cooked capture v1 (link type 113) as tcpdump -i any writes, passive RETR seen on the client.", buildSLL},
		{"sll2", "sll2.pcap", "Linux cooked capture v2 (link type 276) as tcpdump -i any writes, passive RETR seen on the client.", buildSLL2},
		{"pcapng-two-interfaces", "pcapng-two-interfaces.pcapng", "pcapng: control connection on interface 0 (Ethernet), its passive data connection on interface 1 (raw IPv4, link type 101).", buildPcapngTwoInterfaces},
		{"truncated", "truncated.pcap", "A complete passive session followed by a packet record cut short (file ends 20 bytes into a 74-byte SYN).", buildTruncated},
		{"nanosecond", "nanosecond.pcap", "Big-endian pcap with nanosecond timestamps (magic a1b23c4d), passive RETR.", buildNanosecond},
		{"gzip", "gzip.pcap.gz", "The passive capture, gzip-compressed.", buildGzip},
		{"loopback-null", "loopback-null.pcap", "BSD NULL link type (0, as on a utun interface), active session: PORT and RETR.", buildLoopbackNull},
		{"raw-ip", "raw-ip.pcap", "Raw IPv4 link type (101), passive RETR.", buildRawIP},
		{"active-blocked", "active-blocked.pcap", "PORT, then the server's SYN from port 20 is retransmitted 3 times (1 s, 2 s, 4 s apart), never answered; 425.", buildActiveBlocked},
		{"passive-blocked-rst", "passive-blocked-rst.pcap", "PASV, RETR; the client's SYN to the announced port is answered by RST; 425 from the server later.", buildPassiveBlockedRST},
		{"passive-blocked-icmp", "passive-blocked-icmp.pcap", "PASV, RETR; firewall 10.0.0.254 answers the client's SYN with ICMP type 3 code 13 quoting it; 425.", buildPassiveBlockedICMP},
		{"passive-blocked-icmp6", "passive-blocked-icmp6.pcap", "IPv6: EPSV, RETR; firewall 2001:db8::fe answers the client's SYN with ICMPv6 type 1 code 1 quoting it; 425.", buildPassiveBlockedICMP6},
		{"passive-private-nat", "passive-private-nat.pcap", "Server 203.0.113.10:21 announces 192.168.1.10 in its 227; the client's SYNs to 192.168.1.10 are never answered; 425.", buildPassivePrivateNAT},
		{"passive-nat-curl-ok", "passive-nat-curl-ok.pcap", "Server 203.0.113.10:21 announces 192.168.1.10; the client (like curl) connects to 203.0.113.10 at the announced port and RETR works.", buildPassiveNATCurlOK},
		{"active-private-nat", "active-private-nat.pcap", "Captured at the server: client 203.0.113.50 sends PORT 192,168,0,5,...; the server's SYNs to 192.168.0.5 go unanswered; 425.", buildActivePrivateNAT},
		{"address-rewritten", "address-rewritten.pcap", "Captured behind the server's NAT: control server 10.0.0.2 announces public 203.0.113.10 in 227; the data connection arrives (forwarded) and works.", buildAddressRewritten},
		{"ftp-bounce", "ftp-bounce.pcap", "PORT 198,51,100,99,0,25 (third host, SMTP port); the server connects there from port 20 and sends the file.", buildFTPBounce},
		{"control-encrypted", "control-encrypted.pcap", "AUTH TLS / 234, then TLS records both ways, and a TLS data connection on an unannounced high port between the same hosts.", buildControlEncrypted},
		{"data-unannounced", "data-unannounced.pcap", "A normal PASV RETR, then a TCP connection 10.0.0.1:51004 -> 10.0.0.2:40777 that no announcement matches.", buildDataUnannounced},
		{"transfer-failed-426", "transfer-failed-426.pcap", "PASV RETR starts; the server resets the data connection after 4380 bytes; 426 Connection closed; transfer aborted.", buildTransferFailed426},
		{"control-gap", "control-gap.pcap", "The control segments carrying PASV and its 227 are missing from the capture; the data connection and RETR that follow are seen.", buildControlGap},
		{"many-transfers-mixed", "many-transfers-mixed.pcap", "One session with PORT+LIST, PASV+RETR, EPSV+RETR and PORT+STOR (mode mixed).", buildManyTransfersMixed},
		{"hostile", "hostile.pcap", "A 20 KiB command line, an 8 KiB reply line, NUL bytes, a 227 with 300 numbers, PORT with numbers > 255, a reply without code; then a healthy PASV RETR.", buildHostile},
		{"markup-injection", "markup-injection.pcap", "HTML and script in the banner (<script>), the user name and the file names (\"><svg onload=...>) of a passive RETR and an active STOR whose SYN goes unanswered.", buildMarkupInjection},
		{"data-connection-missing", "data-connection-missing.pcap", "PASV, RETR, but no SYN towards the announced 10.0.0.2:40009 is ever seen (dropped before the capture point); 425 after 5 s.", buildDataConnectionMissing},
		{"data-tuple-reused", "data-tuple-reused.pcap", "Two active sessions, one after the other, whose data connections share one four-tuple (10.0.0.2:20 -> 10.0.0.1:50000), the second with higher sequence numbers.", buildDataTupleReused},
		{"control-tuple-reused", "control-tuple-reused.pcap", "Three passive sessions one second apart on the same control four-tuple (10.0.0.1:51000 -> 10.0.0.2:21), each with new initial sequence numbers; the first closes with FIN, the second with the client's RST.", buildControlTupleReused},
		{"ip-fragments", "ip-fragments.pcap", "Passive RETR across a fragmenting path: the 227 reply arrives as three IPv4 fragments, a 1400-byte data segment as three, the last one first.", buildIPFragments},
		{"ip6-fragments", "ip6-fragments.pcap", "IPv6 EPSV RETR with fragment headers: the 229 reply arrives as two fragments, a 1200-byte data segment as three, the middle one first.", buildIP6Fragments},
		{"port-2121", "port-2121.pcap", "Server on port 2121 (analyse with --ports 21,2121), passive RETR.", buildPort2121},
		{"control-blocked", "control-blocked.pcap", "The client's SYN to 10.0.0.2:21 and its two retransmissions (1 s, 2 s later) are never answered.", buildControlBlocked},
		{"control-refused-rst", "control-refused-rst.pcap", "Nothing listens on 10.0.0.2:21: two connection attempts a second apart, each SYN answered by RST.", buildControlRefusedRST},
		{"control-unreachable-icmp", "control-unreachable-icmp.pcap", "Firewall 10.0.0.254 answers the client's SYN to 192.0.2.10:21 with ICMP type 3 code 13 (administratively prohibited).", buildControlUnreachableICMP},
		{"login-failed", "login-failed.pcap", "USER bob, PASS answered 530 Login incorrect. after 1 s, QUIT.", buildLoginFailed},
		{"login-brute-force", "login-brute-force.pcap", "10.0.0.9 makes 12 connections 4 s apart, two wrong passwords each (530), then logs in as test.", buildLoginBruteForce},
		{"transfer-rejected", "transfer-rejected.pcap", "PASV, the client connects, RETR pub/missing.tar.gz answered 550 Failed to open file.; the unused data connection is closed and reset.", buildTransferRejected},
		{"data-path-unseen", "data-path-unseen.pcap", "Captured with 'port 21': a PASV RETR and a PORT LIST both end with 226, and no data connection is in the file.", buildDataPathUnseen},
		{"reply-resync", "reply-resync.pcap", "The segment holding a pipelined SIZE is lost (its 213 arrives before the 227 of the PASV after it), later a 227 is lost; three RETRs.", buildReplyResync},
		{"span-duplicates", "span-duplicates.pcap", "The passive session with every packet copied 3 us later, as a SPAN port of both directions records it.", buildSpanDuplicates},
		{"concatenated", "concatenated.pcap", "The passive session, then the same packets again with the same timestamps (a file concatenated with itself).", buildConcatenated},
		{"content-detected", "content-detected.pcap", "An SMTP server on 2525 greets with 220 and hears EHLO (not FTP); a server on 2121 greets with 220 and hears USER (FTP, found without -p); a later session to it starts mid-connection.", buildContentDetected},
		{"reset-after-transfer", "reset-after-transfer.pcap", "PASV RETR: the server sends the file and its FIN, the client ends with RST, 226; then a data connection with no transfer command, closed by the client and reset by the server.", buildResetAfterTransfer},
		{"payload-only", "payload-only.pcap", "Only the packets with payload (an export of \"ftp || ftp-data\"): PORT LIST, and the listing's one data segment captured just after the 226.", buildPayloadOnly},
		{"port-to-client-21", "port-to-client-21.pcap", "PORT 10,0,0,1,0,21 names the client's port 21 (a bounce probe); the server's SYN from port 20 to it is refused; 425.", buildPortToClient21},
		{"connection-before-announcement", "connection-before-announcement.pcap", "10.0.0.2:33000 -> 10.0.0.1:50040 runs from the start; later PORT names 50040 and the server connects there from port 20 for RETR.", buildConnectionBeforeAnnouncement},
		{"reply-without-command", "reply-without-command.pcap", "The capture starts after RETR was sent: 425 Unable to build data connection arrives with no command in the file.", buildReplyWithoutCommand},
		{"port-scan", "port-scan.pcap", "10.0.0.66 SYN-scans 10.0.0.2 (21 answers and is reset; 22 and 80 answer; others refuse), then sends a PORT to 198.51.100.99:25 that the server refuses.", buildPortScan},
		{"capture-ends-mid-transfer", "capture-ends-mid-transfer.pcap", "PASV RETR of a 4.7 GB file; the capture stops after 6 data segments, before the transfer's final reply.", buildCaptureEndsMidTransfer},
		{"helper-pipelined-port", "helper-pipelined-port.pcap", "TYPE I and PORT in one segment (PORT does not start it, so no FTP helper reads it); the server's SYN back is never answered; 425.", buildHelperPipelinedPort},
		{"helper-nonstandard-port", "helper-nonstandard-port.pcap", "Server on port 2121 (found by its content): PASV, RETR; the client's SYN to the passive port is never answered (a helper watches port 21 only); 425.", buildHelperNonstandardPort},
		{"helper-second-pasv", "helper-second-pasv.pcap", "PASV twice (ports 40011, then 40012), RETR; the client connects to the first port and its SYN is never answered (the helper kept only the second expectation); 425.", buildHelperSecondPasv},
		{"helper-pasv-address", "helper-pasv-address.pcap", "Server 203.0.113.10 announces 192.168.1.10:40021; the client connects to 203.0.113.10:40021 instead and its SYN is never answered (no helper expects it); 425.", buildHelperPasvAddress},
		{"helper-tls", "helper-tls.pcap", "AUTH TLS, then an encrypted PASV and RETR; the client's SYN to 10.0.0.2:40023 is never answered (no helper can read the 227); an encrypted 425.", buildHelperTLS},
		{"helper-forms", "helper-forms.pcap", "Three transfers that work, announced in forms nf_conntrack_ftp refuses: PORT with spaces after the commas, 229 (|1|10.0.0.2|40031|), PORT ended by a bare LF.", buildHelperForms},
		{"control-idle-timeout", "control-idle-timeout.pcap", "Captured at the server: an 8-minute RETR with nothing on the control connection, then the server's 226 is retransmitted 7 times and never acknowledged.", buildControlIdleTimeout},
		{"control-idle-reset", "control-idle-reset.pcap", "Captured at the server: an 8-minute RETR with nothing on the control connection, then its 226 is answered by an RST in the client's name.", buildControlIdleReset},
		{"control-idle-cut", "control-idle-cut.pcap", "Captured at the client: an 8-minute RETR with nothing on the control connection; the 226 never arrives, and the client closes a minute later.", buildControlIdleCut},
		{"passive-port-range", "passive-port-range.pcap", "Six healthy passive sessions from three clients: vsftpd 10.0.0.2 announces ports 40004-40096, ProFTPD 10.0.0.3 answers EPSV with 50012 and 50876.", buildPassivePortRange},
		{"fxp-transfer", "fxp-transfer.pcap", "Server-to-server transfer: the client's PASV to 10.0.0.2 announces 10.0.0.2:40020, its PORT to 10.0.0.3 names it, and 10.0.0.3 sends the file from port 20 straight to 10.0.0.2.", buildFXPTransfer},
	}
}

// Index returns the content of SCENARIOS.md: one line per scenario.
func Index() string {
	var sb strings.Builder
	sb.WriteString("# Synthetic FTP captures\n\n")
	sb.WriteString("Generated by `go run ./internal/synth/cmd/synth -out testdata`; do not edit by hand.\n")
	sb.WriteString("Client 10.0.0.1 (2001:db8::1), server 10.0.0.2:21 (2001:db8::2) unless a line says otherwise.\n\n")
	for _, s := range Scenarios() {
		fmt.Fprintf(&sb, "- `%s` — %s\n", s.File, s.Description)
	}
	return sb.String()
}

// WriteAll builds every scenario and writes it into dir, with SCENARIOS.md.
func WriteAll(dir string) error {
	for _, s := range Scenarios() {
		b, err := s.Build()
		if err != nil {
			return fmt.Errorf("synth: build %s: %w", s.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, s.File), b, 0o644); err != nil {
			return fmt.Errorf("synth: write %s: %w", s.Name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, IndexFile), []byte(Index()), 0o644); err != nil {
		return fmt.Errorf("synth: write index: %w", err)
	}
	return nil
}

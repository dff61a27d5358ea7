package session

import (
	"net/netip"
	"strings"
	"testing"
)

func TestRoundRange(t *testing.T) {
	tests := []struct{ lo, hi, wantLo, wantHi uint16 }{
		{40001, 40001, 40000, 40100},
		{40001, 40015, 40000, 40100},
		{40000, 40100, 40000, 40100},
		{40002, 40047, 40000, 40100},
		{40000, 40099, 40000, 40100},
		{50012, 50876, 50000, 50900},
		{50012, 52876, 50000, 53000},
		{1030, 1090, 1024, 1100},
		{65500, 65535, 65500, 65535},
		{32768, 60999, 32768, 60999},
	}
	for _, tt := range tests {
		if lo, hi := roundRange(tt.lo, tt.hi); lo != tt.wantLo || hi != tt.wantHi {
			t.Errorf("roundRange(%d, %d) = %d, %d; want %d, %d", tt.lo, tt.hi, lo, hi, tt.wantLo, tt.wantHi)
		}
	}
}

func TestServerSetting(t *testing.T) {
	tests := []struct{ banner, want string }{
		{"220 (vsFTPd 3.0.5)", "vsftpd: pasv_min_port=40000 and pasv_max_port=40100 in vsftpd.conf"},
		{"220 ProFTPD Server (Debian) [10.0.0.3]", "ProFTPD: PassivePorts 40000 40100 in proftpd.conf"},
		{"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------", "Pure-FTPd: -p 40000:40100"},
		{"220-FileZilla Server 1.8.0", "FileZilla Server: a custom port range 40000-40100"},
		{"220 Microsoft FTP Service", "IIS: the data channel port range 40000-40100"},
		{"220 files.example.org FTP server (Version 6.00LS) ready.", ""},
	}
	for _, tt := range tests {
		got := serverSetting(tt.banner, 40000, 40100)
		if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
			t.Errorf("serverSetting(%q) = %q, want %q…", tt.banner, got, tt.want)
		}
	}
}

func TestRangeRules(t *testing.T) {
	nft, ipt := rangeRules(netip.MustParseAddrPort("10.0.0.2:21"), 40000, 40100)
	if nft != "nft add rule inet filter input ip daddr 10.0.0.2 tcp dport { 21, 40000-40100 } ct state new accept" ||
		ipt != "iptables -A INPUT -p tcp -d 10.0.0.2 -m multiport --dports 21,40000:40100 -m conntrack --ctstate NEW -j ACCEPT" {
		t.Errorf("rules\n%s\n%s", nft, ipt)
	}
	nft, ipt = rangeRules(netip.MustParseAddrPort("[2001:db8::2]:2121"), 40002, 40002)
	if nft != "nft add rule inet filter input ip6 daddr 2001:db8::2 tcp dport { 2121, 40002 } ct state new accept" ||
		ipt != "ip6tables -A INPUT -p tcp -d 2001:db8::2 -m multiport --dports 2121,40002 -m conntrack --ctstate NEW -j ACCEPT" {
		t.Errorf("rules\n%s\n%s", nft, ipt)
	}
}

// crossSession runs a capture through an Analyzer that keeps its sessions
// and through one that streams them (Config.OnSession), and returns both
// reports, the streamed one with the sessions it handed on.
func crossSession(t *testing.T, name string) (kept, streamed *Report) {
	t.Helper()
	pkts := loadPackets(t, name)
	a := NewAnalyzer(Config{})
	var got []*Session
	b := NewAnalyzer(Config{OnSession: func(s *Session) { got = append(got, s) }})
	for _, p := range pkts {
		a.Packet(p)
		b.Packet(p)
	}
	kept, streamed = a.Finish(nil), b.Finish(nil)
	streamed.Sessions = got
	return kept, streamed
}

func TestPassivePortRange(t *testing.T) {
	kept, streamed := crossSession(t, "passive-port-range.pcap")
	for name, r := range map[string]*Report{"kept": kept, "streamed": streamed} {
		var sums []string
		for _, f := range r.Findings {
			if f.Code != CodePassivePortRange || f.Severity != SeverityInfo {
				t.Errorf("%s: global finding %s %s", name, f.Code, f.Severity)
			}
			sums = append(sums, f.Summary+" "+f.Detail)
		}
		if len(sums) != 2 {
			t.Fatalf("%s: %d passive-port-range findings, want 2", name, len(sums))
		}
		for i, want := range [][]string{
			{"Server 10.0.0.2:21 announced passive ports 40004–40096 (4 distinct ports, 4 announcements in 4 sessions)",
				"(vsftpd: pasv_min_port=40000 and pasv_max_port=40100 in vsftpd.conf)",
				"nft add rule inet filter input ip daddr 10.0.0.2 tcp dport { 21, 40000-40100 } ct state new accept"},
			{"Server 10.0.0.3:21 announced passive ports 50012–50876 (2 distinct ports, 2 announcements in 2 sessions)",
				"(ProFTPD: PassivePorts 50000 50900 in proftpd.conf)",
				"iptables -A INPUT -p tcp -d 10.0.0.3 -m multiport --dports 21,50000:50900 -m conntrack --ctstate NEW -j ACCEPT"},
		} {
			for _, w := range want {
				if !strings.Contains(sums[i], w) {
					t.Errorf("%s: finding %d %q lacks %q", name, i, sums[i], w)
				}
			}
		}
	}
	if len(streamed.Sessions) != 6 {
		t.Errorf("%d sessions streamed, want 6", len(streamed.Sessions))
	}
}

func TestFXPTransfer(t *testing.T) {
	kept, streamed := crossSession(t, "fxp-transfer.pcap")
	for name, r := range map[string]*Report{"kept": kept, "streamed": streamed} {
		if len(r.Sessions) != 2 {
			t.Fatalf("%s: %d sessions", name, len(r.Sessions))
		}
		byServer := map[string]*Session{}
		for _, s := range r.Sessions {
			byServer[s.Server.String()] = s
		}
		pasv, port := byServer["10.0.0.2:21"], byServer["10.0.0.3:21"]
		for _, c := range codes(port) {
			if c == CodeBounce {
				t.Errorf("%s: ftp-bounce on the PORT side of an FXP transfer", name)
			}
		}
		want := map[*Session]string{
			pasv: "Server 10.0.0.2:21 announced 10.0.0.2:40020 to client 10.0.0.1, which gave it to server 10.0.0.3:21 in session 2",
			port: "Client 10.0.0.1 had server 10.0.0.3:21 connect to 10.0.0.2:40020, which server 10.0.0.2:21 announced to the same client in session 1",
		}
		for s, w := range want {
			found := false
			for _, f := range s.DataChannels[0].Findings {
				if f.Code == CodeFXP && strings.HasPrefix(f.Summary, w) {
					found = true
				}
			}
			if !found || s.Verdict != VerdictOK {
				t.Errorf("%s: session %d: verdict %s, findings %v; want fxp-transfer %q", name, s.ID, s.Verdict, s.DataChannels[0].Findings, w)
			}
		}
	}
}

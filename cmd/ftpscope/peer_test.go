package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// peerDir holds real captures from other projects with ground truth; it
// sits beside the repository and is not part of it.
const peerDir = "../../../shared/peer-captures"

type peerTruth struct {
	Capture         string `json:"capture"`
	Ports           string `json:"ports"`
	ControlSessions []struct {
		Client       string `json:"client"`
		Server       string `json:"server"`
		AuthTLS      bool   `json:"auth_tls"`
		DataChannels []struct {
			SetupCommand    string  `json:"setup_command"`
			Announced       *string `json:"announced"`
			TransferCommand *string `json:"transfer_command"`
			Observed        *struct {
				Initiator   string `json:"initiator"`
				Responder   string `json:"responder"`
				Established bool   `json:"established"`
			} `json:"observed"`
		} `json:"data_channels"`
	} `json:"control_sessions"`
}

// unhealthyPeers are the peer captures in which something really goes
// wrong that the truth files do not record (they hold no reply codes):
// each must show the finding codes listed, and may show warnings and
// errors.
var unhealthyPeers = map[string]struct {
	codes    []string
	sessions int // when not 0, the number of sessions reported
	why      string
}{
	"ppa-ftp-crack.pcap": {[]string{"login-brute-force", "login-failed"}, 714,
		"1,415 failed logins (530) from one client; the file holds its packets twice, so 714 connections, not 1,428"},
	"ppa-ftpclientdenied.pcap":                         {[]string{"control-blocked"}, 1, "three SYNs to port 21, never answered"},
	"zeek-ftp-password-pass-command.pcap":              {[]string{"login-failed"}, 1, "PASS answered 530 Login incorrect"},
	"suricata-verify-ftp-retr-bypass-realserver.pcap":  {[]string{"transfer-rejected"}, 1, "RETR without PORT/PASV: 425 Use PORT or PASV first"},
	"suricata-verify-ftp-passive-dynamic-port-02.pcap": {[]string{"transfer-rejected"}, 1, "RETR answered 550 Failed to open file"},
	"suricata-verify-ftp-too-long-command.pcap":        {[]string{"transfer-rejected"}, 1, "RETR answered 550 Failed to open file"},
	"suricata-verify-ftp-too-long-command-first.pcap":  {[]string{"transfer-rejected"}, 1, "RETR answered 550 Failed to open file"},
}

// healthy says whether every transfer in the truth had a working data
// connection on a cleartext control connection, and nothing else went
// wrong: nothing to warn about.
func (t peerTruth) healthy() bool {
	if _, ok := unhealthyPeers[t.Capture]; ok {
		return false
	}
	for _, s := range t.ControlSessions {
		if s.AuthTLS {
			return false
		}
		for _, d := range s.DataChannels {
			if d.TransferCommand != nil && (d.Observed == nil || !d.Observed.Established) {
				return false
			}
		}
	}
	return true
}

// TestPeerCaptures runs ftpscope on the peer captures: every truth
// session and data channel must be reported with the truth's data
// connection, and healthy captures must produce no warning or error.
// ../shared/conformance/check makes the full comparison in CI.
func TestPeerCaptures(t *testing.T) {
	truths, _ := filepath.Glob(filepath.Join(peerDir, "truth", "*.json"))
	if len(truths) == 0 {
		t.Skipf("no peer captures in %s (the shared folder is not beside the repository)", peerDir)
	}
	healthy := 0
	for _, tf := range truths {
		b, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		var truth peerTruth
		if err := json.Unmarshal(b, &truth); err != nil {
			t.Fatalf("%s: %v", tf, err)
		}
		t.Run(truth.Capture, func(t *testing.T) {
			// Without --ports even where the truth names another control
			// port (GridFTP on 2811): FTP is recognised by its content.
			args := []string{"-r", filepath.Join(peerDir, "pcaps", truth.Capture), "-o", "json", "-q"}
			code, out, stderr := ftpscope(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r struct {
				Sessions []struct {
					Client, Server string
					Verdict        string
					DetectedBy     string `json:"detected_by"`
					DataChannels   []struct {
						SetupCommand string  `json:"setup_command"`
						Announced    *string `json:"announced"`
						Observed     *struct {
							Initiator, Responder string
							Established          bool
						} `json:"observed"`
					} `json:"data_channels"`
				} `json:"sessions"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			type key struct{ client, server string }
			got := map[key]int{}
			for i, s := range r.Sessions {
				got[key{s.Client, s.Server}] = i
			}
			for _, ts := range truth.ControlSessions {
				i, ok := got[key{ts.Client, ts.Server}]
				if !ok {
					t.Errorf("session %s → %s not reported", ts.Client, ts.Server)
					continue
				}
				s := r.Sessions[i]
				if want := "port"; !strings.HasSuffix(ts.Server, ":21") && s.DetectedBy != "content" || strings.HasSuffix(ts.Server, ":21") && s.DetectedBy != want {
					t.Errorf("session %s → %s: detected_by %q", ts.Client, ts.Server, s.DetectedBy)
				}
				if len(s.DataChannels) != len(ts.DataChannels) {
					t.Errorf("session %s: %d data channels, want %d", ts.Client, len(s.DataChannels), len(ts.DataChannels))
					continue
				}
				for j, td := range ts.DataChannels {
					d := s.DataChannels[j]
					if d.SetupCommand != td.SetupCommand || !sameEndpoint(d.Announced, td.Announced) {
						t.Errorf("channel %d: %s %v, want %s %v", j+1, d.SetupCommand, str(d.Announced), td.SetupCommand, str(td.Announced))
					}
					switch {
					case td.Observed == nil && d.Observed != nil:
						t.Errorf("channel %d: observed %+v, want none", j+1, *d.Observed)
					case td.Observed != nil && d.Observed == nil:
						t.Errorf("channel %d: no connection, want %s → %s", j+1, td.Observed.Initiator, td.Observed.Responder)
					case td.Observed != nil:
						if d.Observed.Initiator != td.Observed.Initiator || d.Observed.Responder != td.Observed.Responder || d.Observed.Established != td.Observed.Established {
							t.Errorf("channel %d: %+v, want %+v", j+1, *d.Observed, *td.Observed)
						}
					}
				}
			}
			found := codes(decodeReport(t, out))
			if u, ok := unhealthyPeers[truth.Capture]; ok {
				for _, c := range u.codes {
					if _, ok := found[c]; !ok {
						t.Errorf("%s: finding %s missing (%s)", truth.Capture, c, u.why)
					}
				}
				if u.sessions != 0 && len(r.Sessions) != u.sessions {
					t.Errorf("%d sessions, want %d (%s)", len(r.Sessions), u.sessions, u.why)
				}
			}
			if truth.healthy() {
				healthy++
				for code, sev := range found {
					if sev != "info" {
						t.Errorf("healthy capture has %s finding %s", sev, code)
					}
				}
				for _, s := range r.Sessions {
					if s.Verdict != "ok" {
						t.Errorf("healthy capture: session %s → %s has verdict %q", s.Client, s.Server, s.Verdict)
					}
				}
			}
		})
	}
	if healthy == 0 {
		t.Errorf("no healthy peer capture was checked")
	}
}

func str(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func sameEndpoint(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return strings.EqualFold(*a, *b)
}

package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/html"

	"github.com/ftpscope/ftpscope/session"
)

// writeHTML renders r with default options.
func writeHTML(t testing.TB, r *session.Report, o HTMLOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGoldenHTML(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			golden(t, fx.name+".html", writeHTML(t, fx.r(), HTMLOptions{}))
		})
	}
}

func TestWriteHTMLNil(t *testing.T) {
	if err := WriteHTML(io.Discard, nil, HTMLOptions{}); !errors.Is(err, errNilReport) {
		t.Errorf("WriteHTML(nil) = %v, want %v", err, errNilReport)
	}
}

func TestWriteHTMLDoesNotModify(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.r()
			writeHTML(t, r, HTMLOptions{})
			opts := cmp.Options{
				cmp.Comparer(func(a, b session.Time) bool { return a.Equal(b.Time) }),
				cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}),
				cmpopts.IgnoreUnexported(session.Report{}, session.Session{}, session.Finding{}, session.FXPLink{}),
			}
			if diff := cmp.Diff(fx.r(), r, opts); diff != "" {
				t.Errorf("WriteHTML modified the report (-before +after):\n%s", diff)
			}
		})
	}
}

// The elements and attributes the page is made of: anything else on a
// page came from a capture.
var (
	htmlElements = set("html", "head", "meta", "title", "style", "body", "header", "section", "article", "h1", "h2",
		"h3", "p", "b", "code", "pre", "span", "div", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
		"details", "summary", "figure", "svg", "g", "line", "path", "circle", "text")
	htmlAttributes = set("lang", "charset", "http-equiv", "content", "name", "class", "id", "open", "xmlns",
		"viewbox", "width", "height", "role", "aria-label", "x", "y", "dx", "x1", "y1", "x2", "y2", "cx", "cy", "r",
		"d", "text-anchor", "data-verdict", "data-session", "data-code", "data-channel", "data-state", "data-kind",
		"data-pkt")
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkStructure parses a page as a browser's tokenizer does and fails on
// any element or attribute the page does not write itself, on a script,
// and on a style sheet the Content-Security-Policy does not allow.
func checkStructure(t *testing.T, page []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(page))
	var policy, style string
	inStyle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			if want := "style-src 'sha256-" + sha256Base64(style) + "'"; !strings.Contains(policy, want) {
				t.Errorf("the Content-Security-Policy %q does not allow the page's style sheet (%s)", policy, want)
			}
			if !strings.Contains(policy, "default-src 'none'") {
				t.Errorf("the Content-Security-Policy %q does not forbid everything else", policy)
			}
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !htmlElements[tok.Data] {
				t.Errorf("element <%s> on the page", tok.Data)
			}
			for _, a := range tok.Attr {
				if !htmlAttributes[a.Key] {
					t.Errorf("attribute %s=%q on <%s>", a.Key, a.Val, tok.Data)
				}
				if a.Key == "content" && tok.Data == "meta" && strings.Contains(a.Val, "default-src") {
					policy = a.Val
				}
			}
			inStyle = tok.Data == "style"
			if inStyle && style != "" {
				t.Errorf("a second <style>")
			}
		case html.TextToken:
			if inStyle {
				style = string(z.Text())
			}
		case html.EndTagToken:
			inStyle = false
		}
	}
}

func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestHTMLEscapes feeds markup and terminal escapes from a capture's text
// through every place the page shows it: nothing becomes an element or an
// attribute, and the text is there to read.
func TestHTMLEscapes(t *testing.T) {
	markup := []string{
		`<script>window.__pwned=1</script>`,
		`"><svg onload="window.__pwned=2">`,
		`'><img src=x onerror=alert(3)>`,
		`</title><script>alert(4)</script>`,
		`</text></svg><iframe src="javascript:alert(5)">`,
	}
	r := hostile()
	s := r.Sessions[0]
	all := strings.Join(markup, " ")
	s.User = ptr(all)
	s.Source = all
	r.Sources[0].Name = all
	r.Sources[0].Errors = append(r.Sources[0].Errors, all)
	s.Ladder = append(s.Ladder, ctl(10, 40, session.RoleServer, "220 "+all), ctl(11, 41, session.RoleClient, "RETR "+all))
	dc := s.DataChannels[0]
	dc.Argument, dc.TransferCommand, dc.SetupCommand = ptr(all), ptr(all), all
	dc.Findings[0].Summary, dc.Findings[0].Detail = all, all
	dc.Findings[0].Evidence[0].What = all
	dc.Findings[0].Code = session.Code(all)
	dc.Findings[0].Severity = session.Severity(all)
	dc.Observed.ICMPWhat = all
	dc.Observed.State = session.ConnState(all)
	r.Findings[0].Summary = all
	page := writeHTML(t, r, HTMLOptions{})
	checkStructure(t, page)
	for _, bad := range []string{"<script", "<img", "<iframe", "<svg onload"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if !bytes.Contains(page, []byte("&lt;script&gt;window.__pwned=1&lt;/script&gt;")) {
		t.Errorf("the banner's script is not on the page as text")
	}
	if bytes.ContainsAny(page, "\x1b\x07\x00\u202e") {
		t.Errorf("control or bidi characters reached the page")
	}
	// The page drawn from every fixture is made of its own elements only.
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) { checkStructure(t, writeHTML(t, fx.r(), HTMLOptions{})) })
	}
}

// manySessions is a report of n sessions, every failedEvery-th of which
// failed (none when 0): copies of the passive_ok and active_blocked
// fixtures, numbered in order.
func manySessions(n, failedEvery int) *session.Report {
	ok, failed := passiveOK(), activeBlocked()
	r := &session.Report{Version: 1, Sources: ok.Sources, Findings: []session.Finding{}}
	for i := 1; i <= n; i++ {
		src := ok.Sessions[0]
		if failedEvery > 0 && i%failedEvery == 0 {
			src = failed.Sessions[0]
		}
		s := *src
		s.ID = i
		s.Client = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 64, byte(i >> 8), byte(i)}), 51000)
		r.Sessions = append(r.Sessions, &s)
	}
	r.Stats = session.Stats{FTPSessions: n, DataChannels: 2 * n}
	return r
}

var (
	cardRE   = regexp.MustCompile(`<article class="session v-(\w+)" id="s(\d+)"`)
	listedRE = regexp.MustCompile(`<tr id="s(\d+)" class="v-(\w+)">`)
)

// TestHTMLManySessions checks that the sessions with problems come
// first, that past MaxDiagrams sessions are listed one line each, and
// that the healthy ones are folded.
func TestHTMLManySessions(t *testing.T) {
	tests := []struct {
		name               string
		n, failedEvery     int
		max                int
		cards, listed      int
		firstCard          string // id of the first session drawn
		healthyOpen        bool
		problemListingOpen bool
	}{
		{"few, all healthy: unfolded", 3, 0, 0, 3, 0, "1", true, false},
		{"problems first", 30, 10, 0, 30, 0, "10", false, false},
		{"past the budget", 300, 100, 20, 20, 280, "100", false, false},
		{"every session drawn", 300, 100, -1, 300, 0, "100", false, false},
		{"many problems listed open", 400, 1, 10, 10, 390, "1", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := string(writeHTML(t, manySessions(tt.n, tt.failedEvery), HTMLOptions{MaxDiagrams: tt.max}))
			cards := cardRE.FindAllStringSubmatch(page, -1)
			listed := listedRE.FindAllStringSubmatch(page, -1)
			if len(cards) != tt.cards || len(listed) != tt.listed {
				t.Fatalf("%d sessions drawn and %d listed, want %d and %d", len(cards), len(listed), tt.cards, tt.listed)
			}
			if cards[0][2] != tt.firstCard {
				t.Errorf("session %s drawn first, want %s", cards[0][2], tt.firstCard)
			}
			// Failed sessions come before healthy ones, in both parts.
			for _, part := range [][][]string{cards, listed} {
				seenOK := false
				for _, m := range part {
					v := m[1]
					if part[0][0][1] == 't' { // a listed row: the verdict is the second group
						v = m[2]
					}
					if v == "ok" {
						seenOK = true
					} else if seenOK {
						t.Fatalf("session %v (%s) comes after a healthy one", m[0], v)
						break
					}
				}
			}
			if got := strings.Contains(page, `<details open><summary><h2>Healthy`); got != tt.healthyOpen {
				t.Errorf("healthy sessions unfolded: %v, want %v", got, tt.healthyOpen)
			}
			if got := strings.Contains(page, `<details class="listed" open>`); got != tt.problemListingOpen {
				t.Errorf("problem listing unfolded: %v, want %v", got, tt.problemListingOpen)
			}
			checkStructure(t, []byte(page))
		})
	}
}

// TestHTMLPassiveRanges checks the ranges and rules derived from the
// passive announcements, and that a passive-port-range finding of the
// report takes their place.
func TestHTMLPassiveRanges(t *testing.T) {
	for _, tt := range []struct {
		server         string
		lo, hi         uint16
		ports, nft, ip string
	}{
		{"10.0.0.2", 40001, 40015, "40001-40015",
			"nft add rule inet filter input ip daddr 10.0.0.2 tcp dport 40001-40015 ct state new accept",
			"iptables -A INPUT -p tcp -d 10.0.0.2 --dport 40001:40015 -m conntrack --ctstate NEW -j ACCEPT"},
		{"2001:db8::2", 40002, 40002, "40002",
			"nft add rule inet filter input ip6 daddr 2001:db8::2 tcp dport 40002 ct state new accept",
			"ip6tables -A INPUT -p tcp -d 2001:db8::2 --dport 40002 -m conntrack --ctstate NEW -j ACCEPT"},
	} {
		ports, nft, ipt := firewallRules(netip.MustParseAddr(tt.server), tt.lo, tt.hi)
		if ports != tt.ports || nft != tt.nft || ipt != tt.ip {
			t.Errorf("firewallRules(%s, %d, %d) =\n%q\n%q\n%q\nwant\n%q\n%q\n%q", tt.server, tt.lo, tt.hi, ports, nft, ipt, tt.ports, tt.nft, tt.ip)
		}
	}

	// Two sessions to one server: ports 40001, 40002 and 40010.
	r := manySessions(2, 0)
	r.Sessions[1].DataChannels = append([]*session.DataChannel{}, r.Sessions[1].DataChannels...)
	third := *r.Sessions[1].DataChannels[1]
	third.ID, third.Announced = 3, app("192.168.1.10:40010")
	r.Sessions[1].DataChannels = append(r.Sessions[1].DataChannels, &third)
	page := string(writeHTML(t, r, HTMLOptions{}))
	for _, want := range []string{
		"ports <b class=\"mono\">40001-40010</b> (3 ports announced, in 2 sessions); the announcements named 192.168.1.10",
		"tcp dport 40001-40010 ct state new accept",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}

	r.Findings = append(r.Findings, session.Finding{
		Code: codePassivePortRange, Severity: session.SeverityInfo,
		Summary: "Server 10.0.0.2 announced passive ports 40001-40010.", Detail: "nft add rule …",
	})
	page = string(writeHTML(t, r, HTMLOptions{}))
	if !strings.Contains(page, "Server 10.0.0.2 announced passive ports 40001-40010.") || strings.Contains(page, "tcp dport 40001-40010 ct state") {
		t.Errorf("the page does not show the passive-port-range finding instead of its own ranges")
	}
	if strings.Contains(page, "Findings about no single session") {
		t.Errorf("the passive-port-range finding is shown twice")
	}
}

// BenchmarkWriteHTML renders 20,000 sessions (one in fifty failed) as
// -o html does, and reports the size of the page.
func BenchmarkWriteHTML(b *testing.B) {
	r := manySessions(20000, 50)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r, HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "page-bytes")
	b.ReportMetric(float64(size)/20000, "bytes/session")
}

package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/session"
)

// The browser tests open generated pages in headless Chromium, read their
// DOM and computed styles back, and keep a screenshot of each session as
// an artefact: in $FTPSCOPE_ARTEFACTS, else in a folder of the system's
// temporary directory, and with -update in ../docs, where the README shows
// them. They skip, saying why, where no Chromium can be started.

// chromiumCandidates are the names a Chromium goes by; $FTPSCOPE_CHROMIUM
// comes first.
var chromiumCandidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"}

// findChromium returns the path of a Chromium to run, or "".
func findChromium() string {
	names := chromiumCandidates
	if env := os.Getenv("FTPSCOPE_CHROMIUM"); env != "" {
		names = append([]string{env}, names...)
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// tab is a headless Chromium's one tab, shared by the subtests, with the
// URLs every page it loaded asked for.
type tab struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
}

// startBrowser starts headless Chromium, or skips the test.
func startBrowser(t *testing.T) *tab {
	t.Helper()
	exe := findChromium()
	if exe == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set FTPSCOPE_CHROMIUM): the browser tests need one")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // root in CI and containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	)
	// The deadline is the allocator's: the browser lives as long as the
	// context of the first Run, so it must not be a shorter one.
	base, cancelBase := context.WithTimeout(context.Background(), 4*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	tb := &tab{}
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			tb.mu.Lock()
			tb.requests = append(tb.requests, e.Request.URL)
			tb.mu.Unlock()
		}
	}))
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancelBase() })
	tb.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Skipf("headless Chromium (%s) did not start: %v", exe, err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("Network.enable: %v", err)
	}
	return tb
}

// domPage is what a page looks like to the browser, read back by inspectJS.
type domPage struct {
	Title string `json:"title"`
	// Foreign counts elements and attributes the page never writes:
	// scripts, images, frames, event handlers, SVGs that are not diagrams.
	Foreign  int    `json:"foreign"`
	Pwned    any    `json:"pwned"`
	Text     string `json:"text"`
	Verdicts []struct {
		Verdict string `json:"verdict"`
		Count   string `json:"count"`
	} `json:"verdicts"`
	Sessions []domSession `json:"sessions"`
}

// domSession is one drawn session.
type domSession struct {
	ID        string    `json:"id"`
	Verdict   string    `json:"verdict"`
	Visible   bool      `json:"visible"`
	Lifelines []float64 `json:"lifelines"` // x of each lifeline
	Ends      []string  `json:"ends"`      // text of the lifeline heads
	Rows      []domRow  `json:"rows"`
}

// domRow is one row of a diagram.
type domRow struct {
	Kind    string   `json:"kind"`
	Channel string   `json:"channel"`
	State   string   `json:"state"`
	Pkt     string   `json:"pkt"`
	Label   string   `json:"label"`
	Ports   []string `json:"ports"`
	Stroke  string   `json:"stroke"` // computed stroke colour of its line
	X1      float64  `json:"x1"`
	X2      float64  `json:"x2"`
	Head    bool     `json:"head"`
	Cross   bool     `json:"cross"`
	Width   float64  `json:"width"` // rendered width of its line
}

// inspectJS reads a page back as a domPage.
const inspectJS = `(() => {
	const num = (el, a) => el ? +el.getAttribute(a) : 0;
	return {
		title: document.title,
		foreign: document.querySelectorAll('script, img, iframe, object, embed, link, meta[http-equiv=refresh], [onload], [onerror], [onclick], svg:not(.seq)').length,
		pwned: window.__pwned === undefined ? null : window.__pwned,
		text: document.body.textContent,
		verdicts: [...document.querySelectorAll('.verdicts .count')].map(e => ({verdict: e.dataset.verdict, count: e.querySelector('b').textContent})),
		sessions: [...document.querySelectorAll('article.session')].map(a => {
			const svg = a.querySelector('svg.seq');
			const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
			return {
				id: a.dataset.session, verdict: a.dataset.verdict, visible: box.width > 0 && box.height > 0,
				lifelines: svg ? [...svg.querySelectorAll('line.lifeline')].map(l => num(l, 'x1')) : [],
				ends: svg ? [...svg.querySelectorAll('g.end')].map(g => g.textContent) : [],
				rows: svg ? [...svg.querySelectorAll('g[data-kind]')].map(g => {
					const line = g.querySelector('line');
					const label = g.querySelector('text.label');
					return {
						kind: g.dataset.kind, channel: g.dataset.channel || '', state: g.dataset.state || '', pkt: g.dataset.pkt || '',
						label: label ? label.textContent : '', ports: [...g.querySelectorAll('text.port')].map(p => p.textContent),
						stroke: line ? getComputedStyle(line).stroke : '', x1: num(line, 'x1'), x2: num(line, 'x2'),
						head: !!g.querySelector('.head'), cross: !!g.querySelector('.cross'),
						width: line ? line.getBoundingClientRect().width : 0,
					};
				}) : [],
			};
		}),
	};
})()`

// Computed colours of the connection states (the style sheet's).
var stateColors = map[string]string{
	"established": "rgb(26, 127, 55)",
	"unanswered":  "rgb(207, 34, 46)",
	"refused":     "rgb(188, 76, 0)",
	"unreachable": "rgb(130, 80, 223)",
	"reset":       "rgb(149, 56, 0)",
	"missing":     "rgb(110, 119, 129)",
}

// open loads a page from a file and reads it back, checking on the way
// that it asked for nothing but itself.
func (tb *tab) open(t *testing.T, path string) domPage {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + abs
	tb.mu.Lock()
	tb.requests = nil
	tb.mu.Unlock()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	p, err := chromedp.Run(tb.ctx, chromedp.Evaluate[domPage](inspectJS))
	if err != nil {
		t.Fatalf("read %s back: %v", path, err)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, r := range tb.requests {
		if r != url {
			t.Errorf("the page asked for %s: a self-contained page asks for nothing", r)
		}
	}
	return p
}

// screenshot keeps a PNG of the first drawn session of the page loaded
// last, as an artefact and, with -update, in ../docs.
func (tb *tab) screenshot(t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.Screenshot(chromedp.CSS("article.session"), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG")
	}
	dir := os.Getenv("FTPSCOPE_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ftpscope-browser-artefacts")
	}
	dirs := []string{dir}
	if *update {
		dirs = append(dirs, filepath.Join("..", "docs"))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(png))
	}
}

// analyseCapture runs a capture of ../testdata through the analysis, with
// the ladder events the diagrams draw.
func analyseCapture(t *testing.T, name string) *session.Report {
	t.Helper()
	src, err := capture.OpenFiles([]string{filepath.Join("..", "testdata", name)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := pipeline.Run(context.Background(), src, pipeline.Options{Session: session.Config{Ladder: true}})
	if err != nil {
		t.Fatal(err)
	}
	// Named as from the top of the repository, as the README runs them.
	r := res.Report
	for i := range r.Sources {
		r.Sources[i].Name = strings.TrimPrefix(r.Sources[i].Name, "../")
	}
	for _, s := range r.Sessions {
		s.Source = strings.TrimPrefix(s.Source, "../")
	}
	return r
}

// writePage writes the HTML page of r into dir and returns its path.
func writePage(t *testing.T, dir, name string, r *session.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dataRows returns the rows of a kind of one data channel.
func dataRows(s domSession, kind, channel string) []domRow {
	var out []domRow
	for _, r := range s.Rows {
		if r.Kind == kind && r.Channel == channel {
			out = append(out, r)
		}
	}
	return out
}

// checkDiagram checks what every drawn session must show: two lifelines
// headed with the client's and the server's address and control port,
// every arrow visible and numbered with its packet, and each data row in
// its state's colour.
func checkDiagram(t *testing.T, s domSession, client, server string) {
	t.Helper()
	if !s.Visible {
		t.Errorf("session %s: the diagram is not visible", s.ID)
	}
	if len(s.Lifelines) != 2 || s.Lifelines[0] >= s.Lifelines[1] {
		t.Fatalf("session %s: lifelines at %v, want the client's left of the server's", s.ID, s.Lifelines)
	}
	if len(s.Ends) != 2 || !strings.Contains(s.Ends[0], "CLIENT") || !strings.Contains(s.Ends[1], "SERVER") {
		t.Errorf("session %s: lifeline heads %q", s.ID, s.Ends)
	}
	for i, want := range []string{client, server} {
		host, port, _ := strings.Cut(want, "|")
		if i < len(s.Ends) && (!strings.Contains(s.Ends[i], host) || !strings.Contains(s.Ends[i], "port "+port)) {
			t.Errorf("session %s: head %q does not name %s port %s", s.ID, s.Ends[i], host, port)
		}
	}
	for _, r := range s.Rows {
		switch r.Kind {
		case "note", "gap":
			continue
		case "rst":
			if r.State == "reset" {
				continue // a note with a cross: reset after it was established
			}
		}
		if r.Width <= 0 {
			t.Errorf("session %s: %s row %q has no visible line", s.ID, r.Kind, r.Label)
		}
		if r.Pkt == "" && r.Kind != "missing" {
			t.Errorf("session %s: %s arrow %q has no packet number", s.ID, r.Kind, r.Label)
		}
		if r.State != "" {
			if want := stateColors[r.State]; r.Stroke != want {
				t.Errorf("session %s: %s row of channel %s (%s) is drawn in %s, want %s", s.ID, r.Kind, r.Channel, r.State, r.Stroke, want)
			}
		}
	}
}

// checkSYN checks the SYN arrow of a data channel: one, from the side
// that opened the connection, labelled with both ports, in the colour of
// its state, reaching the far lifeline only when it was answered.
func checkSYN(t *testing.T, s domSession, channel string, fromClient bool, ports []string, state string) domRow {
	t.Helper()
	syns := dataRows(s, "syn", channel)
	if len(syns) != 1 {
		t.Fatalf("session %s: %d SYN arrows for data channel %s, want 1", s.ID, len(syns), channel)
	}
	r := syns[0]
	cx, sx := s.Lifelines[0], s.Lifelines[1]
	from, far := sx, cx
	if fromClient {
		from, far = cx, sx
	}
	if r.X1 != from {
		t.Errorf("channel %s: the SYN starts at x=%v, want the %s lifeline at %v", channel, r.X1, map[bool]string{true: "client", false: "server"}[fromClient], from)
	}
	reaches := abs(int(r.X2-far)) <= dgHead+1
	if answered := state != "unanswered" && state != "unreachable"; reaches != answered || r.Head != answered || r.Cross == answered {
		t.Errorf("channel %s (%s): the SYN ends at x=%v (far lifeline %v), head %v, cross %v", channel, state, r.X2, far, r.Head, r.Cross)
	}
	if r.State != state || r.Stroke != stateColors[state] {
		t.Errorf("channel %s: state %q in %s, want %q in %s", channel, r.State, r.Stroke, state, stateColors[state])
	}
	if !slices.Equal(r.Ports, ports) {
		t.Errorf("channel %s: ports %q, want %q", channel, r.Ports, ports)
	}
	if !strings.HasPrefix(r.Label, "data "+channel+" · SYN") {
		t.Errorf("channel %s: label %q", channel, r.Label)
	}
	return r
}

// hasLabel reports whether a row of s reads label.
func hasLabel(s domSession, kind, label string) bool {
	return slices.ContainsFunc(s.Rows, func(r domRow) bool { return r.Kind == kind && r.Label == label })
}

func TestHTMLInBrowser(t *testing.T) {
	tb := startBrowser(t)
	dir := t.TempDir()

	t.Run("active", func(t *testing.T) {
		p := tb.open(t, writePage(t, dir, "active", analyseCapture(t, "active.pcap")))
		if len(p.Sessions) != 1 {
			t.Fatalf("%d sessions drawn, want 1", len(p.Sessions))
		}
		s := p.Sessions[0]
		checkDiagram(t, s, "10.0.0.1|51000", "10.0.0.2|21")
		if s.Verdict != "ok" {
			t.Errorf("verdict %q, want ok", s.Verdict)
		}
		// The server opens the data connection from port 20 to the port
		// of the client's PORT.
		checkSYN(t, s, "1", false, []string{":50000", ":20"}, "established")
		for _, l := range []string{"PORT 10,0,0,1,195,80", "PASS ***", "226 Transfer complete."} {
			if !hasLabel(s, "control", l) {
				t.Errorf("no control arrow reads %q", l)
			}
		}
		if strings.Contains(p.Text, "Secr3t!") {
			t.Errorf("the password is on the page")
		}
		tb.screenshot(t, "html-active")
	})

	t.Run("passive", func(t *testing.T) {
		p := tb.open(t, writePage(t, dir, "passive", analyseCapture(t, "passive.pcap")))
		s := p.Sessions[0]
		checkDiagram(t, s, "10.0.0.1|51000", "10.0.0.2|21")
		checkSYN(t, s, "1", true, []string{":51002", ":40001"}, "established")
		if acks := dataRows(s, "syn-ack", "1"); len(acks) != 1 || acks[0].X1 != s.Lifelines[1] {
			t.Errorf("SYN-ACK rows %+v, want one from the server", acks)
		}
		if !hasLabel(s, "control", "227 Entering Passive Mode (10,0,0,2,156,65).") {
			t.Errorf("no arrow for the 227")
		}
		if !strings.Contains(p.Text, "nft add rule inet filter input ip daddr 10.0.0.2 tcp dport { 21, 40000-40100 } ct state new accept") {
			t.Errorf("the summary suggests no nftables rule for the passive port")
		}
		tb.screenshot(t, "html-passive")
	})

	t.Run("active-blocked", func(t *testing.T) {
		p := tb.open(t, writePage(t, dir, "active-blocked", analyseCapture(t, "active-blocked.pcap")))
		s := p.Sessions[0]
		checkDiagram(t, s, "10.0.0.1|51000", "10.0.0.2|21")
		if s.Verdict != "failed" {
			t.Errorf("verdict %q, want failed", s.Verdict)
		}
		syn := checkSYN(t, s, "1", false, []string{":50002", ":20"}, "unanswered")
		if !strings.Contains(syn.Label, "×4") || syn.Pkt != "17" {
			t.Errorf("SYN %q in packet %s, want 4 attempts from packet 17", syn.Label, syn.Pkt)
		}
		counts := map[string]string{}
		for _, v := range p.Verdicts {
			counts[v.Verdict] = v.Count
		}
		if counts["failed"] != "1" || counts["ok"] != "0" {
			t.Errorf("verdict counts %v, want 1 failed", counts)
		}
		if !strings.Contains(p.Text, "active-blocked") {
			t.Errorf("the finding code is not on the page")
		}
		tb.screenshot(t, "html-active-blocked")
	})

	t.Run("ipv6", func(t *testing.T) {
		p := tb.open(t, writePage(t, dir, "epsv-eprt-ipv6", analyseCapture(t, "epsv-eprt-ipv6.pcap")))
		s := p.Sessions[0]
		checkDiagram(t, s, "2001:db8::1|51000", "2001:db8::2|21")
		checkSYN(t, s, "1", true, []string{":51002", ":40002"}, "established")
		checkSYN(t, s, "2", false, []string{":50001", ":20"}, "established")
		if !hasLabel(s, "control", "EPRT |2|2001:db8::1|50001|") {
			t.Errorf("no arrow for the EPRT")
		}
		if !strings.Contains(p.Text, "nft add rule inet filter input ip6 daddr 2001:db8::2 tcp dport { 21, 40000-40100 }") {
			t.Errorf("no IPv6 rule for the passive port")
		}
		tb.screenshot(t, "html-ipv6")
	})

	// Every fate of a data connection, each in its colour.
	t.Run("outcomes", func(t *testing.T) {
		p := tb.open(t, writePage(t, dir, "outcomes", outcomes()))
		s := p.Sessions[0]
		checkDiagram(t, s, "10.1.0.1|52000", "198.51.100.7|21")
		checkSYN(t, s, "1", true, []string{":53000", ":40010"}, "refused")
		if rst := dataRows(s, "rst", "1"); len(rst) != 1 || !rst[0].Cross || rst[0].X1 != s.Lifelines[1] {
			t.Errorf("refused: RST rows %+v, want one from the server marked with a cross", rst)
		}
		checkSYN(t, s, "2", true, []string{":53001", ":40011"}, "unreachable")
		if icmp := dataRows(s, "icmp", "2"); len(icmp) != 1 || icmp[0].X2 > s.Lifelines[0]+dgHead+1 {
			t.Errorf("unreachable: ICMP rows %+v, want one back to the client", icmp)
		}
		checkSYN(t, s, "3", true, []string{":53002", ":40012"}, "reset")
		if missing := dataRows(s, "missing", "4"); len(missing) != 1 || missing[0].Stroke != stateColors["missing"] {
			t.Errorf("channel 4 was never seen: rows %+v", missing)
		}
		if gaps := dataRows(s, "gap", ""); len(gaps) != 1 {
			t.Errorf("%d gap rows, want 1", len(gaps))
		}
	})

	// Text from a capture that would run if it reached the page as
	// markup: the page as written, and the page without its
	// Content-Security-Policy, so that escaping alone is tested too.
	for _, tc := range []struct {
		name string
		r    *session.Report
		text []string // must be on the page as text
	}{
		{"markup-injection", analyseCapture(t, "markup-injection.pcap"), []string{
			`220 <script>window.__pwned="banner";document.title="pwned"</script> FTP ready`,
			`"><img src=x onerror="window.__pwned='user'">`,
			`"><svg onload="window.__pwned='file'">.txt`,
			`</title></text></svg><script>window.__pwned="stor"</script>.csv`,
		}},
		{"hostile", hostile(), []string{`\x1b]0;pwned\x07`, `\u202egnp.exe`}},
	} {
		page := writePage(t, dir, tc.name, tc.r)
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		policy := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>\n`)
		if !policy.Match(raw) {
			t.Fatalf("%s: the page has no Content-Security-Policy", tc.name)
		}
		bare := filepath.Join(dir, tc.name+"-no-policy.html")
		if err := os.WriteFile(bare, policy.ReplaceAll(raw, nil), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{page, bare} {
			t.Run(fmt.Sprintf("%s/%s", tc.name, filepath.Base(path)), func(t *testing.T) {
				p := tb.open(t, path)
				if p.Pwned != nil {
					t.Errorf("script from the capture ran: window.__pwned = %v", p.Pwned)
				}
				if !strings.HasPrefix(p.Title, "ftpscope: ") {
					t.Errorf("document.title = %q: changed by the capture", p.Title)
				}
				if p.Foreign != 0 {
					t.Errorf("%d elements or handlers on the page that it never writes", p.Foreign)
				}
				for _, s := range tc.text {
					if !strings.Contains(p.Text, s) {
						t.Errorf("the page does not show %q as text", s)
					}
				}
				if len(p.Sessions) != 1 || len(p.Sessions[0].Lifelines) != 2 {
					t.Errorf("the session is not drawn")
				}
			})
		}
	}
	if t.Failed() {
		t.Logf("pages: %s", dir)
	}
}

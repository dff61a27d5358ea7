package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "htmlload:", err)
		os.Exit(1)
	}
}

// timing is what the page says of one load, in ms since the navigation
// started.
type timing struct {
	DCL  float64 `json:"dcl"`
	Load float64 `json:"load"`
	FCP  float64 `json:"fcp"`
}

// content is what the page shows.
type content struct {
	Drawn    int      `json:"drawn"`
	Listed   int      `json:"listed"`
	Verdicts []string `json:"verdicts"`
}

const timingJS = `(() => {
	const nav = performance.getEntriesByType('navigation')[0];
	const fcp = performance.getEntriesByName('first-contentful-paint')[0];
	return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : 0};
})()`

const contentJS = `({
	drawn: document.querySelectorAll('article.session').length,
	listed: document.querySelectorAll('table.listed tr[id]').length,
	verdicts: [...document.querySelectorAll('.verdicts .count b')].map(b => b.textContent),
})`

func run() error {
	sessions := flag.Int("sessions", 0, "sessions the page must show (0: do not check)")
	repeat := flag.Int("repeat", 3, "loads of the page")
	chromium := flag.String("chromium", "", "Chromium to run (default: chromium, chromium-browser or google-chrome on PATH)")
	flag.Parse()
	if flag.NArg() != 1 || *repeat < 1 {
		return errors.New("usage: htmlload [-sessions N] [-repeat N] [-chromium PATH] page.html")
	}
	page, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		return err
	}
	st, err := os.Stat(page)
	if err != nil {
		return err
	}
	exe := *chromium
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if exe != "" {
			break
		}
		exe, _ = exec.LookPath(name)
	}
	if exe == "" {
		return errors.New("no Chromium found: apt-get install chromium, or give -chromium PATH")
	}
	profile, err := os.MkdirTemp("", "htmlload-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)

	base, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1100, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("start %s: %w", exe, err)
	}

	var runs []timing
	var walls []float64
	for range *repeat {
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			return err
		}
		start := time.Now()
		// Navigate returns when the page's load event has fired.
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
			return fmt.Errorf("open %s: %w", page, err)
		}
		walls = append(walls, float64(time.Since(start).Microseconds())/1000)
		tm, err := chromedp.Run(ctx, chromedp.Evaluate[timing](timingJS))
		if err != nil {
			return fmt.Errorf("read the timing: %w", err)
		}
		runs = append(runs, tm)
	}
	c, err := chromedp.Run(ctx, chromedp.Evaluate[content](contentJS))
	if err != nil {
		return fmt.Errorf("read the page: %w", err)
	}
	counted := 0
	for _, v := range c.Verdicts {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("verdict count %q is not a number", v)
		}
		counted += n
	}
	if *sessions > 0 && (c.Drawn+c.Listed != *sessions || counted != *sessions) {
		return fmt.Errorf("the page shows %d sessions drawn and %d listed, its verdicts count %d; want %d",
			c.Drawn, c.Listed, counted, *sessions)
	}
	pick := func(f func(timing) float64) []float64 {
		var out []float64
		for _, r := range runs {
			out = append(out, f(r))
		}
		return out
	}
	fmt.Printf("bytes=%d drawn=%d listed=%d runs=%d dcl_ms=%s load_ms=%s fcp_ms=%s navigate_ms=%s\n",
		st.Size(), c.Drawn, c.Listed, len(runs),
		minMedian(pick(func(t timing) float64 { return t.DCL })),
		minMedian(pick(func(t timing) float64 { return t.Load })),
		minMedian(pick(func(t timing) float64 { return t.FCP })),
		minMedian(walls))
	return nil
}

// minMedian writes the least and the median of xs as "min/median".
func minMedian(xs []float64) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	return fmt.Sprintf("%.0f/%.0f", s[0], s[len(s)/2])
}

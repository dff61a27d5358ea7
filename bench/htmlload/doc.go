// Command htmlload measures how long headless Chromium takes to open an
// HTML report of ftpscope (-o html), and checks that the page holds every
// session, so that bench/run.sh cannot time a broken page:
//
//	ftpscope -r big.pcap -o html -q -O big.html
//	htmlload -sessions 20000 -repeat 3 big.html
//
// It starts one headless Chromium (Debian's chromium, or -chromium PATH)
// with a fresh profile, opens the page -repeat times, each a new
// navigation, and reads the page's own Navigation and Paint Timing:
// DOMContentLoaded (the HTML parsed), load (the load event done) and the
// first contentful paint, in milliseconds from the start of the
// navigation; the least and the median of the runs. The page must show
// -sessions sessions, drawn or listed, and its verdict counts must add up
// to them. It prints one line of key=value pairs on stdout, or what is
// wrong and exits 1.
package main

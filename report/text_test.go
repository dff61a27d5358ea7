package report

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ftpscope/ftpscope/session"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ASCII", "RETR file.bin", "RETR file.bin"},
		{"UTF-8 file name", "RETR ünïcödé 日本.txt", "RETR ünïcödé 日本.txt"},
		{"CSI colour sequence", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"OSC window title with BEL", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"CRLF left in a line", "220 ready\r\n", `220 ready\r\n`},
		{"tab", "a\tb", `a\tb`},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`},
		{"C1 control as UTF-8", "a\u009bb", `a\x9bb`},
		{"raw C1 byte, invalid UTF-8", "a\x9bb", `a\x9bb`},
		{"invalid UTF-8", "\xff\xfe", `\xff\xfe`},
		{"bidi override hides the extension", "\u202egnp.exe", `\u202egnp.exe`},
		{"zero-width space", "a\u200bb", `a\u200bb`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"non-BMP format char", "a\U000E0001b", `a\U000e0001b`},
		{"backslashes stay", `C:\dir\x41`, `C:\dir\x41`},
		{"replacement char itself is printable", "\ufffd", "\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clean(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("clean(%q) (-want +got):\n%s", tt.in, diff)
			}
			if again := clean(got); again != got {
				t.Errorf("clean is not idempotent: %q -> %q", got, again)
			}
			if isClean(got) != true {
				t.Errorf("isClean(%q) = false after clean", got)
			}
			if isClean(tt.in) != (tt.in == tt.want) {
				t.Errorf("isClean(%q) = %v", tt.in, isClean(tt.in))
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "PASV", "\x1b[2J", "\xff", "\u202e", "日本", "a\r\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s)
		for i, r := range got {
			if r != ' ' && !isCleanSlow(string(r)) {
				t.Fatalf("clean(%q) left %U at %d", s, r, i)
			}
		}
		if clean(got) != got {
			t.Fatalf("clean(%q) not idempotent", s)
		}
	})
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"fits", "abc", 3, "abc"},
		{"cut", "abcdef", 4, "abc…"},
		{"wide runes count double", "日本語日本語", 5, "日本…"},
		{"wide rune does not straddle the limit", "a日本", 3, "a…"},
		{"zero", "abc", 0, ""},
		{"one", "abc", 1, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncate(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if w := textWidth(got); w > max(tt.max, 0) {
				t.Errorf("truncate(%q, %d) is %d columns", tt.in, tt.max, w)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"empty", "", 10, []string{""}},
		{"fits", "a b c", 10, []string{"a b c"}},
		{"at spaces", "one two three four", 9, []string{"one two", "three", "four"}},
		{"runs of spaces collapse", "a    b", 10, []string{"a b"}},
		{"long word cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"long word after a short one", "ab cdefghij", 4, []string{"ab", "cdef", "ghij"}},
		{"wide runes", "日本語日本語", 4, []string{"日本", "語日", "本語"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrap(tt.in, tt.max)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrap(%q, %d) (-want +got):\n%s", tt.in, tt.max, diff)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"bytes", humanBytes(1023), "1023 B"},
		{"KiB", humanBytes(1536), "1.5 KiB"},
		{"MiB", humanBytes(1 << 20), "1.0 MiB"},
		{"count", count(20000), "20,000"},
		{"count small", count(999), "999"},
		{"count million", count(1234567), "1,234,567"},
		{"seconds", seconds(12345678 * time.Microsecond), "12.345678"},
		{"duration short", duration(215 * time.Millisecond), "0.215s"},
		{"duration minutes", duration(4*time.Minute + 5*time.Second), "4m05s"},
		{"duration hours", duration(2*time.Hour + 3*time.Minute), "2h03m"},
		{"plural one", plural(1, "x", "xs"), "1 x"},
		{"plural many", plural(0, "x", "xs"), "0 xs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestOptionsWidth(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{0, 80}, {10, 60}, {80, 80}, {200, 200}} {
		if got := (Options{Width: tt.in}).width(); got != tt.want {
			t.Errorf("Options{Width: %d}.width() = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestTrimLines(t *testing.T) {
	got := string(trimLines([]byte("a  \n b \n\nc")))
	if want := "a\n b\n\nc\n"; got != want {
		t.Errorf("trimLines = %q, want %q", got, want)
	}
	long := strings.Repeat("x", 200000)
	if got := string(trimLines([]byte(long))); got != long+"\n" {
		t.Errorf("trimLines dropped a long line")
	}
}

// TestClock writes one instant in every time base, within a day and
// across days, in a zone with daylight saving.
func TestClock(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*3600)
	// 21:00 UTC is 23:00 in Berlin: two hours span one day in UTC and
	// two in Berlin.
	first := time.Date(2024, 5, 1, 21, 0, 0, 0, time.UTC)
	one := &session.Report{Sources: []session.Source{{FirstSeen: session.Time{Time: first}, LastSeen: session.Time{Time: first.Add(30 * time.Minute)}}}}
	days := &session.Report{Sources: []session.Source{{FirstSeen: session.Time{Time: first}, LastSeen: session.Time{Time: first.Add(2 * time.Hour)}}}}
	at := session.Time{Time: first.Add(90*time.Second + 1234567*time.Microsecond)}
	tests := []struct {
		name        string
		r           *session.Report
		o           Options
		short, long string
		label       string
	}{
		{"utc by default", one, Options{}, "21:01:31.234", "21:01:31.234567", "UTC"},
		{"local", one, Options{Time: TimeLocal, Location: berlin}, "23:01:31.234", "23:01:31.234567", "local"},
		{"local across midnight", days, Options{Time: TimeLocal, Location: berlin}, "2024-05-01 23:01:31.234", "2024-05-01 23:01:31.234567", "local"},
		{"utc within a day", days, Options{Time: TimeUTC, Location: berlin}, "21:01:31.234", "21:01:31.234567", "UTC"},
		{"relative", days, Options{Time: TimeRelative}, "91.234", "91.234567", "relative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(tt.o, tt.r)
			if got := c.short(at); got != tt.short {
				t.Errorf("short = %q, want %q", got, tt.short)
			}
			if got := c.long(at); got != tt.long {
				t.Errorf("long = %q, want %q", got, tt.long)
			}
			if got := c.label(); got != tt.label {
				t.Errorf("label = %q, want %q", got, tt.label)
			}
			if got := c.short(session.Time{}); got != "-" {
				t.Errorf("zero time = %q, want -", got)
			}
		})
	}
}

func TestShortEndpoint(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"10.0.0.1:21", 24, "10.0.0.1:21"},
		{"[2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa]:40001", 24, "[2001:db8…bb:aaaa]:40001"},
		{"[2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa]:21", 30, "[2001:db8:fff…cc:bbbb:aaaa]:21"},
		{"255.255.255.255:65535", 18, "255.25…5.255:65535"},
	}
	for _, tt := range tests {
		got := shortEndpoint(tt.in, tt.w)
		if got != tt.want || textWidth(got) > tt.w {
			t.Errorf("shortEndpoint(%q, %d) = %q (%d columns), want %q", tt.in, tt.w, got, textWidth(got), tt.want)
		}
	}
}

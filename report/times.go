package report

import (
	"fmt"
	"time"

	"github.com/ftpscope/ftpscope/session"
)

// TimeBase is how the text formats write times: the -t flag of
// CONTRACT.md. JSON is always RFC 3339 in UTC.
type TimeBase string

// TimeBase values.
const (
	TimeLocal    TimeBase = "local"    // date and time in Options.Location, as tcpdump prints them
	TimeUTC      TimeBase = "utc"      // date and time in UTC
	TimeRelative TimeBase = "relative" // seconds since the first packet of the input
)

// clock writes the times of one report in one base, so that the table,
// the findings and the ladder agree.
type clock struct {
	base TimeBase
	loc  *time.Location
	// zero is the first packet of the input: time 0 of TimeRelative.
	zero time.Time
	// dated says the report spans more than one day in loc: absolute
	// times carry their date.
	dated bool
}

// newClock returns the clock of o for r.
func newClock(o Options, r *session.Report) clock {
	c := clock{base: o.Time, loc: o.Location}
	switch c.base {
	case TimeLocal, TimeRelative:
	default:
		c.base = TimeUTC
	}
	switch {
	case c.base == TimeUTC:
		c.loc = time.UTC
	case c.loc == nil:
		c.loc = time.Local
	}
	var first, last time.Time
	see := func(t session.Time) {
		if t.IsZero() {
			return
		}
		if first.IsZero() || t.Before(first) {
			first = t.Time
		}
		if t.After(last) {
			last = t.Time
		}
	}
	for _, s := range r.Sources {
		see(s.FirstSeen)
		see(s.LastSeen)
	}
	if first.IsZero() {
		for _, s := range r.Sessions {
			if s != nil {
				see(s.Start)
				see(s.End)
			}
		}
	}
	c.zero = first
	if !first.IsZero() {
		c.dated = first.In(c.loc).Format(time.DateOnly) != last.In(c.loc).Format(time.DateOnly)
	}
	return c
}

// label names the base for a column head: "local", "UTC" or "relative".
func (c clock) label() string {
	switch c.base {
	case TimeLocal:
		return "local"
	case TimeRelative:
		return "relative"
	}
	return "UTC"
}

// short writes t for a table cell: 14:03:07.123 (with the date when the
// report spans days), or 12.345 seconds for TimeRelative; "-" for zero.
func (c clock) short(t session.Time) string {
	return c.format(t, 3)
}

// long writes t with microseconds, as tcpdump does: 14:03:07.123456, or
// 12.345678 seconds for TimeRelative; "-" for zero.
func (c clock) long(t session.Time) string {
	return c.format(t, 6)
}

func (c clock) format(t session.Time, digits int) string {
	if t.IsZero() {
		return "-"
	}
	if c.base == TimeRelative {
		if c.zero.IsZero() {
			return "-"
		}
		d := t.Sub(c.zero)
		sign := ""
		if d < 0 {
			sign, d = "-", -d
		}
		if digits == 3 {
			ms := d.Milliseconds()
			return fmt.Sprintf("%s%d.%03d", sign, ms/1000, ms%1000)
		}
		return sign + seconds(d)
	}
	layout := "15:04:05.000"
	if digits == 6 {
		layout = "15:04:05.000000"
	}
	if c.dated {
		layout = "2006-01-02 " + layout
	}
	return t.In(c.loc).Format(layout)
}

// timeOfDay writes t as 14:03:07.123456 in the clock's zone, or in
// seconds for TimeRelative, whatever the span of the report: for the
// ladder, whose header carries the date.
func (c clock) timeOfDay(t session.Time) string {
	if t.IsZero() || c.base == TimeRelative {
		return c.long(t)
	}
	return t.In(c.loc).Format("15:04:05.000000")
}

// stamp writes t as a full date and time with its zone: 2024-05-01
// 14:00:00.000 CEST (UTC for TimeRelative); "-" for zero.
func (c clock) stamp(t session.Time) string {
	if t.IsZero() {
		return "-"
	}
	loc := c.loc
	if c.base == TimeRelative {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04:05.000 MST")
}

// span writes the time from first to last, with the date of last only
// when it differs: "2024-05-01 14:00:00.000 to 14:00:22.000 CEST".
func (c clock) span(first, last session.Time) string {
	loc := c.loc
	if c.base == TimeRelative {
		loc = time.UTC
	}
	f, l := first.In(loc), last.In(loc)
	from := f.Format("2006-01-02 15:04:05.000")
	if f.Format("MST") != l.Format("MST") {
		from += f.Format(" MST")
	}
	to := l.Format("2006-01-02 15:04:05.000 MST")
	if f.Format(time.DateOnly) == l.Format(time.DateOnly) {
		to = l.Format("15:04:05.000 MST")
	}
	return from + " to " + to
}

// date writes t to the second with its zone: 2024-05-01 14:00:00 CEST
// (UTC for TimeRelative).
func (c clock) date(t session.Time) string {
	loc := c.loc
	if c.base == TimeRelative {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04:05 MST")
}

package report

import (
	"bytes"
	"sort"
	"strings"
)

// colGap is the space between two columns of a table.
const colGap = 2

// flexWant is the width a flex column keeps from less important columns.
const flexWant = 32

// minCut is the narrowest a squeezable or flex column is ever cut to.
const minCut = 8

// column is one column of a text table: its head, its cells and how it
// gives way when the table is wider than the terminal.
//
// Columns are chosen in order of prio (0 first; equal prio in display
// order): prio 0 columns are always shown. The others are shown when they
// fit: a column with squeeze set may make the squeezable columns (long
// addresses) narrower to fit; the rest fit only when nothing needs to be
// squeezed. A flex column (free text: user names, file names, verdicts)
// counts at its min width and takes the room left over, up to its widest
// cell.
type column struct {
	head    string
	cells   []cell
	right   bool // align right (numbers)
	prio    int
	flex    bool // takes the room left, from min up to its widest cell
	min     int  // narrowest width of a flex or squeezable column; 0: not squeezable
	squeeze bool // worth squeezing the squeezable columns for
	// fit writes cell i in at most w columns; nil truncates the text with
	// an ellipsis.
	fit func(i, w int) string
}

// cell is the clean text of a cell and the colour it is painted in.
type cell struct{ text, color string }

// add appends a cell.
func (c *column) add(text, color string) { c.cells = append(c.cells, cell{text, color}) }

// natural is the width of the column with nothing cut.
func (c *column) natural() int {
	w := textWidth(c.head)
	for _, x := range c.cells {
		w = max(w, textWidth(x.text))
	}
	return w
}

// layout chooses the columns shown in width and the width of each; the
// columns keep their order.
func layout(cols []*column, width int) ([]*column, []int) {
	n := len(cols)
	nat := make([]int, n)
	low := make([]int, n) // the squeezed or flex width
	for i, c := range cols {
		nat[i] = c.natural()
		low[i] = nat[i]
		if c.min > 0 {
			low[i] = min(nat[i], max(c.min, textWidth(c.head)))
		}
	}
	// need is the width of the columns on; flex columns more important
	// than prio count at the width they want, so that a less important
	// column does not take their room.
	need := func(on []bool, squeezed bool, prio int) int {
		w, k := 0, 0
		for i, c := range cols {
			if !on[i] {
				continue
			}
			k++
			switch {
			case c.flex && c.prio < prio:
				w += max(low[i], min(nat[i], flexWant))
			case c.flex || squeezed:
				w += low[i]
			default:
				w += nat[i]
			}
		}
		return w + colGap*max(k-1, 0)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cols[order[a]].prio < cols[order[b]].prio })
	on := make([]bool, n)
	for _, i := range order {
		if cols[i].prio == 0 {
			on[i] = true
		}
	}
	squeezed := need(on, false, 0) > width
	for _, i := range order {
		if on[i] {
			continue
		}
		on[i] = true
		p := cols[i].prio
		switch {
		case need(on, false, p) <= width && !squeezed:
		case cols[i].squeeze && need(on, true, p) <= width:
			squeezed = true
		default:
			on[i] = false
		}
	}
	w := make([]int, n)
	for i, c := range cols {
		if c.flex || squeezed {
			w[i] = low[i]
		} else {
			w[i] = nat[i]
		}
	}
	left := width - need(on, squeezed, 0)
	// Room left goes back to the squeezed columns first, a column at a
	// time so that they stay alike, then to the flex ones in order.
	for left > 0 {
		gave := false
		for i, c := range cols {
			if on[i] && !c.flex && left > 0 && w[i] < nat[i] {
				w[i]++
				left--
				gave = true
			}
		}
		if !gave {
			break
		}
	}
	for _, i := range order {
		if on[i] && cols[i].flex && left > 0 {
			add := min(left, nat[i]-w[i])
			w[i] += add
			left -= add
		}
	}
	// Still too wide (a narrow terminal, a long session number): squeeze
	// the squeezable columns below their min, the widest first.
	total, k := 0, 0
	for i := range cols {
		if on[i] {
			total += w[i]
			k++
		}
	}
	for total += colGap * max(k-1, 0); total > width; total-- {
		k := -1
		for i, c := range cols {
			if on[i] && c.min > 0 && w[i] > minCut && (k < 0 || w[i] > w[k]) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		w[k]--
	}
	var shown []*column
	var widths []int
	for i, c := range cols {
		if on[i] {
			shown = append(shown, c)
			widths = append(widths, w[i])
		}
	}
	return shown, widths
}

// writeTable lays cols out in width and writes the head line and a line
// per row, indented by indent. No line is wider than width.
func writeTable(b *bytes.Buffer, cols []*column, width int, indent string, color bool) {
	writeTableAfter(b, cols, width, indent, color, nil)
}

// shows reports whether c is shown whole when cols are laid out in width.
func shows(cols []*column, width int, c *column) bool {
	shown, widths := layout(cols, width)
	for k, x := range shown {
		if x == c {
			return widths[k] >= c.natural()
		}
	}
	return false
}

// writeTableAfter is writeTable, with after, when not nil, writing what
// follows row i.
func writeTableAfter(b *bytes.Buffer, cols []*column, width int, indent string, color bool, after func(i int)) {
	shown, widths := layout(cols, width-textWidth(indent))
	if len(shown) == 0 {
		return
	}
	rows := len(shown[0].cells)
	line := func(text func(k int) (string, string)) {
		b.WriteString(indent)
		for k, c := range shown {
			if k > 0 {
				b.WriteString(strings.Repeat(" ", colGap))
			}
			s, col := text(k)
			pad := widths[k] - textWidth(s)
			if c.right {
				b.WriteString(strings.Repeat(" ", max(pad, 0)))
			}
			b.WriteString(paint(color, col, s))
			if !c.right && k < len(shown)-1 {
				b.WriteString(strings.Repeat(" ", max(pad, 0)))
			}
		}
		b.WriteByte('\n')
	}
	line(func(k int) (string, string) { return truncate(shown[k].head, widths[k]), "" })
	for i := range rows {
		line(func(k int) (string, string) {
			c := shown[k]
			x := c.cells[i]
			if textWidth(x.text) <= widths[k] {
				return x.text, x.color
			}
			if c.fit != nil {
				return truncate(c.fit(i, widths[k]), widths[k]), x.color
			}
			return truncate(x.text, widths[k]), x.color
		})
		if after != nil {
			after(i)
		}
	}
}

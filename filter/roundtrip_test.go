package filter

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sameProgram requires that expr parses and compiles, for every link type,
// to the same program as f.
func sameProgram(t *testing.T, f *Filter, expr string) {
	t.Helper()
	g, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	for _, l := range linkTypes {
		pf, errF := f.Compile(l.lt, 0)
		pg, errG := g.Compile(l.lt, 0)
		if (errF == nil) != (errG == nil) {
			t.Fatalf("%s: Compile errors differ: %v and %v", l.dlt, errF, errG)
		}
		if diff := cmp.Diff(pf, pg); diff != "" {
			t.Fatalf("%s: %q and %q compile differently (-first +second):\n%s", l.dlt, f, expr, diff)
		}
	}
}

// TestStringRoundTrip requires String to reparse to the same program for
// every expression compared with tcpdump.
func TestStringRoundTrip(t *testing.T) {
	for _, expr := range append(append([]string{}, diffExprs...), truncationOnlyExprs...) {
		f, err := Parse(expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		sameProgram(t, f, f.String())
	}
}

package report

import (
	"os"
	"testing"

	"github.com/mattn/go-runewidth"
)

func TestMain(m *testing.M) {
	// runewidth's default condition measures ambiguous-width characters
	// by the locale; the tests measure as the renderers do, narrow, so
	// that they do not depend on the environment they run in.
	runewidth.DefaultCondition.EastAsianWidth = false
	os.Exit(m.Run())
}

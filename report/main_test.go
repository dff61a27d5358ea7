package report

import (
	"os"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

func TestMain(m *testing.M) {
	// tablewriter measures ambiguous-width characters (the box drawing of
	// the tables) by the locale; pin it so that the golden files do not
	// depend on the environment the tests run in.
	twwidth.SetEastAsian(false)
	os.Exit(m.Run())
}

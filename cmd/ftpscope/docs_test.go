package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// docsDir holds what ships with the tool: the man page, the shell
// completions, the JSON documentation and schema.
const docsDir = "../../docs"

// manDate is the date on the man page; bump it when the flags change.
var manDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// generatedDocs are the files made from the flag definitions by cobra's
// generators, by path under docs/.
var generatedDocs = map[string]func(c *cobra.Command, w io.Writer) error{
	"ftpscope.1": func(c *cobra.Command, w io.Writer) error {
		return doc.GenMan(c, &doc.GenManHeader{Title: "FTPSCOPE", Section: "1", Date: &manDate,
			Source: "ftpscope", Manual: "ftpscope manual"}, w)
	},
	"completions/ftpscope.bash": func(c *cobra.Command, w io.Writer) error { return c.GenBashCompletionV2(w, true) },
	"completions/_ftpscope":     func(c *cobra.Command, w io.Writer) error { return c.GenZshCompletion(w) },
	"completions/ftpscope.fish": func(c *cobra.Command, w io.Writer) error { return c.GenFishCompletion(w, true) },
}

// TestGeneratedDocs fails when the man page or a completion script in
// docs/ is not what the flags make today. go generate ./cmd/ftpscope (or
// go test ./cmd/ftpscope -run TestGeneratedDocs -update) rewrites them.
func TestGeneratedDocs(t *testing.T) {
	for name, gen := range generatedDocs {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := gen(cobraCommand(io.Discard, io.Discard), &b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(docsDir, name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go generate ./cmd/ftpscope)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s is out of date with the flags; run go generate ./cmd/ftpscope (-want +got):\n%s", path, diff)
			}
		})
	}
}

// TestCompletionRequests: the completion scripts ask the binary itself
// (cobra's __complete), and it answers from the flag definitions.
func TestCompletionRequests(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "-o", ""}, "table\nsummary\njson\nndjson\nladder\nhtml\nzeek\nzeek-json\neve\n:4\n"},
		{[]string{"__complete", "-t", ""}, "local\nutc\nrelative\n:4\n"},
		{[]string{"__complete", "--fail-on", ""}, "info\nwarning\nerror\n:4\n"},
		{[]string{"__complete", "-r", ""}, "pcap\npcapng\ncap\ngz\n:8\n"},
		{[]string{"__completeNoDesc", "--only"}, "--only-problems\n:4\n"},
		{[]string{"__complete", "--session"}, "--session\treport only session N (every format)\n:4\n"},
	}
	for _, tt := range tests {
		code, out, _ := ftpscope(t, tt.args...)
		if code != exitOK || out != tt.want {
			t.Errorf("ftpscope %q = exit %d, %q; want %q", tt.args, code, out, tt.want)
		}
	}
}

// TestFindingCodesDocumented: the codes of docs/findings.md, the schema's
// enum and the table of CONTRACT.md (when the shared folder is beside the
// repository) are the same.
func TestFindingCodesDocumented(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(docsDir, "findings.md"))
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, l := range strings.Split(string(md), "\n") {
		if c, ok := strings.CutPrefix(l, "## "); ok {
			documented = append(documented, c)
		}
	}
	raw, err := os.ReadFile(filepath.Join(docsDir, "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs struct {
			Finding struct {
				Properties struct {
					Code struct {
						Enum []string `json:"enum"`
					} `json:"code"`
				} `json:"properties"`
			} `json:"finding"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	if diff := cmp.Diff(sorted(schema.Defs.Finding.Properties.Code.Enum), sorted(documented)); diff != "" {
		t.Errorf("codes of the schema (-) and of docs/findings.md (+):\n%s", diff)
	}
	contract, err := os.ReadFile(filepath.Join(peerDir, "..", "CONTRACT.md"))
	if err != nil {
		t.Skipf("CONTRACT.md is not beside the repository: %v", err)
	}
	_, table, _ := strings.Cut(string(contract), "## Finding codes")
	var codes []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllStringSubmatch(table, -1) {
		codes = append(codes, m[1])
	}
	if diff := cmp.Diff(sorted(codes), sorted(documented)); diff != "" {
		t.Errorf("codes of CONTRACT.md (-) and of docs/findings.md (+):\n%s", diff)
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles the schema of docs/report.schema.json at the
// location ref ("" for the report, "#/$defs/ndjson_line" for a line).
func compileSchema(t *testing.T, ref string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(docsDir, "report.schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json" + ref)
	if err != nil {
		t.Fatalf("compiling %s%s: %v", path, ref, err)
	}
	return s
}

// TestJSONSchema checks the real -o json report of every capture in
// testdata, and every line of its -o ndjson, against
// docs/report.schema.json.
func TestJSONSchema(t *testing.T) {
	report := compileSchema(t, "")
	line := compileSchema(t, "#/$defs/ndjson_line")
	paths := captures(t)
	lab, _ := filepath.Glob(filepath.Join(testdataDir, "lab", "captures", "*.pcap"))
	paths = append(paths, lab...)
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			args := append([]string{"-r", path, "-q"}, extraArgs[name]...)
			_, out, _ := ftpscope(t, append(args, "-o", "json")...)
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := report.Validate(v); err != nil {
				t.Errorf("-o json does not follow the schema: %v", err)
			}
			_, out, _ = ftpscope(t, append(args, "-o", "ndjson")...)
			for i, l := range strings.Split(strings.TrimSpace(out), "\n") {
				v, err := jsonschema.UnmarshalJSON(strings.NewReader(l))
				if err != nil {
					t.Fatal(err)
				}
				if err := line.Validate(v); err != nil {
					t.Errorf("-o ndjson line %d does not follow the schema: %v\n%s", i+1, err, l)
				}
			}
		})
	}
}

// TestJSONSchemaRejects: the schema is strict enough to catch a missing
// key, a key outside the contract and a code that is not one of its
// codes.
func TestJSONSchemaRejects(t *testing.T) {
	s := compileSchema(t, "")
	_, out, _ := ftpscope(t, "-r", filepath.Join(testdataDir, "active-blocked.pcap"), "-q", "-o", "json")
	for name, edit := range map[string]func(m map[string]any){
		"missing stats": func(m map[string]any) { delete(m, "stats") },
		"extra key":     func(m map[string]any) { m["extra"] = true },
		"unknown code": func(m map[string]any) {
			s := m["sessions"].([]any)[0].(map[string]any)
			dc := s["data_channels"].([]any)[0].(map[string]any)
			dc["findings"].([]any)[0].(map[string]any)["code"] = "made-up"
		},
		"user omitted": func(m map[string]any) { delete(m["sessions"].([]any)[0].(map[string]any), "user") },
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		if err := s.Validate(v); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}

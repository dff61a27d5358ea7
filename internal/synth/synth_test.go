package synth_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ftpscope/ftpscope/internal/synth"
)

var update = flag.Bool("update", false, "rewrite the committed captures in testdata/ from the generator")

// testdata is the repository's testdata directory, seen from this package.
const testdata = "../../testdata"

const regenerate = "run `go run ./internal/synth/cmd/synth -out testdata` (or `go test ./internal/synth -update`) and commit the result"

// gunzip returns the decompressed content of b.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func TestCommittedCapturesUpToDate(t *testing.T) {
	for _, s := range synth.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			got, err := s.Build()
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			path := filepath.Join(testdata, s.File)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v: %s", err, regenerate)
			}
			if strings.HasSuffix(s.File, ".gz") {
				// DEFLATE output may change between Go releases; the
				// capture inside must not.
				got, want = gunzip(t, got), gunzip(t, want)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what the generator builds (%d bytes committed, %d built): %s",
					path, len(want), len(got), regenerate)
			}
		})
	}
	t.Run(synth.IndexFile, func(t *testing.T) {
		path := filepath.Join(testdata, synth.IndexFile)
		if *update {
			if err := os.WriteFile(path, []byte(synth.Index()), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v: %s", err, regenerate)
		}
		if diff := cmp.Diff(string(want), synth.Index()); diff != "" {
			t.Errorf("%s is stale (-committed +generated):\n%s\n%s", path, diff, regenerate)
		}
	})
}

// readBack is what reading a capture with pcapgo found.
type readBack struct {
	Packets   int
	LinkTypes []string
	// Truncated is set when reading stopped on a damaged record.
	Truncated bool
	// Undecodable counts packets gopacket could not decode down to TCP or
	// ICMP.
	Undecodable int
}

// read reads every packet of capture b with pcapgo and decodes it.
func read(t *testing.T, name string, b []byte) readBack {
	t.Helper()
	var got readBack
	seen := map[string]bool{}
	note := func(lt layers.LinkType, data []byte) {
		if !seen[lt.String()] {
			seen[lt.String()] = true
			got.LinkTypes = append(got.LinkTypes, lt.String())
		}
		p := gopacket.NewPacket(data, lt, gopacket.Default)
		ok := p.ErrorLayer() == nil && (p.Layer(layers.LayerTypeTCP) != nil ||
			p.Layer(layers.LayerTypeICMPv4) != nil || p.Layer(layers.LayerTypeICMPv6) != nil)
		if !ok {
			got.Undecodable++
		}
		got.Packets++
	}
	if strings.HasSuffix(name, ".pcapng") {
		// Without WantMixedLinkType, NgReader silently skips the packets of
		// interfaces whose link type differs from the first one's.
		r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatalf("NewNgReader: %v", err)
		}
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return got
			}
			if err != nil {
				got.Truncated = true
				return got
			}
			in, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				t.Fatalf("interface %d: %v", ci.InterfaceIndex, err)
			}
			note(in.LinkType, data)
		}
	}
	// pcapgo.NewReader decompresses gzip by itself.
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			got.Truncated = true
			return got
		}
		note(r.LinkType(), data)
	}
}

func TestCapturesReadBack(t *testing.T) {
	eth := []string{"Ethernet"}
	want := map[string]readBack{
		"passive":                        {Packets: 34, LinkTypes: eth},
		"active":                         {Packets: 34, LinkTypes: eth},
		"active-nonstandard-port":        {Packets: 32, LinkTypes: eth},
		"epsv-eprt-ipv6":                 {Packets: 42, LinkTypes: eth},
		"lprt-lpsv":                      {Packets: 46, LinkTypes: eth},
		"multiline-replies":              {Packets: 36, LinkTypes: eth},
		"split-227":                      {Packets: 35, LinkTypes: eth},
		"out-of-order":                   {Packets: 41, LinkTypes: eth},
		"midstream":                      {Packets: 21, LinkTypes: eth},
		"vlan":                           {Packets: 66, LinkTypes: eth},
		"sll":                            {Packets: 34, LinkTypes: []string{"Linux SLL"}},
		"sll2":                           {Packets: 34, LinkTypes: []string{"Linux SLL2"}},
		"pcapng-two-interfaces":          {Packets: 34, LinkTypes: []string{"Ethernet", "Raw"}},
		"truncated":                      {Packets: 34, LinkTypes: eth, Truncated: true},
		"nanosecond":                     {Packets: 34, LinkTypes: eth},
		"gzip":                           {Packets: 34, LinkTypes: eth},
		"loopback-null":                  {Packets: 32, LinkTypes: []string{"Null"}},
		"raw-ip":                         {Packets: 34, LinkTypes: []string{"Raw"}},
		"active-blocked":                 {Packets: 26, LinkTypes: eth},
		"passive-blocked-rst":            {Packets: 24, LinkTypes: eth},
		"passive-blocked-icmp":           {Packets: 24, LinkTypes: eth},
		"passive-blocked-icmp6":          {Packets: 24, LinkTypes: eth},
		"passive-private-nat":            {Packets: 25, LinkTypes: eth},
		"passive-nat-curl-ok":            {Packets: 34, LinkTypes: eth},
		"active-private-nat":             {Packets: 25, LinkTypes: eth},
		"address-rewritten":              {Packets: 34, LinkTypes: eth},
		"ftp-bounce":                     {Packets: 31, LinkTypes: eth},
		"control-encrypted":              {Packets: 50, LinkTypes: eth},
		"data-unannounced":               {Packets: 43, LinkTypes: eth},
		"transfer-failed-426":            {Packets: 32, LinkTypes: eth},
		"control-gap":                    {Packets: 30, LinkTypes: eth},
		"many-transfers-mixed":           {Packets: 70, LinkTypes: eth},
		"hostile":                        {Packets: 74, LinkTypes: eth},
		"port-2121":                      {Packets: 32, LinkTypes: eth},
		"data-connection-missing":        {Packets: 22, LinkTypes: eth},
		"data-tuple-reused":              {Packets: 62, LinkTypes: eth},
		"control-tuple-reused":           {Packets: 92, LinkTypes: eth},
		"ip-fragments":                   {Packets: 37, LinkTypes: eth, Undecodable: 6}, // the fragments: 3 of the 227, 3 of a data segment
		"ip6-fragments":                  {Packets: 36, LinkTypes: eth, Undecodable: 5}, // the fragments: 2 of the 229, 3 of a data segment
		"control-blocked":                {Packets: 3, LinkTypes: eth},
		"control-refused-rst":            {Packets: 4, LinkTypes: eth},
		"control-unreachable-icmp":       {Packets: 2, LinkTypes: eth},
		"login-failed":                   {Packets: 14, LinkTypes: eth},
		"login-brute-force":              {Packets: 234, LinkTypes: eth},
		"transfer-rejected":              {Packets: 27, LinkTypes: eth},
		"data-path-unseen":               {Packets: 28, LinkTypes: eth},
		"reply-resync":                   {Packets: 60, LinkTypes: eth},
		"span-duplicates":                {Packets: 68, LinkTypes: eth},
		"concatenated":                   {Packets: 68, LinkTypes: eth},
		"capture-ends-mid-transfer":      {Packets: 29, LinkTypes: eth},
		"markup-injection":               {Packets: 36, LinkTypes: eth},
		"content-detected":               {Packets: 49, LinkTypes: eth},
		"reset-after-transfer":           {Packets: 40, LinkTypes: eth},
		"payload-only":                   {Packets: 24, LinkTypes: eth},
		"port-to-client-21":              {Packets: 24, LinkTypes: eth},
		"connection-before-announcement": {Packets: 43, LinkTypes: eth},
		"reply-without-command":          {Packets: 6, LinkTypes: eth},
		"port-scan":                      {Packets: 37, LinkTypes: eth},
		"helper-pipelined-port":          {Packets: 21, LinkTypes: eth},
		"helper-nonstandard-port":        {Packets: 25, LinkTypes: eth},
		"helper-second-pasv":             {Packets: 27, LinkTypes: eth},
		"helper-pasv-address":            {Packets: 25, LinkTypes: eth},
		"helper-tls":                     {Packets: 30, LinkTypes: eth},
		"helper-forms":                   {Packets: 56, LinkTypes: eth},
		"control-idle-timeout":           {Packets: 64, LinkTypes: eth},
		"control-idle-reset":             {Packets: 58, LinkTypes: eth},
		"control-idle-cut":               {Packets: 57, LinkTypes: eth},
		"passive-port-range":             {Packets: 172, LinkTypes: eth},
		"fxp-transfer":                   {Packets: 57, LinkTypes: eth},
	}
	scenarios := synth.Scenarios()
	if len(scenarios) != len(want) {
		t.Errorf("%d scenarios, want %d: update this table", len(scenarios), len(want))
	}
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			w, ok := want[s.Name]
			if !ok {
				t.Fatalf("no expectation for scenario %q", s.Name)
			}
			b, err := s.Build()
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if diff := cmp.Diff(w, read(t, s.File, b)); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			if len(b) >= 50*1024 {
				t.Errorf("capture is %d bytes, keep it under 50 KiB", len(b))
			}
		})
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	for _, s := range synth.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			a, errA := s.Build()
			b, errB := s.Build()
			if errA != nil || errB != nil {
				t.Fatalf("Build: %v, %v", errA, errB)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("two builds differ (%d and %d bytes)", len(a), len(b))
			}
		})
	}
}

func TestScenarioFilesNamedAfterScenarios(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range synth.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			if seen[s.Name] {
				t.Errorf("duplicate scenario name %q", s.Name)
			}
			seen[s.Name] = true
			ok := false
			for _, ext := range []string{".pcap", ".pcapng", ".pcap.gz"} {
				ok = ok || s.File == s.Name+ext
			}
			if !ok {
				t.Errorf("file %q is not %q with .pcap, .pcapng or .pcap.gz", s.File, s.Name)
			}
			if s.Description == "" || strings.Contains(s.Description, "\n") {
				t.Errorf("description %q must be one non-empty line", s.Description)
			}
		})
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	if err := synth.WriteAll(dir); err != nil {
		t.Fatalf("WriteAll: %v", err)
	}
	var want []string
	for _, s := range synth.Scenarios() {
		want = append(want, s.File)
	}
	want = append(want, synth.IndexFile)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(want) // os.ReadDir sorts by name
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files written (-want +got):\n%s", diff)
	}
}

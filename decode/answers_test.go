package decode

import "testing"

func TestAnswers(t *testing.T) {
	tests := []struct {
		code int
		verb string
		want bool
	}{
		{227, "PASV", true},
		{227, "RETR", false},
		{229, "EPSV", true},
		{229, "PASV", false},
		{228, "LPSV", true},
		{150, "RETR", true},
		{150, "PASV", false},
		{226, "MLSD", true},
		{226, "ABOR", true},
		{226, "USER", false},
		{331, "USER", true},
		{331, "PASS", false},
		{230, "PASS", true},
		{230, "TYPE", false},
		{234, "AUTH", true},
		{215, "SYST", true},
		{257, "PWD", true},
		{200, "TYPE", true}, // generic
		{200, "PASV", true}, // generic: a broken server's answer is still its answer
		{530, "PASS", true},
		{550, "RETR", true},
		{421, "NOOP", true},
		{425, "RETR", true},
		{425, "USER", false},
	}
	for _, tt := range tests {
		if got := Answers(tt.code, tt.verb); got != tt.want {
			t.Errorf("Answers(%d, %q) = %v, want %v", tt.code, tt.verb, got, tt.want)
		}
	}
	if !SpecificReply(227) || SpecificReply(200) || SpecificReply(550) {
		t.Error("SpecificReply: want 227 specific, 200 and 550 generic")
	}
}

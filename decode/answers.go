package decode

// Which commands a reply code can answer: RFC 959 section 5.4 lists, for
// every command, the replies it may get; RFC 2228 (AUTH, ADAT), RFC 2428
// (EPSV), RFC 1639 (LPSV) and RFC 3659 (SIZE, MDTM, MLST) add theirs.
// Most codes (200 "command okay", the 4xx and 5xx errors) can answer
// nearly anything; the ones below answer only a few commands, which is
// what lets a reader pair replies with commands again after some were
// lost.

// specificReplies maps the codes that answer only a few commands to those
// commands (verbs in upper case).
var specificReplies = map[int][]string{
	// Preliminary and completion replies of a transfer (section 5.4,
	// STOR ... NLST; 225 and 226 also answer ABOR).
	125: transferVerbs,
	150: transferVerbs,
	225: append([]string{"ABOR"}, transferVerbs...),
	226: append([]string{"ABOR"}, transferVerbs...),
	425: append([]string{"PASV", "EPSV", "LPSV", "PORT", "EPRT", "LPRT"}, transferVerbs...),
	426: append([]string{"ABOR"}, transferVerbs...),
	// Data-channel setup.
	227: {"PASV"},
	228: {"LPSV"},
	229: {"EPSV"},
	// Login (section 5.4, USER, PASS, ACCT; RFC 2228 for 232-235, 334, 335).
	230: {"USER", "PASS", "ACCT", "ADAT", "REIN"},
	232: {"USER", "PASS", "ADAT"},
	331: {"USER"},
	332: {"USER", "PASS"},
	234: {"AUTH"},
	334: {"AUTH", "ADAT"},
	235: {"ADAT"},
	335: {"ADAT"},
	// Informational replies of single commands.
	215: {"SYST"},
	221: {"QUIT", "REIN"},
	257: {"PWD", "XPWD", "MKD", "XMKD"},
	350: {"RNFR", "REST"},
	211: {"FEAT", "STAT", "HELP", "SITE", "OPTS"},
	212: {"STAT"},
	213: {"SIZE", "MDTM", "STAT", "MFMT", "MFCT", "MFF", "HASH", "XCRC", "XMD5", "XSHA1", "XSHA256"},
	214: {"HELP", "SITE"},
}

var transferVerbs = []string{"RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"}

// Answers reports whether a reply with code can answer the command verb
// (upper case). Codes that are not specific to a few commands answer
// every command.
func Answers(code int, verb string) bool {
	verbs, ok := specificReplies[code]
	if !ok {
		return true
	}
	for _, v := range verbs {
		if v == verb {
			return true
		}
	}
	return false
}

// SpecificReply reports whether code answers only a few commands (see
// Answers): a reply with it that answers none of the commands waiting
// answers a command that is not in the capture.
func SpecificReply(code int) bool {
	_, ok := specificReplies[code]
	return ok
}

// Command ftpscope explains FTP traffic in a capture file or on a live
// interface: every control session, the data connections it announced
// (PORT/EPRT/LPRT, PASV/EPSV/LPSV), the ones actually seen, who opened
// each handshake, and why a transfer broke at a firewall or NAT.
//
// Usage:
//
//	ftpscope [flags] [BPF filter expression ...]
//	ftpscope -r capture.pcap [-o table|json|ndjson|ladder]
//	sudo ftpscope -i eth0 host 203.0.113.7
//
// Run ftpscope --help for every flag. The command line, the JSON shape and
// the finding codes are those of CONTRACT.md. Reports go to stdout;
// progress, warnings and errors to stderr. Exit status: 0 analysed, 1
// --fail-on threshold met, 2 usage error or unreadable input.
package main

//go:generate go test -run ^TestGeneratedDocs$ -update .

// Command vlantag adds an IEEE 802.1Q VLAN tag to every frame of an Ethernet
// pcap file, keeping timestamps, original lengths and the time resolution.
//
// The ftpscope lab (testdata/lab/run.sh) uses it to make its VLAN-tagged
// capture: the development kernel has no 8021q support, so the frames of a real
// capture are tagged afterwards instead. Only classic pcap with link type
// Ethernet is accepted; frames too short to hold two MAC addresses are copied
// unchanged and counted.
//
// Usage:
//
//	vlantag [-vid N] [-pcp N] IN.pcap OUT.pcap
package main

//go:build race && linux

package main

// raceBuild makes the live tests build the ftpscope they run with the race
// detector too, when they themselves run with it.
func init() { raceBuild = true }

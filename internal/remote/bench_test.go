package remote_test

import (
	"context"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// BenchmarkCallTransport compares one read call (user.query of root) over each
// transport, against the real engine in an in-process sandbox: JSON-RPC on
// the socket channel (one websocket, no process), the legacy DDP on the
// same channel, and midclt (one SSH session and one engine run per call,
// payload on stdin).
func BenchmarkCallTransport(b *testing.B) {
	for _, tr := range []string{remote.TransportJSONRPC, remote.TransportDDP, remote.TransportMidclt} {
		b.Run(tr, func(b *testing.B) {
			sb, err := sandbox.Start(context.Background(), sandbox.Options{Dir: b.TempDir(), Listen: "127.0.0.1:0"})
			if err != nil {
				b.Fatal(err)
			}
			defer sb.Close()
			c := remote.New(remote.Config{Host: sb.Host, Port: sb.Port, User: "root", PrivateKeyFile: sb.ClientKeyFile,
				KnownHostsFile: sb.KnownHostsFile, Transport: tr})
			defer c.Close()
			ctx := context.Background()
			filter := []any{[]any{"username", "=", "root"}}
			if _, err := c.Call(ctx, "user.query", filter); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := c.Call(ctx, "user.query", filter); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFirstCallByRelease is a run's first call (dial, choose the
// transport, system.version) on a client that chooses its transport by
// itself: on 25.10 the first channel opens; on CORE 13.3 it is refused
// and the second, to CORE's socket, speaks DDP. The SCALE figure is the
// baseline: detecting CORE adds nothing there.
func BenchmarkFirstCallByRelease(b *testing.B) {
	for _, rel := range []string{"25.10", "13.3"} {
		b.Run(rel, func(b *testing.B) {
			sb, err := sandbox.Start(context.Background(), sandbox.Options{Dir: b.TempDir(), Listen: "127.0.0.1:0", Release: rel})
			if err != nil {
				b.Fatal(err)
			}
			defer sb.Close()
			ctx := context.Background()
			for range b.N {
				c := remote.New(remote.Config{Host: sb.Host, Port: sb.Port, User: "root", PrivateKeyFile: sb.ClientKeyFile,
					KnownHostsFile: sb.KnownHostsFile})
				if _, err := c.Call(ctx, "system.version"); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}

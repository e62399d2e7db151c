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

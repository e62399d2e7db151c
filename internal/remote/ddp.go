package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// The legacy DDP websocket (wire/ddp.go) as a transport: TrueNAS CORE
// 13.3's only protocol, also served by TrueNAS 25.10 and 26.0 at
// /websocket beside JSON-RPC. It shares everything with the JSON-RPC
// transport (one websocket over a streamlocal channel of the SSH
// connection, calls multiplexed by id, the same retry and fallback rules),
// and its errors read back as the same account.Errors and
// *account.CallError (wire.DDPError.AsError).

// ddpProto is the legacy protocol's calls and answers.
type ddpProto struct{}

func (ddpProto) encode(id int64, method string, args []json.RawMessage) ([]byte, error) {
	return wire.EncodeDDPMethod(json.RawMessage(strconv.FormatInt(id, 10)), method, args)
}

func (ddpProto) decode(data []byte) (int64, answer, bool) {
	m, err := wire.ParseDDP(data)
	if err != nil || m.Msg != "result" {
		return 0, answer{}, false
	}
	id, err := strconv.ParseInt(string(m.ID), 10, 64)
	if err != nil {
		return 0, answer{}, false
	}
	if m.Error != nil {
		return id, answer{err: m.Error.AsError()}, true
	}
	if m.Result == nil {
		return id, answer{result: json.RawMessage("null")}, true
	}
	return id, answer{result: m.Result}, true
}

// ddpHandshakeTimeout bounds the wait for "connected" (TrueNAS's own
// client waits 10 s).
const ddpHandshakeTimeout = 15 * time.Second

// openDDP dials socket through cn, opens the legacy websocket and connects
// (version 1).
func openDDP(ctx context.Context, cn *conn, socket string) (*rpcSession, error) {
	return openWS(ctx, cn, socket, wire.DDPPath, ddpProto{}, func(ctx context.Context, ws *websocket.Conn) error {
		ctx, cancel := context.WithTimeout(ctx, ddpHandshakeTimeout)
		defer cancel()
		if err := ws.Write(ctx, websocket.MessageText, wire.EncodeDDPConnect()); err != nil {
			return err
		}
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return fmt.Errorf("the DDP handshake on %s failed: %w", socket, err)
			}
			m, err := wire.ParseDDP(data)
			if err != nil {
				continue
			}
			switch m.Msg {
			case "connected":
				return nil
			case "failed":
				return fmt.Errorf("the middleware on %s does not speak DDP version %s", socket, wire.DDPVersion)
			}
		}
	})
}

// Reading the answers of TrueNAS's write calls.

package provider

import "encoding/json"

// decodeID reads the id a create call answered: a bare id or an object
// with an "id" field; 0 when it has neither.
func decodeID(raw json.RawMessage) int64 {
	var id int64
	if err := json.Unmarshal(raw, &id); err == nil {
		return id
	}
	var obj struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(raw, &obj)
	return obj.ID
}

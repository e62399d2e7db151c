package engine

import (
	"context"
	"fmt"
	"testing"
)

// seedUsers inserts n non-builtin users, each with its own group, straight
// into the store in one transaction, then brings the box in line once.
func seedUsers(b *testing.B, e *Engine, n int) []int64 {
	b.Helper()
	ctx := context.Background()
	t, err := e.begin(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, 0, n)
	for i := range n {
		name := fmt.Sprintf("seed%05d", i)
		res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb) VALUES (?, ?, 0, 0)`, 3000+i, name)
		if err != nil {
			b.Fatal(err)
		}
		gid, _ := res.LastInsertId()
		res, err = t.ExecContext(ctx, `INSERT INTO users (uid, username, full_name, group_id, smb, password_disabled) VALUES (?, ?, ?, ?, 0, 1)`,
			3000+i, name, "Seed "+name, gid)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := res.LastInsertId()
		ids = append(ids, id)
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('generation', '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`); err != nil {
		b.Fatal(err)
	}
	if err := t.commit(ctx); err != nil {
		b.Fatal(err)
	}
	if err := e.syncBox(ctx); err != nil {
		b.Fatal(err)
	}
	return ids
}

var benchSizes = []int{10, 1000, 10000}

func BenchmarkUserCreate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			e := openTest(b)
			seedUsers(b, e, n)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				mustCall(b, e, "user.create", fmt.Sprintf(`{"username":"bench%d","full_name":"Bench","group_create":true,"password_disabled":true,"smb":false}`, i))
			}
		})
	}
}

func BenchmarkUserUpdate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			e := openTest(b)
			ids := seedUsers(b, e, n)
			target := itoa(ids[len(ids)/2])
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				mustCall(b, e, "user.update", target, fmt.Sprintf(`{"full_name":"Renamed %d"}`, i))
			}
		})
	}
}

func BenchmarkUserQuery(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			e := openTest(b)
			seedUsers(b, e, n)
			b.ResetTimer()
			for b.Loop() {
				mustCall(b, e, "user.query", `[["username","=","seed00005"]]`, `{"get":true}`)
			}
		})
	}
}

// BenchmarkUserCreateNoBox measures the store alone (box sync off).
func BenchmarkUserCreateNoBox(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			e := openTest(b)
			seedUsers(b, e, n)
			e.boxSync = false
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				mustCall(b, e, "user.create", fmt.Sprintf(`{"username":"bench%d","full_name":"Bench","group_create":true,"password_disabled":true,"smb":false}`, i))
			}
		})
	}
}

// BenchmarkUserQueryAll lists every user (no filter can be pushed to SQL).
func BenchmarkUserQueryAll(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			e := openTest(b)
			seedUsers(b, e, n)
			b.ResetTimer()
			for b.Loop() {
				mustCall(b, e, "user.query", `[["builtin","=",false]]`, `{"count":true}`)
			}
		})
	}
}

package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// seedUsers inserts n non-builtin users, each with its own group, straight
// into the store in one transaction, then brings the box in line once.
func seedUsers(b *testing.B, e *Engine, n int) []int64 {
	b.Helper()
	return seedUsersWith(b, e, n, false)
}

// seedUsersWith is seedUsers; with homes, each user has a home under
// /mnt/tank with an authorized key, one in ten may log in over SSH with a
// password and one in a hundred has a sudo rule, as on a box in use.
func seedUsersWith(b *testing.B, e *Engine, n int, homes bool) []int64 {
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
		if homes {
			sudo := "[]"
			if i%100 == 0 {
				sudo = `["ALL"]`
			}
			res, err = t.ExecContext(ctx, `INSERT INTO users (uid, username, full_name, group_id, smb, password_disabled, home, shell,
				manage_home, sshpubkey, ssh_password_enabled, sudo_commands) VALUES (?, ?, ?, ?, 0, 1, ?, '/usr/bin/bash', 1, ?, ?, ?)`,
				3000+i, name, "Seed "+name, gid, "/mnt/tank/"+name, testKey+name, i%10 == 0, sudo)
		} else {
			res, err = t.ExecContext(ctx, `INSERT INTO users (uid, username, full_name, group_id, smb, password_disabled) VALUES (?, ?, ?, ?, 0, 1)`,
				3000+i, name, "Seed "+name, gid)
		}
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
	if err := e.syncBox(ctx, false); err != nil {
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

// BenchmarkCreateOnBox is a user.create with a home and a key on a box
// where n users already have theirs, with the box sync on (as in
// production): what the cost of a create on a real box grows like.
func BenchmarkCreateOnBox(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			e := openTest(b)
			seedUsersWith(b, e, n, true)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				mustCall(b, e, "user.create", fmt.Sprintf(`{"username":"bench%d","full_name":"Bench","group_create":true,`+
					`"password_disabled":true,"smb":false,"home":"/mnt/tank","home_create":true,"shell":"/usr/bin/bash",`+
					`"sshpubkey":"%sbench%d"}`, i, testKey, i))
			}
		})
	}
}

// BenchmarkUserCreateSMB is a create with TrueNAS's default smb: true:
// SMB users are members of builtin_users, so each create rewrites that
// group's line, which lists every SMB user (the seeded users are members).
func BenchmarkUserCreateSMB(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			e := openTest(b)
			ids := seedUsers(b, e, n)
			ctx := context.Background()
			t, err := e.begin(ctx, true)
			if err != nil {
				b.Fatal(err)
			}
			bu, err := builtinGroupID(ctx, t, "builtin_users")
			if err != nil || bu == 0 {
				b.Fatal("no builtin_users", err)
			}
			for _, id := range ids {
				if _, err := t.ExecContext(ctx, `INSERT INTO memberships (group_id, user_id) VALUES (?, ?)`, bu, id); err != nil {
					b.Fatal(err)
				}
			}
			for _, q := range []string{`UPDATE groups SET members_managed = 1 WHERE name = 'builtin_users'`,
				`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'`} {
				if _, err := t.ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			if err := t.commit(ctx); err != nil {
				b.Fatal(err)
			}
			if err := e.syncBox(ctx, true); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				mustCall(b, e, "user.create", fmt.Sprintf(`{"username":"bench%d","full_name":"Bench","group_create":true,"password":"Secret123","smb":true}`, i))
			}
		})
	}
}

// BenchmarkConcurrentCreate: callers goroutines each create one user at
// the same time, on a box of 10 users, with one apply per call (as before
// group commit: apply=each) and with group commit (apply=grouped). It
// reports the box's syncs (fsync, syncfs) and the milliseconds per created
// user, side by side in one run.
func BenchmarkConcurrentCreate(b *testing.B) {
	for _, callers := range []int{1, 10, 100} {
		for _, each := range []bool{true, false} {
			mode := "grouped"
			if each {
				mode = "each"
			}
			b.Run(fmt.Sprintf("callers=%d/apply=%s", callers, mode), func(b *testing.B) {
				e := openTest(b)
				e.eachApplies = each
				seedUsers(b, e, 10)
				syncs0 := boxSyncs()
				start := time.Now()
				created := 0
				for i := 0; b.Loop(); i++ {
					var wg sync.WaitGroup
					for c := range callers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							mustCall(b, e, "user.create", fmt.Sprintf(`{"username":"c%dx%d","full_name":"C","group_create":true,"password_disabled":true,"smb":false}`, i, c))
						}()
					}
					wg.Wait()
					created += callers
				}
				b.ReportMetric(float64(boxSyncs()-syncs0)/float64(created), "fsyncs/user")
				b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(created), "ms/user")
			})
		}
	}
}

// boxSyncs is the syncs a box write costs: the box files' (box.Syncs) and
// the store's for the intents recorded before them.
func boxSyncs() int64 { return box.Syncs() + intentSyncs.Load() }

// BenchmarkCreateScaling: the cost of one user.create (with a home and an
// SSH key, brought in line on the box) on a box of 10 users and on one of
// 10 000, measured in the same run, the calls to the two boxes taking
// turns so that a change in the machine's load falls on both; it reports
// both and their ratio (the goal: at most 3).
func BenchmarkCreateScaling(b *testing.B) {
	sizes := []int{10, 10000}
	engines := make([]*Engine, len(sizes))
	for i, n := range sizes {
		engines[i] = openTest(b)
		seedUsersWith(b, engines[i], n, true)
	}
	spent := make([]time.Duration, len(sizes))
	calls := 0
	for b.Loop() {
		for j := range 20 {
			for i, e := range engines {
				start := time.Now()
				mustCall(b, e, "user.create", fmt.Sprintf(`{"username":"scale%dx%d","full_name":"S","group_create":true,"password_disabled":true,"smb":false,"home":"/mnt/tank","home_create":true,"sshpubkey":"`+testKey+`scale%d"}`, calls, j, j))
				spent[i] += time.Since(start)
			}
		}
		calls++
	}
	ms := func(i int) float64 { return float64(spent[i].Microseconds()) / 1000 / float64(20*calls) }
	b.ReportMetric(ms(0), "ms/create@10")
	b.ReportMetric(ms(1), "ms/create@10000")
	b.ReportMetric(ms(1)/ms(0), "ratio")
}

package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// The system.* methods clients call before they touch accounts: a
// WebSocket provider reads system.info before every user create/update,
// TrueNAS's clients system.version_short. Answers are those of
// plugins/system/info.py and plugins/system/product.py (TS-25.10.6),
// in api/v25_10_5/system.py's SystemInfoResult, about the box the engine
// runs on.

func systemMethods() map[string]method {
	return map[string]method{
		"system.info": plain(0, (*Engine).systemInfo),
		"system.version_short": plain(0, func(e *Engine, _ context.Context, _ []json.RawMessage) (any, error) {
			return e.Release().Version, nil
		}),
	}
}

// dateOf is a datetime as the middleware's JSON encoder writes it.
func dateOf(t time.Time) map[string]int64 { return map[string]int64{"$date": t.UnixMilli()} }

func (e *Engine) systemInfo(ctx context.Context, _ []json.RawMessage) (any, error) {
	now := e.now()
	uptime := monotonicRaw()
	model, physical := cpuModel()
	dmi := func(name string) any {
		b, err := os.ReadFile("/sys/class/dmi/id/" + name)
		if s := strings.TrimSpace(string(b)); err == nil && s != "" {
			return s
		}
		return nil
	}
	var load [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		for i := 0; i < 3 && i < len(f); i++ {
			load[i], _ = strconv.ParseFloat(f[i], 64)
		}
	}
	_, eccErr := os.Stat("/sys/devices/system/edac/mc/mc0")
	return map[string]any{
		"version":                e.infoVersion(),
		"buildtime":              dateOf(buildTime()),
		"hostname":               e.hostname(),
		"physmem":                physmem(),
		"model":                  model,
		"cores":                  runtime.NumCPU(),
		"physical_cores":         physical,
		"loadavg":                load[:],
		"uptime":                 pyTimedelta(uptime),
		"uptime_seconds":         uptime.Seconds(),
		"system_serial":          dmi("product_serial"),
		"system_product":         dmi("product_name"),
		"system_product_version": dmi("product_version"),
		"license":                nil,
		"boottime":               dateOf(now.Add(-uptime)),
		"datetime":               dateOf(now),
		"timezone":               e.timezone(),
		"system_manufacturer":    dmi("sys_vendor"),
		"ecc_memory":             eccErr == nil,
	}, nil
}

// readRootFile reads a small file of the engine's root, never outside it
// (os.Root refuses a symbolic link that leaves it).
func (e *Engine) readRootFile(rel string) (string, bool) {
	r, err := os.OpenRoot(e.root)
	if err != nil {
		return "", false
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// hostname is the root's etc/hostname, else the kernel's.
func (e *Engine) hostname() string {
	if s, ok := e.readRootFile("etc/hostname"); ok && s != "" {
		return strings.SplitN(s, "\n", 2)[0]
	}
	h, _ := os.Hostname()
	return h
}

// timezone is the root's etc/timezone; TrueNAS's default
// (system.settings stg_timezone) when it has none.
func (e *Engine) timezone() string {
	if s, ok := e.readRootFile("etc/timezone"); ok && s != "" {
		return strings.SplitN(s, "\n", 2)[0]
	}
	return "America/Los_Angeles"
}

// pyTimedelta is str(timedelta(seconds=d)): "H:MM:SS.ffffff", with
// "N day(s), " in front past a day.
func pyTimedelta(d time.Duration) string {
	us := d.Microseconds()
	days := us / 86400e6
	us -= days * 86400e6
	h, m, s, frac := us/3600e6, us/60e6%60, us/1e6%60, us%1e6
	out := strconv.FormatInt(h, 10) + ":" + pad2(m) + ":" + pad2(s)
	if frac != 0 {
		out += "." + strings.Repeat("0", 6-len(strconv.FormatInt(frac, 10))) + strconv.FormatInt(frac, 10)
	}
	switch {
	case days == 1:
		out = "1 day, " + out
	case days > 1:
		out = strconv.FormatInt(days, 10) + " days, " + out
	}
	return out
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// physmem is MemTotal of /proc/meminfo in bytes (info.py mem_info).
func physmem() any {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
			if n, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return n * 1024
			}
		}
	}
	return nil
}

// cpuModel is the CPU's model name and its physical core count (distinct
// physical id and core id pairs), from /proc/cpuinfo.
func cpuModel() (string, int) {
	model := runtime.GOARCH
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return model, runtime.NumCPU()
	}
	defer f.Close()
	cores := map[string]bool{}
	phys := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "model name":
			if model == runtime.GOARCH {
				model = v
			}
		case "physical id":
			phys = v
		case "core id":
			cores[phys+"/"+v] = true
		}
	}
	if len(cores) == 0 {
		return model, runtime.NumCPU()
	}
	return model, len(cores)
}

// buildTime is when the engine was built (the commit time the Go toolchain
// records), else when its program file was written.
func buildTime() time.Time {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t
				}
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			return st.ModTime()
		}
	}
	return time.Unix(0, 0)
}

// infoVersion is system.info's version: SCALE's manifest version, CORE's
// system.version (plugins/system.py info() at TN-13.3-U1.2: self.version()).
func (e *Engine) infoVersion() string {
	if r := e.Release(); r.Core() {
		return r.FullVersion()
	}
	return e.Release().Version
}

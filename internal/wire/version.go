package wire

import (
	"fmt"
	"regexp"
	"strconv"
)

// Release is a TrueNAS release as system.version names it.
type Release struct {
	Year, Month, Patch, Fix int    // 25, 10, 6, 0 for "25.10.6"; 24, 10, 2, 2 for "24.10.2.2"
	Rest                    string // whatever follows the numbers: "-BETA.1", "+engine.dev", "-MASTER-..."
	Raw                     string // the whole answer
}

// systemVersion reads what system.version answers on TrueNAS SCALE
// ("TrueNAS-SCALE-24.04.2", utils/__init__.py at TS-25.10.6 builds
// "TrueNAS-25.10.6"), on nightlies and betas ("TrueNAS-25.10-MASTER-2025...",
// "TrueNAS-26.0.0-BETA.1"), on TrueNAS CORE ("TrueNAS-13.0-U6.1") and on this
// project's engine (any suffix after the numbers).
var systemVersion = regexp.MustCompile(`^TrueNAS(?:-SCALE)?-(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$`)

// ParseRelease reads a system.version answer; ok is false when it is not
// one of TrueNAS's forms.
func ParseRelease(s string) (Release, bool) {
	m := systemVersion.FindStringSubmatch(s)
	if m == nil {
		return Release{Raw: s}, false
	}
	n := func(x string) int {
		v, _ := strconv.Atoi(x)
		return v
	}
	return Release{Year: n(m[1]), Month: n(m[2]), Patch: n(m[3]), Fix: n(m[4]), Rest: m[5], Raw: s}, true
}

// Before reports whether r is older than year.month.
func (r Release) Before(year, month int) bool {
	return r.Year < year || (r.Year == year && r.Month < month)
}

func (r Release) String() string {
	// SCALE's year.month releases write the month with two digits
	// (25.04); 26.0 and CORE's 13.0 are not months.
	s := fmt.Sprintf("%d.%d.%d", r.Year, r.Month, r.Patch)
	if r.Year >= 20 && r.Month >= 1 && r.Month <= 9 {
		s = fmt.Sprintf("%d.%02d.%d", r.Year, r.Month, r.Patch)
	}
	if r.Fix > 0 {
		s += fmt.Sprintf(".%d", r.Fix)
	}
	return s
}

// MinRelease is the oldest release whose account API the provider speaks:
// 25.04 added API keys bound to users and the versioned JSON-RPC API.
const (
	MinReleaseYear  = 25
	MinReleaseMonth = 4
)

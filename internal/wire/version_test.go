package wire

import "testing"

func TestParseRelease(t *testing.T) {
	cases := []struct {
		in                      string
		year, month, patch, fix int
		rest, str               string
		before2504              bool
	}{
		{"TrueNAS-25.10.6", 25, 10, 6, 0, "", "25.10.6", false},
		{"TrueNAS-SCALE-25.10.0+engine.dev", 25, 10, 0, 0, "+engine.dev", "25.10.0", false},
		{"TrueNAS-25.10.6-engine.1.2.3", 25, 10, 6, 0, "-engine.1.2.3", "25.10.6", false},
		{"TrueNAS-SCALE-24.04.2", 24, 4, 2, 0, "", "24.04.2", true},
		{"TrueNAS-SCALE-24.10.2.2", 24, 10, 2, 2, "", "24.10.2.2", true},
		{"TrueNAS-26.0.0-BETA.1", 26, 0, 0, 0, "-BETA.1", "26.0.0", false},
		{"TrueNAS-25.10-MASTER-20250714-123456", 25, 10, 0, 0, "-MASTER-20250714-123456", "25.10.0", false},
		{"TrueNAS-25.04.2.6", 25, 4, 2, 6, "", "25.04.2.6", false},
		{"TrueNAS-13.0-U6.1", 13, 0, 0, 0, "-U6.1", "13.0.0", true},
	}
	for _, c := range cases {
		r, ok := ParseRelease(c.in)
		if !ok || r.Year != c.year || r.Month != c.month || r.Patch != c.patch || r.Fix != c.fix || r.Rest != c.rest || r.Raw != c.in {
			t.Errorf("ParseRelease(%q) = %+v, %v", c.in, r, ok)
		}
		if r.String() != c.str {
			t.Errorf("%q: String() = %q, want %q", c.in, r.String(), c.str)
		}
		if r.Before(MinReleaseYear, MinReleaseMonth) != c.before2504 {
			t.Errorf("%q: Before(25.04) = %v", c.in, !c.before2504)
		}
	}
	for _, in := range []string{"", "FreeNAS-11.3", "TrueNAS", "TrueNAS-SCALE-x.y", "25.10.6"} {
		if _, ok := ParseRelease(in); ok {
			t.Errorf("ParseRelease(%q) ok", in)
		}
	}
}

package provider

import (
	"os"
	"testing"
)

// TestQuietSDKLogs checks when the SDK's own logs are turned off: only in
// a provider process that Terraform started, only when Terraform keeps no
// provider logs, and never over a level the user set.
func TestQuietSDKLogs(t *testing.T) {
	unset := func(t *testing.T, names ...string) {
		for _, n := range names {
			t.Setenv(n, "") // restored after the test
			os.Unsetenv(n)
		}
	}
	all := append([]string{"TF_PLUGIN_MAGIC_COOKIE", "TF_LOG", "TF_LOG_PROVIDER"}, sdkLogLevelVars...)
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string // "" = unset
	}{
		{"started by Terraform, no TF_LOG", map[string]string{"TF_PLUGIN_MAGIC_COOKIE": "x"},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF"}},
		{"TF_LOG=off", map[string]string{"TF_PLUGIN_MAGIC_COOKIE": "x", "TF_LOG": "off"},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF"}},
		{"TF_LOG=trace", map[string]string{"TF_PLUGIN_MAGIC_COOKIE": "x", "TF_LOG": "trace"},
			map[string]string{"TF_LOG_SDK": "", "TF_LOG_SDK_PROTO": "", "TF_LOG_SDK_FRAMEWORK": ""}},
		{"TF_LOG=DEBUG", map[string]string{"TF_PLUGIN_MAGIC_COOKIE": "x", "TF_LOG": "DEBUG"},
			map[string]string{"TF_LOG_SDK": "", "TF_LOG_SDK_PROTO": "", "TF_LOG_SDK_FRAMEWORK": ""}},
		{"TF_LOG_PROVIDER wins over TF_LOG", map[string]string{"TF_PLUGIN_MAGIC_COOKIE": "x", "TF_LOG": "off", "TF_LOG_PROVIDER": "TRACE"},
			map[string]string{"TF_LOG_SDK": "", "TF_LOG_SDK_PROTO": "", "TF_LOG_SDK_FRAMEWORK": ""}},
		{"a level the user set is kept", map[string]string{"TF_PLUGIN_MAGIC_COOKIE": "x", "TF_LOG_SDK_FRAMEWORK": "TRACE"},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "TRACE"}},
		{"not started by Terraform (tests, debug mode)", map[string]string{},
			map[string]string{"TF_LOG_SDK": "", "TF_LOG_SDK_PROTO": "", "TF_LOG_SDK_FRAMEWORK": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			unset(t, all...)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			quietSDKLogs()
			for k, want := range tc.want {
				if got := os.Getenv(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

package provider

import (
	"os"
	"strings"
)

// sdkLogLevelVars are the variables that set the levels of the plugin SDK's
// own loggers (terraform-plugin-go and terraform-plugin-framework). Unset,
// they log at TRACE.
var sdkLogLevelVars = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// quietSDKLogs turns the plugin SDK's own logs off when Terraform would
// drop them anyway.
//
// A provider started by Terraform writes its logs as JSON lines to stderr
// and Terraform keeps those at or above TF_LOG_PROVIDER (or TF_LOG); with
// neither set (or OFF) it keeps none. But the SDK logs at TRACE unless
// told otherwise: it builds and encodes about a dozen JSON lines per
// resource per RPC, and Terraform reads and decodes each one, only to drop
// it. In a refresh plan of 1000 users that was about a quarter of the
// provider's CPU time and most of its garbage.
//
// So, only in a provider process that Terraform started (go-plugin's magic
// cookie is set) and only when Terraform keeps no provider logs, each of
// the SDK level variables the user has not set is set to OFF. With TF_LOG
// (or TF_LOG_PROVIDER) set to any level nothing changes, so what a user
// debugging with TF_LOG sees is exactly what they saw before.
func quietSDKLogs() {
	if os.Getenv("TF_PLUGIN_MAGIC_COOKIE") == "" {
		return
	}
	level := os.Getenv("TF_LOG_PROVIDER")
	if level == "" {
		level = os.Getenv("TF_LOG")
	}
	if level != "" && !strings.EqualFold(level, "OFF") {
		return
	}
	for _, v := range sdkLogLevelVars {
		if _, set := os.LookupEnv(v); !set {
			os.Setenv(v, "OFF")
		}
	}
}

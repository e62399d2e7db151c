// Package provider is the Terraform side: the truenas provider, its
// resources, data sources and functions, built on terraform-plugin-framework.
package provider

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/remote"
)

// Defaults of the provider block.
const (
	defaultPort          = 22
	defaultUser          = "root"
	defaultEngineCommand = "midclt"
)

var (
	_ provider.Provider                       = (*truenasProvider)(nil)
	_ provider.ProviderWithFunctions          = (*truenasProvider)(nil)
	_ provider.ProviderWithValidateConfig     = (*truenasProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*truenasProvider)(nil)
	_ provider.ProviderWithListResources      = (*truenasProvider)(nil)
)

type truenasProvider struct {
	version string
	// client is the configured client, for the fast path of NewServer.
	client atomic.Pointer[client]
}

// New returns the provider factory.
func New(version string) func() provider.Provider {
	quietSDKLogs()
	return func() provider.Provider { return &truenasProvider{version: version} }
}

type providerModel struct {
	Host                    types.String `tfsdk:"host"`
	Port                    types.Int64  `tfsdk:"port"`
	User                    types.String `tfsdk:"user"`
	PrivateKey              types.String `tfsdk:"private_key"`
	PrivateKeyFile          types.String `tfsdk:"private_key_file"`
	PrivateKeyPassphrase    types.String `tfsdk:"private_key_passphrase"`
	Password                types.String `tfsdk:"password"`
	KnownHostsFile          types.String `tfsdk:"known_hosts_file"`
	HostKey                 types.String `tfsdk:"host_key"`
	InsecureIgnoreHostKey   types.Bool   `tfsdk:"insecure_ignore_host_key"`
	Sudo                    types.Bool   `tfsdk:"sudo"`
	EngineCommand           types.String `tfsdk:"engine_command"`
	EngineArgsOnCommandLine types.Bool   `tfsdk:"engine_args_on_command_line"`
}

func (p *truenasProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "truenas"
	resp.Version = p.version
}

func (p *truenasProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the local accounts (users, groups, API keys, privileges) of a TrueNAS box over SSH, " +
			"by speaking the middleware's JSON-RPC on its socket through the SSH connection (as `midclt` does), or, where " +
			"the SSH server refuses that, by running `midclt call` on the box. Every argument is optional " +
			"and falls back to an environment variable. The connection is opened only when a value has to be read " +
			"from or written to the box, so `terraform validate` and plan-time checks work without a box. " +
			"SSH agent authentication is used when `SSH_AUTH_SOCK` is set.",
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Host name or address of the box. Env: `TRUENAS_HOST`. Required as soon as the box is contacted."},
			"port": schema.Int64Attribute{Optional: true,
				MarkdownDescription: "SSH port. Env: `TRUENAS_PORT`. Default: `22`."},
			"user": schema.StringAttribute{Optional: true,
				MarkdownDescription: "SSH user. Env: `TRUENAS_USER`. Default: `root`."},
			"private_key": schema.StringAttribute{Optional: true, Sensitive: true,
				MarkdownDescription: "PEM-encoded SSH private key (content)."},
			"private_key_file": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Path of an SSH private key file. Env: `TRUENAS_PRIVATE_KEY_FILE`."},
			"private_key_passphrase": schema.StringAttribute{Optional: true, Sensitive: true,
				MarkdownDescription: "Passphrase of the private key, when it is encrypted."},
			"password": schema.StringAttribute{Optional: true, Sensitive: true,
				MarkdownDescription: "SSH password (password or keyboard-interactive authentication)."},
			"known_hosts_file": schema.StringAttribute{Optional: true,
				MarkdownDescription: "known_hosts file used to check the box's host key. Env: `TRUENAS_KNOWN_HOSTS_FILE`. Default: `~/.ssh/known_hosts`."},
			"host_key": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Pinned host key: an authorized_keys-format public key or a `SHA256:...` fingerprint. Takes precedence over `known_hosts_file`."},
			"insecure_ignore_host_key": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Accept any host key (insecure; for throw-away boxes only). Default: `false`."},
			"sudo": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Run `midclt` behind `sudo -n` (for a non-root SSH user with passwordless sudo) when the provider " +
					"uses `midclt call`: where the SSH server refuses the middleware socket channel, or where the socket does not " +
					"authenticate the SSH user (a user without a TrueNAS privilege; with `sudo` the provider then falls back to " +
					"`sudo -n midclt`). On the socket itself the SSH user's own TrueNAS privileges decide. Default: `false`."},
			"engine_command": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Engine command run on the box when the provider falls back to `midclt call`. Default: `midclt`."},
			"engine_args_on_command_line": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Allow call arguments on `midclt`'s command line (shell-quoted) when the box can be reached no " +
					"other way: the SSH server refuses a stream-local channel to the middleware socket and its `midclt` reads no " +
					"stdin (TrueNAS 25.04 and 25.10). Opt-in: arguments, passwords included, then appear in the box's process list, " +
					"and the provider warns. Without it such a box answers calls without arguments only. Default: `false`."},
		},
	}
}

func (p *truenasProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !m.Port.IsNull() && !m.Port.IsUnknown() && (m.Port.ValueInt64() < 1 || m.Port.ValueInt64() > 65535) {
		resp.Diagnostics.AddAttributeError(path.Root("port"), "Invalid port", "port must be between 1 and 65535.")
	}
	if !m.PrivateKey.IsNull() && !m.PrivateKeyFile.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("private_key"), "Conflicting arguments",
			"Set only one of private_key and private_key_file.")
	}
}

func (p *truenasProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := newClientFromModel(m)
	if c.cfg.ArgsOnCommandLine {
		resp.Diagnostics.AddAttributeWarning(path.Root("engine_args_on_command_line"), "Engine arguments may go on the box's command line",
			"engine_args_on_command_line = true lets the provider put call arguments, passwords included, on midclt's command line "+
				"when the box can be reached no other way (SSH stream-local forwarding off and a midclt that reads no stdin, as on "+
				"TrueNAS 25.04 and 25.10). Any local user of the box can then read them in its process list (/proc). Allowing "+
				"stream-local forwarding on the box (AllowStreamLocalForwarding yes, the TrueNAS default) avoids it.")
	}
	if len(c.unknown) > 0 && req.ClientCapabilities.DeferralAllowed {
		// Terraform 1.9+ with deferred actions: plan the dependent
		// resources once the configuration is known.
		resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
	}
	resp.ResourceData = c
	resp.DataSourceData = c
	resp.EphemeralResourceData = c
	resp.ListResourceData = c
	p.client.Store(c)
}

// newClientFromModel resolves the provider block against the environment.
// Nothing is dialled here; unknown values and a missing host are reported
// only when a call is actually needed.
func newClientFromModel(m providerModel) *client {
	c := &client{}
	unknown := []string{}
	str := func(name string, v types.String, env, def string) string {
		switch {
		case v.IsUnknown():
			unknown = append(unknown, name)
			return ""
		case !v.IsNull():
			return v.ValueString()
		}
		if env != "" {
			if e := os.Getenv(env); e != "" {
				return e
			}
		}
		return def
	}
	boolean := func(name string, v types.Bool) bool {
		if v.IsUnknown() {
			unknown = append(unknown, name)
			return false
		}
		return v.ValueBool()
	}
	cfg := remote.Config{}
	cfg.Host = str("host", m.Host, "TRUENAS_HOST", "")
	switch {
	case m.Port.IsUnknown():
		unknown = append(unknown, "port")
	case !m.Port.IsNull():
		cfg.Port = int(m.Port.ValueInt64())
	default:
		cfg.Port = defaultPort
		if e := os.Getenv("TRUENAS_PORT"); e != "" {
			n, err := strconv.Atoi(e)
			if err != nil || n < 1 || n > 65535 {
				c.configErr = "TRUENAS_PORT must be a port number between 1 and 65535."
			}
			cfg.Port = n
		}
	}
	cfg.User = str("user", m.User, "TRUENAS_USER", defaultUser)
	cfg.PrivateKey = str("private_key", m.PrivateKey, "", "")
	cfg.PrivateKeyFile = str("private_key_file", m.PrivateKeyFile, "TRUENAS_PRIVATE_KEY_FILE", "")
	cfg.PrivateKeyPassphrase = str("private_key_passphrase", m.PrivateKeyPassphrase, "", "")
	cfg.Password = str("password", m.Password, "", "")
	cfg.UseAgent = os.Getenv("SSH_AUTH_SOCK") != ""
	defKnown := ""
	if home, err := os.UserHomeDir(); err == nil {
		defKnown = filepath.Join(home, ".ssh", "known_hosts")
	}
	cfg.KnownHostsFile = str("known_hosts_file", m.KnownHostsFile, "TRUENAS_KNOWN_HOSTS_FILE", defKnown)
	cfg.HostKey = str("host_key", m.HostKey, "", "")
	cfg.InsecureIgnoreHostKey = boolean("insecure_ignore_host_key", m.InsecureIgnoreHostKey)
	cfg.Sudo = boolean("sudo", m.Sudo)
	cfg.EngineCommand = str("engine_command", m.EngineCommand, "", defaultEngineCommand)
	cfg.ArgsOnCommandLine = boolean("engine_args_on_command_line", m.EngineArgsOnCommandLine)
	c.cfg = cfg
	c.unknown = unknown
	if cfg.Host == "" && len(unknown) == 0 && c.configErr == "" {
		c.configErr = "The provider has no host: set `host` in the provider block or the TRUENAS_HOST environment variable."
	}
	return c
}

func (p *truenasProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewUserResource, NewGroupResource, NewAPIKeyResource, NewPrivilegeResource}
}

func (p *truenasProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewUserDataSource, NewUsersDataSource, NewGroupDataSource, NewGroupsDataSource, NewAPIKeysDataSource,
		NewPrivilegeDataSource, NewPrivilegesDataSource,
	}
}

func (p *truenasProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{NewSuggestUsernameFunction}
}

func (p *truenasProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewEphemeralAPIKey}
}

func (p *truenasProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{NewUserList, NewGroupList, NewAPIKeyList, NewPrivilegeList}
}

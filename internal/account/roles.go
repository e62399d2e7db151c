package account

import (
	"slices"
	"strings"
)

// RoleInfo is one role of TrueNAS's role manager, as privilege.roles
// returns it: name, title (TrueNAS sets it to the name), the roles it
// includes, whether it is a built-in (internal, method-level) role rather
// than one made for administrators to assign, and the STIG under which it
// is available (1, GPOS, or null when no STIG grants it).
type RoleInfo struct {
	Name      string   `json:"name"`
	Title     string   `json:"title"`
	Includes  []string `json:"includes"`
	Builtin   bool     `json:"builtin"`
	STIG      *int     `json:"stig"`
	FullAdmin bool     `json:"-"`
}

// stigGPOS is STIGType.GPOS (utils/security.py: an IntFlag, GPOS = 1), the
// default STIG of a role.
var stigGPOS = func() *int { v := 1; return &v }()

// roleTable is ROLES of src/middlewared/middlewared/role.py at TS-25.10.6
// (lines 23-274), in its order; READONLY_ADMIN is appended by roleList as
// role.py:275 defines it. Title is filled in by roleList.
var roleTable = []RoleInfo{
	{Name: "ACCOUNT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "ACCOUNT_WRITE", Includes: []string{"ACCOUNT_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "API_KEY_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "API_KEY_WRITE", Includes: []string{"API_KEY_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "AUTH_SESSIONS_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "AUTH_SESSIONS_WRITE", Includes: []string{"AUTH_SESSIONS_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "BOOT_ENV_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "BOOT_ENV_WRITE", Includes: []string{"BOOT_ENV_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DIRECTORY_SERVICE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DIRECTORY_SERVICE_WRITE", Includes: []string{"DIRECTORY_SERVICE_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DISK_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DISK_WRITE", Includes: []string{"DISK_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FAILOVER_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FAILOVER_WRITE", Includes: []string{"FAILOVER_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FILESYSTEM_ATTRS_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FILESYSTEM_ATTRS_WRITE", Includes: []string{"FILESYSTEM_ATTRS_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FILESYSTEM_DATA_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FILESYSTEM_DATA_WRITE", Includes: []string{"FILESYSTEM_DATA_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FILESYSTEM_FULL_CONTROL", Includes: []string{"FILESYSTEM_ATTRS_WRITE", "FILESYSTEM_DATA_WRITE"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "IPMI_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "IPMI_WRITE", Includes: []string{"IPMI_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "KMIP_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "KMIP_WRITE", Includes: []string{"KMIP_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "MAIL_WRITE", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "PRIVILEGE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "PRIVILEGE_WRITE", Includes: []string{"PRIVILEGE_WRITE"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPORTING_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPORTING_WRITE", Includes: []string{"REPORTING_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SUPPORT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SUPPORT_WRITE", Includes: []string{"SUPPORT_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SSH_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SSH_WRITE", Includes: []string{"SSH_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_AUDIT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_AUDIT_WRITE", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "FULL_ADMIN", Includes: []string{}, Builtin: false, FullAdmin: true, STIG: stigGPOS},
	{Name: "ALERT_LIST_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "ALERT_LIST_WRITE", Includes: []string{"ALERT_LIST_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "ALERT_READ", Includes: []string{"ALERT_LIST_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "ALERT_WRITE", Includes: []string{"ALERT_LIST_WRITE", "ALERT_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "CLOUD_BACKUP_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "CLOUD_BACKUP_WRITE", Includes: []string{"CLOUD_BACKUP_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "CLOUD_SYNC_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "CLOUD_SYNC_WRITE", Includes: []string{"CLOUD_SYNC_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SERVICE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SERVICE_WRITE", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "ENCLOSURE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "ENCLOSURE_WRITE", Includes: []string{"ENCLOSURE_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "NETWORK_GENERAL_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "NETWORK_GENERAL_WRITE", Includes: []string{"NETWORK_GENERAL_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "NETWORK_INTERFACE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "NETWORK_INTERFACE_WRITE", Includes: []string{"NETWORK_INTERFACE_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "VM_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "VM_WRITE", Includes: []string{"VM_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "VM_DEVICE_READ", Includes: []string{"VM_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "VM_DEVICE_WRITE", Includes: []string{"VM_WRITE", "VM_DEVICE_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "JBOF_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "JBOF_WRITE", Includes: []string{"JBOF_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "TRUECOMMAND_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "TRUECOMMAND_WRITE", Includes: []string{"TRUECOMMAND_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "TRUENAS_CONNECT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "TRUENAS_CONNECT_WRITE", Includes: []string{"TRUENAS_CONNECT_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "CERTIFICATE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "CERTIFICATE_WRITE", Includes: []string{"CERTIFICATE_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "CATALOG_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "CATALOG_WRITE", Includes: []string{"CATALOG_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "DOCKER_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DOCKER_WRITE", Includes: []string{"DOCKER_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "APPS_READ", Includes: []string{"CATALOG_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "APPS_WRITE", Includes: []string{"CATALOG_WRITE", "APPS_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "SHARING_FTP_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_FTP_WRITE", Includes: []string{"SHARING_FTP_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_AUTH_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_AUTH_WRITE", Includes: []string{"SHARING_ISCSI_AUTH_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_EXTENT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_EXTENT_WRITE", Includes: []string{"SHARING_ISCSI_EXTENT_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_GLOBAL_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_GLOBAL_WRITE", Includes: []string{"SHARING_ISCSI_GLOBAL_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_HOST_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_HOST_WRITE", Includes: []string{"SHARING_ISCSI_HOST_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_INITIATOR_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_INITIATOR_WRITE", Includes: []string{"SHARING_ISCSI_INITIATOR_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_PORTAL_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_PORTAL_WRITE", Includes: []string{"SHARING_ISCSI_PORTAL_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_TARGET_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_TARGET_WRITE", Includes: []string{"SHARING_ISCSI_TARGET_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_TARGETEXTENT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_TARGETEXTENT_WRITE", Includes: []string{"SHARING_ISCSI_TARGETEXTENT_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_READ", Includes: []string{"SHARING_ISCSI_AUTH_READ", "SHARING_ISCSI_EXTENT_READ", "SHARING_ISCSI_GLOBAL_READ", "SHARING_ISCSI_HOST_READ", "SHARING_ISCSI_INITIATOR_READ", "SHARING_ISCSI_PORTAL_READ", "SHARING_ISCSI_TARGET_READ", "SHARING_ISCSI_TARGETEXTENT_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ISCSI_WRITE", Includes: []string{"SHARING_ISCSI_AUTH_WRITE", "SHARING_ISCSI_EXTENT_WRITE", "SHARING_ISCSI_GLOBAL_WRITE", "SHARING_ISCSI_HOST_WRITE", "SHARING_ISCSI_INITIATOR_WRITE", "SHARING_ISCSI_PORTAL_WRITE", "SHARING_ISCSI_TARGET_WRITE", "SHARING_ISCSI_TARGETEXTENT_WRITE"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_NFS_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_NFS_WRITE", Includes: []string{"SHARING_NFS_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_NVME_TARGET_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_NVME_TARGET_WRITE", Includes: []string{"SHARING_NVME_TARGET_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_SMB_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_SMB_WRITE", Includes: []string{"SHARING_SMB_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_READ", Includes: []string{"SHARING_ISCSI_READ", "SHARING_NFS_READ", "SHARING_NVME_TARGET_READ", "SHARING_SMB_READ", "SHARING_FTP_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_WRITE", Includes: []string{"SHARING_ISCSI_WRITE", "SHARING_NFS_WRITE", "SHARING_NVME_TARGET_WRITE", "SHARING_SMB_WRITE", "SHARING_FTP_WRITE"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "KEYCHAIN_CREDENTIAL_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "KEYCHAIN_CREDENTIAL_WRITE", Includes: []string{"KEYCHAIN_CREDENTIAL_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPLICATION_TASK_CONFIG_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPLICATION_TASK_CONFIG_WRITE", Includes: []string{"REPLICATION_TASK_CONFIG_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPLICATION_TASK_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPLICATION_TASK_WRITE", Includes: []string{"REPLICATION_TASK_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPLICATION_TASK_WRITE_PULL", Includes: []string{"REPLICATION_TASK_WRITE"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SNAPSHOT_TASK_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SNAPSHOT_TASK_WRITE", Includes: []string{"SNAPSHOT_TASK_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "POOL_SCRUB_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "POOL_SCRUB_WRITE", Includes: []string{"POOL_SCRUB_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "POOL_READ", Includes: []string{"POOL_SCRUB_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "POOL_WRITE", Includes: []string{"POOL_READ", "POOL_SCRUB_WRITE"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DATASET_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DATASET_WRITE", Includes: []string{"DATASET_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "DATASET_DELETE", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SNAPSHOT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SNAPSHOT_WRITE", Includes: []string{"SNAPSHOT_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SNAPSHOT_DELETE", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "REPLICATION_ADMIN", Includes: []string{"KEYCHAIN_CREDENTIAL_WRITE", "REPLICATION_TASK_CONFIG_WRITE", "REPLICATION_TASK_WRITE", "SNAPSHOT_TASK_WRITE", "SNAPSHOT_WRITE"}, Builtin: false, FullAdmin: false, STIG: stigGPOS},
	{Name: "SHARING_ADMIN", Includes: []string{"READONLY_ADMIN", "DATASET_WRITE", "SHARING_WRITE", "FILESYSTEM_ATTRS_WRITE", "SERVICE_READ"}, Builtin: false, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_GENERAL_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_GENERAL_WRITE", Includes: []string{"SYSTEM_GENERAL_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_PRODUCT_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_PRODUCT_WRITE", Includes: []string{"SYSTEM_PRODUCT_WRITE"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_ADVANCED_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_ADVANCED_WRITE", Includes: []string{"SYSTEM_ADVANCED_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_SECURITY_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_SECURITY_WRITE", Includes: []string{"SYSTEM_SECURITY_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_TUNABLE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_TUNABLE_WRITE", Includes: []string{"SYSTEM_TUNABLE_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_CRON_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_CRON_WRITE", Includes: []string{"SYSTEM_CRON_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_UPDATE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "SYSTEM_UPDATE_WRITE", Includes: []string{"SYSTEM_UPDATE_READ"}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "VIRT_GLOBAL_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "VIRT_GLOBAL_WRITE", Includes: []string{"VIRT_GLOBAL_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "VIRT_INSTANCE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "VIRT_INSTANCE_WRITE", Includes: []string{"VIRT_INSTANCE_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "VIRT_INSTANCE_DELETE", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "VIRT_IMAGE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
	{Name: "VIRT_IMAGE_WRITE", Includes: []string{"VIRT_IMAGE_READ"}, Builtin: true, FullAdmin: false, STIG: nil},
	{Name: "ZFS_RESOURCE_READ", Includes: []string{}, Builtin: true, FullAdmin: false, STIG: stigGPOS},
}

// roleList completes roleTable: titles, and READONLY_ADMIN, which includes
// every role defined before it whose name ends in _READ (role.py:275).
var roleList = func() []RoleInfo {
	out := make([]RoleInfo, 0, len(roleTable)+1)
	var reads []string
	for _, r := range roleTable {
		r.Title = r.Name
		out = append(out, r)
		if strings.HasSuffix(r.Name, "_READ") {
			reads = append(reads, r.Name)
		}
	}
	return append(out, RoleInfo{Name: "READONLY_ADMIN", Title: "READONLY_ADMIN", Includes: reads, Builtin: false, STIG: stigGPOS})
}()

var roleIndex = func() map[string]int {
	m := make(map[string]int, len(roleList))
	for i, r := range roleList {
		m[r.Name] = i
	}
	return m
}()

// Roles returns every role of TrueNAS 25.10.6's role manager, in its order,
// as privilege.roles returns them.
func Roles() []RoleInfo {
	out := make([]RoleInfo, len(roleList))
	for i, r := range roleList {
		r.Includes = slices.Clone(r.Includes)
		out[i] = r
	}
	return out
}

// RoleNames returns the names of every role, in the role manager's order:
// the values a privilege's roles may take.
func RoleNames() []string {
	out := make([]string, len(roleList))
	for i, r := range roleList {
		out[i] = r.Name
	}
	return out
}

// IsRole says whether name is a role of the role manager (the check of
// privilege.py's _validate: "Invalid role").
func IsRole(name string) bool {
	_, ok := roleIndex[name]
	return ok
}

// ExpandRole returns the role and every role it includes, transitively, as
// the role manager's roles_for_role does with no STIG enabled (role.py:
// 335-345): FULL_ADMIN expands to every role. An unknown role expands to
// nothing.
func ExpandRole(name string) []string {
	i, ok := roleIndex[name]
	if !ok {
		return nil
	}
	if roleList[i].FullAdmin {
		return RoleNames()
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		j, ok := roleIndex[n]
		if !ok || seen[n] {
			return
		}
		seen[n] = true
		for _, inc := range roleList[j].Includes {
			walk(inc)
		}
	}
	walk(name)
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

package account

import (
	"fmt"
	"strconv"
	"strings"
)

// SIDs of local accounts, as TrueNAS 25.10.6 computes them
// (utils/sid.py, plugins/account.py user_extend and group_extend): the
// box's domain SID ("S-1-5-21-a-b-c", random, kept by the box) and a RID.
const (
	BaseRIDUser     int64 = 20000  // utils/sid.py:11 BASE_RID_USER
	BaseRIDGroup    int64 = 200000 // utils/sid.py:12 BASE_RID_GROUP
	DomainRIDAdmins int64 = 512    // utils/sid.py:23 DomainRid.ADMINS
	DomainRIDGuests int64 = 514    // utils/sid.py:25 DomainRid.GUESTS
	domSIDPrefix          = "S-1-5-21-"
)

// DomainSID formats a domain SID from its three sub-authorities
// (utils/sid.py:137 random_sid).
func DomainSID(a, b, c uint32) string { return fmt.Sprintf("%s%d-%d-%d", domSIDPrefix, a, b, c) }

// ValidDomainSID says whether s is a domain SID without a RID, each
// sub-authority 1 to 2**32 (utils/sid.py:146 sid_is_valid).
func ValidDomainSID(s string) bool {
	rest, ok := strings.CutPrefix(s, domSIDPrefix)
	if !ok {
		return false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil || n < 1 || n > 1<<32 {
			return false
		}
	}
	return true
}

// UserSID is the SID of the local user with database id id
// (plugins/account.py:341-344): the domain SID and RID id + 20000 for an
// SMB user, nil for the others (and when the box has no domain SID).
func UserSID(domain string, id int64, smb bool) *string {
	if !smb || domain == "" {
		return nil
	}
	s := fmt.Sprintf("%s-%d", domain, id+BaseRIDUser)
	return &s
}

// GroupSID is the SID of a local group (plugins/account.py:1967-1976):
// builtin_administrators and builtin_guests have the well-known domain
// RIDs 512 and 514, whatever their smb flag; other SMB groups RID
// id + 200000; the others nil.
func GroupSID(domain, name string, id int64, smb bool) *string {
	if domain == "" {
		return nil
	}
	var rid int64
	switch {
	case name == "builtin_administrators":
		rid = DomainRIDAdmins
	case name == "builtin_guests":
		rid = DomainRIDGuests
	case smb:
		rid = id + BaseRIDGroup
	default:
		return nil
	}
	s := fmt.Sprintf("%s-%d", domain, rid)
	return &s
}

package account

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// Pydantic messages (pydantic 2, strict mode) that the decoders emit.
const (
	msgDict         = "Input should be a valid dictionary"
	msgExtra        = "Extra inputs are not permitted"
	msgRequired     = "Field required"
	msgInt          = "Input should be a valid integer"
	msgBool         = "Input should be a valid boolean"
	msgString       = "Input should be a valid string"
	msgList         = "Input should be a valid list"
	msgDatetime     = "Input should be a valid datetime"
	msgDirect       = "Input should be 'DIRECT'"
	msgDirectOrNone = "Input should be 'DIRECT' or None"
	msgMinOneChar   = "String should have at least 1 character"
	msgEmailInvalid = "value is not a valid email address: "
)

// Length limits of the payload strings.
const (
	// MaxStringLength is pydantic's str_max_length for every plain string.
	MaxStringLength = 1024
	// MaxLongStringLength is the limit of sshpubkey (LongString).
	MaxLongStringLength = 2048000
	// MaxAPIKeyNameLength is the limit of an API key's name.
	MaxAPIKeyNameLength = 200
	// MaxUsernameLength is the limit of a local username (UT_NAMESIZE).
	MaxUsernameLength = 32
	// MaxContainerXID is the largest userns_idmap number (2**32-2).
	MaxContainerXID int64 = 1<<32 - 2
)

// Username character sets of TrueNAS's api/base/types/user.py.
const (
	asciiLetters    = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	nameValidChars  = asciiLetters + "0123456789" + "_-."
	nameValidStart  = asciiLetters + "_"
	groupValidStart = asciiLetters + "0123456789" + "_."
)

func tooLong(n int) string       { return fmt.Sprintf("String should have at most %d characters", n) }
func geMsg(n int64) string       { return fmt.Sprintf("Input should be greater than or equal to %d", n) }
func leMsg(n int64) string       { return fmt.Sprintf("Input should be less than or equal to %d", n) }
func valueError(s string) string { return "Value error, " + s }

// obj is a JSON object being decoded against a model.
type obj struct {
	prefix string
	create bool     // unsent nullable keys default to null (create only)
	keys   []string // input order, first occurrence
	vals   map[string]json.RawMessage
	used   map[string]bool
	errs   Errors
}

func newObj(prefix string, create bool, raw []byte) (*obj, Errors) {
	o := &obj{prefix: prefix, create: create, vals: map[string]json.RawMessage{}, used: map[string]bool{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	bad := Errors{{Attribute: prefix, Message: msgDict, Errno: EINVAL}}
	tok, err := dec.Token()
	if err != nil {
		return nil, bad
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, bad
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, bad
		}
		k, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, bad
		}
		if _, seen := o.vals[k]; !seen {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v // the last one wins, as in Python's json
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad
	}
	return o, nil
}

func (o *obj) attr(key string) string { return o.prefix + "." + key }

func (o *obj) fail(attr, msg string) { o.errs.Add(attr, msg, EINVAL) }

// take returns the raw value of key and marks it as a model field.
func (o *obj) take(key string) (json.RawMessage, bool) {
	o.used[key] = true
	v, ok := o.vals[key]
	return v, ok
}

// excluded reports each key that is sent although the model excludes it
// (api/base/excluded.py: an Excluded field refuses any value, at its own
// place in the model's field order).
func (o *obj) excluded(keys ...string) {
	for _, k := range keys {
		if _, ok := o.take(k); ok {
			o.fail(o.attr(k), msgExtra)
		}
	}
}

// finish reports every key that is not a field of the model.
func (o *obj) finish() Errors {
	for _, k := range o.keys {
		if !o.used[k] {
			o.fail(o.attr(k), msgExtra)
		}
	}
	return o.errs
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// strOpts are the constraints of a string field.
type strOpts struct {
	required bool
	nullable bool
	min      int // 0: none
	max      int // 0: MaxStringLength
	check    func(string) string
	// normalize checks the value and returns the form pydantic keeps
	// (EmailStr), or a message.
	normalize func(string) (string, string)
}

func (o *obj) str(key string, opt strOpts, def Field[string]) Field[string] {
	raw, ok := o.take(key)
	if !ok {
		if opt.required {
			o.fail(o.attr(key), msgRequired)
		}
		return def
	}
	if isNull(raw) {
		if opt.nullable {
			return NullField[string]()
		}
		o.fail(o.attr(key), msgString)
		return def
	}
	s, msg := strValue(raw, opt)
	if msg != "" {
		o.fail(o.attr(key), msg)
		return def
	}
	return Some(s)
}

// strValue decodes and checks one string value; it returns a message on
// failure.
func strValue(raw json.RawMessage, opt strOpts) (string, string) {
	var s string
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '"' || json.Unmarshal(t, &s) != nil {
		return "", msgString
	}
	n := utf8.RuneCountInString(s)
	if opt.min > 0 && n < opt.min {
		if opt.min == 1 {
			return "", msgMinOneChar
		}
		return "", fmt.Sprintf("String should have at least %d characters", opt.min)
	}
	maxLen := opt.max
	if maxLen == 0 {
		maxLen = MaxStringLength
	}
	if n > maxLen {
		return "", tooLong(maxLen)
	}
	if opt.check != nil {
		if m := opt.check(s); m != "" {
			return "", m
		}
	}
	if opt.normalize != nil {
		return opt.normalize(s)
	}
	return s, ""
}

// intValue decodes a strict integer in [lo, hi]; it returns a message on
// failure.
func intValue(raw json.RawMessage, lo, hi int64) (int64, string) {
	t := string(bytes.TrimSpace(raw))
	if t == "" || strings.ContainsAny(t, ".eE") || !(t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) {
		return 0, msgInt
	}
	n, ok := new(big.Int).SetString(t, 10)
	if !ok {
		return 0, msgInt
	}
	if n.Cmp(big.NewInt(lo)) < 0 {
		return 0, geMsg(lo)
	}
	if n.Cmp(big.NewInt(hi)) > 0 {
		return 0, leMsg(hi)
	}
	return n.Int64(), ""
}

func (o *obj) int(key string, nullable bool, lo, hi int64, def Field[int64]) Field[int64] {
	raw, ok := o.take(key)
	if !ok {
		return def
	}
	if isNull(raw) {
		if nullable {
			return NullField[int64]()
		}
		o.fail(o.attr(key), msgInt)
		return def
	}
	n, msg := intValue(raw, lo, hi)
	if msg != "" {
		o.fail(o.attr(key), msg)
		return def
	}
	return Some(n)
}

func (o *obj) bool(key string, def bool) Field[bool] {
	raw, ok := o.take(key)
	if !ok {
		return Field[bool]{V: def}
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return Some(true)
	case "false":
		return Some(false)
	}
	o.fail(o.attr(key), msgBool)
	return Field[bool]{V: def}
}

// list decodes a JSON array; it reports a non-list and returns nil, false.
func (o *obj) list(key string) ([]json.RawMessage, bool, bool) {
	raw, ok := o.take(key)
	if !ok {
		return nil, false, false
	}
	var items []json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' || json.Unmarshal(t, &items) != nil {
		o.fail(o.attr(key), msgList)
		return nil, true, false
	}
	return items, true, true
}

func (o *obj) intList(key string) Field[[]int64] {
	items, sent, ok := o.list(key)
	if !sent {
		return Field[[]int64]{V: []int64{}}
	}
	if !ok {
		return Field[[]int64]{V: []int64{}}
	}
	out := make([]int64, 0, len(items))
	bad := false
	for i, it := range items {
		n, msg := intValue(it, math.MinInt64, math.MaxInt64)
		if msg != "" {
			o.fail(fmt.Sprintf("%s.%d", o.attr(key), i), msg)
			bad = true
			continue
		}
		out = append(out, n)
	}
	if bad {
		return Field[[]int64]{V: []int64{}}
	}
	return Some(out)
}

// strList decodes a list of non-empty strings (sudo commands).
func (o *obj) strList(key string) Field[[]string] { return o.strListWith(key, strOpts{min: 1}) }

// strListWith decodes a list of strings, each checked with opts.
func (o *obj) strListWith(key string, opts strOpts) Field[[]string] {
	items, sent, ok := o.list(key)
	if !sent || !ok {
		return Field[[]string]{V: []string{}}
	}
	out := make([]string, 0, len(items))
	bad := false
	for i, it := range items {
		s, msg := strValue(it, opts)
		if msg != "" {
			o.fail(fmt.Sprintf("%s.%d", o.attr(key), i), msg)
			bad = true
			continue
		}
		out = append(out, s)
	}
	if bad {
		return Field[[]string]{V: []string{}}
	}
	return Some(out)
}

// idmap decodes userns_idmap: "DIRECT", an int in 1..2**32-2, or null.
// The two models spell the union differently, and pydantic names the
// failed members after it: a user's is Literal['DIRECT', None] |
// ContainerXID (api/v25_10_5/user.py:73), a group's Literal['DIRECT'] |
// ContainerXID | None (api/v25_10_5/group.py:43).
func (o *obj) idmap(key string, user bool) Field[any] {
	raw, ok := o.take(key)
	if !ok {
		return Field[any]{Null: o.create}
	}
	if isNull(raw) {
		return NullField[any]()
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s == "DIRECT" {
		return Some[any]("DIRECT")
	}
	n, msg := intValue(raw, 1, MaxContainerXID)
	if msg == "" {
		return Some[any](n)
	}
	a := o.attr(key)
	if user {
		o.fail(a+".literal['DIRECT',None]", msgDirectOrNone)
	} else {
		o.fail(a+".literal['DIRECT']", msgDirect)
	}
	o.fail(a+".constrained-int", msg)
	return Field[any]{Null: o.create}
}

// apiKeyUsername decodes ApiKeyCreate.username, a LocalUsername |
// RemoteUsername union (api/v25_10_5/api_key.py:55): any string of 1 to
// 1024 characters passes as a RemoteUsername; otherwise pydantic reports
// both members, named after their validators.
func (o *obj) apiKeyUsername(key string) Field[string] {
	raw, ok := o.take(key)
	if !ok {
		o.fail(o.attr(key), msgRequired)
		return Field[string]{}
	}
	local, lmsg := strValue(raw, strOpts{check: checkLocalUsername})
	remote, rmsg := strValue(raw, strOpts{min: 1})
	switch {
	case lmsg == "":
		return Some(local)
	case rmsg == "":
		return Some(remote)
	}
	a := o.attr(key)
	o.fail(a+".function-after[validate_local_username(), constrained-str]", lmsg)
	o.fail(a+".constrained-str", rmsg)
	return Field[string]{}
}

// date decodes {"$date": ms} or null.
func (o *obj) date(key string) Field[Date] {
	raw, ok := o.take(key)
	if !ok {
		return Field[Date]{Null: o.create}
	}
	if isNull(raw) {
		return NullField[Date]()
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil && len(m) == 1 {
		if v, ok := m["$date"]; ok {
			var f json.Number
			if json.Unmarshal(v, &f) == nil {
				if ms, err := f.Float64(); err == nil && !math.IsInf(ms, 0) && math.Abs(ms) < 1e17 {
					return Some(Date{time.UnixMilli(int64(ms)).UTC()})
				}
			}
		}
	}
	o.fail(o.attr(key), msgDatetime)
	return Field[Date]{Null: o.create}
}

// pyRepr renders a string as Python's repr() does (enough for the
// characters a payload can carry).
func pyRepr(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// validateName is TrueNAS's validate_name: the pydantic AfterValidator of
// LocalUsername (maxLen 32, first char a letter or "_") and GroupName (no
// length limit, first char a letter, digit, "_" or "."). It returns the
// message ("Value error, ...") or "".
func validateName(s, validStart string, maxLen int) string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return valueError("Must be at least 1 character in length")
	}
	if maxLen > 0 && n > maxLen {
		return valueError(fmt.Sprintf("Cannot exceed %d charaters in length", maxLen))
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !strings.ContainsRune(validStart, first) {
		return valueError(fmt.Sprintf(`Cannot start with "%s"`, pyRepr(string(first))))
	}
	for _, r := range s {
		if !strings.ContainsRune(nameValidChars, r) {
			return valueError("Valid characters are: " + pyRepr(strings.Join(strings.Split(nameValidChars, ""), ", ")))
		}
	}
	return ""
}

func checkLocalUsername(s string) string { return validateName(s, nameValidStart, MaxUsernameLength) }
func checkGroupName(s string) string     { return validateName(s, groupValidStart, 0) }

func decodeUser(m *Model, raw []byte, create bool) (*UserPayload, Errors) {
	prefix := "user_update"
	if create {
		prefix = "user_create"
	}
	o, errs := newObj(prefix, create, raw)
	if errs != nil {
		return nil, errs
	}
	p := &UserPayload{Create: create}
	nullInt := Field[int64]{Null: create}
	nullStr := Field[string]{Null: create}
	def := func(v string) Field[string] {
		if create {
			return Field[string]{V: v}
		}
		return Field[string]{}
	}
	// The fields in the order of the model (pydantic reports errors in
	// that order): UserEntry's (api/v25_10_5/user.py:37), then those
	// UserCreate adds (:179-191); UserUpdate excludes uid and group_create
	// in their places (:220).
	o.excluded("id")
	if create {
		p.UID = o.int("uid", true, 0, MaxLocalID, nullInt)
	} else {
		o.excluded("uid")
	}
	p.Username = o.str("username", strOpts{required: create, check: checkLocalUsername}, Field[string]{})
	o.excluded("unixhash", "smbhash")
	p.Home = o.str("home", strOpts{min: 1}, def(DefaultHome))
	p.Shell = o.str("shell", strOpts{min: 1}, def(DefaultShell))
	p.FullName = o.str("full_name", strOpts{required: create, min: 1}, Field[string]{})
	o.excluded("builtin")
	p.SMB = o.bool("smb", create)
	if m.Webshare {
		// v26_0_0 (api/v26_0_0/user.py): after smb, default false.
		p.Webshare = o.bool("webshare", false)
	}
	p.UsernsIdmap = o.idmap("userns_idmap", true)
	p.Group = o.int("group", true, math.MinInt64, math.MaxInt64, nullInt)
	p.Groups = o.intList("groups")
	p.PasswordDisabled = o.bool("password_disabled", false)
	p.SSHPasswordEnabled = o.bool("ssh_password_enabled", false)
	p.SSHPubKey = o.str("sshpubkey", strOpts{nullable: true, max: MaxLongStringLength}, nullStr)
	p.Locked = o.bool("locked", false)
	p.SudoCommands = o.strList("sudo_commands")
	p.SudoCommandsNopasswd = o.strList("sudo_commands_nopasswd")
	if m.EmailString {
		p.Email = o.str("email", strOpts{nullable: true, check: CheckEmailString}, nullStr)
	} else {
		p.Email = o.str("email", strOpts{nullable: true, normalize: NormalizeEmail}, nullStr)
	}
	o.excluded("local", "immutable", "twofactor_auth_configured", "sid", "last_password_change", "password_age",
		"password_history", "password_change_required", "roles", "api_keys")
	if create {
		p.GroupCreate = o.bool("group_create", false)
	} else {
		o.excluded("group_create")
	}
	p.HomeCreate = o.bool("home_create", false)
	p.HomeMode = o.str("home_mode", strOpts{}, def("700"))
	p.Password = o.str("password", strOpts{nullable: true, min: 1}, nullStr)
	p.RandomPassword = o.bool("random_password", false)
	if errs := o.finish(); len(errs) > 0 {
		return p, errs
	}
	return p, nil
}

// DecodeUserCreate decodes the argument of user.create with pydantic's
// strict semantics (attribute prefix "user_create"). Keys that were not sent
// carry TrueNAS's defaults (Set false; Null true for null defaults). On
// failure the payload may be partial (do not act on it); the errors are what
// TrueNAS reports. A payload that is not a JSON object gives a nil payload.
func DecodeUserCreate(raw []byte) (*UserPayload, Errors) { return decodeUser(ModelV25_10_5, raw, true) }

// DecodeUserCreate decodes user.create's argument against m's UserCreate.
func (m *Model) DecodeUserCreate(raw []byte) (*UserPayload, Errors) { return decodeUser(m, raw, true) }

// DecodeUserUpdate decodes user.update's argument against m's UserUpdate.
func (m *Model) DecodeUserUpdate(raw []byte) (*UserPayload, Errors) { return decodeUser(m, raw, false) }

// DecodeUserUpdate decodes the argument of user.update (PATCH semantics:
// only sent keys are Set, unsent ones are zero Fields; a key sent as null is
// Set and Null; uid and group_create are rejected).
func DecodeUserUpdate(raw []byte) (*UserPayload, Errors) {
	return decodeUser(ModelV25_10_5, raw, false)
}

func decodeGroup(raw []byte, create bool) (*GroupPayload, Errors) {
	prefix := "group_update"
	if create {
		prefix = "group_create"
	}
	o, errs := newObj(prefix, create, raw)
	if errs != nil {
		return nil, errs
	}
	p := &GroupPayload{Create: create}
	// GroupEntry's field order (api/v25_10_5/group.py:19); GroupCreate
	// excludes the computed fields (:71), GroupUpdate also gid (:95).
	o.excluded("id")
	if create {
		p.GID = o.int("gid", true, 0, MaxLocalID, Field[int64]{Null: create})
	} else {
		o.excluded("gid")
	}
	p.Name = o.str("name", strOpts{required: create, check: checkGroupName}, Field[string]{})
	o.excluded("builtin")
	p.SudoCommands = o.strList("sudo_commands")
	p.SudoCommandsNopasswd = o.strList("sudo_commands_nopasswd")
	p.SMB = o.bool("smb", create)
	p.UsernsIdmap = o.idmap("userns_idmap", false)
	o.excluded("group", "local", "sid", "roles")
	p.Users = o.intList("users")
	o.excluded("immutable")
	if errs := o.finish(); len(errs) > 0 {
		return p, errs
	}
	return p, nil
}

// DecodeGroupCreate decodes the argument of group.create (prefix
// "group_create"); defaults as in TrueNAS (smb true, lists empty, gid null).
func DecodeGroupCreate(raw []byte) (*GroupPayload, Errors) { return decodeGroup(raw, true) }

// DecodeGroupUpdate decodes the argument of group.update (PATCH; gid is
// rejected).
func DecodeGroupUpdate(raw []byte) (*GroupPayload, Errors) { return decodeGroup(raw, false) }

func decodeAPIKey(m *Model, raw []byte, create bool) (*APIKeyPayload, Errors) {
	prefix := "api_key_update"
	if create {
		prefix = "api_key_create"
	}
	o, errs := newObj(prefix, create, raw)
	if errs != nil {
		return nil, errs
	}
	p := &APIKeyPayload{Create: create}
	// ApiKeyEntry's field order (api/v25_10_5/api_key.py:25); ApiKeyUpdate
	// excludes username and adds reset at the end (:74).
	o.excluded("id")
	p.Name = o.str("name", strOpts{required: create, min: 1, max: MaxAPIKeyNameLength}, Field[string]{})
	if create {
		p.Username = o.apiKeyUsername("username")
	} else {
		o.excluded("username")
	}
	if m.SCRAMKeys {
		// api/v26_0_0/api_key.py: the SCRAM material, no keyhash.
		o.excluded("user_identifier", "iterations", "salt", "stored_key", "server_key", "created_at")
	} else {
		o.excluded("user_identifier", "keyhash", "created_at")
	}
	p.ExpiresAt = o.date("expires_at")
	o.excluded("local", "revoked", "revoked_reason")
	if !create {
		p.Reset = o.bool("reset", false)
	}
	if errs := o.finish(); len(errs) > 0 {
		return p, errs
	}
	return p, nil
}

// DecodeAPIKeyCreate decodes the argument of api_key.create (prefix
// "api_key_create"; name and username required, expires_at {"$date": ms}
// or null).
func DecodeAPIKeyCreate(raw []byte) (*APIKeyPayload, Errors) {
	return decodeAPIKey(ModelV25_10_5, raw, true)
}

// DecodeAPIKeyCreate decodes api_key.create's argument against m.
func (m *Model) DecodeAPIKeyCreate(raw []byte) (*APIKeyPayload, Errors) {
	return decodeAPIKey(m, raw, true)
}

// DecodeAPIKeyUpdate decodes api_key.update's argument against m.
func (m *Model) DecodeAPIKeyUpdate(raw []byte) (*APIKeyPayload, Errors) {
	return decodeAPIKey(m, raw, false)
}

// DecodeAPIKeyUpdate decodes the argument of api_key.update (name,
// expires_at, reset; username is rejected).
func DecodeAPIKeyUpdate(raw []byte) (*APIKeyPayload, Errors) {
	return decodeAPIKey(ModelV25_10_5, raw, false)
}

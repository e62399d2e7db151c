package account

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is CORE 13.3-U1.2's argument decoding: the @accepts schemas
// of middlewared/schema.py at TN-13.3-U1.2, which differ from SCALE's
// pydantic models in kind, not only in detail. A call's arguments are
// first cleaned (Attribute.clean, schema.py:77): the first failure stops
// everything and is reported as a plain middlewared.schema.Error, "[attr]
// message", whose attribute is the bare name of the attribute that failed
// (not a path). Only when every argument is clean are they validated
// (Attribute.validate, schema.py:96): those failures are collected into a
// ValidationErrors with dotted paths ("user_create.username").

// Messages of CORE's schema.py (TN-13.3-U1.2).
const (
	coreMsgNull        = "null not allowed"        // schema.py:79
	coreMsgRequired    = "attribute required"      // schema.py:84
	coreMsgString      = "Not a string"            // schema.py:176
	coreMsgEmpty       = "Empty value not allowed" // schema.py:178, 465
	coreMsgBool        = "Not a boolean"           // schema.py:383
	coreMsgInt         = "Not an integer"          // schema.py:409
	coreMsgList        = "Not a list"              // schema.py:463
	coreMsgDict        = "A dict was expected"     // schema.py:602
	coreMsgNotExpected = "Field was not expected"  // schema.py:607
	coreMsgSQLiteInt   = "Python int too large to convert to SQLite INTEGER"
)

// CoreMaxStringLength is Str's default max_length (schema.py:166).
const CoreMaxStringLength = 1024

// CoreMaxUsernameLength is user_create.username's max_length
// (plugins/account.py:221).
const CoreMaxUsernameLength = 16

// coreUnlimited is the max_length of a Str declared max_length=None
// (schema.py:166: 2**31-1).
const coreUnlimited = 1<<31 - 1

func coreTooLong(n int) string { return fmt.Sprintf("Value greater than %d not allowed", n) }

// CoreSchemaError is a middlewared.schema.Error (schema.py:23): the first
// failure of clean(). CORE sends it as a call error (main.py:165): errno
// EINVAL, reason "[attribute] message", no extra, error class "Error" of
// module middlewared.schema. The attribute is the failing attribute's own
// name ("username", "sudo_commands", "user_create" for the whole
// argument, or the unexpected key itself).
type CoreSchemaError struct {
	Attribute string
	Message   string
}

// Error is str(e): "[attribute] message" (schema.py:31).
func (e *CoreSchemaError) Error() string { return "[" + e.Attribute + "] " + e.Message }

// CallError is the error as the client reads it: errno EINVAL, the reason
// as the message.
func (e *CoreSchemaError) CallError() *CallError {
	return &CallError{Errno: EINVAL, Message: e.Error()}
}

// coreKind is the type of a schema attribute.
type coreKind int

const (
	coreStr coreKind = iota
	coreInt
	coreBool
	coreList    // List(items=[Str(empty=False)]) when items is set, else any items
	coreDictAny // Dict(additional_attrs=True) with no attributes
	coreIntList // List(items=[Int(<items>)])
)

// coreAttr is one attribute of a Dict schema, as declared.
type coreAttr struct {
	name     string
	kind     coreKind
	required bool
	null     bool
	noEmpty  bool // empty=False
	hasDef   bool
	def      any    // string, bool, int64, []string, []json.RawMessage, json.RawMessage
	maxLen   int    // Str: 0 is CoreMaxStringLength
	email    bool   // validators=[Email()]
	items    string // coreList: the item Str's name ("command"); "" is untyped items
}

// coreDict is a Dict schema: its name, its attributes in declaration
// order, and whether it is an update (Patch ('attr', {'update': True}):
// nothing required, no defaults filled).
type coreDict struct {
	name   string
	attrs  []coreAttr
	update bool
}

func (d coreDict) attr(name string) (coreAttr, bool) {
	for _, a := range d.attrs {
		if a.name == name {
			return a, true
		}
	}
	return coreAttr{}, false
}

// coreValues is a cleaned Dict: the keys present (sent, or filled with a
// default) and their cleaned values.
type coreValues struct {
	set  map[string]bool
	vals map[string]any
	big  bool // an integer outside int64 was sent
}

func (v coreValues) has(k string) bool { return v.set[k] }

// coreClean is Dict.clean (schema.py:591) of one argument; raw nil is an
// argument that was not given (NOT_PROVIDED: the Dict's default {}).
func coreClean(d coreDict, raw []byte) (coreValues, error) {
	out := coreValues{set: map[string]bool{}, vals: map[string]any{}}
	if raw == nil {
		raw = []byte("{}")
	}
	if isNull(raw) {
		return out, &CoreSchemaError{d.name, coreMsgNull}
	}
	// The argument is one JSON value of a parsed message; anything else
	// is not a dict.
	o, errs := newObj(d.name, false, raw)
	if errs != nil || !json.Valid(raw) || coreEjsonKind(o) != "" {
		return out, &CoreSchemaError{d.name, coreMsgDict}
	}
	// Keys in the order sent (a repeated key keeps its first place and
	// its last value, as a Python dict built by json.loads).
	for _, k := range o.keys {
		a, ok := d.attr(k)
		if !ok {
			return out, &CoreSchemaError{k, coreMsgNotExpected}
		}
		v, big, err := coreCleanValue(a, o.vals[k])
		if err != nil {
			return out, err
		}
		out.set[k], out.vals[k] = true, v
		out.big = out.big || big
	}
	if !d.update {
		for _, a := range d.attrs {
			if out.set[a.name] {
				continue
			}
			if a.hasDef {
				out.set[a.name], out.vals[a.name] = true, a.def
			} else if a.required {
				return out, &CoreSchemaError{a.name, coreMsgRequired}
			}
		}
	}
	return out, nil
}

// coreCleanValue is the clean() of one attribute's type; big says an
// integer did not fit in int64 (kept as its int64 bits, refused later).
func coreCleanValue(a coreAttr, raw json.RawMessage) (any, bool, error) {
	fail := func(msg string) (any, bool, error) { return nil, false, coreMsgErr(a.name, msg) }
	item := func(i int, msg string) (any, bool, error) {
		if strings.HasPrefix(msg, coreIntLiteral) {
			return fail(msg) // a ValueError is not caught by List.clean
		}
		return fail(fmt.Sprintf("Item#%d is not valid per list types: [%s] %s", i, a.items, msg))
	}
	if isNull(raw) {
		if !a.null {
			return fail(coreMsgNull)
		}
		return nil, false, nil
	}
	switch a.kind {
	case coreStr:
		s, msg := coreStrClean(raw, a.noEmpty)
		if msg != "" {
			return fail(msg)
		}
		return s, false, nil
	case coreInt:
		n, big, msg := coreIntClean(raw)
		if msg != "" {
			return fail(msg)
		}
		return n, big, nil
	case coreBool:
		switch string(bytes.TrimSpace(raw)) {
		case "true":
			return true, false, nil
		case "false":
			return false, false, nil
		}
		return fail(coreMsgBool)
	case coreList:
		var items []json.RawMessage
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' || json.Unmarshal(t, &items) != nil {
			return fail(coreMsgList)
		}
		if items == nil {
			items = []json.RawMessage{}
		}
		if a.items == "" {
			return items, false, nil
		}
		out := make([]string, len(items))
		for i, it := range items {
			// List.clean (schema.py:466): each item through the item
			// schema, the item's Error quoted in the list's.
			var msg string
			if isNull(it) {
				msg = coreMsgNull
			} else {
				out[i], msg = coreStrClean(it, true)
			}
			if msg != "" {
				return item(i, msg)
			}
		}
		return out, false, nil
	case coreIntList:
		var items []json.RawMessage
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' || json.Unmarshal(t, &items) != nil {
			return fail(coreMsgList)
		}
		out := make([]int64, len(items))
		anyBig := false
		for i, it := range items {
			msg := coreMsgNull
			var big bool
			if !isNull(it) {
				out[i], big, msg = coreIntClean(it)
			}
			if msg != "" {
				return item(i, msg)
			}
			anyBig = anyBig || big
		}
		return out, anyBig, nil
	case coreDictAny:
		o, errs := newObj(a.name, false, raw)
		if errs != nil || coreEjsonKind(o) != "" {
			return fail(coreMsgDict)
		}
		return coreCanonicalObject(o), false, nil
	}
	return fail(coreMsgString)
}

// coreIntLiteral begins the text of the ValueError Python's int() raises
// for a string str.isdigit accepts but int() does not read (superscript,
// circled digits): CORE does not catch it, so it reaches the caller as
// a call error (main.py:174, errno EINVAL).
const coreIntLiteral = "invalid literal for int() with base 10: "

// coreMsgErr is the error of a clean() failure of attribute attr.
func coreMsgErr(attr, msg string) error {
	if strings.HasPrefix(msg, coreIntLiteral) {
		return &CallError{Errno: EINVAL, Message: msg}
	}
	return &CoreSchemaError{attr, msg}
}

// coreEjsonKind is the Python type CORE's message decoder makes of an
// object (client/ejson.py object_hook): {"$date": ms} a datetime,
// {"$time": "h:m"} a time, {"$type": "date", "$value": ...} a date;
// "" for a plain dict.
func coreEjsonKind(o *obj) string {
	switch len(o.keys) {
	case 1:
		switch o.keys[0] {
		case "$date":
			return "datetime"
		case "$time":
			return "time"
		}
	case 2:
		var t string
		if _, ok := o.vals["$value"]; ok && json.Unmarshal(o.vals["$type"], &t) == nil && t == "date" {
			return "date"
		}
	}
	return ""
}

// coreEjsonInside returns the Python type of the first ejson value (see
// coreEjsonKind) nested in a JSON value, or "": CORE's json.dumps of a
// JSON column cannot store it.
func coreEjsonInside(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return ""
	}
	switch t[0] {
	case '{':
		o, errs := newObj("", false, t)
		if errs != nil {
			return ""
		}
		if k := coreEjsonKind(o); k != "" {
			return k
		}
		for _, k := range o.keys {
			if kind := coreEjsonInside(o.vals[k]); kind != "" {
				return kind
			}
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(t, &items) == nil {
			for _, it := range items {
				if kind := coreEjsonInside(it); kind != "" {
					return kind
				}
			}
		}
	}
	return ""
}

// coreCanonicalObject re-encodes an object as the dict Python keeps:
// each key once, at its first place, with its last value.
func coreCanonicalObject(o *obj) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if err := json.Compact(&b, o.vals[k]); err != nil {
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// coreStrClean is Str.clean (schema.py:169): a string, or an integer
// (not a boolean) turned into its decimal text.
func coreStrClean(raw json.RawMessage, noEmpty bool) (string, string) {
	t := bytes.TrimSpace(raw)
	var s string
	switch {
	case len(t) > 0 && t[0] == '"':
		if json.Unmarshal(t, &s) != nil {
			return "", coreMsgString
		}
	case coreIsJSONInt(t):
		n, _ := new(big.Int).SetString(string(t), 10)
		s = n.String()
	default:
		return "", coreMsgString
	}
	if noEmpty && s == "" {
		return "", coreMsgEmpty
	}
	return s, ""
}

// coreIsJSONInt says whether a JSON number token has no fraction and no
// exponent (Python's json gives an int, not a float).
func coreIsJSONInt(t []byte) bool {
	if len(t) == 0 || !(t[0] == '-' || t[0] >= '0' && t[0] <= '9') {
		return false
	}
	_, ok := new(big.Int).SetString(string(t), 10)
	return ok && !bytes.ContainsAny(t, ".eE+")
}

// coreIntClean is Int.clean (schema.py:402): an integer (not a boolean),
// or a string whose characters are all decimal digits (str.isdigit, then
// int()). It returns the value, whether it overflowed int64, and a
// message on failure.
func coreIntClean(raw json.RawMessage) (int64, bool, string) {
	t := bytes.TrimSpace(raw)
	if coreIsJSONInt(t) {
		n, _ := new(big.Int).SetString(string(t), 10)
		return n.Int64(), !n.IsInt64(), ""
	}
	var s string
	if len(t) > 0 && t[0] == '"' && json.Unmarshal(t, &s) == nil && coreIsDigit(s) {
		n, ok := coreDecimalDigits(s)
		if !ok {
			return 0, false, coreIntLiteral + pyRepr(s)
		}
		return n.Int64(), !n.IsInt64(), ""
	}
	return 0, false, coreMsgInt
}

// coreDigitNotDecimal are the characters of Numeric_Type Digit: Python's
// str.isdigit accepts them, int() does not (superscripts, subscripts,
// circled and parenthesized digits...). Unicode 13.0, CORE 13.3's Python
// 3.9.
var coreDigitNotDecimal = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0xB2, 0xB3, 1}, {0xB9, 0xB9, 1}, {0x1369, 0x1371, 1}, {0x19DA, 0x19DA, 1}, {0x2070, 0x2070, 1},
		{0x2074, 0x2079, 1}, {0x2080, 0x2089, 1}, {0x2460, 0x2468, 1}, {0x2474, 0x247C, 1}, {0x2488, 0x2490, 1},
		{0x24EA, 0x24EA, 1}, {0x24F5, 0x24FD, 1}, {0x24FF, 0x24FF, 1}, {0x2776, 0x277E, 1}, {0x2780, 0x2788, 1},
		{0x278A, 0x2792, 1},
	},
	R32: []unicode.Range32{
		{0x10A40, 0x10A43, 1}, {0x10E60, 0x10E68, 1}, {0x11052, 0x1105A, 1}, {0x1F100, 0x1F10A, 1},
	},
}

// coreNewerDecimal are decimal digits (Nd) added after Unicode 13.0, which
// Go's tables have and CORE's Python does not: Tangsa (14.0), Kawi and
// Nag Mundari (15.0).
var coreNewerDecimal = &unicode.RangeTable{
	R32: []unicode.Range32{{0x11F50, 0x11F59, 1}, {0x16AC0, 0x16AC9, 1}, {0x1E4F0, 0x1E4F9, 1}},
}

// coreDecimal says whether r is a decimal digit for CORE's Python.
func coreDecimal(r rune) bool { return unicode.IsDigit(r) && !unicode.Is(coreNewerDecimal, r) }

// coreIsDigit is str.isdigit: non-empty, every character a decimal digit
// or a digit of coreDigitNotDecimal.
func coreIsDigit(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !coreDecimal(r) && !unicode.Is(coreDigitNotDecimal, r) {
			return false
		}
	}
	return true
}

// coreDecimalDigits reads a string of decimal digits (category Nd, in
// any script, as Python's int() does); false if a character is not one.
func coreDecimalDigits(s string) (*big.Int, bool) {
	n := new(big.Int)
	ten := big.NewInt(10)
	for _, r := range s {
		if !coreDecimal(r) {
			return nil, false
		}
		// Nd digits come in runs of ten, 0 to 9.
		z := r
		for unicode.IsDigit(z - 1) {
			z--
		}
		n.Mul(n, ten)
		n.Add(n, big.NewInt(int64((r-z)%10)))
	}
	return n, true
}

// coreValidate is Dict.validate (schema.py:642) of a cleaned argument:
// the attributes in declaration order, errors collected with paths.
func coreValidate(d coreDict, v coreValues) Errors {
	var errs Errors
	for _, a := range d.attrs {
		if !v.has(a.name) {
			continue
		}
		val := v.vals[a.name]
		switch a.kind {
		case coreStr:
			s, ok := val.(string)
			if !ok {
				continue // None: nothing to validate
			}
			if msg := coreStrValidate(a, s); msg != "" {
				errs.Add(d.name+"."+a.name, msg, EINVAL)
			}
		case coreList:
			items, ok := val.([]string)
			if !ok || a.items == "" {
				continue
			}
			// List.validate (schema.py:487): each item's Str.validate,
			// its error under "<list>.<i>.<item name>".
			for i, it := range items {
				if utf8.RuneCountInString(it) > CoreMaxStringLength {
					errs.Add(fmt.Sprintf("%s.%s.%d.%s", d.name, a.name, i, a.items), coreTooLong(CoreMaxStringLength), EINVAL)
				}
			}
		}
	}
	return errs
}

// coreStrValidate is Str.validate (schema.py:198) and its validators.
func coreStrValidate(a coreAttr, s string) string {
	maxLen := a.maxLen
	if maxLen == 0 {
		maxLen = CoreMaxStringLength
	}
	if s != "" && utf8.RuneCountInString(s) > maxLen {
		return coreTooLong(maxLen)
	}
	if a.email {
		return coreEmail(s)
	}
	return ""
}

// coreEmail is validators.Email (validators.py:13, empty=False). Its
// length message is CORE's as written: the placeholder is not filled in
// (validators.py:26 lacks the f prefix).
func coreEmail(s string) string {
	switch {
	case utf8.RuneCountInString(s) > 254:
		return "Maximum length is {self.max_path} characters."
	case !strings.Contains(s, "@"):
		return "Missing '@' symbol."
	}
	at := strings.LastIndex(s, "@")
	if at == 0 {
		return "Missing local part of email string (part before the '@')."
	}
	if s[at:] == "@" {
		return "Missing domain part of email string (part after the '@')."
	}
	return ""
}

// coreDecode cleans then validates one Dict argument. The error is a
// *CoreSchemaError (clean), Errors (validate) or, for an integer that
// does not fit in SQLite's INTEGER, the *CallError CORE meets when it
// stores or looks it up.
func coreDecode(d coreDict, raw []byte) (coreValues, error) {
	v, serr := coreClean(d, raw)
	if serr != nil {
		return v, serr
	}
	if errs := coreValidate(d, v); len(errs) > 0 {
		return v, errs
	}
	if v.big {
		return v, &CallError{Errno: EINVAL, Message: coreMsgSQLiteInt}
	}
	return v, nil
}

// DecodeCoreID decodes a positional Int argument (Int('id'),
// schema.py:400) named name; raw nil is an argument not given.
func DecodeCoreID(name string, raw []byte) (int64, error) {
	if raw == nil {
		return 0, &CoreSchemaError{name, coreMsgRequired}
	}
	v, big, err := coreCleanValue(coreAttr{name: name, kind: coreInt}, raw)
	if err != nil {
		return 0, err
	}
	if big {
		return 0, &CallError{Errno: EINVAL, Message: coreMsgSQLiteInt}
	}
	return v.(int64), nil
}

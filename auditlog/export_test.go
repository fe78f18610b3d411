package auditlog

import (
	"bytes"
	"encoding/json"
)

// ValidJSON exposes validJSON to the external tests, which check it
// against json.Valid.
var ValidJSON = validJSON

// AppendCanonical exposes appendCanonical, which the external tests check
// against DecodedCanonical.
var AppendCanonical = appendCanonical

// DecodedCanonical is the canonical form of the JSON value raw as Encode
// made it before it read data in place: decoded by encoding/json with
// UseNumber, then appended by appendValue.
func DecodedCanonical(raw []byte) ([]byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return appendValue(nil, v), nil
}

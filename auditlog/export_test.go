package auditlog

// ValidJSON exposes validJSON to the external tests, which check it
// against json.Valid.
var ValidJSON = validJSON

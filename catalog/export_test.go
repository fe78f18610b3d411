package catalog

// MaxFileSize is maxFileSize, for the tests of files that pass it.
const MaxFileSize = maxFileSize

package github

// ParseRequest exposes parseRequest to the fuzz test.
var ParseRequest = parseRequest

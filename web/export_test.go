package web

// Route is an entry of the route table as the tests see it.
type Route struct {
	Pattern string
	// SignedIn is set for the pages that need a session.
	SignedIn bool
	// OpenToReadOnly is set for those that a session opened with a
	// read-only token may use.
	OpenToReadOnly bool
}

// Routes returns the route table of the board.
func Routes() []Route {
	var list []Route
	for _, rt := range New(Config{}).routes() {
		list = append(list, Route{Pattern: rt.pattern, SignedIn: rt.access != anyone, OpenToReadOnly: openToReadOnly(rt.pattern, rt.access)})
	}
	return list
}

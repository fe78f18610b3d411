package server

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
)

// icsTime is the UTC form of DATE-TIME in RFC 5545 (section 3.3.5).
const icsTime = "20060102T150405Z"

// maxLineOctets is the longest content line RFC 5545 allows before
// folding (section 3.1), CRLF excluded.
const maxLineOctets = 75

// renderICS writes the occurrences of the windows of env as an RFC 5545
// calendar with one VEVENT per occurrence. Times are in UTC so that the
// file needs no VTIMEZONE and every client shows the same instants.
// stamp is the DTSTAMP of every event: the time of the export.
func renderICS(env string, occurrences []andon.Occurrence, stamp time.Time) []byte {
	var b bytes.Buffer
	line := func(name, value string) { foldLine(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//andon//andon "+escapeText(andon.Version)+"//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeText("andon windows: "+env))
	for _, o := range occurrences {
		start := o.Start.UTC()
		line("BEGIN", "VEVENT")
		// The UID must stay the same across exports so that a calendar
		// that subscribes to the feed updates events instead of doubling
		// them: an occurrence is its window, environment and start.
		line("UID", escapeText(fmt.Sprintf("%s-%s-%s@andon", start.Format(icsTime), o.Window, env)))
		line("DTSTAMP", stamp.UTC().Format(icsTime))
		line("DTSTART", start.Format(icsTime))
		line("DTEND", o.End.UTC().Format(icsTime))
		line("SUMMARY", escapeText(fmt.Sprintf("%s: %s", o.Type, o.Window)))
		line("DESCRIPTION", escapeText(describeOccurrence(env, o)))
		line("CATEGORIES", escapeText(strings.ToUpper(string(o.Type))))
		// Freezes and maintenance windows occupy the time; peaks are only
		// informational.
		if o.Type == andon.WindowPeak {
			line("TRANSP", "TRANSPARENT")
		} else {
			line("TRANSP", "OPAQUE")
		}
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

// describeOccurrence says in a sentence what an occurrence means for
// changes to env.
func describeOccurrence(env string, o andon.Occurrence) string {
	switch o.Type {
	case andon.WindowFreeze:
		if len(o.Allow) == 0 {
			return fmt.Sprintf("Window %s freezes %s: no change may be deployed.", o.Window, env)
		}
		return fmt.Sprintf("Window %s freezes %s: only changes of type %s may be deployed.", o.Window, env, joinValues(o.Allow))
	case andon.WindowMaintenance:
		return fmt.Sprintf("Window %s is a maintenance window of %s: high and critical changes go here.", o.Window, env)
	}
	return fmt.Sprintf("Window %s is a %s window of %s.", o.Window, o.Type, env)
}

// escapeText escapes a TEXT value (RFC 5545 section 3.3.11): backslash,
// semicolon, comma and newline. Other control characters have no escape and
// are dropped.
func escapeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			// Dropped: not representable in a content line.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldLine writes a content line ending in CRLF, folded so that no line
// is longer than 75 octets: each continuation line starts with a space,
// which counts towards its 75. Folds never split a UTF-8 sequence.
func foldLine(b *bytes.Buffer, s string) {
	limit := maxLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLineOctets - 1
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// Package odoo reads Odoo addons without running Python and answers
// questions about their module graph: which modules an addons path holds,
// what each depends on, which modules depend on it, which modules Odoo
// installs by itself (auto_install), which dependencies exist nowhere and
// which modules depend on each other in a cycle.
//
// Manifests (__manifest__.py, or the legacy __openerp__.py) are Python
// literals, which Odoo reads with ast.literal_eval; ParseLiteral reads the
// same language by hand, so that a manifest is data here too and nothing a
// repository contains is ever executed. Modules that ship with Odoo but are
// not in the scanned addons paths come from the core data embedded in the
// package (Odoo17), which also maps modules to business processes.
package odoo

# Copyright 2024 ACME Manufacturing
# License OPL-1 (https://www.odoo.com/documentation/17.0/legal/licenses.html)
{
    "name": "ACME: MRP extensions",
    "summary": "Shop-floor rules of the Lyon plant: "
               "scrap reasons, QC holds, "
               'work-centre calendars',
    "version": "17.0.1.4.2",
    "category": "Manufacturing/Manufacturing",
    "author": "ACME Manufacturing",
    "website": "https://erp.acme.example",
    "license": "OPL-1",
    "depends": [
        "mrp",
        "quality_control",  # Odoo Enterprise
    ],
    "external_dependencies": {
        "python": ["openpyxl", "python-barcode"],
        "bin": ["lp"],
        "deb": ["cups-client"],
    },
    "data": [
        "security/ir.model.access.csv",
        "data/scrap_reasons.xml",
        "views/mrp_production_views.xml",
        "views/mrp_workcenter_views.xml",
    ],
    "demo": ["demo/mrp_demo.xml"],
    "pre_init_hook": "pre_init_hook",
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
    "auto_install": False,
}

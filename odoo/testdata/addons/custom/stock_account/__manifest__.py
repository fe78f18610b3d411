# ACME's patched copy of stock_account: landed-cost rounding fix, to be
# dropped once odoo/odoo#151234 is released.
{
    'name': 'WMS Accounting (ACME patch)',
    'version': '17.0.1.1.1',
    'depends': ['stock', 'account'],
    'category': 'Hidden',
    'data': [
        'security/stock_account_security.xml',
        'security/ir.model.access.csv',
    ],
    'installable': True,
    'auto_install': True,
    'post_init_hook': '_configure_journals',
    'license': 'LGPL-3',
}

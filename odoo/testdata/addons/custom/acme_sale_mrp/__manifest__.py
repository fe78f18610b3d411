{
    'name': 'ACME: sales to manufacturing',
    'version': '17.0.1.0.0',
    'category': 'Hidden',
    'depends': ['sale_mrp', 'acme_mrp_extension'],
    # Installed by itself wherever sale_mrp is, pulling in
    # acme_mrp_extension with it.
    'auto_install': ['sale_mrp'],
    'data': ['views/sale_order_views.xml'],
    'license': 'OPL-1',
}

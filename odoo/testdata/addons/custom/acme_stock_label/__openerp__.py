# -*- coding: utf-8 -*-
##############################################################################
#
#    OpenERP, Open Source Management Solution
#    Copyright (C) 2004-2010 Tiny SPRL (<http://tiny.be>).
#
##############################################################################
{
    'name' : 'Stock labels (legacy)',
    'version' : '1.0',
    'author' : 'OpenERP SA',
    'category' : 'Warehouse Management',
    'depends' : ['stock'],
    'description': '''
Prints labels for pickings.
    ''',
    'init_xml' : [],
    'update_xml' : ['stock_label_view.xml'],
    'demo_xml' : [],
    'installable': True,
    'active': False,
    'certificate' : '0064479821000',
}

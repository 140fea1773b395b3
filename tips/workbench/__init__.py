"""The analyst's workbench pages beyond the admin's list and form, one module per page;
TipAdmin.get_urls registers each through the admin site's admin_view."""

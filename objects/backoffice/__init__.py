"""The investigators' back-office pages beyond Django's list and form, one module each
(upload, approve, identify, image), registered by objects/admin.py through admin_view."""

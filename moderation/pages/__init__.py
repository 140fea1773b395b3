"""The back office's pages beyond Django's lists and forms, one module each (forward pages,
the dashboard, the home page), registered through admin_view by moderation's admin and site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, whose `admin.site` is our two-factor back office (Django's
    supported hook for replacing the default site)."""

    default = False  # this module's default config is ModerationConfig, the app itself
    default_site = "moderation.admin_site.StaffAdminSite"


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Back office"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import m2m_changed, post_save, pre_save

        from moderation import auth, staff
        from moderation.roles import staff_groups_ensure
        from tips.permissions import forward_page_register

        # Runs after the permissions of objects, tips and this app exist (they come earlier
        # in INSTALLED_APPS; auth's own handler runs first for each).
        post_migrate.connect(staff_groups_ensure, sender=self)
        forward_page_register(
            permission="moderation.add_forward", url_name="admin:moderation_forward_create"
        )
        user_logged_in.connect(auth.audit_login_succeeded, dispatch_uid="audit_login_succeeded")
        user_login_failed.connect(auth.audit_login_failed, dispatch_uid="audit_login_failed")
        user_locked_out.connect(auth.audit_locked_out, dispatch_uid="audit_locked_out")
        # Every role change, from any path (back office, create_staff, a shell), is audited
        # and nobody changes their own (moderation/staff.py).
        User = get_user_model()
        m2m_changed.connect(
            staff.groups_changed, sender=User.groups.through, dispatch_uid="audit_groups"
        )
        pre_save.connect(staff.flags_changed, sender=User, dispatch_uid="audit_role_flags")
        pre_save.connect(staff.username_changed, sender=User, dispatch_uid="audit_username")
        post_save.connect(staff.flags_of_new_user, sender=User, dispatch_uid="audit_new_flags")

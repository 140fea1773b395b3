from django.contrib import admin

from moderation.models import FailedTask


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    list_display = ["task_name", "failed_at", "task_id"]
    list_filter = ["task_name"]
    readonly_fields = ["task_name", "task_id", "args", "error", "failed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

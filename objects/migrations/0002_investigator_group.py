from django.contrib.auth.management import create_permissions
from django.db import migrations

INVESTIGATOR_PERMISSIONS = {
    "case": ["add", "change", "view"],
    "tracedobject": ["add", "change", "view", "publish", "identify", "retire"],
    "resemblance": ["view"],
}


def create_investigator_group(apps, schema_editor):
    # Permissions are normally created after all migrations; this one needs them now.
    app_config = apps.get_app_config("objects")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Investigator")
    for model, actions in INVESTIGATOR_PERMISSIONS.items():
        codenames = [f"{action}_{model}" for action in actions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="objects", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("objects", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_investigator_group, migrations.RunPython.noop)]

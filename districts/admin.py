"""Admin for the directory (districts, schools) and for users with their role and districts."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import District, School, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    filter_horizontal = ("districts", "groups", "user_permissions")
    # The stubs allow an admin without fieldsets; Django's UserAdmin always has them.
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Compliance role", {"fields": ("role", "districts")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Compliance role", {"fields": ("role", "districts")}))


class SchoolInline(admin.TabularInline):
    model = School
    extra = 0
    fields = ("school_id", "name", "grade_low", "grade_high")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("name", "state_id", "nces_id", "state", "region")
    list_filter = ("state", "region")
    search_fields = ("name", "state_id", "nces_id")
    inlines = [SchoolInline]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "school_id", "district", "grade_low", "grade_high")
    list_filter = ("district__state",)
    search_fields = ("name", "school_id", "district__name")
    list_select_related = ("district",)

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from search.readers import SignInView, signup

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", signup, name="signup"),
    path("", include("archive.urls")),
    path("", include("search.urls")),
]

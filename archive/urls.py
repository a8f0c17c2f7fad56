from django.urls import path

from archive import views

app_name = "archive"

urlpatterns = [
    path("articles/<int:pk>/", views.article_detail, name="article"),
]

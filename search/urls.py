from django.urls import path, re_path

from search import readers, views

app_name = "search"

urlpatterns = [
    path("", views.search_page, name="search"),
    re_path(r"^export\.(?P<fmt>csv|jsonl)$", views.export, name="export"),
    path("facets/<str:facet>/", views.facet_page, name="facet"),
    path("entities/<int:pk>/", views.entity_page, name="entity"),
    path("network/", views.network_page, name="network"),
    path("pair/", views.pair_page, name="pair"),
    path("names/", views.names_page, name="names"),
    path("my/", readers.my_searches, name="my-searches"),
    path("my/searches/", readers.save, name="save-search"),
    path("my/searches/<int:pk>/", readers.open_saved, name="open-saved"),
    path("my/searches/<int:pk>/change/", readers.change_saved, name="change-saved"),
    path("my/alerts/", readers.add_alert, name="add-alert"),
    path("my/alerts/<int:pk>/delete/", readers.delete_alert, name="delete-alert"),
    path("saved/<str:token>/feed.atom", readers.saved_feed, name="saved-feed"),
    path("api/network/", views.api_network, name="api-network"),
    path("api/pair/", views.api_pair, name="api-pair"),
    path("api/names/", views.api_names, name="api-names"),
    path("api/search/", views.api_search, name="api-search"),
    path("api/facets/<str:facet>/", views.api_facet, name="api-facet"),
    path("api/articles/<int:pk>/", views.api_article, name="api-article"),
    path("api/entities/<int:pk>/", views.api_entity, name="api-entity"),
    path("api/entities/autocomplete/", views.api_autocomplete, name="api-autocomplete"),
]

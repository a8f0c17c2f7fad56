"""Readers' own pages: signing up, saved searches with their feeds, and entity alerts."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET, require_POST

from archive.models import Entity
from archive.signin_throttle import SignInForm
from search.alerts import (
    AlreadyTogether,
    create_entity_alert,
    feed_articles,
    header_text,
    new_since_visit,
    newest_id,
    save_search,
)
from search.facets import BadParameter
from search.models import EntityAlert, SavedSearch
from search.query import parse_params


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="Alerts and digests go here.")

    class Meta(UserCreationForm.Meta):
        fields = ["username", "email"]


class SignInView(LoginView):
    form_class = SignInForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        throttled = context["form"].has_error(forms.forms.NON_FIELD_ERRORS, "throttled")
        return {**context, "signup_open": settings.SIGNUP_OPEN, "throttled": throttled}


def signup(request):
    if not settings.SIGNUP_OPEN:
        raise Http404("Accounts are created by the archive's staff.")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("search:my-searches")
    return render(request, "registration/signup.html", {"form": form})


class SaveSearchForm(forms.Form):
    name = forms.CharField(max_length=200)
    query = forms.CharField(
        max_length=SavedSearch._meta.get_field("query").max_length,
        required=False,
        widget=forms.HiddenInput,
    )
    digest = forms.ChoiceField(choices=SavedSearch.Digest.choices, required=False)

    def clean_name(self) -> str:
        # The name goes into mail subjects: one line, no control characters.
        name = header_text(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Give the search a name.")
        return name

    def clean_query(self) -> str:
        try:
            params = parse_params(QueryDict(self.cleaned_data["query"]))
        except BadParameter as error:
            raise forms.ValidationError(str(error)) from None
        # The page is where the reader was, not part of the search.
        return params.first_page.querystring


@login_required
def my_searches(request):
    searches = list(request.user.saved_searches.all())
    for saved in searches:
        saved.new_count = new_since_visit(saved)
    alerts = request.user.entity_alerts.select_related("entity", "partner")
    return render(
        request,
        "search/my_searches.html",
        {
            "searches": searches,
            "alerts": alerts,
            "digests": SavedSearch.Digest.choices,
        },
    )


@login_required
@require_POST
def save(request):
    form = SaveSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The search could not be saved: " + _errors(form))
        return redirect("search:my-searches")
    saved = save_search(request.user, **form.cleaned_data)
    messages.success(request, f"Saved “{saved.name}”. New articles it finds show up here.")
    return redirect("search:my-searches")


@login_required
@require_POST
def change_saved(request, pk: int):
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    if "delete" in request.POST:
        saved.delete()
        messages.success(request, f"Deleted “{saved.name}”.")
    else:
        digest = request.POST.get("digest", "")
        if digest not in SavedSearch.Digest.values:
            messages.error(request, "Choose one of the e-mail options.")
        else:
            saved.digest = digest
            saved.save(update_fields=["digest"])
            messages.success(request, f"E-mail for “{saved.name}”: {saved.get_digest_display()}.")
    return redirect("search:my-searches")


@login_required
@require_GET
def open_saved(request, pk: int):
    """Run a saved search; what it found so far is no longer new."""
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    saved.seen_up_to_id = newest_id()
    saved.save(update_fields=["seen_up_to_id"])
    return redirect(saved.search_url())


@require_GET
def saved_feed(request, token: str):
    """The Atom feed of a saved search's new articles; its address is its only key."""
    # A deactivated reader's feeds end with her account (her session and tokens do too).
    saved = get_object_or_404(SavedSearch, feed_token=token, user__is_active=True)
    link = request.build_absolute_uri(saved.search_url())
    feed = Atom1Feed(
        title=f"{saved.name}: new articles",
        link=link,
        description=f"Articles added to the archive since {saved.created_at:%Y-%m-%d} that "
        f"the search “{saved.name}” finds.",
        feed_url=request.build_absolute_uri(),
        id=request.build_absolute_uri(),
    )
    for article in feed_articles(saved):
        feed.add_item(
            title=article.title,
            link=request.build_absolute_uri(article.get_absolute_url()),
            description=article.body[:500],
            unique_id=request.build_absolute_uri(article.get_absolute_url()),
            pubdate=article.published or article.imported_at,
            updateddate=article.imported_at,
            author_name=article.author or article.source or None,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


@login_required
@require_POST
def add_alert(request):
    entity = _entity(request.POST.get("entity"))
    partner = _entity(request.POST.get("partner")) if request.POST.get("partner") else None
    if partner == entity:
        partner = None
    try:
        alert = create_entity_alert(request.user, entity, partner)
    except AlreadyTogether as error:
        messages.error(request, f"{error} Save a search with both instead.")
    else:
        messages.success(request, f"You will get an e-mail when {alert}.")
    if not request.user.email:
        messages.warning(request, "Your account has no e-mail address: ask staff to add one.")
    return redirect("search:my-searches")


@login_required
@require_POST
def delete_alert(request, pk: int):
    alert = get_object_or_404(EntityAlert, pk=pk, user=request.user)
    alert.delete()
    messages.success(request, f"Alert deleted: {alert}.")
    return redirect("search:my-searches")


def _entity(value: str | None) -> Entity:
    if not value or not value.isdigit():
        raise Http404("No such entity.")
    return get_object_or_404(Entity, pk=int(value))


def _errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)

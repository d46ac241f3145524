"""The meeting's pages. Included before the reviews' and writeups' URLs in retrospector/urls.py."""

urlpatterns: list = []

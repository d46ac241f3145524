"""The review's pages. Included before writeups' URLs in retrospector/urls.py, so a path here wins over the same
path there."""

urlpatterns: list = []
